import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigWarning } from '../../src/config/errors.js';
import { importInterfaces } from '../../src/config/interfaces.js';
import { renderYaml } from '../../src/config/render.js';
import type { DesiredBond } from '../../src/config/types.js';
import { parseYamlConfig } from '../../src/config/yaml.js';

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

/** Writes files into a fresh directory and returns the path of `interfaces` there. */
async function tree(files: Record<string, string>): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-eni-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return { dir, file: join(dir, 'interfaces') };
}

function bond(r: { config: { bonds: DesiredBond[] } }, name = 'bond0'): DesiredBond {
  const b = r.config.bonds.find((x) => x.name === name);
  expect(b, `no ${name} in ${JSON.stringify(r.config.bonds.map((x) => x.name))}`).toBeDefined();
  return b!;
}

async function problems(file: string, dir: string): Promise<string[]> {
  const err = await importInterfaces(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.path}: ${p.message}`);
}

function warned(ws: ConfigWarning[], fragment: string): ConfigWarning {
  const w = ws.find((x) => x.message.includes(fragment));
  expect(w, `no warning "${fragment}" in\n${ws.map((x) => `${x.file}:${x.line} ${x.path}: ${x.message}`).join('\n')}`).toBeDefined();
  return w!;
}

const DEBIAN = `# The loopback network interface
auto lo
iface lo inet loopback

auto bond0
iface bond0 inet static
    address 192.0.2.10
    netmask 255.255.255.0
    gateway 192.0.2.1
    bond-slaves eth0 eth1
    bond-mode active-backup
    bond-miimon 100
    bond-primary eth9 eth0
    bond-downdelay 200
    bond-updelay 200
    bond-arp-ip-target 192.0.2.1 192.0.2.2
    mtu 9000
    hwaddress ether 02:00:00:00:b0:01
    dns-nameservers 192.0.2.53
    post-up ip route add 198.51.100.0/24 via 192.0.2.254 dev bond0 metric 10
    up /usr/sbin/ip -6 route add 2001:db8:1::/48 via 2001:db8::fe

iface bond0 inet6 static
    address 2001:db8::10
    netmask 64
    gateway 2001:db8::1

iface eth0 inet manual
iface eth1 inet manual
`;

describe('import interfaces (Debian ifupdown + ifenslave)', () => {
  it('bond-slaves style (bond-primary: the first listed slave): mode, options, primary, addresses of both families, gateways, MTU, MAC, hook routes', async () => {
    const { file } = await tree({ interfaces: DEBIAN.replace('    bond-arp-ip-target 192.0.2.1 192.0.2.2\n', '') });
    const r = await importInterfaces(file);
    const b = bond(r);
    expect(b).toMatchObject({
      mode: 'active-backup',
      options: { miimon: 100, updelay: 200, downdelay: 200 },
      primary: 'eth0',
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      gateway: { v4: '192.0.2.1', v6: '2001:db8::1' },
      routes: [
        { to: '198.51.100.0/24', via: '192.0.2.254', metric: 10 },
        { to: '2001:db8:1::/48', via: '2001:db8::fe' },
      ],
      mtu: 9000,
      macAddress: '02:00:00:00:b0:01',
      up: true,
    });
    expect(b.slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);
    // Nothing is dropped without a word: DNS is the one thing bondd does not do here.
    expect(r.warnings.map((w) => `${w.line} ${w.path}`)).toEqual(['18 dns-nameservers', '22 iface']);
    // ifupdown's inet6 static leaves accept_ra alone (it writes autoconf 0, which bondd names).
    expect(b.acceptRa).toBeUndefined();
    // What bondctl import prints reads back as the same bonds (the stack fields, acceptRa among
    // them, are printed by the stack-aware renderer).
    const again = parseYamlConfig(renderYaml(r.config), 'rendered.yaml');
    const { acceptRa: _a, ...plain } = b;
    const { acceptRa: _b, ...back } = bond(again);
    expect({ ...back, origin: undefined, slaves: back.slaves.map((s) => s.name) }).toEqual({ ...plain, origin: undefined, slaves: ['eth0', 'eth1'] });
  });

  it('bond-master style: slaves in file order, bond options and queue ids on slave stanzas, source-directory', async () => {
    const { file } = await tree({
      interfaces: 'source-directory interfaces.d\n',
      'interfaces.d/bond1': [
        'auto bond1',
        'iface bond1 inet static',
        '  address 203.0.113.10/24',
        '  bond-slaves none',
        '  bond-mode 802.3ad',
        '  bond-miimon 100',
        '  bond-lacp-rate 1',
        '  bond-queue-id eth2:3',
        '',
        'allow-hotplug eth3',
        'iface eth3 inet manual',
        '  bond-master bond1',
        '  bond-xmit_hash_policy layer3+4',
        '  bond-queue-id 2',
        'iface eth2 inet manual',
        '  bond-master bond1',
        '',
      ].join('\n'),
      'interfaces.d/skip.bak': 'iface broken\n',
    });
    const r = await importInterfaces(file);
    const b = bond(r, 'bond1');
    expect(b.mode).toBe('802.3ad');
    // As ifenslave 2.13: bond options on a slave stanza are not applied (a warning says so).
    expect(b.options).toEqual({ miimon: 100, lacp_rate: 'fast' });
    warned(r.warnings, 'bond-xmit_hash_policy on the slave stanza eth3 is ignored, as ifenslave ignores it');
    expect(b.slaves).toMatchObject([{ name: 'eth3', options: { queue_id: 2 } }, { name: 'eth2', options: { queue_id: 3 } }]);
    expect(r.config.sourceFiles!.map((f) => f.split('/').slice(-2).join('/'))).toEqual([expect.stringMatching(/interfaces$/), 'interfaces.d/bond1']);
  });

  it('a bond not in an auto line is created down, with a warning; arp targets space-separated', async () => {
    const { file } = await tree({
      interfaces: 'iface bond0 inet manual\n  bond-slaves eth0\n  bond-mode 1\n  bond-arp-interval 1000\n  bond-arp-ip-target 192.0.2.1 192.0.2.2\n  pre-up ethtool -K eth0 gro off\n',
    });
    const r = await importInterfaces(file);
    expect(bond(r)).toMatchObject({ up: false, addresses: [], options: { arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'] } });
    warned(r.warnings, "not in an 'auto' line");
    expect(warned(r.warnings, "pre-up on bond0 is not imported: hooks are not run by bondd").line).toBe(6);
  });

  it('a bond-master naming a bond without a stanza is an error at that line', async () => {
    const { dir, file } = await tree({ interfaces: 'auto eth0\niface eth0 inet manual\n  bond-master bond7\n' });
    expect(await problems(file, dir)).toEqual([expect.stringMatching(/^interfaces:3: bond-master: bond-master bond7, but there is no 'iface bond7' stanza/)]);
  });

  it('every problem of the file at once, with file, line and key', async () => {
    const { dir, file } = await tree({
      interfaces: [
        'address 192.0.2.99/24', // 1: outside a stanza
        'auto bond0 bond1 bond2',
        'iface bond0 inet dhcp', // 3: DHCP, imported
        '  bond-slaves eth0 eth1',
        '  bond-miimom 100', // 5: misspelt
        '  bond-mode active-backup',
        'iface eth1 inet manual',
        '  bond-queue-id eth7:1', // 8: not a slave
        'iface bond1 inet static',
        '  address 198.51.100.7', // 10: no prefix, no netmask
        '  bond-slaves swp1-4', // 11: ifupdown2 range
        'iface bond2 inet static',
        '  address 203.0.113.5/24',
        '  gateway 192.0.2.1', // 14: outside the subnet
        '  bond-slaves eth2',
        '  bond-mode balance-rr',
        '  bond-primary eth2', // 17: not in this mode: ifenslave's write failed, dropped with a warning
        '',
      ].join('\n'),
    });
    expect(await problems(file, dir)).toEqual([
      expect.stringMatching(/^interfaces:1: address: 'address' outside an iface stanza/),
      expect.stringMatching(/^interfaces:5: bond-miimom: unknown bond option 'miimom' \(did you mean 'miimon'\?\)/),
      expect.stringMatching(/^interfaces:8: bond-queue-id: eth7 is not a slave of bond0/),
      expect.stringMatching(/^interfaces:10: address: '198.51.100.7' has no prefix length.*give the prefix/),
      expect.stringMatching(/^interfaces:11: bond-slaves: 'swp1-4': slave globs and ranges \(ifupdown2 syntax\) are not imported/),
      expect.stringMatching(/^interfaces:14: gateway: .*192.0.2.1/),
    ]);
  });
});
