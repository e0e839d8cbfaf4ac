/**
 * Types of the bond option table (src/bond/options.ts). Kept apart so that config, planner,
 * backends and CLI can depend on the shape without pulling in the data.
 */

/** Bond modes; the array index in MODES is the kernel's number (IFLA_BOND_MODE). */
export type BondMode =
  | 'balance-rr'
  | 'active-backup'
  | 'balance-xor'
  | 'broadcast'
  | '802.3ad'
  | 'balance-tlb'
  | 'balance-alb';

/**
 * Canonical in-memory value of an option:
 * - enum options: the value's name (`'active-backup'`, `'layer3+4'`, `'on'`)
 * - integer options: a number (milliseconds, seconds, counts as the kernel takes them)
 * - ifname options (primary, active_slave): the interface name, '' for none
 * - mac options (ad_actor_system): lower-case `aa:bb:cc:dd:ee:ff`
 * - address lists (arp_ip_target, ns_ip6_target): normalised address strings, in order
 */
export type OptionValue = string | number | string[];

/** How the value travels over netlink (IFLA_BOND_* / IFLA_BOND_SLAVE_* payload). */
export type NetlinkEncoding = 'u8' | 'u16' | 'u32' | 's32' | 'ifindex' | 'mac' | 'ipv4-list' | 'ipv6-list';

export type OptionKind = 'enum' | 'int' | 'ifname' | 'mac' | 'ipv4-list' | 'ipv6-list';

/**
 * Summary lines of the bond view (`bondctl status/show`, src/cli/render.ts):
 * - mii-monitor / arp-monitor: the link monitor line; the line's first option is its interval
 *   and the line is shown when that interval is nonzero;
 * - failover: active slave, primary and what decides between slaves (mirrors /proc/net/bonding);
 * - hash: the transmit hash;
 * - lacp: the 802.3ad line.
 */
export type DisplayLine = 'mii-monitor' | 'arp-monitor' | 'failover' | 'hash' | 'lacp';

export interface OptionDisplay {
  line: DisplayLine;
  /** Position within the line (ascending). */
  order: number;
}

export interface NamedValue {
  name: string;
  value: number;
}

export interface BondOption {
  /** Canonical name: the sysfs file name where one exists, else the kernel's option name. */
  name: string;
  /** Other spellings accepted on input (num_grat_arp, iproute2's peer_notify_delay, ...). */
  aliases: readonly string[];
  /** File under /sys/class/net/<bond>/bonding/, or null when the option is netlink-only. */
  sysfs: string | null;
  /** IFLA_BOND_* (bond options) or IFLA_BOND_SLAVE_* (slave options) number, or null if sysfs-only. */
  ifla: number | null;
  netlink: NetlinkEncoding | null;
  kind: OptionKind;
  /** For enums: names with kernel numbers. */
  values?: readonly NamedValue[];
  /** Inclusive integer range for 'int' options. */
  min?: number;
  max?: number;
  /** Unit shown in help and status ('ms', 's'), if any. */
  unit?: 'ms' | 's';
  /** Kernel default for a new bond; null when there is none (primary, arp_ip_target...). */
  default: OptionValue | null;
  /** Modes in which the kernel accepts the option (others give EACCES). */
  modes: readonly BondMode[];
  /**
   * Modes in which the option has an effect, when narrower than `modes`: the kernel accepts
   * min_links in every mode but only 802.3ad reads it. Absent means "every mode in `modes`".
   */
  effectiveModes?: readonly BondMode[];
  /** For list options: how many entries the kernel holds (BOND_MAX_ARP_TARGETS, BOND_MAX_NS_TARGETS). */
  maxItems?: number;
  /** The bond must be down to change it (kernel BOND_OPTFLAG_IFDOWN, EBUSY otherwise). */
  needsDown: boolean;
  /** The bond must have no slaves to change it (BOND_OPTFLAG_NOSLAVES, ENOTEMPTY otherwise). */
  needsNoSlaves: boolean;
  /** Needs miimon != 0 and is stored rounded down to a multiple of miimon (updelay, downdelay, peer_notif_delay). */
  needsMiimon: boolean;
  /** Per-slave option (queue_id, prio, actor_port_prio) rather than a bond option. */
  perSlave: boolean;
  /** One-line description for help and docs. */
  description: string;
  /**
   * Bond options: position in which options are written one at a time (sysfs, and the
   * planner's steps); see the table's header for the rules. Absent for per-slave options.
   */
  applyOrder?: number;
  /** Shown in a summary line of the bond view; absent: listed with the other options. */
  display?: OptionDisplay;
  /** Shapes failover (detection, choice of slave, what peers learn): reported by the drill. */
  shapesFailover?: boolean;
  /**
   * How other network configuration formats spell the option, for the importers: netplan's
   * `parameters:` keys when they are not the name with '-' for '_' (first the current spelling,
   * then older ones netplan still reads), systemd-networkd's `[Bond]` key.
   */
  spellings?: { netplan?: readonly string[]; networkd?: string };
}

/** A cross-option problem found by validateOptionSet(). */
export interface OptionProblem {
  option: string;
  message: string;
  severity: 'error' | 'warning';
}
