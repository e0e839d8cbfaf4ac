/**
 * Nothing is lost silently: for every fixture of every import format, every line that says
 * something (not blank, not a comment) is accounted for — imported, named in a warning, or an
 * error — and every interface the input defines is part of an imported stack or named as not
 * imported. The lines are found here from the raw text, independently of the importers.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AccountEntry, ImportError, type ImportResult } from '../../src/config/assemble.js';
import { importIfcfg } from '../../src/config/ifcfg.js';
import { importInterfaces } from '../../src/config/interfaces.js';
import { importNetplan } from '../../src/config/netplan.js';
import { importNetworkd } from '../../src/config/networkd.js';
import { importNm } from '../../src/config/nm.js';
import { renderYaml, withoutOrigins } from '../../src/config/render.js';
import type { DesiredConfig } from '../../src/config/types.js';
import { parseYamlConfig } from '../../src/config/yaml.js';

const ROOT = 'test/fixtures/import';

interface Format {
  /** Imports one fixture (a file or a directory). */
  run: (path: string) => Promise<ImportResult>;
  /** Whether a line is a comment in this format. */
  comment: RegExp;
  /** Names of the interfaces a fixture defines, read from its raw text. */
  defined: (text: string) => string[];
}

const FORMATS: Record<string, Format> = {
  nm: {
    run: (p) => importNm(p),
    comment: /^\s*[#;]/,
    defined: (text) => [...text.matchAll(/^interface-name=(\S+)$/gm)].map((m) => m[1]!),
  },
  networkd: {
    run: (p) => importNetworkd(p),
    comment: /^\s*[#;]/,
    // Netdevs by Name=; links by a plain [Match] Name= (globs and MACs are matched, not named).
    defined: (text) => [...text.matchAll(/^Name=([^\s*?[]+)$/gm)].map((m) => m[1]!),
  },
  ifcfg: {
    // A fixture's modprobe.conf is read as with --modprobe.
    run: async (p) => importIfcfg(p, { modprobeFiles: (await readdir(p)).includes('modprobe.conf') ? [join(p, 'modprobe.conf')] : [] }),
    comment: /^\s*#/,
    // The device of an ifcfg file (not of alias or route files).
    defined: (text) => [...text.matchAll(/^DEVICE=([^\s:]+)$/gm)].map((m) => m[1]!),
  },
  interfaces: {
    run: (p) => importInterfaces(p),
    comment: /^\s*#/,
    defined: (text) => [...text.matchAll(/^iface\s+([^\s:]+)/gm)].map((m) => m[1]!).filter((n) => n !== 'lo'),
  },
  netplan: {
    run: (p) => importNetplan(p),
    comment: /^\s*#/,
    defined: (text) => {
      const out: string[] = [];
      let inSection = false;
      for (const line of text.split('\n')) {
        if (/^ {2}(ethernets|bonds|vlans|bridges|wifis|tunnels|vrfs|dummy-devices|virtual-ethernets|modems|nm-devices):/.test(line)) inSection = true;
        else if (/^ {2}\S/.test(line)) inSection = false;
        else if (inSection) {
          const m = /^ {4}([A-Za-z0-9._-]+):/.exec(line);
          if (m) out.push(m[1]!);
        }
      }
      return out;
    },
  },
};

async function fixtures(format: string): Promise<string[]> {
  const dir = join(ROOT, format);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.sort().map((n) => join(dir, n));
}

async function filesOf(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const out: string[] = [];
  for (const n of (await readdir(path)).sort()) out.push(...(await filesOf(join(path, n))));
  return out;
}

function stackNames(c: DesiredConfig): Set<string> {
  const s = new Set<string>();
  for (const b of c.bonds) {
    s.add(b.name);
    for (const sl of b.slaves) if (sl.name) s.add(sl.name);
    if (b.bridge) s.add(b.bridge.name);
    for (const v of b.vlans ?? []) {
      s.add(v.name);
      if (v.bridge) s.add(v.bridge.name);
    }
  }
  return s;
}

describe('import accounting: every line of every fixture is imported, warned about, or an error', () => {
  for (const [format, f] of Object.entries(FORMATS)) {
    it(`${format}: every fixture`, async () => {
      const list = await fixtures(format);
      expect(list.length, `fixtures for ${format}`).toBeGreaterThan(0);
      for (const fixture of list) {
        let accounting: AccountEntry[];
        let result: ImportResult | undefined;
        try {
          result = await f.run(fixture);
          accounting = result.accounting;
        } catch (e) {
          if (!(e instanceof ImportError)) throw e;
          accounting = e.accounting;
        }
        const seen = new Set(accounting.map((a) => `${a.file}:${a.line}`));
        for (const file of await filesOf(fixture)) {
          const text = await readFile(file, 'utf8');
          const lines = text.split('\n');
          const missing = lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l, n }) => l.trim() !== '' && !f.comment.test(l) && !seen.has(`${file}:${n}`));
          expect(missing.map(({ l, n }) => `${file}:${n}: ${l}`), `unaccounted lines in ${file}`).toEqual([]);
          if (result) {
            const inStack = stackNames(result.config);
            const named = new Set(result.notImported.map((x) => x.name));
            const lost = f.defined(text).filter((n) => !inStack.has(n) && !named.has(n));
            // Slaves matched by hardware are known by their netplan id only.
            const matched = result.config.bonds.flatMap((b) => b.slaves).filter((s) => !s.name).length;
            expect(lost.length, `interfaces of ${file} neither imported nor named: ${lost.join(', ')}`).toBeLessThanOrEqual(matched);
          }
        }
      }
    });
  }
});

describe('what import prints reads back as the same configuration', () => {
  for (const [format, f] of Object.entries(FORMATS)) {
    it(`${format}: every fixture that imports`, async () => {
      let n = 0;
      for (const fixture of await fixtures(format)) {
        const r = await f.run(fixture).catch((e: unknown) => {
          if (e instanceof ImportError) return undefined;
          throw e;
        });
        if (!r) continue;
        n++;
        const back = parseYamlConfig(renderYaml(r.config), `${fixture}.yaml`);
        expect(withoutOrigins(back.config), fixture).toEqual(withoutOrigins(r.config));
      }
      expect(n).toBeGreaterThan(0);
    });
  }
});
