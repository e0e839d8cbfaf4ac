/**
 * The desired-configuration model: what bondd should make the kernel look like. Both front ends
 * (bondd.yaml in yaml.ts, RHEL ifcfg + modprobe files in ifcfg.ts) produce exactly this shape, the
 * planner consumes it, and render.ts prints it back as bondd.yaml.
 *
 * Every value in here is already validated and normalised: option values are canonical
 * (see OptionValue in src/bond/option-types.ts), addresses are canonical CIDR strings, MACs are
 * lower-case colon-separated. Consumers never need to re-parse.
 */
import type { BondMode, OptionValue } from '../bond/option-types.js';

export type { BondMode, OptionValue };

/** Where something was declared: 1-based line, and column when the format has one (YAML). */
export interface Origin {
  file: string;
  line: number;
  column?: number;
}

/** A slave is referred to by its interface name (primary, active_slave). */
export type SlaveRef = string;

/** How bondd talks to the kernel for this bond. Both must build identical kernel state. */
export type BackendKind = 'sysfs' | 'netlink';
export const BACKENDS: readonly BackendKind[] = ['sysfs', 'netlink'];

/**
 * What bondd does when the live bond differs from this configuration:
 * - `observe`: record the drift in the event journal only;
 * - `alert`: record it and raise it in status/metrics (`bondd_drift{bond}`), change nothing;
 * - `enforce`: re-apply the desired state (through the planner, same ordering rules as apply).
 */
export type DriftPolicy = 'observe' | 'alert' | 'enforce';
export const DRIFT_POLICIES: readonly DriftPolicy[] = ['observe', 'alert', 'enforce'];

/**
 * Bond MAC address policy:
 * - an explicit unicast address (`52:54:00:12:34:56`): set on the bond before the first enslave,
 *   so the kernel programs it into every slave (docs/kernel-notes.md §3);
 * - `first-slave` (the default): the bond takes the permanent MAC of the first slave *in
 *   configuration order* that is present. The kernel alone would take the MAC of whichever slave
 *   happened to be enslaved first, which depends on boot-time ordering; bondd enslaves in config
 *   order so the result is stable across reboots;
 * - `random`: keep the random address the kernel gives a new bond (bondd sets a random
 *   locally-administered address before enslaving, since the first enslave would otherwise
 *   replace a random address with the slave's).
 */
export type MacPolicy = 'first-slave' | 'random';
export const MAC_POLICIES: readonly MacPolicy[] = ['first-slave', 'random'];
export const DEFAULT_MAC_POLICY: MacPolicy = 'first-slave';

export interface SlaveSpec {
  /** Interface name. At least one of name / permMac is set. */
  name?: string;
  /**
   * Permanent (burned-in) MAC of the NIC, lower-case. Matches the slave whatever it is called;
   * with a name as well, both must match.
   */
  permMac?: string;
  /**
   * Per-slave options by canonical name: queue_id, prio, actor_port_prio. Applied with a separate
   * RTM_NEWLINK on the slave after it is enslaved (docs/kernel-notes.md §2).
   */
  options: Record<string, OptionValue>;
  /** Where the slave was declared (YAML list item, or the slave's ifcfg file). Not compared. */
  origin?: Origin;
}

export interface RouteSpec {
  /** Destination as canonical CIDR with host bits zero; the default route is 0.0.0.0/0 or ::/0. */
  to: string;
  /** Next hop, same family as `to`; absent for an on-link route. */
  via?: string;
  /** Route metric (priority), 0..4294967295. */
  metric?: number;
}

export interface DesiredBond {
  /** Bond interface name (validated with src/bond/names.ts). */
  name: string;
  /** Bonding mode. Never also present in `options`. */
  mode: BondMode;
  /**
   * Bond options by canonical name from the option table (src/bond/options.ts), canonical values.
   * Excludes `mode` (see `mode`) and `primary` (see `primary`). Options not listed are left at the
   * kernel default.
   */
  options: Record<string, OptionValue>;
  /** Slaves in enslave order. The order matters for the `first-slave` MAC policy. */
  slaves: SlaveSpec[];
  /** Preferred slave (the kernel `primary` option); must name one of `slaves`. */
  primary?: SlaveRef;
  /** Addresses as canonical CIDR (`192.0.2.10/24`, `2001:db8::10/64`), in configuration order. */
  addresses: string[];
  /** Default gateway per family; each lies inside one of `addresses`' subnets (or is IPv6 link-local). */
  gateway?: { v4?: string; v6?: string };
  /** Extra routes through the bond. */
  routes: RouteSpec[];
  /** MTU of the bond (68..65535); the kernel propagates it to the slaves. Absent: leave as is. */
  mtu?: number;
  /**
   * MAC policy: an explicit lower-case unicast address or a MacPolicy keyword. The parsers always
   * fill it in (default `first-slave`); absent is treated as `first-slave`.
   */
  macAddress?: string | MacPolicy;
  /** Kernel interface used for this bond: `sysfs` (default) or `netlink`. */
  backend: BackendKind;
  /** What to do on drift (default `alert`). */
  drift: DriftPolicy;
  /** Bring the bond up (ONBOOT in ifcfg terms); default true. false: create and configure, keep down. */
  up: boolean;
  /** Where the bond was declared. */
  origin: Origin;
}

export interface DesiredConfig {
  bonds: DesiredBond[];
  /** The configuration file, or the ifcfg directory, this came from. */
  source: string;
  /** Every file that contributed (ifcfg files, modprobe files), for comments and diagnostics. */
  sourceFiles?: string[];
}

export const DEFAULT_BACKEND: BackendKind = 'sysfs';
export const DEFAULT_DRIFT: DriftPolicy = 'alert';
export const MTU_MIN = 68;
export const MTU_MAX = 65535;
export const DEFAULT_CONFIG_FILE = '/etc/bondd/bondd.yaml';
