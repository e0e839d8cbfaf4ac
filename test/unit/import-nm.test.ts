import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportResult } from '../../src/config/assemble.js';
import { importNm } from '../../src/config/nm.js';

const FIX = 'test/fixtures/import/nm';
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function dir(files: Record<string, string>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bondd-nm-'));
  made.push(d);
  for (const [n, t] of Object.entries(files)) await writeFile(join(d, n), t);
  return d;
}

const warn = (r: ImportResult) => r.warnings.map((w) => `${w.file.split('/').pop()}:${w.line}: ${w.path}: ${w.message}`);

describe('import NetworkManager keyfiles', () => {
  it('RHEL 9 nmcli style: ports by controller/port-type and by master UUID/slave-type, queue-id, a VLAN by parent with manual IPv4 and IPv6 auto', async () => {
    const r = await importNm(`${FIX}/rhel9-lacp-vlan`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond0', mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' }, addresses: [] });
    expect(b.slaves.map((s) => [s.name, s.options])).toEqual([['ens1f0', { queue_id: 0 }], ['ens1f1', {}]]);
    expect(b.vlans).toMatchObject([{ id: 110, name: 'bond0.110', addresses: ['192.0.2.110/24'], gateway: { v4: '192.0.2.1' }, acceptRa: true }]);
    expect(r.notImported.map((n) => n.reason)).toEqual([expect.stringMatching(/profile 'spare' \(eno2\) has autoconnect=false/)]);
    expect(warn(r)).toContainEqual(expect.stringMatching(/bond0.110.nmconnection:14: ipv4.dns: .*bondd does not configure DNS/));
  });

  it('import what runs today: options the mode ignores dropped, updelay rounded, a port by MAC, the bond in a bridge with NetworkManager defaults (STP on), a table route left out', async () => {
    const r = await importNm(`${FIX}/migrated-all-options-bridge`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond1', mode: 'active-backup', primary: 'eno1', options: { miimon: 100, updelay: 200, downdelay: 0, fail_over_mac: 'active', num_grat_arp: 1 } });
    expect(Object.keys(b.options)).not.toContain('lacp_rate');
    expect(b.slaves.map((s) => s.name ?? s.permMac)).toEqual(['eno1', '52:54:00:d0:00:02']);
    expect(b.bridge).toMatchObject({
      name: 'br-guests',
      stp: true,
      forwardDelay: 2,
      addresses: ['203.0.113.120/24', '2001:db8:120::120/64'],
      gateway: { v4: '203.0.113.1', v6: '2001:db8:120::1' },
      routes: [],
      acceptRa: false,
    });
    const w = warn(r);
    expect(w).toContainEqual(expect.stringMatching(/bond1.nmconnection:17: bond.updelay: updelay 250 .* Imported as 200/));
    expect(w).toContainEqual(expect.stringMatching(/bond1.nmconnection:20: bond.lacp_rate: lacp_rate slow is refused by the kernel in mode active-backup/));
    expect(w).toContainEqual(expect.stringMatching(/br-guests.nmconnection:16: ipv4.route1: .*goes to table 100 and is not imported/));
  });

  it('NetworkManager sets miimon 100 when the profile gives no link monitor, not when it gives arp_interval', async () => {
    const port = '[connection]\nid=p\ntype=ethernet\ninterface-name=eth0\ncontroller=bond0\nport-type=bond\n';
    const a = await importNm(await dir({ b: '[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n[bond]\nmode=balance-rr\n', p: port }));
    expect(a.config.bonds[0]!.options).toEqual({ miimon: 100 });
    const b = await importNm(await dir({ b: '[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n[bond]\nmode=active-backup\narp_interval=1000\narp_ip_target=192.0.2.1,192.0.2.2\n', p: port }));
    expect(b.config.bonds[0]!.options).toEqual({ arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'] });
  });

  it('an unknown bond option is an error with a suggestion; a port naming no bridge is an error', async () => {
    const d = await dir({ b: '[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\ncontroller=br9\nport-type=bridge\n[bond]\nmode=active-backup\nmiimom=100\n' });
    const e = await importNm(d).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^5: controller=br9 names no bridge profile/),
      expect.stringMatching(/^9: unknown bond option 'miimom' \(did you mean 'miimon'\?\)/),
    ]);
  });
});
