import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importIfcfg } from '../../src/config/ifcfg.js';
import { loadConfig } from '../../src/config/load.js';
import { renderYaml, withoutOrigins } from '../../src/config/render.js';
import type { DesiredConfig } from '../../src/config/types.js';
import { loadYamlConfig, parseYamlConfig } from '../../src/config/yaml.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/config');
const CLASSIC = join(FIXTURES, 'classic');

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bondd-render-'));
  made.push(dir);
  for (const [n, t] of Object.entries(files)) await writeFile(join(dir, n), t);
  return dir;
}

/** render → parse must give back the same bonds (positions and file names aside). */
function roundTrip(config: DesiredConfig): DesiredConfig {
  const text = renderYaml(config);
  const back = parseYamlConfig(text, '/etc/bondd/bondd.yaml');
  expect(withoutOrigins(back.config)).toEqual(withoutOrigins(config));
  // And rendering the parsed result again prints the same bonds (only comments naming the
  // sources differ: the re-parsed config comes from the YAML file).
  const body = (t: string) =>
    t
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .map((l) => l.replace(/ # from .*$/, ''))
      .join('\n');
  expect(body(renderYaml(back.config))).toBe(body(text));
  return back.config;
}

describe('renderYaml', () => {
  it('prints the classic import in a fixed layout, naming the source files', async () => {
    const dir = join(CLASSIC, 'network-scripts');
    const mp = join(CLASSIC, 'modprobe.conf');
    const { config } = await importIfcfg(dir, { modprobeFiles: [mp] });
    expect(renderYaml(config)).toBe(
      [
        '# bondd configuration (format: docs/config.md)',
        '# generated from:',
        `#   ${dir}/ifcfg-bond0`,
        `#   ${dir}/ifcfg-eth0`,
        `#   ${dir}/ifcfg-eth1`,
        `#   ${mp}`,
        '',
        'version: 1',
        'bonds:',
        `  # bond0: from ${dir}/ifcfg-bond0:1`,
        '  bond0:',
        '    mode: active-backup',
        '    options:',
        '      miimon: 100',
        '    slaves:',
        `      - eth0 # from ${dir}/ifcfg-eth0:1`,
        `      - eth1 # from ${dir}/ifcfg-eth1:1`,
        '    addresses: [ 192.0.2.10/24 ]',
        '    mac: first-slave',
        '    backend: sysfs',
        '    drift: alert',
        '    up: true',
        '',
      ].join('\n'),
    );
  });

  it('orders options as the option table does, whatever the input order', () => {
    const a = parseYamlConfig('bonds:\n  b:\n    mode: 802.3ad\n    options: {lacp_rate: fast, miimon: 100, xmit_hash_policy: layer2+3}\n    slaves: [e0]\n', 'a.yaml');
    const b = parseYamlConfig('bonds:\n  b:\n    mode: 802.3ad\n    options: {xmit_hash_policy: layer2+3, lacp_rate: fast, miimon: 100}\n    slaves: [e0]\n', 'a.yaml');
    expect(renderYaml(a.config)).toBe(renderYaml(b.config));
    const text = renderYaml(a.config);
    expect(text.indexOf('miimon')).toBeLessThan(text.indexOf('xmit_hash_policy'));
    expect(text.indexOf('xmit_hash_policy')).toBeLessThan(text.indexOf('lacp_rate'));
  });

  it('quotes MAC addresses and renders an empty configuration', () => {
    const r = parseYamlConfig('bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [{mac: "52:54:00:12:34:56"}]\n    mac: "02:00:00:00:00:01"\n', 'x.yaml');
    const text = renderYaml(r.config);
    expect(text).toContain('- { mac: "52:54:00:12:34:56" }');
    expect(text).toContain('mac: "02:00:00:00:00:01"');
    const empty = renderYaml({ bonds: [], source: 'x' });
    expect(parseYamlConfig(empty, 'x').config.bonds).toEqual([]);
  });
});

describe('round trip', () => {
  it('classic ifcfg import → render → parse', async () => {
    const { config } = await importIfcfg(join(CLASSIC, 'network-scripts'), { modprobeFiles: [join(CLASSIC, 'modprobe.conf')] });
    const back = roundTrip(config);
    expect(back.bonds[0]).toMatchObject({ name: 'bond0', mode: 'active-backup', options: { miimon: 100 }, addresses: ['192.0.2.10/24'] });
  });

  it('a rich ifcfg import (arp targets, IPv6, gateways, MTU, MAC, HWADDR, per-slave prio, ONBOOT=no) survives', async () => {
    const dir = await tree({
      'ifcfg-bond0': [
        'DEVICE=bond0',
        'TYPE=Bond',
        'ONBOOT=no',
        'BONDING_OPTS="mode=active-backup arp_interval=500 arp_ip_target=192.0.2.1,192.0.2.2 arp_validate=active primary=eth1 primary_reselect=failure"',
        'IPADDR=192.0.2.10',
        'PREFIX=24',
        'IPADDR1=198.51.100.10',
        'PREFIX1=26',
        'GATEWAY=192.0.2.1',
        'IPV6INIT=yes',
        'IPV6ADDR=2001:db8::10/64',
        'IPV6_DEFAULTGW=2001:db8::1',
        'MTU=1500',
        'MACADDR=02:00:00:00:00:10',
        '',
      ].join('\n'),
      'ifcfg-eth0': 'DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\nHWADDR=52:54:00:00:00:01\n',
      'ifcfg-eth1': 'DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\nBOND_PORT_PRIO=20\n',
    });
    const r = await importIfcfg(dir);
    expect(r.warnings).toEqual([]);
    const back = roundTrip(r.config);
    expect(back.bonds[0]).toMatchObject({
      up: false,
      primary: 'eth1',
      mtu: 1500,
      macAddress: '02:00:00:00:00:10',
      gateway: { v4: '192.0.2.1', v6: '2001:db8::1' },
      addresses: ['192.0.2.10/24', '198.51.100.10/26', '2001:db8::10/64'],
      options: { arp_interval: 500, arp_ip_target: ['192.0.2.1', '192.0.2.2'], arp_validate: 'active', primary_reselect: 'failure' },
    });
    expect(back.bonds[0]!.slaves.map(({ origin: _o, ...s }) => s)).toEqual([
      { name: 'eth0', permMac: '52:54:00:00:00:01', options: {} },
      { name: 'eth1', options: { prio: 20 } },
    ]);
  });

  it('the documented example survives', async () => {
    const { config } = await loadYamlConfig(join(FIXTURES, 'good/bondd.yaml'));
    roundTrip(config);
  });

  it('loadConfig picks the ifcfg importer for ifcfgDir', async () => {
    const r = await loadConfig({ ifcfgDir: join(CLASSIC, 'network-scripts'), modprobeFiles: [join(CLASSIC, 'modprobe.conf')] });
    expect(r.config.bonds[0]!.options).toEqual({ miimon: 100 });
    const none = await loadConfig({ ifcfgDir: join(CLASSIC, 'network-scripts'), modprobeFiles: [] });
    expect(none.config.bonds[0]!.mode).toBe('balance-rr');
  });
});
