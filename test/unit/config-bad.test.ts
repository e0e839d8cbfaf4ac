/**
 * Malformed configurations: every fixture under test/fixtures/config/bad/ must fail with a
 * ConfigError whose problem list names the exact file, line (and column for YAML), key path and
 * a fragment of the explanation.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, type ConfigProblem } from '../../src/config/errors.js';
import { importIfcfg } from '../../src/config/ifcfg.js';
import { loadYamlConfig } from '../../src/config/yaml.js';

const BAD = join(import.meta.dirname, '../fixtures/config/bad');

interface Expect {
  /** File name relative to the fixture (YAML: the fixture itself). */
  file?: string;
  line: number;
  column?: number;
  path: string;
  fragment: string;
}

interface Case {
  name: string;
  expect: Expect[];
  /** Exact number of errors when given (all problems are listed, not just the first). */
  count?: number;
}

const YAML_CASES: Case[] = [
  { name: 'syntax-error', expect: [{ line: 5, column: 5, path: '', fragment: 'YAML syntax error' }] },
  { name: 'unknown-top-key', expect: [{ line: 2, column: 1, path: 'bond', fragment: "unknown key 'bond' (did you mean 'bonds'?)" }] },
  { name: 'unknown-bond-key', expect: [{ line: 4, column: 5, path: 'bonds.bond0.slave', fragment: "(did you mean 'slaves'?)" }] },
  {
    name: 'unknown-option',
    expect: [{ line: 5, column: 7, path: 'bonds.bond0.options.mimon', fragment: "unknown bond option 'mimon' (did you mean 'miimon'?)" }],
  },
  { name: 'bad-option-value', expect: [{ line: 5, column: 15, path: 'bonds.bond0.options.miimon', fragment: '"fast" is not a whole number of milliseconds' }] },
  {
    name: 'updelay-not-multiple',
    expect: [{ line: 7, column: 16, path: 'bonds.bond0.options.updelay', fragment: 'updelay (250) is not a multiple of miimon (100): the kernel would round it down to 200' }],
  },
  { name: 'option-wrong-mode', expect: [{ line: 6, column: 18, path: 'bonds.bond0.options.lacp_rate', fragment: 'lacp_rate is not supported in mode active-backup' }] },
  { name: 'bad-mode', expect: [{ line: 3, column: 11, path: 'bonds.bond0.mode', fragment: '"active-passive" is not one of balance-rr (0), active-backup (1)' }] },
  { name: 'missing-mode', expect: [{ line: 2, column: 3, path: 'bonds.bond0.mode', fragment: 'mode is required (one of balance-rr, active-backup' }] },
  { name: 'bad-slave-name', expect: [{ line: 7, column: 9, path: 'bonds.bond0.slaves[1]', fragment: '"eth0:1" is not a valid interface name: it contains ":"' }] },
  {
    name: 'slave-in-two-bonds',
    expect: [{ line: 9, column: 20, path: 'bonds.bond1.slaves[1]', fragment: `eth1 is already a slave of bond0 (${join(BAD, 'yaml/slave-in-two-bonds.yaml')}:5:20)` }],
  },
  { name: 'duplicate-bond', expect: [{ line: 6, column: 3, path: 'bonds.bond0', fragment: 'bond bond0 is defined twice (first at line 2)' }] },
  { name: 'primary-not-slave', expect: [{ line: 6, column: 14, path: 'bonds.bond0.primary', fragment: 'eth2 is not among the slaves of bond0 (slaves: eth0, eth1)' }] },
  { name: 'bad-address', expect: [{ line: 8, column: 9, path: 'bonds.bond0.addresses[1]', fragment: "'192.0.2.300/24' is not a valid address" }] },
  { name: 'address-no-prefix', expect: [{ line: 6, column: 17, path: 'bonds.bond0.addresses[0]', fragment: "'192.0.2.10' has no prefix length" }] },
  {
    name: 'gateway-outside',
    expect: [{ line: 7, column: 14, path: 'bonds.bond0.gateway', fragment: "198.51.100.1 is outside the bond's IPv4 subnets (192.0.2.0/24)" }],
  },
  { name: 'mtu-range', expect: [{ line: 6, column: 10, path: 'bonds.bond0.mtu', fragment: '40 is not a valid MTU (a whole number from 68 to 65535)' }] },
  { name: 'mac-multicast', expect: [{ line: 6, column: 10, path: 'bonds.bond0.mac', fragment: '01:00:5e:00:00:01 is a multicast address' }] },
  { name: 'bad-drift', expect: [{ line: 6, column: 12, path: 'bonds.bond0.drift', fragment: `"enforcing" is not a drift policy (valid: observe, alert, enforce) (did you mean 'enforce'?)` }] },
  { name: 'slave-option-in-options', expect: [{ line: 6, column: 7, path: 'bonds.bond0.options.prio', fragment: 'prio is a per-slave option' }] },
  { name: 'slave-option-wrong-mode', expect: [{ line: 6, column: 28, path: 'bonds.bond0.slaves[0].prio', fragment: 'prio is not supported in mode 802.3ad' }] },
  {
    name: 'route-host-bits',
    expect: [{ line: 8, column: 13, path: 'bonds.bond0.routes[0].to', fragment: '198.51.100.5/24 has host bits set; a route destination is a network (198.51.100.0/24)' }],
  },
  { name: 'miimon-and-arp', expect: [{ line: 6, column: 21, path: 'bonds.bond0.options.arp_interval', fragment: 'can not both be on' }] },
  { name: 'queue-id-duplicate', expect: [{ line: 7, column: 32, path: 'bonds.bond0.slaves[1].queue_id', fragment: 'queue_id 2 is already used by eth0' }] },
  { name: 'bad-slave-mac', expect: [{ line: 7, column: 14, path: 'bonds.bond0.slaves[1].mac', fragment: '"52:54:00:zz:00:01" is not a MAC address' }] },
  { name: 'bonds-as-list', expect: [{ line: 2, column: 3, path: 'bonds', fragment: 'must be a map keyed by bond name' }] },
  {
    name: 'many-problems',
    count: 4,
    expect: [
      { line: 5, column: 15, path: 'bonds.bond0.options.miimon', fragment: '-5 is not a whole number of milliseconds from 0 to' },
      { line: 7, column: 10, path: 'bonds.bond0.mtu', fragment: '100000 is not a valid MTU' },
      { line: 8, column: 14, path: 'bonds.bond0.backend', fragment: '"ioctl" is not a backend (valid: sysfs, netlink)' },
      { line: 11, column: 14, path: 'bonds.bond1.slaves[0]', fragment: 'eth1 is already a slave of bond0' },
    ],
  },
];

const IFCFG_CASES: Case[] = [
  { name: 'bad-netmask', expect: [{ file: 'ifcfg-bond0', line: 3, path: 'NETMASK', fragment: "'255.0.255.0' is not a netmask: its one bits are not contiguous" }] },
  { name: 'bad-prefix', expect: [{ file: 'ifcfg-bond0', line: 4, path: 'PREFIX', fragment: "'33' is not a prefix length (valid: 0..32)" }] },
  { name: 'bad-ipaddr', expect: [{ file: 'ifcfg-bond0', line: 3, path: 'IPADDR', fragment: "'192.0.2.256' is not a valid IPv4 address" }] },
  { name: 'gateway-outside', expect: [{ file: 'ifcfg-bond0', line: 5, path: 'GATEWAY', fragment: "198.51.100.1 is outside the bond's IPv4 subnets (192.0.2.0/24)" }] },
  {
    name: 'unknown-bonding-opt',
    expect: [{ file: 'ifcfg-bond0', line: 4, path: 'BONDING_OPTS.lacp_rat', fragment: "unknown bond option 'lacp_rat' (did you mean 'lacp_rate'?)" }],
  },
  { name: 'master-without-bond', expect: [{ file: 'ifcfg-eth1', line: 3, path: 'MASTER', fragment: 'MASTER=bond1, but there is no ifcfg file for bond1' }] },
  // BOOTPROTO=dhcp is imported (a DHCP client on the bond); bootp is not.
  { name: 'bootp', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'BOOTPROTO', fragment: 'BOOTPROTO=bootp is not supported' }] },
  // `KEY=a b=c` is two assignments (imported as the shell ran it, with a warning); `KEY=a b c` runs a command.
  { name: 'unquoted-space', expect: [{ file: 'ifcfg-bond0', line: 4, path: 'BONDING_OPTS', fragment: "unquoted space before 'miimon 100'" }] },
  { name: 'unterminated-quote', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'BONDING_OPTS', fragment: 'unterminated double quote' }] },
  { name: 'modprobe-bad-value', expect: [{ file: 'modprobe.conf', line: 2, path: 'options bond0 miimon', fragment: '"abc" is not a whole number' }] },
  {
    name: 'modprobe-unknown-option',
    expect: [{ file: 'modprobe.conf', line: 3, path: 'options bonding mimon', fragment: "unknown bond option 'mimon' (did you mean 'miimon'?)" }],
  },
  { name: 'bad-mode', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'BONDING_OPTS.mode', fragment: '"9" is not one of balance-rr (0)' }] },
  { name: 'bad-mtu', expect: [{ file: 'ifcfg-bond0', line: 3, path: 'MTU', fragment: "'70000' is not a valid MTU (valid: 68..65535)" }] },
  { name: 'duplicate-device', expect: [{ file: 'ifcfg-eth0-copy', line: 1, path: 'DEVICE', fragment: 'eth0 is already defined by' }] },
  // A delay that is not a multiple of miimon is imported rounded down, as the kernel ran it (warning).
  {
    name: 'miimon-and-arp',
    expect: [{ file: 'ifcfg-bond0', line: 3, path: 'BONDING_OPTS.arp_interval', fragment: 'miimon (100) and arp_interval (1000) can not both be on' }],
  },
  { name: 'primary-not-slave', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'BONDING_OPTS.primary', fragment: 'eth2 is not among the slaves of bond0 (slaves: eth0, eth1)' }] },
  { name: 'bad-hwaddr', expect: [{ file: 'ifcfg-eth1', line: 2, path: 'HWADDR', fragment: "'52:54:00:12:34' is not a MAC address" }] },
  { name: 'bad-onboot', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'ONBOOT', fragment: "'maybe' is not yes or no" }] },
  { name: 'arp-remove-target', expect: [{ file: 'ifcfg-bond0', line: 2, path: 'BONDING_OPTS.arp_ip_target', fragment: "'-192.0.2.1' removes a target" }] },
  { name: 'ipv6-bad', expect: [{ file: 'ifcfg-bond0', line: 4, path: 'IPV6ADDR', fragment: "'2001:db8::zz/64' is not a valid address" }] },
];

async function failure(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

function check(err: ConfigError, c: Case, fileOf: (e: Expect) => string): void {
  for (const e of c.expect) {
    const file = fileOf(e);
    const match = err.problems.find((p: ConfigProblem) => p.file === file && p.line === e.line && p.path === e.path && p.message.includes(e.fragment));
    expect(match, `no problem at ${file}:${e.line} ${e.path} containing "${e.fragment}"; got:\n${err.message}`).toBeDefined();
    expect(match!.column).toBe(e.column);
    // The rendered message carries the position and the key path.
    const where = e.column === undefined ? `${file}:${e.line}` : `${file}:${e.line}:${e.column}`;
    expect(err.message).toContain(`${where}: ${e.path ? `${e.path}: ` : ''}`);
    expect(err.message).toContain(formatProblem(match!));
  }
  if (c.count !== undefined) expect(err.problems, err.message).toHaveLength(c.count);
}

describe('malformed bondd.yaml', () => {
  it.each(YAML_CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const file = join(BAD, 'yaml', `${c.name}.yaml`);
    const err = await failure(() => loadYamlConfig(file));
    check(err, c, () => file);
  });
});

describe('malformed ifcfg / modprobe', () => {
  it.each(IFCFG_CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const dir = join(BAD, 'ifcfg', c.name);
    const modprobe = join(dir, 'modprobe.conf');
    const err = await failure(() => importIfcfg(dir, { modprobeFiles: existsSync(modprobe) ? [modprobe] : [] }));
    check(err, c, (e) => join(dir, e.file!));
  });
});

describe('fixture inventory', () => {
  it('has at least 25 malformed configurations, all covered by a case', async () => {
    const { readdir } = await import('node:fs/promises');
    const yamlFiles = (await readdir(join(BAD, 'yaml'))).map((f) => f.replace(/\.yaml$/, '')).sort();
    const ifcfgDirs = (await readdir(join(BAD, 'ifcfg'))).sort();
    expect(yamlFiles).toEqual(YAML_CASES.map((c) => c.name).sort());
    expect(ifcfgDirs).toEqual(IFCFG_CASES.map((c) => c.name).sort());
    expect(yamlFiles.length + ifcfgDirs.length).toBeGreaterThanOrEqual(25);
  });
});
