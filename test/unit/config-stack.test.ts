/**
 * The bond's stack in bondd.yaml: VLANs keyed by id under the bond, a bridge on the bond or on a
 * VLAN, DHCP and accept_ra per layer. Parse, check (every error with file:line:column and key
 * path) and render back.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/config/errors.js';
import { renderYaml, withoutOrigins } from '../../src/config/render.js';
import { loadYamlConfig, parseYamlConfig } from '../../src/config/yaml.js';

const STACK = join(import.meta.dirname, '../fixtures/config/good/stack.yaml');
const DOCS = join(import.meta.dirname, '../../docs/config.md');
const F = '/etc/bondd/bondd.yaml';

function problemsOf(text: string): string[] {
  try {
    parseYamlConfig(text, F);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const HEAD = `bonds:
  bond0:
    mode: 802.3ad
    slaves: [eth0, eth1]
`;

describe('the documented stack example', () => {
  it('docs/config.md shows exactly the fixture file', async () => {
    const docs = await readFile(DOCS, 'utf8');
    const block = /## The bond's stack[\s\S]*?```yaml\n([\s\S]*?)```/.exec(docs);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(await readFile(STACK, 'utf8'));
  });

  it('parses into VLANs, bridges and per-layer IP configuration', async () => {
    const r = await loadYamlConfig(STACK);
    expect(r.warnings).toEqual([]);
    const [bond0, bond1] = withoutOrigins(r.config).bonds;
    expect(bond0!.addresses).toEqual([]);
    expect(bond0!.vlans).toEqual([
      { id: 10, name: 'bond0.10', addresses: ['192.0.2.10/24', '2001:db8:10::10/64'], gateway: { v4: '192.0.2.1', v6: '2001:db8:10::1' }, routes: [], acceptRa: false },
      {
        id: 20,
        name: 'bond0.20',
        mtu: 9000,
        addresses: [],
        routes: [],
        bridge: { name: 'vmbr20', stp: false, forwardDelay: 0, addresses: ['198.51.100.10/24'], routes: [{ to: '203.0.113.128/25', via: '198.51.100.254' }] },
      },
      { id: 30, name: 'storage30', mtu: 1500, addresses: [], routes: [], dhcp: 'both', acceptRa: true },
    ]);
    expect(bond1!.bridge).toEqual({ name: 'vmbr0', stp: true, forwardDelay: 4, addresses: ['203.0.113.20/24'], gateway: { v4: '203.0.113.1' }, routes: [] });
    expect(bond1!.vlans).toBeUndefined();
  });

  it('keeps where each layer was declared', async () => {
    const r = await loadYamlConfig(STACK);
    const vlan = r.config.bonds[0]!.vlans![1]!;
    expect(vlan.origin).toEqual({ file: STACK, line: 18, column: 7 });
    expect(vlan.bridge!.origin).toEqual({ file: STACK, line: 20, column: 9 });
  });

  it('renders back to a file that parses to the same model', async () => {
    const r = await loadYamlConfig(STACK);
    const text = renderYaml(r.config);
    expect(text).toContain('vlans:\n      10:\n');
    expect(text).not.toContain('name: bond0.10'); // default names are not written
    expect(text).toContain('name: storage30');
    const back = parseYamlConfig(text, 'rendered.yaml');
    expect(withoutOrigins(back.config)).toEqual(withoutOrigins(r.config));
  });
});

describe('stack shapes', () => {
  it('a VLAN with nothing under it is a VLAN without IP configuration', () => {
    const r = parseYamlConfig(`${HEAD}    vlans:\n      100:\n      200: {}\n`, F);
    expect(r.config.bonds[0]!.vlans!.map((v) => [v.id, v.name, v.addresses, v.routes])).toEqual([
      [100, 'bond0.100', [], []],
      [200, 'bond0.200', [], []],
    ]);
  });

  it('bridge: NAME is a bridge without settings', () => {
    const r = parseYamlConfig(`${HEAD}    vlans:\n      100:\n        bridge: br100\n`, F);
    expect(r.config.bonds[0]!.vlans![0]!.bridge).toMatchObject({ name: 'br100', addresses: [], routes: [] });
  });

  it('dhcp: true means both families, false none', () => {
    const r = parseYamlConfig(`${HEAD}    dhcp: true\n    vlans:\n      100: {dhcp: false}\n      200: {dhcp: ipv6}\n`, F);
    const b = r.config.bonds[0]!;
    expect(b.dhcp).toBe('both');
    expect(b.vlans![0]!.dhcp).toBeUndefined();
    expect(b.vlans![1]!.dhcp).toBe('ipv6');
  });

  it('a gateway needs no static address when DHCP covers its family', () => {
    const r = parseYamlConfig(`${HEAD}    vlans:\n      100: {dhcp: ipv4, gateway: 192.0.2.1}\n`, F);
    expect(r.config.bonds[0]!.vlans![0]!.gateway).toEqual({ v4: '192.0.2.1' });
  });
});

describe('stack errors name file:line:column and the key', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'a VLAN that is a bridge port carries addresses',
      `${HEAD}    vlans:\n      100:\n        addresses: [192.0.2.10/24]\n        bridge: {name: br100}\n`,
      [`${F}:7:20: bonds.bond0.vlans.100.addresses: bond0.100 is a port of bridge br100: a bridge port cannot carry addresses; move addresses under vlans.100.bridge (the bridge is the host's interface)`],
    ],
    [
      'the bond is a bridge port and has a gateway and DHCP',
      `${HEAD}    gateway: 192.0.2.1\n    dhcp: ipv4\n    bridge: {name: br0, addresses: [192.0.2.10/24]}\n`,
      [
        `${F}:5:14: bonds.bond0.gateway: bond0 is a port of bridge br0: a bridge port cannot carry gateway; move gateway under bridge (the bridge is the host's interface)`,
        `${F}:6:11: bonds.bond0.dhcp: bond0 is a port of bridge br0: a bridge port cannot carry a DHCP client; move dhcp under bridge (the bridge is the host's interface)`,
      ],
    ],
    [
      'VLAN id out of range',
      `${HEAD}    vlans:\n      4095: {}\n      abc: {}\n`,
      [
        `${F}:6:7: bonds.bond0.vlans.4095: "4095" is not a VLAN id (a whole number from 1 to 4094); vlans: is keyed by id`,
        `${F}:7:7: bonds.bond0.vlans.abc: "abc" is not a VLAN id (a whole number from 1 to 4094); vlans: is keyed by id`,
      ],
    ],
    [
      'a VLAN gateway outside the VLAN subnet',
      `${HEAD}    addresses: [198.51.100.10/24]\n    vlans:\n      100:\n        addresses: [192.0.2.10/24]\n        gateway: 198.51.100.1\n`,
      [`${F}:9:18: bonds.bond0.vlans.100.gateway: 198.51.100.1 is outside bond0.100's IPv4 subnets (192.0.2.0/24); the kernel would refuse the route (Network is unreachable)`],
    ],
    [
      'a bridge route next hop outside the bridge subnet',
      `${HEAD}    bridge:\n      name: br0\n      addresses: [192.0.2.10/24]\n      routes: [{to: 198.51.100.0/24, via: 203.0.113.1}]\n`,
      [`${F}:8:43: bonds.bond0.bridge.routes[0].via: next hop 203.0.113.1 is outside br0's IPv4 subnets (192.0.2.0/24); the kernel would refuse the route (Network is unreachable)`],
    ],
    [
      'unknown key in a VLAN, with a suggestion',
      `${HEAD}    vlans:\n      100: {adresses: [192.0.2.10/24]}\n`,
      [`${F}:6:13: bonds.bond0.vlans.100.adresses: unknown key 'adresses' (did you mean 'addresses'?); valid here: name, mtu, bridge, addresses, gateway, routes, dhcp, accept_ra`],
    ],
    [
      'STP with a forward delay the kernel refuses',
      `${HEAD}    bridge: {name: br0, stp: true, forward_delay: 1}\n`,
      [`${F}:5:51: bonds.bond0.bridge.forward_delay: 1 s is too short with STP on: the kernel accepts 2 to 30 seconds (ERANGE); turn stp off for a shorter delay`],
    ],
    [
      'a VLAN MTU above the bond MTU',
      `${HEAD}    mtu: 1500\n    vlans:\n      100: {mtu: 9000}\n`,
      [`${F}:7:18: bonds.bond0.vlans.100.mtu: MTU 9000 is larger than the bond's (1500); the kernel refuses a VLAN MTU above its lower device's (ERANGE)`],
    ],
    [
      'a bridge without a name, a bad DHCP mode',
      `${HEAD}    vlans:\n      100: {dhcp: v4}\n      200:\n        bridge: {stp: false}\n`,
      [
        `${F}:6:19: bonds.bond0.vlans.100.dhcp: "v4" is not a DHCP mode (valid: none, ipv4, ipv6, both) (did you mean 'ipv4'?)`,
        `${F}:8:9: bonds.bond0.vlans.200.bridge.name: a bridge needs a name (bridge: {name: br0, ...})`,
      ],
    ],
    [
      'two devices with one name',
      `${HEAD}    vlans:\n      100: {bridge: br0}\n      200: {name: eth1}\n  bond1:\n    mode: active-backup\n    slaves: [eth2]\n    bridge: br0\n`,
      [
        `${F}:4:20: bonds.bond0.slaves[1]: eth1 is VLAN 200 of bond0; it cannot also be a slave`,
        `${F}:11:13: bonds.bond1.bridge: br0 is already the bridge on bond0.100; every device of the configuration needs its own name`,
      ],
    ],
    [
      'a VLAN name that is not an interface name',
      `bonds:\n  bond0123456:\n    mode: 802.3ad\n    slaves: [eth0]\n    vlans:\n      1000: {}\n      200: {name: "a/b"}\n`,
      [
        `${F}:6:7: bonds.bond0123456.vlans.1000.name: the default name: "bond0123456.1000" is not a valid interface name: it is 16 bytes long and the kernel allows at most 15; give the VLAN a name:`,
        `${F}:7:19: bonds.bond0123456.vlans.200.name: "a/b" is not a valid interface name: it contains "/", which can not appear in a sysfs path`,
      ],
    ],
  ];
  for (const [what, text, expected] of cases) {
    it(what, () => {
      expect(problemsOf(text)).toEqual(expected);
    });
  }
});
