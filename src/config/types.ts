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
  /** Interface name. At least one of name / permMac / match is set. */
  name?: string;
  /**
   * Hardware match, resolved when applying (and again when NICs appear), the way netplan
   * `match:` and networkd `[Match]` select NICs: every given field must match. `name` is a glob
   * (`*`, `?`, `[...]`) over interface names; `driver` the kernel driver name (a glob too, as
   * /sys/class/net/<if>/device/driver points to it). A glob may match several NICs: all of them
   * become slaves, in name order.
   */
  match?: SlaveMatch;
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

export interface SlaveMatch {
  name?: string;
  driver?: string;
}

export interface RouteSpec {
  /** Destination as canonical CIDR with host bits zero; the default route is 0.0.0.0/0 or ::/0. */
  to: string;
  /** Next hop, same family as `to`; absent for an on-link route. */
  via?: string;
  /** Route metric (priority), 0..4294967295. */
  metric?: number;
  /**
   * Replace a route to the same destination and metric that is already there (NLM_F_REPLACE),
   * e.g. the default route DHCP put on eth0. Off by default: bondd then refuses with an error
   * instead of taking over a route it did not make.
   */
  replace?: boolean;
}

/**
 * DHCP per layer: which families a DHCP client runs for on that device. bondd never speaks DHCP
 * itself; it supervises a real client (dhcpcd) restricted to the device and family.
 */
export type DhcpMode = 'none' | 'ipv4' | 'ipv6' | 'both';
export const DHCP_MODES: readonly DhcpMode[] = ['none', 'ipv4', 'ipv6', 'both'];

/**
 * The IP configuration any layer of a bond's stack can carry (the bond itself, one of its VLANs,
 * or the bridge on either). Static addresses, gateway and routes are managed by bondd; DHCP
 * leases are the client's and never count as drift.
 */
export interface IpConfig {
  /** Addresses as canonical CIDR (`192.0.2.10/24`, `2001:db8::10/64`), in configuration order. */
  addresses: string[];
  /** Default gateway per family; each lies inside one of `addresses`' subnets (or is IPv6 link-local). */
  gateway?: { v4?: string; v6?: string };
  /** Extra routes through this device. */
  routes: RouteSpec[];
  /** DHCP client families on this device; absent means `none`. */
  dhcp?: DhcpMode;
  /**
   * IPv6 router advertisements (the device's `accept_ra` sysctl): true accepts them (SLAAC and
   * RA default routes), false refuses them, absent leaves the kernel's setting alone.
   */
  acceptRa?: boolean;
}

/**
 * A Linux bridge that the bond, or one of its VLANs, is a port of. The host's address then
 * lives on the bridge (Proxmox `vmbr0`, libvirt hosts), never on the port: a bridge port's own
 * addresses are not used for forwarding decisions and confuse neighbours.
 */
export interface BridgeSpec extends IpConfig {
  /** Bridge interface name (validated with src/bond/names.ts). */
  name: string;
  /** Spanning tree on (IFLA_BR_STP_STATE 1) or off; absent leaves the kernel default (off). */
  stp?: boolean;
  /**
   * Forward delay in seconds (IFLA_BR_FORWARD_DELAY, stored by the kernel in centiseconds);
   * with STP on the kernel accepts only 2..30 s. Absent leaves the kernel default (15 s).
   */
  forwardDelay?: number;
  /** MTU of the bridge; absent: leave as is. */
  mtu?: number;
  origin?: Origin;
}

/** An 802.1Q VLAN on the bond (IFLA_INFO_KIND `vlan`, IFLA_VLAN_ID, IFLA_LINK = the bond). */
export interface VlanSpec extends IpConfig {
  /** VLAN id 1..4094. */
  id: number;
  /** Interface name; the parsers fill in `<bond>.<id>` when the configuration gives none. */
  name: string;
  /** MTU of the VLAN device (at most the bond's); absent: leave as is. */
  mtu?: number;
  /** The bridge this VLAN is a port of; the VLAN itself then carries no IP configuration. */
  bridge?: BridgeSpec;
  origin?: Origin;
}

/** A bond; its own IP configuration (addresses, gateway, routes, DHCP, RAs) is the IpConfig part. */
export interface DesiredBond extends IpConfig {
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
  /** VLANs on the bond, in configuration order; absent means none. */
  vlans?: VlanSpec[];
  /** The bridge the bond itself is a port of; the bond then carries no IP configuration. */
  bridge?: BridgeSpec;
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
