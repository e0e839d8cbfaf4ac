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
}

export interface ObservedHost {
  bondingAvailable: boolean;
  bonds: Map<string, ObservedBond>;
  interfaces: ObservedInterface[];
  /** Global (non link-local) addresses per bond, canonical CIDR. */
  addresses: Map<string, string[]>;
  /** Routes in the main table whose output interface is the bond. */
  routes: Map<string, RouteSpec[]>;
}

export function emptyHost(): ObservedHost {
  return { bondingAvailable: true, bonds: new Map(), interfaces: [], addresses: new Map(), routes: new Map() };
}
