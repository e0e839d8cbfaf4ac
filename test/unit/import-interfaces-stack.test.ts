import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportResult } from '../../src/config/assemble.js';
import { importInterfaces } from '../../src/config/interfaces.js';

const FIX = 'test/fixtures/import/interfaces';
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-eni2-'));
  made.push(dir);
  await writeFile(join(dir, 'interfaces'), text);
  return join(dir, 'interfaces');
}

function warnings(r: ImportResult): string[] {
  return r.warnings.map((w) => `${w.line} ${w.path}: ${w.message}`);
}

describe('import interfaces: ifupdown2 and old ifupdown spellings, the bond stack', () => {
  it('Proxmox underscore spellings: bond_mode balance-alb and bond_miimon are read (not balance-rr without a monitor); vmbr0 on the bond carries the address', async () => {
    const r = await importInterfaces(`${FIX}/proxmox-underscore-alb`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond0', mode: 'balance-alb', options: { miimon: 100 }, addresses: [] });
    expect(b.slaves.map((s) => s.name)).toEqual(['eno1', 'eno2']);
    expect(b.bridge).toMatchObject({ name: 'vmbr0', stp: false, forwardDelay: 0, addresses: ['192.0.2.50/24'], gateway: { v4: '192.0.2.1' } });
    expect(warnings(r)).toEqual([]);
  });

  it('ifupdown2: iface without a method, yes/no, bond-lacp-rate 1, alias stanza, per-slave MTU equal to the bond, post-up route with || true, VLAN by vlan-raw-device + vlan-id', async () => {
    const r = await importInterfaces(`${FIX}/ifupdown2-cumulus-style`);
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({
      name: 'uplink',
      mode: '802.3ad',
      options: { miimon: 100, use_carrier: 'on', lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', min_links: 1 },
      mtu: 9000,
      addresses: ['192.0.2.60/24', '192.0.2.61/24'],
      gateway: { v4: '192.0.2.1' },
      routes: [{ to: '198.51.100.0/24', via: '192.0.2.254' }],
      vlans: [{ id: 200, name: 'storage', addresses: ['203.0.113.60/24'], mtu: 9000 }],
    });
    expect(r.notImported.map((n) => n.name)).toEqual(['eth0']);
    expect(warnings(r)).toEqual([expect.stringMatching(/^42 iface: interface eth0 is not part of any bond's stack; not imported/)]);
  });

  it("a slave MTU that differs from the bond's is named: bondd cannot give a slave its own MTU", async () => {
    const r = await importInterfaces(await file('auto bond0\niface bond0\n  bond-slaves eth0\n  bond-mode active-backup\n  bond-miimon 100\niface eth0\n  mtu 9000\n'));
    expect(warnings(r)).toEqual([expect.stringMatching(/^7 mtu: mtu 9000 on the slave eth0 is not imported: bondd sets the bond's MTU/)]);
  });

  it('OpenStack-Ansible: bridges on bond0.N VLANs, inet6 auto (router advertisements on), DHCP on a bridge, delays rounded as the kernel did', async () => {
    const r = await importInterfaces(`${FIX}/osa-br-mgmt-vlans`);
    const b = r.config.bonds[0]!;
    expect(b.options).toEqual({ miimon: 100, updelay: 200, downdelay: 200, lacp_rate: 'fast' });
    expect(b.primary).toBeUndefined();
    expect(b.vlans!.map((v) => [v.name, v.id, v.bridge?.name])).toEqual([
      ['bond0.10', 10, 'br-mgmt'],
      ['bond0.30', 30, 'br-storage'],
    ]);
    expect(b.vlans![0]!.bridge).toMatchObject({ stp: false, forwardDelay: 0, addresses: ['192.0.2.70/24'], gateway: { v4: '192.0.2.1' }, acceptRa: true });
    expect(b.vlans![1]!.bridge).toMatchObject({ dhcp: 'ipv4', addresses: [] });
    const w = warnings(r);
    expect(w).toContainEqual(expect.stringMatching(/^8 bond-primary: primary eth0 is refused by the kernel in mode 802.3ad/));
    expect(w).toContainEqual(expect.stringMatching(/^20 bond-updelay: updelay 250 is not a multiple of miimon 100: .* Imported as 200/));
    expect(w).toContainEqual(expect.stringMatching(/^39 dns-nameservers: .*bondd does not configure DNS/));
  });

  it('inet dhcp and inet6 dhcp on the bond; inet6 static turns RAs off as ifupdown does', async () => {
    const r = await importInterfaces(await file('auto bond0\niface bond0 inet dhcp\n  bond-slaves eth0\n  bond-mode 1\n  bond-miimon 100\niface bond0 inet6 dhcp\n'));
    expect(r.config.bonds[0]).toMatchObject({ dhcp: 'both', acceptRa: true });
  });

  it('a bridge port that carries an address is an error at the address (the stack rules of bondd.yaml)', async () => {
    const e = await importInterfaces(await file('auto bond0\niface bond0 inet static\n  address 192.0.2.5/24\n  bond-slaves eth0\n  bond-mode 1\n  bond-miimon 100\nauto br0\niface br0 inet manual\n  bridge-ports bond0\n')).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).problems.map((p) => `${p.line}: ${p.message}`)).toEqual([expect.stringMatching(/^3: bond0 is a port of bridge br0: a bridge port cannot carry addresses/)]);
  });

  it('CR-only line endings are named once', async () => {
    const e = await importInterfaces(await file('auto bond0\riface bond0 inet manual\r  bond-slaves eth0\r')).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as ImportError).problems.map((p) => p.message)).toEqual([expect.stringMatching(/CR-only line endings/)]);
  });
});
