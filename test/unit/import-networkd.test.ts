import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportResult } from '../../src/config/assemble.js';
import { globMatch, importNetworkd, networkdFiles } from '../../src/config/networkd.js';

const FIX = 'test/fixtures/import/networkd';
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-networkd-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

const warn = (r: ImportResult) => r.warnings.map((w) => `${w.file.split('/').pop()}:${w.line}: ${w.path}: ${w.message}`);

describe('import systemd-networkd', () => {
  it('Fedora CoreOS style: [Bond] keys in networkd spelling with time spans, members by name glob, a VLAN with address, gateway and a [Route]', async () => {
    const r = await importNetworkd(`${FIX}/fcos-lacp-vlan`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond0', mode: '802.3ad', options: { miimon: 100, updelay: 200, xmit_hash_policy: 'layer3+4', min_links: 1, lacp_rate: 'fast' }, mtu: 9000 });
    expect(b.slaves).toEqual([expect.objectContaining({ match: { name: 'ens1f*' } })]);
    expect(b.vlans).toMatchObject([{ id: 100, name: 'bond0.100', addresses: ['192.0.2.100/24'], gateway: { v4: '192.0.2.1' }, routes: [{ to: '203.0.113.0/24', via: '192.0.2.254', metric: 20 }], acceptRa: false }]);
    expect(warn(r)).toEqual([expect.stringMatching(/30-bond0.network:6: .*LinkLocalAddressing/), expect.stringMatching(/50-bond0.100.network:7: .*DNS= on bond0.100 is not imported: bondd does not configure DNS/)]);
  });

  it("a how-to's mistakes are imported as networkd ran them, each with one warning and the fix", async () => {
    const r = await importNetworkd(`${FIX}/howto-alb-typos`);
    expect(r.config.bonds[0]).toMatchObject({ mode: 'balance-alb', options: { miimon: 100 }, slaves: [], dhcp: 'both' });
    const w = warn(r);
    expect(w).toContainEqual(expect.stringMatching(/10-bond0.netdev:13: Bond.FailOverMacPolicy: unknown \[Bond\] key FailOverMacPolicy \(did you mean 'FailOverMACPolicy'\?\)/));
    expect(w).toContainEqual(expect.stringMatching(/10-bond0.netdev:11: Bond.Primary: networkd has no \[Bond\] Primary=/));
    expect(w).toContainEqual(expect.stringMatching(/20-enp1s0.network:5: Network.Bridge: .*Did you mean Bond=bond0\?/));
  });

  it('members by permanent MAC and by name + driver, PrimarySlave, the bond as a bridge port, DHCP and RAs on the bridge; unrelated links named', async () => {
    const r = await importNetworkd(`${FIX}/manpage-bridge-dhcp`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond1', mode: 'active-backup', primary: 'enp2s0', options: { miimon: 1000, downdelay: 2000, primary_reselect: 'failure', num_grat_arp: 2 } });
    expect(b.slaves.map((s) => [s.name, s.permMac, s.match])).toEqual([
      [undefined, '52:54:00:c0:00:01', undefined],
      ['enp2s0', undefined, { driver: 'e1000e' }],
    ]);
    expect(b.bridge).toMatchObject({ name: 'br0', stp: true, forwardDelay: 4, dhcp: 'ipv4', acceptRa: true });
    expect(r.notImported.map((n) => n.name)).toEqual(['wlp3s0']);
  });

  it('directories: /etc shadows /run shadows /usr/lib by file name', async () => {
    const root = await tree({
      'usr/lib/systemd/network/10-b.netdev': '[NetDev]\nName=bond9\nKind=bond\n',
      'etc/systemd/network/10-b.netdev': '[NetDev]\nName=bond0\nKind=bond\n[Bond]\nMode=active-backup\nMIIMonitorSec=0.1\n',
      'run/systemd/network/20-m.network': '[Match]\nName=eth0\n[Network]\nBond=bond0\n',
    });
    const { files, shadowed } = await networkdFiles(root);
    expect(files.map((f) => f.slice(root.length))).toEqual(['/etc/systemd/network/10-b.netdev', '/run/systemd/network/20-m.network']);
    expect(shadowed.map((f) => f.slice(root.length))).toEqual(['/usr/lib/systemd/network/10-b.netdev']);
    const r = await importNetworkd(undefined, root);
    expect(r.config.bonds).toMatchObject([{ name: 'bond0', options: { miimon: 100 }, slaves: [{ name: 'eth0' }] }]);
  });

  it('errors: an on-link route, a VLAN= without its netdev (with a suggestion), a bad time span', async () => {
    const dir = await tree({
      'b.netdev': '[NetDev]\nName=bond0\nKind=bond\n[Bond]\nMode=active-backup\nMIIMonitorSec=fast\n',
      'v.netdev': '[NetDev]\nName=vlan10\nKind=vlan\n[VLAN]\nId=10\n',
      'b.network': '[Match]\nName=bond0\n[Network]\nVLAN=vlan01\nAddress=192.0.2.5/24\n[Route]\nGateway=198.51.100.1\nGatewayOnLink=yes\n',
    });
    const e = await importNetworkd(dir).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).problems.map((p) => `${p.file.split('/').pop()}:${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^b.netdev:6: 'fast' is not a time span/),
      expect.stringMatching(/^b.network:4: VLAN=vlan01, but no .netdev defines vlan01 with Kind=vlan \(did you mean 'vlan10'\?\)/),
      expect.stringMatching(/^b.network:8: an on-link route/),
    ]);
  });

  it('globs as networkd matches them', () => {
    expect(globMatch('ens*f[01]', 'ens3f1')).toBe(true);
    expect(globMatch('ens*f[!01]', 'ens3f1')).toBe(false);
    expect(globMatch('eth?', 'eth10')).toBe(false);
    expect(globMatch('bond0.100', 'bond0x100')).toBe(false);
  });
});
