import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  AD_INFO_ATTRS,
  BOND_OPTIONS,
  DEFAULT_MIIMON,
  IFLA_BOND_AD_INFO,
  MODES,
  OptionValueError,
  SLAVE_OPTIONS,
  SLAVE_STATE_ATTRS,
  UnknownOptionError,
  describeValues,
  detectKernelOptions,
  effectiveDefaults,
  enumName,
  enumNumber,
  findOption,
  findSlaveOption,
  formatSysfsValue,
  isBondMode,
  isOptionSupported,
  kernelOptionsFromListing,
  modeName,
  modeNumber,
  modeUsesArp,
  optionByIfla,
  optionsForMode,
  parseOptionValue,
  parseSysfsQueueIds,
  parseSysfsValue,
  resolveOption,
  sameOptionValue,
  slaveOptionByIfla,
  sysfsListOps,
  validateOptionSet,
  type BondMode,
  type BondOption,
  type OptionValue,
} from '../../src/bond/options.js';

const ALL = [...BOND_OPTIONS, ...SLAVE_OPTIONS];
const byName = (name: string): BondOption => resolveOption(name);
const names = (options: readonly BondOption[]): string[] => options.map((o) => o.name);

/** The files of /sys/class/net/<bond>/bonding/ on 6.1.192 (observed in the test VM). */
const SYSFS_6_1_192 = (
  'active_slave ad_actor_key ad_actor_sys_prio ad_actor_system ad_aggregator ad_num_ports ad_partner_key ' +
  'ad_partner_mac ad_select ad_user_port_key all_slaves_active arp_all_targets arp_interval arp_ip_target ' +
  'arp_missed_max arp_validate downdelay fail_over_mac lacp_active lacp_rate lp_interval mii_status miimon ' +
  'min_links mode num_grat_arp num_unsol_na packets_per_slave peer_notif_delay primary primary_reselect ' +
  'queue_id resend_igmp slaves tlb_dynamic_lb updelay use_carrier xmit_hash_policy'
).split(' ');

describe('option table', () => {
  it('lists bond options in the order bond_changelink() applies them', () => {
    expect(names(BOND_OPTIONS)).toEqual([
      'mode', 'active_slave', 'miimon', 'updelay', 'downdelay', 'peer_notif_delay', 'use_carrier', 'arp_interval',
      'arp_ip_target', 'ns_ip6_target', 'arp_validate', 'arp_all_targets', 'primary', 'primary_reselect',
      'fail_over_mac', 'xmit_hash_policy', 'resend_igmp', 'num_grat_arp', 'all_slaves_active', 'min_links',
      'lp_interval', 'packets_per_slave', 'lacp_active', 'lacp_rate', 'ad_select', 'ad_actor_sys_prio',
      'ad_user_port_key', 'ad_actor_system', 'tlb_dynamic_lb', 'arp_missed_max', 'coupled_control',
    ]);
    expect(names(SLAVE_OPTIONS)).toEqual(['queue_id', 'prio', 'actor_port_prio']);
  });

  it('carries the IFLA_BOND_* numbers of the reference', () => {
    const expected: Record<string, number> = {
      mode: 1, active_slave: 2, miimon: 3, updelay: 4, downdelay: 5, use_carrier: 6, arp_interval: 7,
      arp_ip_target: 8, arp_validate: 9, arp_all_targets: 10, primary: 11, primary_reselect: 12, fail_over_mac: 13,
      xmit_hash_policy: 14, resend_igmp: 15, num_grat_arp: 16, all_slaves_active: 17, min_links: 18, lp_interval: 19,
      packets_per_slave: 20, lacp_rate: 21, ad_select: 22, ad_actor_sys_prio: 24, ad_user_port_key: 25,
      ad_actor_system: 26, tlb_dynamic_lb: 27, peer_notif_delay: 28, lacp_active: 29, arp_missed_max: 30,
      ns_ip6_target: 31, coupled_control: 32,
    };
    expect(Object.fromEntries(BOND_OPTIONS.map((o) => [o.name, o.ifla]))).toEqual(expected);
    expect(IFLA_BOND_AD_INFO).toBe(23);
    expect(Object.fromEntries(SLAVE_OPTIONS.map((o) => [o.name, o.ifla]))).toEqual({ queue_id: 5, prio: 9, actor_port_prio: 10 });
    expect(Object.fromEntries(AD_INFO_ATTRS.map((a) => [a.name, a.ifla]))).toEqual({
      aggregator: 1, num_ports: 2, actor_key: 3, partner_key: 4, partner_mac: 5,
    });
  });

  it('has unique names, aliases and IFLA numbers', () => {
    for (const table of [BOND_OPTIONS, SLAVE_OPTIONS]) {
      const spellings = table.flatMap((o) => [o.name, ...o.aliases].map((n) => n.replaceAll('-', '_')));
      expect(new Set(spellings).size).toBe(spellings.length);
      const ifla = table.map((o) => o.ifla);
      expect(new Set(ifla).size).toBe(ifla.length);
    }
    const bond = new Set(BOND_OPTIONS.flatMap((o) => [o.name, ...o.aliases]));
    expect(SLAVE_OPTIONS.filter((o) => bond.has(o.name))).toEqual([]);
  });

  it.each(ALL.filter((o) => o.kind === 'enum').map((o) => [o.name, o] as const))(
    '%s: enum names and numbers are unique and the default is one of them',
    (_, option) => {
      const values = option.values!;
      expect(new Set(values.map((v) => v.name)).size).toBe(values.length);
      expect(new Set(values.map((v) => v.value)).size).toBe(values.length);
      expect(values.map((v) => v.name)).toContain(option.default);
    },
  );

  it.each(ALL.filter((o) => o.kind === 'int').map((o) => [o.name, o] as const))(
    '%s: integer range is ordered and contains the default',
    (_, option) => {
      expect(option.min).toBeLessThanOrEqual(option.max!);
      expect(option.default).toBeGreaterThanOrEqual(option.min!);
      expect(option.default).toBeLessThanOrEqual(option.max!);
    },
  );

  it.each(ALL.map((o) => [o.name, o] as const))('%s: modes are real modes and effectiveModes a subset', (_, option) => {
    expect(option.modes.length).toBeGreaterThan(0);
    for (const mode of option.modes) expect(MODES).toContain(mode);
    for (const mode of option.effectiveModes ?? []) expect(option.modes).toContain(mode);
    if (option.default !== null) expect(parseOptionValue(option, option.default)).toEqual(option.default);
  });

  it('encodes the needs-down and needs-no-slaves flags of the kernel (docs/kernel-notes.md §1.1)', () => {
    expect(names(ALL.filter((o) => o.needsDown)).sort()).toEqual(
      ['ad_select', 'ad_user_port_key', 'coupled_control', 'lacp_active', 'lacp_rate', 'mode', 'tlb_dynamic_lb'],
    );
    expect(names(ALL.filter((o) => o.needsNoSlaves)).sort()).toEqual(['fail_over_mac', 'mode']);
    expect(names(ALL.filter((o) => o.needsMiimon)).sort()).toEqual(['downdelay', 'peer_notif_delay', 'updelay']);
    expect(names(ALL.filter((o) => o.sysfs === null)).sort()).toEqual(['actor_port_prio', 'coupled_control', 'ns_ip6_target', 'prio']);
    expect(ALL.every((o) => o.perSlave === SLAVE_OPTIONS.includes(o))).toBe(true);
  });

  it('encodes the mode restrictions (EACCES in other modes)', () => {
    const modesOf = (name: string) => [...byName(name).modes].sort();
    for (const name of ['primary', 'active_slave', 'prio']) {
      expect(modesOf(name)).toEqual(['active-backup', 'balance-alb', 'balance-tlb']);
    }
    for (const name of ['lacp_rate', 'lacp_active', 'ad_actor_sys_prio', 'ad_actor_system', 'ad_user_port_key', 'coupled_control', 'actor_port_prio']) {
      expect(modesOf(name)).toEqual(['802.3ad']);
    }
    expect(modesOf('packets_per_slave')).toEqual(['balance-rr']);
    expect(modesOf('tlb_dynamic_lb')).toEqual(['balance-alb', 'balance-tlb']);
    for (const name of ['arp_interval', 'arp_validate', 'arp_missed_max']) {
      expect(modesOf(name)).toEqual(['active-backup', 'balance-rr', 'balance-xor', 'broadcast']);
    }
    // ad_select is refused in no mode, though only 802.3ad reads it.
    expect(modesOf('ad_select')).toEqual([...MODES].sort());
  });

  it('knows every option file of a 6.1.192 bond and no other', () => {
    const support = kernelOptionsFromListing(SYSFS_6_1_192);
    expect(support.missing).toEqual([]);
    expect(support.unknown).toEqual([]);
    expect([...support.present].sort()).toEqual(names(ALL.filter((o) => o.sysfs !== null)).sort());
  });

  const header = '/usr/include/linux/if_link.h';
  it.skipIf(!existsSync(header))('matches the enums of /usr/include/linux/if_link.h', () => {
    const text = readFileSync(header, 'utf8');
    const members = (first: string, end: string): string[] => {
      const start = text.indexOf(first);
      expect(start).toBeGreaterThan(-1);
      return text
        .slice(start, text.indexOf(end, start))
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    };
    const bond = members('IFLA_BOND_UNSPEC', '__IFLA_BOND_MAX');
    for (const option of BOND_OPTIONS) expect(bond[option.ifla!], option.name).toBeDefined();
    bond.forEach((macro, n) => {
      const name = macro.replace('IFLA_BOND_', '').toLowerCase();
      if (n === 0) return;
      if (name === 'ad_info') return expect(n).toBe(IFLA_BOND_AD_INFO);
      // Header names resolve through the table's aliases (AD_LACP_RATE → lacp_rate, MISSED_MAX → arp_missed_max).
      expect(findOption(name)?.ifla, macro).toBe(n);
    });
    const slave = members('IFLA_BOND_SLAVE_UNSPEC', '__IFLA_BOND_SLAVE_MAX');
    slave.forEach((macro, n) => {
      const name = macro.replace('IFLA_BOND_SLAVE_', '').toLowerCase();
      if (n === 0) return;
      const known = findSlaveOption(name)?.ifla ?? SLAVE_STATE_ATTRS.find((a) => a.name === name)?.ifla;
      expect(known, macro).toBe(n);
    });
    const adInfo = members('IFLA_BOND_AD_INFO_UNSPEC', '__IFLA_BOND_AD_INFO_MAX');
    adInfo.forEach((macro, n) => {
      if (n === 0) return;
      expect(AD_INFO_ATTRS.find((a) => a.name === macro.replace('IFLA_BOND_AD_INFO_', '').toLowerCase())?.ifla, macro).toBe(n);
    });
  });
});

describe('modes', () => {
  it('MODES is indexed by kernel number', () => {
    expect(MODES).toEqual(['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb']);
    MODES.forEach((mode, n) => {
      expect(modeNumber(mode)).toBe(n);
      expect(modeName(n)).toBe(mode);
      expect(enumNumber('mode', mode)).toBe(n);
    });
    expect(modeName(7)).toBeUndefined();
    expect(() => modeNumber('lacp' as BondMode)).toThrow(OptionValueError);
    expect(isBondMode('802.3ad')).toBe(true);
    expect(isBondMode('8023ad')).toBe(false);
  });

  it('modeUsesArp() is false exactly for 802.3ad, tlb and alb', () => {
    expect(MODES.filter((m) => !modeUsesArp(m))).toEqual(['802.3ad', 'balance-tlb', 'balance-alb']);
  });

  it('optionsForMode() and isOptionSupported() follow the modes column', () => {
    const ab = names(optionsForMode('active-backup'));
    expect(ab).toContain('primary');
    expect(ab).not.toContain('lacp_rate');
    expect(ab).not.toContain('packets_per_slave');
    expect(names(optionsForMode('802.3ad'))).not.toContain('arp_interval');
    expect(isOptionSupported('lacp_rate', '802.3ad')).toBe(true);
    expect(isOptionSupported('ad_lacp_rate', 'balance-xor')).toBe(false);
    expect(isOptionSupported('prio', 'balance-rr')).toBe(false);
  });

  it('effectiveDefaults() applies bond_option_mode_set() side effects', () => {
    expect(effectiveDefaults('active-backup')).toMatchObject({ mode: 'active-backup', miimon: 0, arp_interval: 0, primary: '', active_slave: '' });
    for (const mode of ['802.3ad', 'balance-tlb', 'balance-alb'] as const) {
      expect(effectiveDefaults(mode)['miimon']).toBe(DEFAULT_MIIMON);
      expect(effectiveDefaults(mode)).not.toHaveProperty('arp_interval');
    }
    expect(effectiveDefaults('balance-alb')['tlb_dynamic_lb']).toBe('on');
    expect(effectiveDefaults('balance-rr')).toMatchObject({ packets_per_slave: 1, arp_ip_target: [], ns_ip6_target: [] });
    expect(effectiveDefaults('802.3ad')).toMatchObject({
      lacp_rate: 'slow', lacp_active: 'on', ad_select: 'stable', ad_actor_sys_prio: 65535,
      ad_actor_system: '00:00:00:00:00:00', coupled_control: 'on', xmit_hash_policy: 'layer2',
    });
    expect(effectiveDefaults('802.3ad')).not.toHaveProperty('primary');
    expect(Object.keys(effectiveDefaults('broadcast')).sort()).toEqual(names(optionsForMode('broadcast')).sort());
  });
});

describe('findOption()', () => {
  it.each([
    ['miimon', 'miimon'],
    ['peer_notify_delay', 'peer_notif_delay'],
    ['peer-notif-delay', 'peer_notif_delay'],
    ['num_unsol_na', 'num_grat_arp'],
    ['num_peer_notif', 'num_grat_arp'],
    ['ad_lacp_rate', 'lacp_rate'],
    ['lacp-rate', 'lacp_rate'],
    ['ad_lacp_active', 'lacp_active'],
    ['missed_max', 'arp_missed_max'],
  ])('finds %s as %s', (name, canonical) => {
    expect(findOption(name)?.name).toBe(canonical);
  });

  it('is case-sensitive, keeps slave options apart and returns undefined for unknown names', () => {
    expect(findOption('MIIMON')).toBeUndefined();
    expect(findOption('queue_id')).toBeUndefined();
    expect(findSlaveOption('queue_id')?.ifla).toBe(5);
    expect(findSlaveOption('actor-port-prio')?.name).toBe('actor_port_prio');
    expect(findOption('broadcast_neighbor')).toBeUndefined();
    expect(findOption('slaves')).toBeUndefined();
  });

  it('optionByIfla() maps attribute numbers back, AD_INFO excluded', () => {
    expect(optionByIfla(16)?.name).toBe('num_grat_arp');
    expect(optionByIfla(32)?.name).toBe('coupled_control');
    expect(optionByIfla(IFLA_BOND_AD_INFO)).toBeUndefined();
    expect(optionByIfla(33)).toBeUndefined();
    expect(slaveOptionByIfla(9)?.name).toBe('prio');
  });

  it('resolveOption() suggests the closest name for a typo', () => {
    expect(() => resolveOption('miimom')).toThrow(new UnknownOptionError('miimom', 'miimon'));
    expect(() => resolveOption('miimom')).toThrow('"miimom" is not a bond option (did you mean miimon?)');
    expect(() => resolveOption('frobnicate')).toThrow(/^"frobnicate" is not a bond option$/);
  });
});

describe('parseOptionValue()', () => {
  it.each<[string, Parameters<typeof parseOptionValue>[1], OptionValue]>([
    ['mode', 'active-backup', 'active-backup'],
    ['mode', 4, '802.3ad'],
    ['mode', '6', 'balance-alb'],
    ['mode', ' broadcast\n', 'broadcast'],
    ['use_carrier', true, 'on'],
    ['use_carrier', 0, 'off'],
    ['lacp_active', false, 'off'],
    ['lacp_rate', 'fast', 'fast'],
    ['xmit_hash_policy', 'vlan+srcmac', 'vlan+srcmac'],
    ['arp_validate', 'filter_backup', 'filter_backup'],
    ['miimon', '100', 100],
    ['miimon', 0, 0],
    ['miimon', 2147483647, 2147483647],
    ['peer_notif_delay', 300000, 300000],
    ['lp_interval', '1', 1],
    ['prio', -50, -50],
    ['prio', '-2147483648', -2147483648],
    ['primary', 'eth0', 'eth0'],
    ['active_slave', '', ''],
    ['ad_actor_system', '02:AA:bb:CC:00:01', '02:aa:bb:cc:00:01'],
    ['ad_actor_system', '00:00:00:00:00:00', '00:00:00:00:00:00'],
    ['arp_ip_target', '192.0.2.1, 198.51.100.2 203.0.113.3', ['192.0.2.1', '198.51.100.2', '203.0.113.3']],
    ['arp_ip_target', ['192.0.2.1', ' 192.0.2.2 '], ['192.0.2.1', '192.0.2.2']],
    ['arp_ip_target', '', []],
    ['ns_ip6_target', '2001:DB8:0:0::1,fe80::1', ['2001:db8::1', 'fe80::1']],
    ['ns_ip6_target', ['2001:db8:0:0:0:0:0:a'], ['2001:db8::a']],
    // 00ff::1 compresses to ff::1, which is not in ff00::/8.
    ['ns_ip6_target', 'ff::1', ['ff::1']],
  ])('%s %j → %j', (name, raw, expected) => {
    expect(parseOptionValue(name, raw)).toEqual(expected);
  });

  const MODE_LIST = 'balance-rr (0), active-backup (1), balance-xor (2), broadcast (3), 802.3ad (4), balance-tlb (5), balance-alb (6)';
  const MS = 'a whole number of milliseconds from 0 to 2147483647';
  const bad: [string, Parameters<typeof parseOptionValue>[1], string][] = [
    ['miimon', 'abc', `miimon: "abc" is not ${MS}`],
    ['miimon', -1, `miimon: -1 is not ${MS}`],
    ['miimon', '-1', `miimon: "-1" is not ${MS}`],
    ['miimon', 2147483648, `miimon: 2147483648 is not ${MS}`],
    ['miimon', 1.5, `miimon: 1.5 is not ${MS}`],
    ['miimon', '1e3', `miimon: "1e3" is not ${MS}`],
    ['miimon', '', `miimon: "" is not ${MS}`],
    ['miimon', true, `miimon: true is not ${MS}`],
    ['updelay', '99999999999999999999', 'updelay: "99999999999999999999" is not a whole number of milliseconds from 0 to 2147483647'],
    ['mode', 'foo', `mode: "foo" is not one of ${MODE_LIST}`],
    ['mode', 7, `mode: 7 is not one of ${MODE_LIST}`],
    ['mode', 'Active-Backup', `mode: "Active-Backup" is not one of ${MODE_LIST}`],
    ['mode', true, `mode: true is not one of ${MODE_LIST}`],
    ['use_carrier', 'yes', 'use_carrier: "yes" is not one of off (0), on (1)'],
    ['lacp_rate', true, 'lacp_rate: true is not one of slow (0), fast (1)'],
    ['xmit_hash_policy', 'layer3', 'xmit_hash_policy: "layer3" is not one of layer2 (0), layer3+4 (1), layer2+3 (2), encap2+3 (3), encap3+4 (4), vlan+srcmac (5)'],
    ['ad_select', 'actor_port_prio', 'ad_select: "actor_port_prio" is not one of stable (0), bandwidth (1), count (2)'],
    ['ad_select', 3, 'ad_select: 3 is not one of stable (0), bandwidth (1), count (2)'],
    ['resend_igmp', 300, 'resend_igmp: 300 is not a whole number from 0 to 255'],
    ['num_unsol_na', 256, 'num_grat_arp: 256 is not a whole number from 0 to 255'],
    ['lp_interval', 0, 'lp_interval: 0 is not a whole number of seconds from 1 to 2147483647'],
    ['peer_notif_delay', 300001, 'peer_notif_delay: 300001 is not a whole number of milliseconds from 0 to 300000'],
    ['arp_missed_max', 0, 'arp_missed_max: 0 is not a whole number from 1 to 255'],
    ['ad_actor_sys_prio', 0, 'ad_actor_sys_prio: 0 is not a whole number from 1 to 65535'],
    ['ad_user_port_key', 1024, 'ad_user_port_key: 1024 is not a whole number from 0 to 1023'],
    ['packets_per_slave', 65536, 'packets_per_slave: 65536 is not a whole number from 0 to 65535'],
    ['prio', 2147483648, 'prio: 2147483648 is not a whole number from -2147483648 to 2147483647'],
    ['actor_port_prio', -1, 'actor_port_prio: -1 is not a whole number from 0 to 65535'],
    ['queue_id', 'x', 'queue_id: "x" is not a whole number from 0 to 65535'],
    ['ad_actor_system', '01:00:5e:00:00:01', 'ad_actor_system: "01:00:5e:00:00:01" is a multicast MAC address; ad_actor_system must be unicast'],
    ['ad_actor_system', 'ff:ff:ff:ff:ff:ff', 'ad_actor_system: "ff:ff:ff:ff:ff:ff" is a multicast MAC address; ad_actor_system must be unicast'],
    ['ad_actor_system', '02:00:00:00:00', `ad_actor_system: "02:00:00:00:00" is not a unicast MAC address such as 02:00:00:00:00:01 (00:00:00:00:00:00 uses the bond's MAC)`],
    ['ad_actor_system', '02-00-00-00-00-01', `ad_actor_system: "02-00-00-00-00-01" is not a unicast MAC address such as 02:00:00:00:00:01 (00:00:00:00:00:00 uses the bond's MAC)`],
    ['ad_actor_system', 2, `ad_actor_system: 2 is not a unicast MAC address such as 02:00:00:00:00:01 (00:00:00:00:00:00 uses the bond's MAC)`],
    ['arp_ip_target', '0.0.0.0', 'arp_ip_target: "0.0.0.0" is in 0.0.0.0/8 ("this network"), which the kernel refuses as a target'],
    ['arp_ip_target', '0.1.2.3', 'arp_ip_target: "0.1.2.3" is in 0.0.0.0/8 ("this network"), which the kernel refuses as a target'],
    ['arp_ip_target', '255.255.255.255', 'arp_ip_target: "255.255.255.255" is the broadcast address, which the kernel refuses as a target'],
    ['arp_ip_target', '192.0.2.1 224.0.0.1', 'arp_ip_target: "224.0.0.1" is a multicast address; the ARP monitor needs a unicast target'],
    ['arp_ip_target', '192.0.2.300', 'arp_ip_target: "192.0.2.300" is not an IPv4 address in dotted-quad form'],
    ['arp_ip_target', '192.0.2.01', 'arp_ip_target: "192.0.2.01" is not an IPv4 address in dotted-quad form'],
    ['arp_ip_target', '2001:db8::1', 'arp_ip_target: "2001:db8::1" is not an IPv4 address in dotted-quad form'],
    ['arp_ip_target', '192.0.2.1,192.0.2.1', 'arp_ip_target: "192.0.2.1" is listed twice; the kernel refuses duplicates'],
    [
      'arp_ip_target',
      Array.from({ length: 17 }, (_, i) => `192.0.2.${i + 1}`),
      'arp_ip_target: 17 targets given; the kernel holds at most 16',
    ],
    ['arp_ip_target', 7, 'arp_ip_target: 7 is not a list of up to 16 distinct unicast IPv4 addresses'],
    ['ns_ip6_target', '::', 'ns_ip6_target: "::" is the unspecified address, which the kernel refuses as a target'],
    ['ns_ip6_target', '0:0::1', 'ns_ip6_target: "0:0::1" is the loopback address, which the kernel refuses as a target'],
    ['ns_ip6_target', 'FF02::1', 'ns_ip6_target: "FF02::1" is a multicast address, which the kernel refuses as a target'],
    ['ns_ip6_target', 'fe80::1%eth0', 'ns_ip6_target: "fe80::1%eth0" is not an IPv6 address (zone ids are not accepted)'],
    ['ns_ip6_target', '2001:db8::1::2', 'ns_ip6_target: "2001:db8::1::2" is not an IPv6 address (zone ids are not accepted)'],
    ['ns_ip6_target', '2001:db8::1 2001:DB8:0::1', 'ns_ip6_target: "2001:db8::1" is listed twice; the kernel refuses duplicates'],
    ['primary', 'eth0/x', 'primary: "eth0/x" is not a valid interface name: it contains "/", which can not appear in a sysfs path'],
    ['primary', 'averyveryverylongname', 'primary: "averyveryverylongname" is not a valid interface name: it is 21 bytes long and the kernel allows at most 15'],
    ['active_slave', 'eth0:1', 'active_slave: "eth0:1" is not a valid interface name: it contains ":", which the kernel refuses in interface names'],
    ['active_slave', 3, 'active_slave: 3 is not an interface name (1 to 15 bytes without "/", ":", "%" or whitespace), or "" for none'],
  ];

  it.each(bad)('%s refuses %j', (name, raw, message) => {
    let caught: unknown;
    try {
      parseOptionValue(name, raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OptionValueError);
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as Error).message).toBe(message);
    expect((caught as OptionValueError).option).toBe(resolveOption(name).name);
    expect((caught as OptionValueError).value).toEqual(raw);
  });

  it('refuses unknown option names with UnknownOptionError', () => {
    expect(() => parseOptionValue('lacp_rat', 'fast')).toThrow('"lacp_rat" is not a bond option (did you mean lacp_rate?)');
  });
});

/** Sample canonical values per option, to exercise every kind and every enum value. */
function samples(option: BondOption): OptionValue[] {
  switch (option.kind) {
    case 'enum':
      return option.values!.map((v) => v.name);
    case 'int':
      return [...new Set([option.min!, option.default as number, option.max!])];
    case 'ifname':
      return ['eth0', ''];
    case 'mac':
      return ['02:00:5e:10:00:01', '00:00:00:00:00:00'];
    case 'ipv4-list':
      return [['192.0.2.1', '198.51.100.7'], []];
    case 'ipv6-list':
      return [['2001:db8::1', 'fe80::2'], []];
  }
}

/** What the kernel prints when the option's sysfs file is read (bond_sysfs.c show functions). */
function kernelShow(option: BondOption, value: OptionValue): string {
  if (Array.isArray(value)) return value.length ? `${value.join(' ')}\n` : '';
  if (value === '') return '';
  // use_carrier, all_slaves_active and tlb_dynamic_lb print a bare number; other enums "name N".
  if (option.kind === 'enum') {
    const n = enumNumber(option, value);
    return ['use_carrier', 'all_slaves_active', 'tlb_dynamic_lb'].includes(option.name) ? `${n}\n` : `${value} ${n}\n`;
  }
  return `${value}\n`;
}

describe('round trips', () => {
  const cases = ALL.flatMap((o) => samples(o).map((v) => [o.name, JSON.stringify(v), o, v] as const));

  it.each(cases)('%s %s: parse, sysfs write, sysfs read and netlink agree', (_, __, option, value) => {
    expect(parseOptionValue(option, value)).toEqual(value);
    if (option.kind === 'enum') {
      expect(enumName(option, enumNumber(option, value as string))).toBe(value);
    }
    if (option.sysfs === null) {
      expect(() => formatSysfsValue(option, value)).toThrow(TypeError);
      return;
    }
    expect(parseSysfsValue(option, kernelShow(option, value))).toEqual(value);
    if (Array.isArray(value)) {
      expect(sysfsListOps(option, [], value)).toEqual(value.map((a) => `+${a}`));
      expect(sysfsListOps(option, value, value)).toEqual([]);
      return;
    }
    const written = option.perSlave ? formatSysfsValue(option, value, 'eth1') : formatSysfsValue(option, value);
    if (option.perSlave) {
      expect(written).toBe(`eth1:${value}`);
      expect(parseSysfsQueueIds(`${written} eth2:0\n`).get('eth1')).toBe(value);
    } else {
      // The kernel strips the trailing newline (bond_opt_parse / primary_set), so do we.
      expect(parseOptionValue(option, written)).toEqual(value);
    }
  });

  it('covers every option', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBe(ALL.length);
    expect(cases.length).toBeGreaterThan(80);
  });
});

describe('sysfs helpers', () => {
  it('formatSysfsValue() writes enum names, decimal numbers and "\\n" to clear an ifname', () => {
    expect(formatSysfsValue('mode', 4)).toBe('802.3ad');
    expect(formatSysfsValue('use_carrier', true)).toBe('on');
    expect(formatSysfsValue('miimon', '0100')).toBe('100');
    expect(formatSysfsValue('primary', '')).toBe('\n');
    expect(formatSysfsValue('ad_actor_system', '02:AB:00:00:00:01')).toBe('02:ab:00:00:00:01');
    expect(formatSysfsValue('num_unsol_na', 3)).toBe('3');
    expect(formatSysfsValue('queue_id', 3, 'eth0')).toBe('eth0:3');
  });

  it('formatSysfsValue() refuses lists, netlink-only options and queue_id without a slave', () => {
    expect(() => formatSysfsValue('arp_ip_target', ['192.0.2.1'])).toThrow('arp_ip_target is written one "+addr" or "-addr" at a time; use sysfsListOps()');
    expect(() => formatSysfsValue('coupled_control', 'on')).toThrow('coupled_control has no sysfs file on this kernel; set it over netlink');
    expect(() => formatSysfsValue('ns_ip6_target', [])).toThrow(TypeError);
    expect(() => formatSysfsValue('queue_id', 3)).toThrow('queue_id is written as "ifname:value"; give the slave\'s name');
    expect(() => formatSysfsValue('queue_id', 3, 'eth:0')).toThrow('it contains ":"');
    expect(() => formatSysfsValue('miimon', -5)).toThrow(OptionValueError);
  });

  it('sysfsListOps() removes before it adds', () => {
    expect(sysfsListOps('arp_ip_target', ['192.0.2.1'], ['192.0.2.9'])).toEqual(['-192.0.2.1', '+192.0.2.9']);
    expect(sysfsListOps('arp_ip_target', ['192.0.2.1', '192.0.2.2'], ['192.0.2.2', '192.0.2.3'])).toEqual(['-192.0.2.1', '+192.0.2.3']);
    expect(sysfsListOps('arp_ip_target', ['192.0.2.1'], [])).toEqual(['-192.0.2.1']);
    expect(() => sysfsListOps('arp_ip_target', [], ['0.0.0.0'])).toThrow(OptionValueError);
    expect(() => sysfsListOps('ns_ip6_target', [], ['2001:db8::1'])).toThrow(TypeError);
    expect(() => sysfsListOps('miimon', [], [])).toThrow('miimon is not a list option');
  });

  it.each<[string, string, OptionValue | undefined]>([
    ['mode', 'active-backup 1\n', 'active-backup'],
    ['xmit_hash_policy', 'layer2 0', 'layer2'],
    ['xmit_hash_policy', 'layer3+4 1\n', 'layer3+4'],
    ['use_carrier', '1\n', 'on'],
    ['lacp_active', 'off 0\n', 'off'],
    ['primary', '', ''],
    ['primary', 'eth0\n', 'eth0'],
    ['arp_ip_target', '192.0.2.1 192.0.2.2\n', ['192.0.2.1', '192.0.2.2']],
    ['arp_ip_target', '', []],
    ['miimon', '100\n', 100],
    ['ad_actor_sys_prio', '', undefined],
    ['ad_actor_system', '', undefined],
    ['ad_actor_system', 'AE:95:E0:4A:54:0F\n', 'ae:95:e0:4a:54:0f'],
    ['ad_select', 'actor_port_prio 3\n', 'actor_port_prio'],
    ['mode', '9\n', 'unknown(9)'],
  ])('parseSysfsValue(%s, %j) → %j', (name, text, expected) => {
    expect(parseSysfsValue(name, text)).toEqual(expected);
  });

  it('parseSysfsValue() refuses an integer file that holds garbage', () => {
    expect(() => parseSysfsValue('miimon', 'abc\n')).toThrow('miimon: sysfs holds "abc\\n", which is not an integer');
  });

  it('parseSysfsQueueIds() reads the bond\'s queue_id file', () => {
    expect([...parseSysfsQueueIds('va:3 vb:0\n')]).toEqual([['va', 3], ['vb', 0]]);
    expect(parseSysfsQueueIds('').size).toBe(0);
  });
});

describe('netlink enum helpers', () => {
  it('enumNumber() and enumName() translate both ways', () => {
    expect(enumNumber('xmit_hash_policy', 'layer3+4')).toBe(1);
    expect(enumNumber('lacp_rate', 'fast')).toBe(1);
    expect(enumNumber('coupled_control', true)).toBe(1);
    expect(enumNumber('arp_validate', '6')).toBe(6);
    expect(enumName('xmit_hash_policy', 5)).toBe('vlan+srcmac');
    expect(enumName('fail_over_mac', 2)).toBe('follow');
  });

  it('enumName() renders numbers a newer kernel may send as unknown(n)', () => {
    expect(enumName('ad_select', 3)).toBe('unknown(3)');
  });

  it('both refuse non-enum options and enumNumber() refuses bad values', () => {
    expect(() => enumNumber('miimon', 1)).toThrow('miimon is not an enumerated option');
    expect(() => enumName('primary', 1)).toThrow(TypeError);
    expect(() => enumNumber('lacp_rate', 'medium')).toThrow('lacp_rate: "medium" is not one of slow (0), fast (1)');
  });
});

describe('sameOptionValue()', () => {
  it('compares address lists as sets and everything else exactly', () => {
    expect(sameOptionValue('arp_ip_target', ['192.0.2.1', '192.0.2.2'], ['192.0.2.2', '192.0.2.1'])).toBe(true);
    expect(sameOptionValue('arp_ip_target', ['192.0.2.1'], ['192.0.2.1', '192.0.2.2'])).toBe(false);
    expect(sameOptionValue('miimon', 100, 100)).toBe(true);
    expect(sameOptionValue('mode', 'balance-rr', 'active-backup')).toBe(false);
  });
});

describe('describeValues()', () => {
  it('phrases what each kind accepts', () => {
    expect(describeValues('lacp_rate')).toBe('one of slow (0), fast (1)');
    expect(describeValues('lp_interval')).toBe('a whole number of seconds from 1 to 2147483647');
    expect(describeValues('ns_ip6_target')).toBe('a list of up to 16 distinct unicast IPv6 addresses');
  });
});

describe('validateOptionSet()', () => {
  const problems = (mode: BondMode, options: Parameters<typeof validateOptionSet>[1]) =>
    validateOptionSet(mode, options).map((p) => `${p.severity} ${p.option}: ${p.message}`);

  it('accepts a sound active-backup and 802.3ad configuration', () => {
    expect(problems('active-backup', { miimon: 100, updelay: 200, downdelay: 0, primary: 'eth0', fail_over_mac: 'active' })).toEqual([]);
    expect(problems('802.3ad', { lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', updelay: 300, min_links: 1 })).toEqual([]);
    expect(problems('balance-rr', { arp_interval: 1000, arp_ip_target: '192.0.2.1', arp_validate: 'all', packets_per_slave: 4 })).toEqual([]);
  });

  it('reports options the mode refuses, with the modes that take them', () => {
    expect(problems('active-backup', { miimon: 100, lacp_rate: 'fast' })).toEqual([
      'error lacp_rate: lacp_rate is not supported in mode active-backup (supported in: 802.3ad)',
    ]);
    expect(problems('balance-xor', { miimon: 100, primary: 'eth0', packets_per_slave: 2 })).toEqual([
      'error primary: primary is not supported in mode balance-xor (supported in: active-backup, balance-tlb, balance-alb)',
      'error packets_per_slave: packets_per_slave is not supported in mode balance-xor (supported in: balance-rr)',
    ]);
  });

  it('refuses the ARP monitor in 802.3ad, tlb and alb without also flagging a monitor conflict', () => {
    expect(problems('802.3ad', { arp_interval: 1000, arp_ip_target: '192.0.2.1', arp_missed_max: 3 })).toEqual([
      'error arp_interval: arp_interval is not supported in mode 802.3ad (supported in: balance-rr, active-backup, balance-xor, broadcast)',
      'error arp_missed_max: arp_missed_max is not supported in mode 802.3ad (supported in: balance-rr, active-backup, balance-xor, broadcast)',
    ]);
    expect(problems('balance-alb', { arp_validate: 'active' })[0]).toBe(
      'error arp_validate: arp_validate is not supported in mode balance-alb (supported in: balance-rr, active-backup, balance-xor, broadcast)',
    );
  });

  it('refuses miimon and arp_interval together', () => {
    expect(problems('active-backup', { miimon: 100, arp_interval: 1000, arp_ip_target: ['192.0.2.1'] })).toEqual([
      'error arp_interval: miimon (100) and arp_interval (1000) can not both be on: the kernel keeps only one link monitor; set the other to 0',
    ]);
  });

  it('refuses delays without miimon and says what a non-multiple would become', () => {
    expect(problems('active-backup', { updelay: 200 })).toEqual([
      'error updelay: updelay (200) needs miimon, which is 0: the kernel refuses it (EPERM)',
      'warning miimon: neither miimon nor arp_interval is set: the bond can not detect link failures',
    ]);
    expect(problems('active-backup', { miimon: 100, updelay: 250, downdelay: 199, peer_notif_delay: 300 })).toEqual([
      'error updelay: updelay (250) is not a multiple of miimon (100): the kernel would round it down to 200',
      'error downdelay: downdelay (199) is not a multiple of miimon (100): the kernel would round it down to 100',
    ]);
    // peer_notif_delay needs miimon even when the ARP monitor runs.
    expect(problems('active-backup', { arp_interval: 100, arp_ip_target: '192.0.2.1', peer_notify_delay: 200 })).toEqual([
      'error peer_notif_delay: peer_notif_delay (200) needs miimon, which is 0: the kernel refuses it (EPERM)',
    ]);
    // 802.3ad gets miimon 100 from the kernel when none is given.
    expect(problems('802.3ad', { downdelay: 150 })).toEqual([
      'error downdelay: downdelay (150) is not a multiple of miimon (100): the kernel would round it down to 100',
    ]);
  });

  it('refuses arp_validate with miimon and warns about an ARP monitor without targets', () => {
    expect(problems('active-backup', { miimon: 100, arp_validate: 'active' })).toEqual([
      'error arp_validate: arp_validate (active) can not be used with miimon (100): it validates ARP monitor replies; use arp_interval instead of miimon',
    ]);
    expect(problems('active-backup', { arp_interval: 1000 })).toEqual([
      'warning arp_interval: arp_interval is 1000 but no arp_ip_target or ns_ip6_target is set: the ARP monitor has nothing to probe',
    ]);
    expect(problems('active-backup', { arp_interval: 1000, ns_ip6_target: '2001:db8::1' })).toEqual([]);
  });

  it('warns when no link monitor is configured, including an explicit miimon 0 in 802.3ad', () => {
    expect(problems('active-backup', {})).toEqual([
      'warning miimon: neither miimon nor arp_interval is set: the bond can not detect link failures',
    ]);
    expect(problems('802.3ad', { miimon: 0 })).toEqual([
      'warning miimon: neither miimon nor arp_interval is set: the bond can not detect link failures',
    ]);
  });

  it('warns about options the mode accepts but ignores, only when they differ from the default', () => {
    expect(problems('active-backup', { miimon: 100, min_links: 2, lp_interval: 1 })).toEqual([
      'warning min_links: min_links has no effect in mode active-backup (used in: 802.3ad)',
    ]);
    expect(problems('balance-rr', { miimon: 100, fail_over_mac: 'follow' })).toEqual([
      'warning fail_over_mac: fail_over_mac has no effect in mode balance-rr (used in: active-backup)',
    ]);
  });

  it('reports bad values, unknown names, per-slave options and a conflicting mode', () => {
    expect(problems('active-backup', { miimon: 100, peer_notif_delay: 300001, miimom: 1, queue_id: 1, mode: '802.3ad' })).toEqual([
      'error peer_notif_delay: peer_notif_delay: 300001 is not a whole number of milliseconds from 0 to 300000',
      'error miimom: "miimom" is not a bond option (did you mean miimon?)',
      'error queue_id: queue_id is a per-slave option; set it on the slave',
      'error mode: mode is 802.3ad in the options but active-backup was asked for',
    ]);
    expect(problems('active-backup', { mode: 1, miimon: '100' })).toEqual([]);
  });
});

describe('kernel option detection', () => {
  it('reports options a kernel lacks and files it has that the table does not know', () => {
    const older = SYSFS_6_1_192.filter((f) => f !== 'arp_missed_max' && f !== 'lacp_active');
    expect(kernelOptionsFromListing(older).missing).toEqual(['lacp_active', 'arp_missed_max']);
    const newer = [...SYSFS_6_1_192, 'broadcast_neighbor', 'lacp_strict'];
    expect(kernelOptionsFromListing(newer).unknown).toEqual(['broadcast_neighbor', 'lacp_strict']);
  });

  it('counts either num_grat_arp or num_unsol_na as the peer notification option', () => {
    const support = kernelOptionsFromListing(SYSFS_6_1_192.filter((f) => f !== 'num_grat_arp'));
    expect(support.present.has('num_grat_arp')).toBe(true);
    expect(support.missing).toEqual([]);
  });

  it('detectKernelOptions() reads a bonding directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bondd-sysfs-'));
    try {
      for (const file of ['mode', 'miimon', 'mii_status', 'frobnicate']) writeFileSync(join(dir, file), '');
      const support = await detectKernelOptions(dir);
      expect([...support.present].sort()).toEqual(['miimon', 'mode']);
      expect(support.unknown).toEqual(['frobnicate']);
      expect(support.missing).toContain('lacp_rate');
      expect(support.missing).not.toContain('coupled_control');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
