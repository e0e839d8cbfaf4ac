/**
 * bondd's netplan importer against netplan itself: every netplan fixture goes through Debian's
 * real generator (`netplan generate` of netplan.io 0.106, from .cache/reference, which
 * scripts/setup downloads), and the files it writes (systemd-networkd units, or NetworkManager
 * keyfiles for `renderer: NetworkManager`) are imported with bondd's networkd / NetworkManager
 * importer. Both routes must give the same configuration: same bonds, options (in kernel terms),
 * slaves, VLANs, bridges, addresses, gateways, routes, DHCP and RA settings. This checks the
 * netplan importer's reading of netplan's keys, units and defaults against netplan's own code,
 * and the networkd/NetworkManager importers on real generated files. It runs nothing on the
 * kernel; the guest parity test does that.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNetplan } from '../../src/config/netplan.js';
import { importNetworkd } from '../../src/config/networkd.js';
import { importNm } from '../../src/config/nm.js';
import { withoutOrigins } from '../../src/config/render.js';

const ROOT = join(import.meta.dirname, '..', '..');
const REFERENCE = join(ROOT, '.cache/reference');
const FIXTURES = join(ROOT, 'test/fixtures/import/netplan');
let tool = '';
const made: string[] = [];

beforeAll(() => {
  const debs = existsSync(REFERENCE) ? readdirSync(REFERENCE).filter((f) => /^(netplan\.io|libnetplan0)_.*\.deb$/.test(f)) : [];
  expect(debs.length, `netplan.io and libnetplan0 in ${REFERENCE} (scripts/setup downloads them)`).toBe(2);
  tool = mkdtempSync(join(tmpdir(), 'bondd-netplan-tool-'));
  made.push(tool);
  for (const d of debs) execFileSync('dpkg-deb', ['-x', join(REFERENCE, d), tool]);
});

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Runs netplan's generator over one YAML file; returns the root it wrote into. */
function generate(fixture: string): string {
  const root = mkdtempSync(join(tmpdir(), 'bondd-netplan-gen-'));
  made.push(root);
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  const target = join(root, 'etc/netplan', 'config.yaml');
  cpSync(fixture, target);
  chmodSync(target, 0o600);
  execFileSync(join(tool, 'usr/libexec/netplan/generate'), ['--root-dir', root], {
    env: { ...process.env, LD_LIBRARY_PATH: join(tool, 'usr/lib/x86_64-linux-gnu') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return root;
}

describe('netplan fixtures: bondd reads them as netplan generate writes them', () => {
  for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.yaml')).sort()) {
    it(name, async () => {
      const direct = await importNetplan(join(FIXTURES, name));
      const root = generate(join(FIXTURES, name));
      const nmDir = join(root, 'run/NetworkManager/system-connections');
      const viaTool = existsSync(nmDir) && readdirSync(nmDir).length ? await importNm(nmDir) : await importNetworkd(join(root, 'run/systemd/network'));
      // One documented difference: for `set-name` netplan matches the NIC by permanent MAC and
      // renames it (a .link file); bondd renames nothing and imports the slave by MAC alone, while
      // the generated .network also names the new name.
      const renamed = new Set(direct.config.bonds.flatMap((b) => b.slaves.filter((x) => x.permMac && !x.name).map((x) => x.permMac)));
      for (const b of viaTool.config.bonds) for (const x of b.slaves) if (x.permMac && renamed.has(x.permMac)) delete x.name;
      expect(withoutOrigins(viaTool.config)).toEqual(withoutOrigins(direct.config));
    });
  }
});
