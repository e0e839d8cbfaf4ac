/**
 * The kernel as bondd sees it, and the one interface both kernel backends (sysfs and netlink)
 * implement. The planner and executor only speak this interface, so a bond can be managed
 * through either backend, chosen per bond.
 */
import type { BondMode, OptionValue } from './option-types.js';
import type { MII_STATES, SLAVE_STATES } from './options.js';

export type SlaveState = (typeof SLAVE_STATES)[number];
/** Per-slave MII state; the two transient states exist only during updelay/downdelay. */
export type MiiStatus = (typeof MII_STATES)[number];

export interface ObservedSlave {
  name: string;
  index: number;
  /** The NIC's own MAC (the bond rewrites the current one). */
  permMac: string | null;
  state: SlaveState;
  mii: MiiStatus;
  linkFailureCount: number;
  /** Per-slave options (queue_id, prio, actor_port_prio) as reported by the kernel. */
  options: Record<string, OptionValue>;
  /** 802.3ad only. */
  ad?: {
    aggregatorId: number | null;
    actorOperPortState: number | null;
    partnerOperPortState: number | null;
    actorChurnState?: number | null;
    partnerChurnState?: number | null;
  };
  /** From /sys/class/net/<slave>/{speed,duplex}; null when the driver does not know. */
  speedMbps: number | null;
  duplex: 'full' | 'half' | null;
  carrier: boolean;
}

export interface AggregatorInfo {
  aggregatorId: number;
  numPorts: number;
  actorKey: number;
  partnerKey: number;
  partnerMac: string;
}

export interface ObservedBond {
  name: string;
  index: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** The bond's carrier (MII Status in /proc/net/bonding). */
  carrier: boolean;
  mtu: number;
  mac: string;
  mode: BondMode;
  /** Every option the kernel reports, canonical names from the option table, mode excluded. */
  options: Record<string, OptionValue>;
  /** In kernel order (the order of enslavement). */
  slaves: ObservedSlave[];
  activeSlave: string | null;
  primary: string | null;
  ad: AggregatorInfo | null;
}

export type BackendName = 'sysfs' | 'netlink';

export interface BondBackend {
  readonly name: BackendName;
  /** Names of every bond in the namespace the backend works in. */
  listBonds(): Promise<string[]>;
  /** Full kernel view of a bond, or null when there is no such bond. */
  readBond(name: string): Promise<ObservedBond | null>;
  /** Creates a bond (admin down, no slaves) with mode and options applied before anything else. */
  createBond(name: string, mode: BondMode, options?: Record<string, OptionValue>): Promise<void>;
  deleteBond(name: string): Promise<void>;
  /**
   * Sets bond options. The caller is responsible for the kernel's preconditions (bond down,
   * no slaves) and for ordering (miimon before its delays); the backend applies them in the
   * order given and stops at the first refusal.
   */
  setOptions(name: string, options: Record<string, OptionValue>): Promise<void>;
  /** Enslaves an interface; the backend brings it down first, as the kernel requires. */
  enslave(bond: string, slave: string): Promise<void>;
  release(bond: string, slave: string): Promise<void>;
  setSlaveOptions(bond: string, slave: string, options: Record<string, OptionValue>): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  close(): Promise<void>;
}
