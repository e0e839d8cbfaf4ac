import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportResult } from '../../src/config/assemble.js';
import { importNetplan, netplanFiles } from '../../src/config/netplan.js';
import type { DesiredBond } from '../../src/config/types.js';

const FIX = 'test/fixtures/import/netplan';
const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-netplan-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

function bond(r: ImportResult, name = 'bond0'): DesiredBond {
  const b = r.config.bonds.find((x) => x.name === name);
  expect(b, `no ${name}`).toBeDefined();
  return b!;
}

function warning(r: ImportResult, fragment: string): string {
  const w = r.warnings.find((x) => x.message.includes(fragment));
  expect(w, `no warning "${fragment}" in\n${r.warnings.map((x) => `${x.line} ${x.path}: ${x.message}`).join('\n')}`).toBeDefined();
  return `${w!.line} ${w!.path}`;
}

async function errors(path: string): Promise<string[]> {
  const e = await importNetplan(path).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ImportError);
  return (e as ImportError).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
}

describe('import netplan', () => {
  it('MAAS style: MAC-matched slaves, 802.3ad parameters in netplan spelling, VLANs with addresses, gateway and routes', async () => {
    const r = await importNetplan(`${FIX}/maas-lacp-vlans.yaml`);
    const b = bond(r);
    expect(b).toMatchObject({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', updelay: 0, downdelay: 0 }, mtu: 9000, macAddress: '52:54:00:a1:00:01' });
    expect(b.slaves.map((s) => s.permMac)).toEqual(['52:54:00:a1:00:01', '52:54:00:a1:00:02']);
    expect(b.slaves.every((s) => s.name === undefined)).toBe(true);
    expect(b.vlans).toMatchObject([
      { id: 101, name: 'bond0.101', mtu: 1500, addresses: ['192.0.2.21/24'], gateway: { v4: '192.0.2.1' } },
      { id: 102, name: 'bond0.102', addresses: ['198.51.100.21/24'], routes: [{ to: '203.0.113.0/24', via: '198.51.100.1', metric: 100 }] },
    ]);
    expect(warning(r, 'bondd does not rename interfaces')).toMatch(/set-name/);
    expect(warning(r, 'bondd does not configure DNS')).toMatch(/nameservers/);
    expect(warning(r, "a slave's own MTU is not used")).toMatch(/mtu/);
  });

  it('subiquity style: empty ethernet stanzas, primary by id, DHCP on the bond', async () => {
    const r = await importNetplan(`${FIX}/subiquity-active-backup-dhcp.yaml`);
    expect(bond(r)).toMatchObject({ mode: 'active-backup', primary: 'eno1', dhcp: 'ipv4', options: { miimon: 100 } });
    expect(bond(r).slaves.map((s) => s.name)).toEqual(['eno1', 'eno2']);
    expect(r.warnings).toEqual([]);
  });

  it('bridges on VLANs; with parameters: netplan turns STP on unless told; a policy table route and an unrelated NIC are named', async () => {
    const r = await importNetplan(`${FIX}/osa-bridges-on-vlans.yaml`);
    const v = bond(r, 'bond1').vlans!;
    expect(v.map((x) => [x.id, x.bridge?.name, x.bridge?.stp, x.bridge?.forwardDelay])).toEqual([
      [10, 'br-mgmt', false, 0],
      [20, 'br-vxlan', false, 0],
      [30, 'br-storage', true, 4],
    ]);
    expect(v[0]!.bridge).toMatchObject({ addresses: ['192.0.2.11/24'], gateway: { v4: '192.0.2.1' } });
    expect(v[2]!.bridge!.routes).toEqual([]);
    warning(r, 'with table 30 is not imported');
    warning(r, 'bondd adds no policy-routing rules');
    expect(r.notImported.map((n) => n.name)).toEqual(['eno3']);
  });

  it('import what runs today: hardware match, up-delay rounded down to the MII interval, IPv6 with gateway6', async () => {
    const r = await importNetplan(`${FIX}/cloud-init-hw-match.yaml`);
    const b = bond(r);
    expect(b.slaves.map((s) => s.match)).toEqual([{ driver: 'ixgbe', name: 'ens*f0' }, { driver: 'ixgbe', name: 'ens*f1' }]);
    expect(b.options).toMatchObject({ miimon: 100, updelay: 200, downdelay: 200, fail_over_mac: 'active', num_grat_arp: 3, primary_reselect: 'better' });
    expect(b).toMatchObject({ gateway: { v4: '192.0.2.1', v6: '2001:db8:30::1' }, acceptRa: false, routes: [{ to: '2001:db8:99::/48', via: '2001:db8:30::1' }] });
    expect(warning(r, 'the bond ran with 200')).toMatch(/^31 .*up-delay/);
  });

  it('NetworkManager renderer: miimon 100 as NetworkManager sets it; options the mode ignores are dropped with a warning', async () => {
    const r = await importNetplan(`${FIX}/nm-renderer-defaults.yaml`);
    expect(bond(r).options).toEqual({ miimon: 100 });
    warning(r, 'lacp_rate fast is refused by the kernel in mode balance-alb');
    warning(r, 'ad_select bandwidth has no effect in mode balance-alb');
    expect(r.notImported.map((n) => `${n.name}: ${n.reason}`)).toEqual([expect.stringMatching(/^wlp2s0: wifi wlp2s0 is not part of any bond's stack/)]);
  });

  it('system directories: /run shadows /etc shadows /lib by file name; files merge in name order, later scalars win', async () => {
    const root = await tree({
      'lib/netplan/10-base.yaml': 'network:\n  version: 2\n  ethernets: {eth0: {}, eth1: {}}\n  bonds:\n    bond0:\n      interfaces: [eth0]\n      parameters: {mode: balance-rr}\n',
      'etc/netplan/10-base.yaml': 'network:\n  version: 2\n  ethernets: {eth0: {}, eth1: {}}\n  bonds:\n    bond0:\n      interfaces: [eth0]\n      parameters: {mode: active-backup, mii-monitor-interval: 100}\n',
      'etc/netplan/20-more.yaml': 'network:\n  bonds:\n    bond0:\n      interfaces: [eth1]\n      addresses: [192.0.2.5/24]\n      parameters: {mii-monitor-interval: 200}\n',
    });
    const { files, shadowed } = await netplanFiles(root);
    expect(files.map((f) => f.slice(root.length))).toEqual(['/etc/netplan/10-base.yaml', '/etc/netplan/20-more.yaml']);
    expect(shadowed.map((f) => f.slice(root.length))).toEqual(['/lib/netplan/10-base.yaml']);
    const r = await importNetplan(undefined, root);
    expect(bond(r)).toMatchObject({ mode: 'active-backup', options: { miimon: 200 }, addresses: ['192.0.2.5/24'] });
    expect(bond(r).slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);
    warning(r, 'overridden by');
  });

  it('one message per cause: unknown keys with a suggestion, an undefined member, an on-link route, a bridge port with addresses', async () => {
    const dir = await tree({
      'bad.yaml': [
        'network:',
        '  version: 2',
        '  ethernets: {eth0: {}}',
        '  bonds:',
        '    bond0:',
        '      interfaces: [eth0, eht1]', // 6: undefined member
        '      adresses: [192.0.2.5/24]', // 7: typo
        '      parameters:',
        '        mode: active-backup',
        '        mii-monitor-intervall: 100', // 10: typo
        '      routes:',
        '        - to: 198.51.100.0/24',
        '          via: 203.0.113.1',
        '          on-link: true', // 14
        '  bridges:',
        '    br0:',
        '      interfaces: [bond0]',
        '',
      ].join('\n'),
    });
    expect(await errors(join(dir, 'bad.yaml'))).toEqual([
      expect.stringMatching(/^6: .*interfaces\[1\]: eht1 is not defined under ethernets:/),
      expect.stringMatching(/^7: .*adresses: unknown key 'adresses' on bond0 \(did you mean 'addresses'\?\)/),
      expect.stringMatching(/^10: .*unknown bond parameter 'mii-monitor-intervall' \(did you mean 'mii-monitor-interval'\?\)/),
      expect.stringMatching(/^14: .*on-link: an on-link route/),
    ]);
  });

  it('CR-only line endings are named, not read as one garbled line', async () => {
    const dir = await tree({ 'cr.yaml': 'network:\r  version: 2\r  bonds:\r    bond0: {}\r' });
    expect(await errors(join(dir, 'cr.yaml'))).toEqual([expect.stringMatching(/^1: : the file uses CR-only line endings/)]);
  });
});
