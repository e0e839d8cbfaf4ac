/**
 * Shared by the guest tests of the netlink backend (netlink-backend, parity, lacp): test values
 * chosen from the option table (never a second list of options), and the two backends opened on
 * one namespace.
 */
import type { BondBackend } from '../../src/bond/backend.js';
import { NetlinkBackend } from '../../src/backend/netlink-backend.js';
import type { BondMode, BondOption, OptionValue } from '../../src/bond/option-types.js';
import { BOND_OPTIONS, modeUsesArp, optionsForMode } from '../../src/bond/options.js';
import { SysfsBackend } from '../../src/backend/sysfs-backend.js';

/** Which link monitor an option set uses: the two exclude each other. */
export type Monitor = 'mii' | 'arp';

export const MIIMON = 200;
export const ARP_INTERVAL = 300;

/** The monitors a mode can run (802.3ad, tlb and alb refuse arp_interval). */
export function monitorsFor(mode: BondMode): Monitor[] {
  return modeUsesArp(mode) ? ['mii', 'arp'] : ['mii'];
}

/**
 * A valid value different from the default for `option`, or undefined when the option is not
 * part of a plain option set (mode, and ifnames, which need slaves). Enums take the last named
 * value that is not the default (the most unusual one); integers the default ± 3 inside the
 * range; delays a multiple of miimon.
 */
export function testValue(option: BondOption, monitor: Monitor): OptionValue | undefined {
  if (option.name === 'mode' || option.kind === 'ifname') return undefined;
  if (option.name === 'miimon') return monitor === 'mii' ? MIIMON : undefined;
  if (option.name === 'arp_interval') return monitor === 'arp' ? ARP_INTERVAL : undefined;
  // Both need miimon (EPERM without it); arp_validate is refused next to a nonzero miimon.
  if (option.needsMiimon) return monitor === 'mii' ? 2 * MIIMON + (option.name === 'downdelay' ? MIIMON : 0) : undefined;
  if (option.name === 'arp_validate' && monitor === 'mii') return undefined;
  switch (option.kind) {
    case 'enum':
      return [...option.values!].reverse().find((v) => v.name !== option.default)!.name;
    case 'int': {
      const base = option.default as number;
      return base + 3 <= option.max! ? base + 3 : base - 3;
    }
    case 'mac':
      return '00:00:5e:00:53:01'; // RFC 7042 documentation range, unicast
    case 'ipv4-list':
      return ['192.0.2.1', '198.51.100.7'];
    case 'ipv6-list':
      return ['2001:db8::1', '2001:db8::7'];
  }
}

/**
 * Non-default values for every option `mode` accepts (table order), for one monitor. `sysfsOnly`
 * leaves out options without a sysfs file; `exclude` leaves out more by name.
 */
export function testOptions(mode: BondMode, monitor: Monitor, how: { sysfsOnly?: boolean; exclude?: readonly string[] } = {}): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const option of optionsForMode(mode)) {
    if (how.sysfsOnly && option.sysfs === null) continue;
    if (how.exclude?.includes(option.name)) continue;
    const value = testValue(option, monitor);
    if (value !== undefined) out[option.name] = value;
  }
  return out;
}

/** Every bond option a plain option set can cover (all but mode and the ifnames). */
export function coverableOptions(): string[] {
  return BOND_OPTIONS.filter((o) => o.name !== 'mode' && o.kind !== 'ifname').map((o) => o.name);
}

export interface Backends {
  sysfs: SysfsBackend;
  netlink: NetlinkBackend;
  both: Array<[name: 'sysfs' | 'netlink', backend: BondBackend]>;
  close(): Promise<void>;
}

/** Both backends on the namespace at `netnsPath`. */
export function openBackends(netnsPath: string): Backends {
  const sysfs = new SysfsBackend({ netnsPath });
  const netlink = NetlinkBackend.open({ netnsPath });
  return {
    sysfs,
    netlink,
    both: [
      ['sysfs', sysfs],
      ['netlink', netlink],
    ],
    async close() {
      await sysfs.close();
      await netlink.close();
    },
  };
}

/** The other backend. */
export function other(b: Backends, name: 'sysfs' | 'netlink'): BondBackend {
  return name === 'sysfs' ? b.netlink : b.sysfs;
}

/** The bond options (or slave options) an observed bond reports that a backend can read. */
export function readable(backend: 'sysfs' | 'netlink', name: string): boolean {
  const option = BOND_OPTIONS.find((o) => o.name === name);
  return backend === 'netlink' || option === undefined || option.sysfs !== null;
}
