import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { withoutOrigins } from '../../src/config/render.js';
import { loadYamlConfig, parseYamlConfig } from '../../src/config/yaml.js';

const GOOD = join(import.meta.dirname, '../fixtures/config/good/bondd.yaml');
const DOCS = join(import.meta.dirname, '../../docs/config.md');
const F = '/etc/bondd/bondd.yaml';

const parse = (text: string) => parseYamlConfig(text, F);

function errorOf(text: string): ConfigError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the documented example', () => {
  it('docs/config.md shows exactly the fixture file', async () => {
    const docs = await readFile(DOCS, 'utf8');
    const block = /## Full example\s+```yaml\n([\s\S]*?)```/.exec(docs);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(await readFile(GOOD, 'utf8'));
  });

  it('parses into the full model', async () => {
    const r = await loadYamlConfig(GOOD);
    expect(r.warnings).toEqual([]);
    expect(r.config.source).toBe(GOOD);
    expect(withoutOrigins(r.config).bonds).toEqual([
      {
        name: 'bond0',
        mode: 'active-backup',
        options: { miimon: 100, updelay: 200, downdelay: 100, primary_reselect: 'better', fail_over_mac: 'none', num_grat_arp: 2 },
        slaves: [
          { name: 'eth0', options: {} },
          { name: 'eth1', options: { prio: 10 } },
          { permMac: '52:54:00:12:34:56', options: {} },
        ],
        primary: 'eth0',
        addresses: ['192.0.2.10/24', '2001:db8:0:1::10/64'],
        gateway: { v4: '192.0.2.1', v6: '2001:db8:0:1::1' },
        routes: [{ to: '198.51.100.0/24', via: '192.0.2.254', metric: 100 }],
        mtu: 9000,
        macAddress: 'first-slave',
        backend: 'sysfs',
        drift: 'enforce',
        up: true,
      },
      {
        name: 'bond1',
        mode: '802.3ad',
        options: { lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', min_links: 1, ad_actor_sys_prio: 100 },
        slaves: [
          { name: 'ens1f0', options: { actor_port_prio: 100 } },
          { name: 'ens1f1', options: { actor_port_prio: 200 } },
        ],
        addresses: ['203.0.113.20/24'],
        routes: [],
        macAddress: '02:00:00:00:b0:01',
        backend: 'netlink',
        drift: 'alert',
        up: true,
      },
    ]);
    // Origins point at the bond keys and slave items.
    expect(r.config.bonds[0]!.origin).toEqual({ file: GOOD, line: 5, column: 3 });
    expect(r.config.bonds[1]!.origin).toEqual({ file: GOOD, line: 35, column: 3 });
    expect(r.config.bonds[0]!.slaves[2]!.origin).toEqual({ file: GOOD, line: 18, column: 9 });
  });

  it('loadConfig reads the YAML file when given configFile', async () => {
    const r = await loadConfig({ configFile: GOOD });
    expect(r.config.bonds.map((b) => b.name)).toEqual(['bond0', 'bond1']);
  });

  it('loadConfig without a readable file is a ConfigError naming the file', async () => {
    await expect(loadConfig({ configFile: '/nonexistent/bondd.yaml' })).rejects.toThrow(/\/nonexistent\/bondd\.yaml: cannot read the configuration/);
  });
});

describe('defaults and spellings', () => {
  it('fills defaults', () => {
    const r = parse('bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [eth0]\n');
    const b = r.config.bonds[0]!;
    expect(b).toMatchObject({ backend: 'sysfs', drift: 'alert', up: true, macAddress: 'first-slave', addresses: [], routes: [] });
    expect(b.primary).toBeUndefined();
    expect(b.gateway).toBeUndefined();
    expect(b.mtu).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('mode by number, option aliases and dashes, booleans for off/on options, comma lists', () => {
    const r = parse(
      [
        'bonds:',
        '  bond0:',
        '    mode: 1',
        '    options:',
        '      arp-interval: 1000',
        '      arp_ip_target: 192.0.2.1,192.0.2.2',
        '      num_unsol_na: 4',
        '      use_carrier: false',
        '    slaves: [eth0, eth1]',
        '    up: no',
        '',
      ].join('\n'),
    );
    const b = r.config.bonds[0]!;
    expect(b.mode).toBe('active-backup');
    expect(b.options).toEqual({ use_carrier: 'off', arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'], num_grat_arp: 4 });
    expect(b.up).toBe(false);
  });

  it('options.primary becomes primary', () => {
    const r = parse('bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100, primary: eth1}\n    slaves: [eth0, eth1]\n');
    expect(r.config.bonds[0]!.primary).toBe('eth1');
    expect(r.config.bonds[0]!.options).toEqual({ miimon: 100 });
  });

  it('gateway as a map, an IPv6 scalar, a default route, canonical IPv6 text', () => {
    const r = parse(
      [
        'bonds:',
        '  bond0:',
        '    mode: balance-xor',
        '    options: {miimon: 100}',
        '    slaves: [eth0]',
        '    addresses: [2001:DB8:0:0:0:0:0:10/64, 192.0.2.10/24]',
        '    gateway: {v6: "2001:db8::1"}',
        '    routes:',
        '      - {to: default, via: 192.0.2.1, metric: 50}',
        '      - {to: "2001:db8:ff::/48", via: "fe80::1"}',
        '  bond1:',
        '    mode: balance-xor',
        '    options: {miimon: 100}',
        '    slaves: [eth1]',
        '    addresses: [198.51.100.2/24]',
        '    gateway: 198.51.100.1',
        '',
      ].join('\n'),
    );
    const [b0, b1] = r.config.bonds;
    expect(b0!.addresses).toEqual(['2001:db8::10/64', '192.0.2.10/24']);
    expect(b0!.gateway).toEqual({ v6: '2001:db8::1' });
    expect(b0!.routes).toEqual([
      { to: '0.0.0.0/0', via: '192.0.2.1', metric: 50 },
      { to: '2001:db8:ff::/48', via: 'fe80::1' },
    ]);
    expect(b1!.gateway).toEqual({ v4: '198.51.100.1' });
  });

  it('a route may take over an existing one only with replace: true', () => {
    const base = 'bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [eth0]\n    addresses: [192.0.2.10/24]\n    routes:\n';
    expect(parse(`${base}      - {to: default, via: 192.0.2.1, replace: true}\n`).config.bonds[0]!.routes).toEqual([{ to: '0.0.0.0/0', via: '192.0.2.1', replace: true }]);
    expect(parse(`${base}      - {to: default, via: 192.0.2.1, replace: false}\n`).config.bonds[0]!.routes).toEqual([{ to: '0.0.0.0/0', via: '192.0.2.1' }]);
    expect(errorOf(`${base}      - {to: default, via: 192.0.2.1, replace: yes please}\n`).message).toMatch(/:8:.*routes\[0\]\.replace: .*is not true or false/);
  });

  it('anchors and aliases', () => {
    const r = parse(
      'bonds:\n  bond0:\n    mode: active-backup\n    options: &mon {miimon: 100, updelay: 200}\n    slaves: [eth0]\n  bond1:\n    mode: balance-tlb\n    options: *mon\n    slaves: [eth1]\n',
    );
    expect(r.config.bonds[1]!.options).toEqual({ miimon: 100, updelay: 200 });
  });

  it('an empty file manages nothing, with a warning', () => {
    const r = parse('# nothing yet\n');
    expect(r.config.bonds).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['the configuration is empty: no bonds are managed']);
  });
});

describe('warnings', () => {
  it('cross-option warnings carry the position of the option', () => {
    const r = parse('bonds:\n  bond0:\n    mode: balance-rr\n    options:\n      arp_interval: 100\n    slaves: [eth0, eth1]\n');
    const w = r.warnings.find((x) => x.path === 'bonds.bond0.options.arp_interval');
    expect(w?.message).toContain('no arp_ip_target or ns_ip6_target');
    expect([w?.line, w?.column]).toEqual([5, 21]);
  });

  it('a bond without slaves and a network address used as host address', () => {
    const r = parse('bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    addresses: [192.0.2.0/24]\n');
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.path}`)).toEqual(['2:3 bonds.bond0.slaves', '5:17 bonds.bond0.addresses[0]']);
    expect(r.warnings[1]!.message).toContain('network address of 192.0.2.0/24');
  });
});

describe('errors are complete and positioned', () => {
  it('lists problems from several bonds in file order', () => {
    const e = errorOf(
      [
        'bonds:', //                                   1
        '  bond0:', //                                 2
        '    mode: active-backup', //                  3
        '    options: {miimon: 100, downdelay: 50}', // 4
        '    slaves: [eth0, {name: eth1, mac: "ff:ff:ff:ff:ff:ff"}]', // 5
        '    primary: eth9', //                        6
        '  bad/name:', //                              7
        '    mode: broadcast', //                      8
        '    slaves: [eth2]', //                       9
        '  bond2:', //                                 10
        '    mode: broadcast', //                      11
        '    slaves: [eth2]', //                       12
        '    gateway: 192.0.2.1/24', //                13
        '',
      ].join('\n'),
    );
    expect(e.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '4:39 bonds.bond0.options.downdelay',
      '5:38 bonds.bond0.slaves[1].mac',
      '7:3 bonds.bad/name',
      '13:14 bonds.bond2.gateway',
    ]);
    expect(e.message).toContain(`${F}:4:39: bonds.bond0.options.downdelay: downdelay (50) is not a multiple of miimon (100)`);
    expect(e.message).toContain('contains "/"');
    expect(e.message).toContain('a gateway has no prefix length');
    // bond0's primary check is skipped because a slave failed to parse (no cascade); the
    // invalid bond name is not used for the cross-bond checks, so eth2 is no duplicate.
    expect(e.problems).toHaveLength(4);
  });

  it('duplicate keys and options given twice under two spellings', () => {
    const e = errorOf('bonds:\n  bond0:\n    mode: active-backup\n    mode: 802.3ad\n    options: {num_grat_arp: 1, num_unsol_na: 2, miimon: 100}\n    slaves: [eth0]\n');
    expect(e.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['4:5 bonds.bond0.mode', '5:32 bonds.bond0.options.num_unsol_na']);
    expect(e.problems[1]!.message).toContain('num_unsol_na and num_grat_arp are the same option');
  });
});

describe('slaves', () => {
  it('`slaves:` with nothing is no slaves, with a warning; a slave map needs a name or a mac', () => {
    const r = parse('bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves:\n');
    expect(r.config.bonds[0]!.slaves).toEqual([]);
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.path}: ${w.message}`)).toEqual(['5:5 bonds.bond0.slaves: bond0 has no slaves; it will come up without carrier']);
    const e = errorOf('bonds:\n  bond0:\n    mode: balance-xor\n    options: {miimon: 100}\n    slaves:\n      - {queue_id: 1}\n      - {name: eth1, miimon: 5}\n');
    expect(e.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual(['6:9 bonds.bond0.slaves[0]', '7:22 bonds.bond0.slaves[1].miimon']);
    expect(e.problems[0]!.message).toBe('a slave needs a name, a mac (its permanent MAC address) or a match (name glob, driver)');
    expect(e.problems[1]!.message).toContain('miimon is a bond option, set it under options:');
  });
});
