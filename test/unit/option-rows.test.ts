/**
 * The row fields and functions over the option table that replaced separate lists of option
 * names (apply order, miimon multiples, slave-naming options, display lines, the drill's
 * reported options, the kernel's monitor side effects), and the enums and errno numbers that are
 * now spelled once.
 */
import { describe, expect, it } from 'vitest';

import { EBUSY, ERRNO, errnoName, errnoNumber, knownErrnoName } from '../../src/bond/errno.js';
import * as ifla from '../../src/bond/ifla.js';
import {
  BOND_OPTIONS,
  MII_STATES,
  MODE_OPTION,
  SLAVE_OPTIONS,
  afterSetting,
  applyOrderNames,
  displayLine,
  effectiveIn,
  failoverOptions,
  findOption,
  lacpBit,
  miimonMultiples,
  miimonOf,
  namedSlaves,
  namesASlave,
  parseMiiStatus,
} from '../../src/bond/options.js';
import * as netlinkConstants from '../../src/netlink/constants.js';

const names = (options: readonly { name: string }[]): string[] => options.map((o) => o.name);
const precedes = (order: string[], a: string, b: string): boolean => order.indexOf(a) < order.indexOf(b);

describe('apply order (applyOrder)', () => {
  const order = applyOrderNames();

  it('every bond option has a distinct place; aliases follow their option', () => {
    const places = BOND_OPTIONS.map((o) => o.applyOrder);
    expect(places.every((p) => Number.isInteger(p))).toBe(true);
    expect(new Set(places).size).toBe(BOND_OPTIONS.length);
    for (const o of BOND_OPTIONS) expect(order).toContain(o.name);
    expect(order.indexOf('num_unsol_na')).toBe(order.indexOf('num_grat_arp') + 1);
    expect(SLAVE_OPTIONS.every((o) => o.applyOrder === undefined)).toBe(true);
  });

  it('follows the kernel rules the header states', () => {
    expect(order[0]).toBe('mode');
    expect(precedes(order, 'arp_ip_target', 'arp_interval')).toBe(true);
    expect(precedes(order, 'ns_ip6_target', 'arp_interval')).toBe(true);
    expect(precedes(order, 'arp_interval', 'arp_validate')).toBe(true);
    for (const delay of names(miimonMultiples())) expect(precedes(order, 'miimon', delay)).toBe(true);
    const slaveNamed = BOND_OPTIONS.filter(namesASlave).map((o) => o.name);
    const last = order.slice(-slaveNamed.length);
    expect(new Set(last)).toEqual(new Set(slaveNamed));
  });
});

describe('functions over the rows', () => {
  it('miimon multiples are the needsMiimon rows', () => {
    expect(names(miimonMultiples())).toEqual(['updelay', 'downdelay', 'peer_notif_delay']);
  });

  it('slave-naming options are the ifname rows', () => {
    expect(names(BOND_OPTIONS.filter(namesASlave))).toEqual(['active_slave', 'primary']);
  });

  it('display lines hold their options in order, and only bond options are shown in lines', () => {
    expect(names(displayLine('mii-monitor'))).toEqual(['miimon', 'updelay', 'downdelay', 'peer_notif_delay', 'use_carrier']);
    expect(names(displayLine('arp-monitor'))[0]).toBe('arp_interval');
    expect(names(displayLine('lacp'))).toEqual(['lacp_active', 'lacp_rate', 'min_links', 'ad_select']);
    expect(names(displayLine('failover')).slice(0, 2)).toEqual(['active_slave', 'primary']);
    expect(SLAVE_OPTIONS.some((o) => o.display)).toBe(false);
  });

  it('effectiveIn: effectiveModes when narrower, else the accepted modes', () => {
    const failOverMac = findOption('fail_over_mac')!;
    expect(effectiveIn(failOverMac, 'active-backup')).toBe(true);
    expect(effectiveIn(failOverMac, 'balance-tlb')).toBe(false);
    expect(effectiveIn(findOption('primary')!, 'balance-alb')).toBe(true);
    expect(effectiveIn(findOption('primary')!, '802.3ad')).toBe(false);
  });

  it('the drill reports the options that shape failover', () => {
    const reported = names(failoverOptions());
    for (const n of ['miimon', 'updelay', 'downdelay', 'primary', 'fail_over_mac', 'lacp_rate']) expect(reported).toContain(n);
    expect(reported).not.toContain('resend_igmp');
  });

  it('namedSlaves: empty means none', () => {
    expect(namedSlaves({ primary: 'eth0', active_slave: '' })).toEqual({ activeSlave: null, primary: 'eth0' });
    expect(namedSlaves({})).toEqual({ activeSlave: null, primary: null });
  });
});

describe('afterSetting: the kernel side effects on the monitors', () => {
  it('entering 802.3ad/tlb/alb with miimon 0 turns miimon on (100) and arp_interval off', () => {
    const s = afterSetting({ mode: 'balance-rr', options: { miimon: 0, arp_interval: 1000 } }, MODE_OPTION, '802.3ad');
    expect(s.mode).toBe('802.3ad');
    expect(s.options).toEqual({ miimon: 100, arp_interval: 0 });
  });

  it('a mode with ARP monitoring keeps the monitors; a set miimon stays', () => {
    expect(afterSetting({ mode: '802.3ad', options: { miimon: 0 } }, MODE_OPTION, 'active-backup').options).toEqual({ miimon: 0 });
    expect(miimonOf(afterSetting({ mode: 'balance-rr', options: { miimon: 250 } }, MODE_OPTION, 'balance-alb').options)).toBe(250);
  });

  it('one link monitor at a time', () => {
    const arp = afterSetting({ mode: 'active-backup', options: { miimon: 100 } }, findOption('arp_interval')!, 500);
    expect(arp.options).toEqual({ miimon: 0, arp_interval: 500 });
    const mii = afterSetting(arp, findOption('miimon')!, 100);
    expect(mii.options).toEqual({ miimon: 100, arp_interval: 0 });
    expect(afterSetting(mii, findOption('arp_interval')!, 0).options).toEqual({ miimon: 100, arp_interval: 0 });
  });
});

describe('one spelling', () => {
  it('MII states: kernel numbers, sysfs spellings read', () => {
    expect(MII_STATES.indexOf('going-back')).toBe(3);
    expect(parseMiiStatus('going down\n')).toBe('going-down');
    expect(parseMiiStatus('going-back')).toBe('going-back');
    expect(parseMiiStatus('sideways')).toBeUndefined();
  });

  it('LACP bits', () => {
    expect(lacpBit('active')).toBe(0x01);
    expect(lacpBit('in_sync')).toBe(0x08);
    expect(lacpBit('expired')).toBe(0x80);
  });

  it('IFLA_BOND_* numbers: defined once, re-exported by the netlink layer, used by the rows', () => {
    for (const [name, value] of Object.entries(ifla)) expect((netlinkConstants as Record<string, unknown>)[name], name).toBe(value);
    expect(findOption('miimon')!.ifla).toBe(ifla.IFLA_BOND_MIIMON);
    expect(SLAVE_OPTIONS.find((o) => o.name === 'queue_id')!.ifla).toBe(ifla.IFLA_BOND_SLAVE_QUEUE_ID);
  });

  it('errno: one table, kernel spellings, the netlink layer uses the same', () => {
    expect(EBUSY).toBe(16);
    expect(ERRNO.EOPNOTSUPP).toBe(95);
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(99999)).toBe('E99999');
    expect(knownErrnoName(71)).toBeUndefined();
    expect(errnoNumber('enotsup')).toBe(95);
    expect(netlinkConstants.errnoName).toBe(errnoName);
    expect(netlinkConstants.EBUSY).toBe(EBUSY);
  });
});
