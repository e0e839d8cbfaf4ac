/**
 * The JSON views bondctl prints (`show --json`, `status --json`, `list --json`) and how they are
 * gathered: straight from the kernel (a bond backend's readBond() plus /proc/net/bonding, which
 * alone has the per-port LACP partner details), and, for `status`, what only bondd knows (drift
 * from the configuration, the last failover) when bondd runs.
 *
 * These shapes are a documented interface (docs/cli.md): add fields, never rename or remove.
 */
import type { BackendName, MiiStatus, ObservedBond, ObservedSlave, SlaveState } from '../bond/backend.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { CHURN_STATES, LACP_PORT_STATE_BITS } from '../bond/options.js';
import type { JournalEntry } from '../state/journal.js';
import type { DhcpClientStatus } from '../dhcp/supervisor.js';
import type { StackView } from '../plan/stack-status.js';
import type { LacpPduDetails, ProcBond, ProcSlave } from '../sysfs/procfs.js';
import type { Context } from './commands/common.js';
import { CommandFailed } from './exit-codes.js';

/** One side of an LACP port (actor: this bond; partner: the switch), from /proc/net/bonding. */
export interface LacpPortView {
  systemPriority: number | null;
  systemMac: string | null;
  /** Actor: port key; partner: oper key. */
  key: number | null;
  portPriority: number | null;
  portNumber: number | null;
  /** LACP port state byte. */
  portState: number | null;
  /** Names of the set bits of portState (active, short_timeout, aggregating, in_sync, ...). */
  portStateFlags: string[];
}

/** 802.3ad details of one slave. */
export interface LacpSlaveView {
  aggregatorId: number | null;
  actorChurnState: string | null;
  partnerChurnState: string | null;
  actorChurnedCount: number | null;
  partnerChurnedCount: number | null;
  /** Null without CAP_NET_ADMIN (the kernel prints no LACPDU details then). */
  actor: LacpPortView | null;
  partner: LacpPortView | null;
}

export interface SlaveView {
  name: string;
  /** Interface index. */
  index: number;
  state: SlaveState;
  /** The bond's view of the link: up, down, going-down (in downdelay), going-back (in updelay). */
  mii: MiiStatus;
  /** The NIC's own carrier. */
  carrier: boolean;
  speedMbps: number | null;
  duplex: 'full' | 'half' | null;
  linkFailureCount: number;
  permMac: string | null;
  queueId: number;
  /** Per-slave options as the kernel reports them (queue_id always; prio, actor_port_prio over netlink). */
  options: Record<string, OptionValue>;
  /** 802.3ad only, else null. */
  lacp: LacpSlaveView | null;
}

export interface AggregatorView {
  aggregatorId: number;
  numPorts: number;
  actorKey: number;
  partnerKey: number;
  partnerMac: string;
}

/** The full kernel view of one bond (`bondctl show --json`). */
export interface BondView {
  name: string;
  index: number;
  mode: BondMode;
  /** Administratively up. */
  up: boolean;
  /** The bond's carrier ("MII Status" in /proc/net/bonding). */
  carrier: boolean;
  mtu: number;
  mac: string;
  activeSlave: string | null;
  primary: string | null;
  /** Every option the kernel reports, canonical names from the option table (mode excluded). */
  options: Record<string, OptionValue>;
  /** 802.3ad only, else null. */
  lacp: {
    /** The LACP system identity in use (ad_actor_system 00:00:00:00:00:00 means the bond's MAC). */
    systemPriority: number | null;
    systemMac: string | null;
    /** Null when no aggregator is active. */
    activeAggregator: AggregatorView | null;
  } | null;
  slaves: SlaveView[];
  /** Which backend read the bond; /proc/net/bonding is read too when it exists. */
  source: { backend: BackendName; procfs: boolean };
}

/** What bondd adds to a bond's status. */
export interface BonddBondView {
  configured: boolean;
  backend: string | null;
  /** Null when the bond is not in bondd's configuration. */
  drift: { policy: string; differences: string[] } | null;
  pendingSlaves: string[];
  lastFailover: JournalEntry | null;
}

/** `bondctl status --json`. */
export interface StatusView {
  bondd: { running: boolean; note: string | null };
  /**
   * `stack`: VLANs on the bond and bridges on it or them (null when bondd does not run: the
   * stack is read by bondd). `dhcp`: the DHCP clients on those layers and their leases.
   */
  bonds: Array<{ name: string; kernel: BondView | null; bondd: BonddBondView | null; stack?: StackView | null; dhcp?: DhcpClientStatus[] }>;
}

/** `bondctl list --json`. */
export interface ListView {
  bonds: Array<{
    name: string;
    mode: BondMode;
    /** up: admin up with carrier; no-carrier: admin up without; down: admin down. */
    state: 'up' | 'no-carrier' | 'down';
    activeSlave: string | null;
    slaves: number;
    slavesUp: number;
  }>;
}

/** What bondd's `status` method returns per bond (src/daemon/daemon.ts BondStatus). */
export interface DaemonBondStatus {
  name: string;
  configured: boolean;
  backend: string | null;
  drift: { policy: string; differences: string[] } | null;
  pendingSlaves: string[];
  lastFailover: JournalEntry | null;
  kernel: ObservedBond | null;
  /** The layers above the bond (VLANs, bridges) with addresses, leases and carrier. */
  stack?: StackView;
  /** DHCP clients bondd runs on the stack's layers. */
  dhcp?: DhcpClientStatus[];
}

/* ---------------------------------------------------------------------------------------------- */
/* Building views                                                                                 */

export function portStateFlags(state: number | null | undefined): string[] {
  if (state === null || state === undefined || !Number.isFinite(state)) return [];
  return LACP_PORT_STATE_BITS.filter((bit) => (state & bit.value) !== 0).map((bit) => bit.name);
}

const num = (n: number | undefined | null): number | null => (n === undefined || n === null || !Number.isFinite(n) ? null : n);

function portView(pdu: LacpPduDetails | undefined, fallbackState: number | null | undefined): LacpPortView | null {
  if (!pdu) {
    if (fallbackState === null || fallbackState === undefined) return null;
    return { systemPriority: null, systemMac: null, key: null, portPriority: null, portNumber: null, portState: fallbackState, portStateFlags: portStateFlags(fallbackState) };
  }
  const state = num(pdu.portState) ?? num(fallbackState);
  return {
    systemPriority: num(pdu.systemPriority),
    systemMac: pdu.systemMac ?? null,
    key: num(pdu.key),
    portPriority: num(pdu.portPriority),
    portNumber: num(pdu.portNumber),
    portState: state,
    portStateFlags: portStateFlags(state),
  };
}

const churnName = (n: number | null | undefined): string | null => (n === null || n === undefined ? null : (CHURN_STATES[n] ?? String(n)));

function slaveView(slave: ObservedSlave, proc: ProcSlave | undefined, lacp: boolean): SlaveView {
  const queueId = typeof slave.options['queue_id'] === 'number' ? slave.options['queue_id'] : (proc?.queueId ?? 0);
  return {
    name: slave.name,
    index: slave.index,
    state: slave.state,
    mii: slave.mii,
    carrier: slave.carrier,
    speedMbps: slave.speedMbps,
    duplex: slave.duplex,
    linkFailureCount: slave.linkFailureCount,
    permMac: slave.permMac,
    queueId,
    options: { ...slave.options },
    lacp: lacp
      ? {
          aggregatorId: slave.ad?.aggregatorId ?? (proc?.aggregatorId === undefined ? null : proc.aggregatorId),
          actorChurnState: proc?.actorChurnState ?? churnName(slave.ad?.actorChurnState),
          partnerChurnState: proc?.partnerChurnState ?? churnName(slave.ad?.partnerChurnState),
          actorChurnedCount: num(proc?.actorChurnedCount),
          partnerChurnedCount: num(proc?.partnerChurnedCount),
          actor: portView(proc?.actor, slave.ad?.actorOperPortState),
          partner: portView(proc?.partner, slave.ad?.partnerOperPortState),
        }
      : null,
  };
}

/** The view of a bond from the backend's reading and, when readable, /proc/net/bonding. */
export function bondView(observed: ObservedBond, proc: ProcBond | null, backend: BackendName): BondView {
  const lacp = observed.mode === '802.3ad';
  const procSlaves = new Map((proc?.slaves ?? []).map((s) => [s.name, s]));
  const aggregator = observed.ad ?? (proc?.ad?.activeAggregator && Number.isFinite(proc.ad.activeAggregator.aggregatorId)
    ? {
        aggregatorId: proc.ad.activeAggregator.aggregatorId,
        numPorts: proc.ad.activeAggregator.numberOfPorts,
        actorKey: proc.ad.activeAggregator.actorKey,
        partnerKey: proc.ad.activeAggregator.partnerKey,
        partnerMac: proc.ad.activeAggregator.partnerMac,
      }
    : null);
  const sysPrio = observed.options['ad_actor_sys_prio'];
  return {
    name: observed.name,
    index: observed.index,
    mode: observed.mode,
    up: observed.up,
    carrier: observed.carrier,
    mtu: observed.mtu,
    mac: observed.mac,
    activeSlave: observed.activeSlave,
    primary: observed.primary,
    options: { ...observed.options },
    lacp: lacp
      ? {
          systemPriority: num(proc?.ad?.systemPriority) ?? (typeof sysPrio === 'number' ? sysPrio : null),
          systemMac: proc?.ad?.systemMac ?? null,
          activeAggregator: aggregator ? { ...aggregator } : null,
        }
      : null,
    slaves: observed.slaves.map((s) => slaveView(s, procSlaves.get(s.name), lacp)),
    source: { backend, procfs: proc !== null },
  };
}

export function listView(bonds: readonly BondView[]): ListView {
  return {
    bonds: bonds.map((b) => ({
      name: b.name,
      mode: b.mode,
      state: !b.up ? 'down' : b.carrier ? 'up' : 'no-carrier',
      activeSlave: b.activeSlave,
      slaves: b.slaves.length,
      slavesUp: b.slaves.filter((s) => s.mii === 'up').length,
    })),
  };
}

/* ---------------------------------------------------------------------------------------------- */
/* Gathering                                                                                      */

/**
 * Reads bonds from the kernel: every bond, or the ones named (a named bond that does not exist
 * is a CommandFailed). Bonds are read one after another: each read is a handful of small files
 * and a concurrent storm of reads gains nothing.
 */
export async function readKernel(ctx: Context, backendName: BackendName, names?: readonly string[]): Promise<BondView[]> {
  const backend = await ctx.backend(backendName);
  const wanted = names ?? (await backend.listBonds()).sort();
  const views: BondView[] = [];
  for (const name of wanted) {
    const [observed, proc] = await Promise.all([backend.readBond(name), ctx.deps.readProc(name)]);
    if (!observed) {
      if (names) throw new CommandFailed(`${name}: no such bond`);
      continue; // deleted while we were reading
    }
    views.push(bondView(observed, proc, backendName));
  }
  return views;
}

const DAEMON_TIMEOUT_MS = 5000;

/**
 * `status`: the kernel view of every bond (or one), plus bondd's knowledge when it runs. Without
 * bondd the kernel view is complete and the note says what is missing.
 */
export async function gatherStatus(ctx: Context, bond: string | undefined, backendName: BackendName = 'sysfs'): Promise<StatusView> {
  const daemonCall = ctx
    .daemon<DaemonBondStatus[]>('status', bond ? { bond } : {}, { timeoutMs: DAEMON_TIMEOUT_MS })
    .then(
      (result) => ({ result, error: null as unknown }),
      (error: unknown) => ({ result: null, error }),
    );
  const kernelCall = (async () => {
    const backend = await ctx.backend(backendName);
    const names = bond ? [bond] : (await backend.listBonds()).sort();
    const out = new Map<string, BondView>();
    for (const name of names) {
      const [observed, proc] = await Promise.all([backend.readBond(name), ctx.deps.readProc(name)]);
      if (observed) out.set(name, bondView(observed, proc, backendName));
    }
    return out;
  })();
  const [kernel, daemon] = await Promise.all([kernelCall, daemonCall]);

  let note: string | null = null;
  let running = false;
  const daemonBonds = new Map<string, DaemonBondStatus>();
  if (daemon.result) {
    running = true;
    for (const b of daemon.result) daemonBonds.set(b.name, b);
  } else if ((daemon.error as Error | null)?.name === 'DaemonUnavailable') {
    note = 'bondd is not running: showing kernel state only';
  } else if ((daemon.error as Error | null)?.name === 'DaemonPermissionDenied') {
    note = `${(daemon.error as Error).message}: showing kernel state only`;
  } else if ((daemon.error as { code?: string } | null)?.code === 'ENODEV' && bond) {
    // bondd answers ENODEV for a bond it neither configures nor sees; the kernel read decides.
    running = true;
  } else {
    const message = (daemon.error as Error | null)?.message ?? 'no answer';
    note = `bondd did not answer (${message}): showing kernel state only`;
  }

  const names = [...new Set([...kernel.keys(), ...daemonBonds.keys()])].sort();
  if (bond && names.length === 0) throw new CommandFailed(`${bond}: no such bond${running ? ', configured or in the kernel' : ''}`);
  return {
    bondd: { running, note },
    bonds: names.map((name) => {
      const d = daemonBonds.get(name);
      const fromKernel = kernel.get(name) ?? null;
      return {
        name,
        // bondd may manage another namespace than ours (bondd --netns): then its reading is the one.
        kernel: fromKernel ?? (d?.kernel ? bondView(d.kernel, null, 'netlink') : null),
        bondd: d
          ? {
              configured: d.configured,
              backend: d.backend,
              drift: d.drift,
              pendingSlaves: d.pendingSlaves ?? [],
              lastFailover: d.lastFailover ?? null,
            }
          : running
            ? { configured: false, backend: null, drift: null, pendingSlaves: [], lastFailover: null }
            : null,
        stack: d?.stack ?? null,
        dhcp: d?.dhcp ?? [],
      };
    }),
  };
}
