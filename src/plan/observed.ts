/**
 * What the planner needs to know about the host besides the bonds themselves: which interfaces
 * exist (to find slaves by name or permanent MAC), who their master is, and the addresses and
 * routes already on each bond.
 */
import type { ObservedBond } from '../bond/backend.js';
import type { RouteSpec } from '../config/types.js';

export interface ObservedInterface {
  name: string;
  index: number;
  /** Permanent (burned-in) MAC; for an enslaved NIC this differs from its current MAC. */
  permMac: string | null;
  master: string | null;
  up: boolean;
  /** Link kind (bond, veth, bridge...) or null for plain hardware NICs. */
  kind: string | null;
  /** MTU (absent in hand-built test hosts). */
  mtu?: number;
  /** IFF_LOWER_UP: the device has carrier. */
  carrier?: boolean;
  /** Kind vlan: the 802.1Q id and the lower device's name (null when it is in another namespace). */
  vlan?: { id: number; link: string | null };
  /** Kind bridge: STP and forward delay (seconds). */
  bridge?: { stp: boolean; forwardDelay: number };
  /** IFLA_IFALIAS; bondd marks the VLANs and bridges it creates with `bondd:<bond>`. */
  alias?: string;
  /** Kernel driver of a hardware NIC (/sys/class/net/<if>/device/driver), for slave matches. */
  driver?: string;
  /** IPv6 device settings (/proc/sys/net/ipv6/conf/<dev>/), when the device has IPv6 state. */
  inet6?: { acceptRa: number; disableIpv6: number };
}

export interface ObservedHost {
  bondingAvailable: boolean;
  bonds: Map<string, ObservedBond>;
  interfaces: ObservedInterface[];
  /**
   * Permanent global (non link-local) addresses per device of a bond's stack (bonds, VLANs,
   * bridges), canonical CIDR. Addresses with a lifetime (DHCP leases, SLAAC) are in `leases`.
   */
  addresses: Map<string, string[]>;
  /**
   * Routes in the main table whose output interface is the device, except those the kernel
   * (prefix routes), router advertisements or a DHCP client added.
   */
  routes: Map<string, RouteSpec[]>;
  /** Addresses with a finite lifetime per device (DHCP leases, SLAAC): never drift, never re-added. */
  leases?: Map<string, string[]>;
}

export function emptyHost(): ObservedHost {
  return { bondingAvailable: true, bonds: new Map(), interfaces: [], addresses: new Map(), routes: new Map() };
}
