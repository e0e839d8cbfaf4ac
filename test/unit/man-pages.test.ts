/**
 * The man pages scripts/package generates (src/packaged/man.ts) against what the code defines:
 * every bondctl command yargs has registered, every bondd flag, every bondd.yaml key and every
 * bond and slave option of the option table must have its entry. bondctl's help comes from the
 * CLI itself (in process, as scripts/package gets it from the packaged program); bondd's from
 * the daemon's entry point, bundled with esbuild and run with --help.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BOND_OPTIONS, SLAVE_OPTIONS } from '../../src/bond/options.js';
import { YARGS_COMPLETION_COMMAND } from '../../src/cli/commands/completion.js';
import { registeredCommands } from '../../src/cli/main.js';
import { BOND_KEYS, TOP_KEYS } from '../../src/config/yaml.js';
import { BRIDGE_KEYS, VLAN_KEYS } from '../../src/config/yaml-stack.js';
import { bondctlPage, bonddPage, bonddYamlPage, commandNames, parseFlags, roffText } from '../../src/packaged/man.js';
import { harness } from './cli-fakes.js';

const info = { version: '1.2.3', date: '2026-01-02' };
/** .TP entries and .SS headings, as man shows them: the roff escapes undone. */
const entries = (page: string) => [...page.matchAll(/^\.(?:B|SS) (.+)$/gm)].map((m) => m[1]!.replace(/\\-/g, '-'));

async function bondctlHelp(...args: string[]): Promise<string> {
  const h = harness();
  expect(await h.run(...args)).toBe(0);
  return h.stdout;
}

describe('bondctl(8)', () => {
  let page = '';
  let mainHelp = '';
  beforeAll(async () => {
    mainHelp = await bondctlHelp('--help');
    const commands = [];
    for (const name of commandNames(mainHelp)) commands.push({ name, help: await bondctlHelp(name, '--help') });
    page = bondctlPage(info, mainHelp, commands);
  });

  it('has a section for every command registered with yargs', async () => {
    const registered = (await registeredCommands()).filter((c) => c !== '$0' && c !== YARGS_COMPLETION_COMMAND);
    expect(registered.length).toBeGreaterThan(10);
    const sections = entries(page);
    for (const command of registered) expect(sections, `bondctl ${command}`).toContain(command);
  });

  it('lists the global flags, --version among them', () => {
    const flags = parseFlags(mainHelp).map((f) => f.flags);
    expect(flags).toEqual(expect.arrayContaining(['--socket', '-h, --help', '--version']));
    for (const flag of flags) expect(entries(page)).toContain(flag);
  });

  it('is roff with a header naming the version', () => {
    expect(page.startsWith('.TH BONDCTL 8 "2026-01-02" "bondd 1.2.3"')).toBe(true);
    const macros = new Set([...page.matchAll(/^\.(\w+)/gm)].map((m) => m[1]));
    expect([...macros].sort()).toEqual(['B', 'BR', 'I', 'PP', 'SH', 'SS', 'TH', 'TP', 'br', 'fi', 'nf']);
  });
});

describe('bondd(8)', () => {
  let dir = '';
  let help = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bondd-man-'));
    const bundle = join(dir, 'bondd.mjs');
    buildSync({
      entryPoints: ['src/daemon/main.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    help = execFileSync(process.execPath, [bundle, '--help'], { encoding: 'utf8', timeout: 30_000 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has an entry for every flag of bondd --help', () => {
    const flags = [...help.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
    expect(flags).toEqual(expect.arrayContaining(['--config', '--check', '--state-dir', '--version', '--help']));
    const page = entries(bonddPage(info, help)).join('\n');
    for (const flag of flags) expect(page, flag).toMatch(new RegExp(`(^|, )${flag}$`, 'm'));
  });
});

describe('bondd.yaml(5)', () => {
  const page = bonddYamlPage(info, 'bonds:\n  bond0:\n    mode: active-backup\n');
  const names = entries(page);

  it('describes every key of the file', () => {
    for (const key of [...TOP_KEYS, ...BOND_KEYS]) expect(names, key).toContain(key);
    const section = (title: string) => entries(page.split(`.SH ${title}\n`)[1]!.split('\n.SH ')[0]!);
    for (const key of VLAN_KEYS) expect(section('VLAN KEYS'), `vlan key ${key}`).toContain(key);
    for (const key of BRIDGE_KEYS) expect(section('BRIDGE KEYS'), `bridge key ${key}`).toContain(key);
  });

  it('describes every bond and slave option of the option table', () => {
    for (const option of [...BOND_OPTIONS, ...SLAVE_OPTIONS]) expect(names, option.name).toContain(option.name);
  });

  it('keeps the example verbatim', () => {
    expect(page).toContain('.nf\nbonds:\n  bond0:\n    mode: active\\-backup\n.fi');
  });
});

describe('roffText', () => {
  it('makes backslashes, hyphens and leading control characters literal', () => {
    expect(roffText('a\\b -x\n.TH\n\'c')).toBe('a\\eb \\-x\n\\&.TH\n\\&\'c');
  });
});
