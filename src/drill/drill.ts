/**
 * The failover drill: build a bond in a lab of namespaces, send a probe stream through it, break
 * its links one way after another, and measure what an application would have seen.
 *
 *   topo.host namespace                          topo.sw namespace
 *   bond0 192.0.2.1/24 ─┬─ eth0 ── veth ── port0 ─┬─ sw0 bridge 192.0.2.254/24  (reflector)
 *    (probe stream)     └─ eth1 ── veth ── port1 ─┘
 *
 * For 802.3ad there is no bridge: the ports are enslaved to an 802.3ad partner bond (partner0,
 * 192.0.2.254/24, lacp_rate fast) and the drill waits until LACP has negotiated.
 *
 * Sequence (defaultFaults): carrier loss on the active NIC (its switch port goes down), restore
 * (failback to the primary after updelay), carrier loss on a backup NIC (no loss expected in
 * active-backup), restore, flapping of the active NIC (down/up faster than updelay), and last the
 * active NIC deleted (deletion cannot be undone, so it ends the run). Modes without an active
 * slave (balance-rr, balance-xor, broadcast, 802.3ad) hit the first NIC, then the second.
 *
 * How it measures:
 * - The probe agent (probe.ts) streams UDP probes from bond0 to a reflector behind the switch;
 *   analysis.ts turns the echoes and our events into per-fault loss and downtime.
 * - Faults are made in-process over rtnetlink (a netlink socket inside the switch namespace sets
 *   the port down/up; one inside the host namespace deletes a NIC). Spawning `ip` would take
 *   ~0.3 s in the test VM and blur the fault time; the request takes about a millisecond. The
 *   fault's time is stamped just before the request.
 * - Clocks: the drill's events and the agent's probes are stamped by two processes. Each one's
 *   epoch clock (nowMs()) is off real time by a constant that can reach tens of ms under
 *   emulation; the agent runs through clocked-agent.ts, which reports its error, and both are
 *   corrected, so faults line up with the loss they cause.
 * - RTNLGRP_LINK in the host namespace (LinkWatcher + LinkCache, as bondd itself watches) gives
 *   the bond's own view, stamped on arrival: the NIC's carrier edge (nic-carrier-off/on), the
 *   bond's MII verdict on the slave (mii-down/up: detection), the active slave changing
 *   (failover/failback), the slave disappearing (nic-gone).
 * - Neighbour entries are pinned (nud permanent) on both sides: carrier loss flushes dynamic
 *   entries and the next probes would wait for ARP (~1 s), which measures ARP, not the bond.
 * - The stream is bounded in count (the planned run with a wide margin) and in time, and is
 *   stopped once the last fault has settled.
 *
 * Everything made here (namespaces with the bond and NICs, agents, sockets) is removed in
 * `finally`, and by the namespace/agent exit hooks if the process dies.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { release, setPriority, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

import type { BondBackend, ObservedBond } from '../bond/backend.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { failoverOptions } from '../bond/options.js';
import type { LinkChange } from '../state/link-cache.js';
import { u32 } from '../netlink/attributes.js';
import { IFLA_LINK, RTM_DELLINK, RTM_NEWLINK } from '../netlink/constants.js';
import { bridgeInfoData, vlanInfoData } from '../netlink/stack.js';
import { linkRequest, type LinkMessage } from '../netlink/link.js';
import type { LinkWatcher, Rtnl } from '../netlink/rtnl.js';
import type { Namespace } from '../netns/namespace.js';
import type { Topology } from '../netns/topology.js';
import { analyze, type DrillAnalysis, type DrillEvent } from './analysis.js';
import { nowMs, type PacingMode, type ProbeHandle, type ProbeResult, type ReflectorHandle } from './probe.js';
import { buildReport, type DrillReport, type FaultStepKind, type InjectedFault } from './report.js';
import { CLOCK_FILE_VAR, epochError } from './clocked-agent.js';
import { renderTimeline } from './svg.js';

export type { DrillReport, FaultStepKind } from './report.js';

export const DRILL_MODES: readonly BondMode[] = [
  'active-backup',
  'balance-rr',
  'balance-xor',
  'broadcast',
  'balance-tlb',
  'balance-alb',
  '802.3ad',
];
/** Modes with one active slave chosen by the bond (and a `primary` option). */
const ACTIVE_SLAVE_MODES: ReadonlySet<BondMode> = new Set(['active-backup', 'balance-tlb', 'balance-alb']);
export const FAULT_STEPS: readonly FaultStepKind[] = ['carrier-loss', 'backup-loss', 'restore', 'flap', 'nic-delete'];

export const BOND = 'bond0';
export const PARTNER_BOND = 'partner0';
export const HOST_ADDRESS = '192.0.2.1';
export const SWITCH_ADDRESS = '192.0.2.254';
/** The bridge `--bridge` puts on the bond or its VLAN. */
export const DRILL_BRIDGE = 'drillbr0';
const PREFIX = 24;
const REFLECTOR_PORT = 7007;
/** Scheduling priority of the probe agent (nice value). */
const PROBE_NICE = -10;
/** The probe's source port is fixed so the tc reflector can address the echo. */
const PROBE_PORT = 7008;

export const LIMITS = {
  nics: [1, 8],
  miimon: [10, 2000],
  delay: [0, 10_000],
  rate: [50, 20_000],
  settleMs: [200, 30_000],
} as const;

/** One step of the sequence: a kind, or a kind with its NIC and (for flap) pattern. */
export type FaultStep =
  | FaultStepKind
  | { step: FaultStepKind; nic?: string; times?: number; intervalMs?: number };

export interface DrillOptions {
  mode?: BondMode;
  /** NICs (veth pairs) in the bond. Default 2. */
  nics?: number;
  /** Default 100 ms. */
  miimon?: number;
  /** Default 2 × miimon, so restoring the primary shows a measurable failback. */
  updelay?: number;
  /** Default 0. */
  downdelay?: number;
  /** Probes per second. Default 1000. */
  rate?: number;
  /** Default: defaultFaults(mode, nics). */
  faults?: FaultStep[];
  onProgress?: (message: string) => void;
  /** Minimum time from one fault to the next. Default 1000 ms. */
  settleMs?: number;
  /** Probe pacing (probe.ts). Default 'sleep': accurate sends without a busy core. */
  pacing?: PacingMode;
  /**
   * An echo later than this counts as lost (analysis.ts). Default 250 ms; 1000 ms inside the
   * test VM, where a starved probe agent delays echoes by hundreds of ms that no link lost.
   */
  lateAfterMs?: number;
  /** Steady stream before the first fault. Default 1000 ms; 3000 ms inside the test VM (V8 warm-up). */
  warmupMs?: number;
  /**
   * Who echoes the probes in the switch namespace. tc: the kernel (a tc ingress filter on the
   * switch's address rewrites each probe into its echo and sends it back through the switch);
   * agent: the UDP reflector agent (probe.ts). auto (default): tc, or the agent when tc's
   * flower/pedit/csum/mirred are not available.
   */
  reflector?: 'auto' | 'tc' | 'agent';
  /** Aborting ends the fault sequence early; the report covers what ran. */
  signal?: AbortSignal;
  /**
   * Run the probe stream over 802.1Q VLAN `vlan` on the bond (bond0.ID, tagged up to the switch,
   * whose VLAN device answers), so the drill shows the bond's stack surviving failover.
   */
  vlan?: number;
  /** Put a bridge (drillbr0) on the VLAN (or on the bond) and probe through it. */
  bridge?: boolean;
}

export interface NormalizedDrillOptions {
  mode: BondMode;
  nics: number;
  miimon: number;
  updelay: number;
  downdelay: number;
  rate: number;
  settleMs: number;
  pacing: PacingMode;
  lateAfterMs: number;
  warmupMs: number;
  reflector: 'auto' | 'tc' | 'agent';
  faults: Array<{ step: FaultStepKind; nic?: string; times?: number; intervalMs?: number }>;
  vlan: number | null;
  bridge: boolean;
}

/** Invalid drill options (bad input: nothing was built). */
export class DrillOptionError extends Error {
  override name = 'DrillOptionError';
}

/** The drill could not run (setup failed, the bond never came up, an agent failed). */
export class DrillError extends Error {
  override name = 'DrillError';
}

export function hasActiveSlave(mode: BondMode): boolean {
  return ACTIVE_SLAVE_MODES.has(mode);
}

/** The standard sequence for a mode and NIC count. */
export function defaultFaults(mode: BondMode, nics: number): FaultStepKind[] {
  void mode; // the targets, not the steps, depend on the mode (see resolveTarget)
  if (nics < 2) return ['carrier-loss', 'restore', 'flap'];
  return ['carrier-loss', 'restore', 'backup-loss', 'restore', 'flap', 'nic-delete'];
}

function intIn(name: string, value: number | undefined, fallback: number, [min, max]: readonly [number, number]): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new DrillOptionError(`${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
  return v;
}

/** Checks and completes drill options; throws DrillOptionError naming the bad one. */
export function normalizeDrillOptions(options: DrillOptions = {}): NormalizedDrillOptions {
  const mode = options.mode ?? 'active-backup';
  if (!DRILL_MODES.includes(mode)) throw new DrillOptionError(`mode must be one of ${DRILL_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
  const nics = intIn('nics', options.nics, 2, LIMITS.nics);
  const miimon = intIn('miimon', options.miimon, 100, LIMITS.miimon);
  const updelay = intIn('updelay', options.updelay, 2 * miimon, LIMITS.delay);
  const downdelay = intIn('downdelay', options.downdelay, 0, LIMITS.delay);
  // The kernel rounds delays down to a multiple of miimon (with a warning in dmesg); the drill
  // would then report a different delay than asked for.
  for (const [name, v] of [['updelay', updelay], ['downdelay', downdelay]] as const) {
    if (v % miimon !== 0) throw new DrillOptionError(`${name} ${v} must be a multiple of miimon ${miimon} (the kernel rounds it down)`);
  }
  const rate = intIn('rate', options.rate, 1000, LIMITS.rate);
  const settleMs = intIn('settleMs', options.settleMs, 1000, LIMITS.settleMs);
  const pacing = options.pacing ?? 'sleep';
  if (!['spin', 'sleep', 'timer'].includes(pacing)) throw new DrillOptionError(`pacing must be spin, sleep or timer, not ${JSON.stringify(pacing)}`);
  const inGuest = process.env['BONDD_IN_GUEST'] === '1';
  const lateAfterMs = intIn('lateAfterMs', options.lateAfterMs, inGuest ? 1000 : 250, [10, 10_000]);
  const warmupMs = intIn('warmupMs', options.warmupMs, inGuest ? 3000 : 1000, [0, 60_000]);
  const reflector = options.reflector ?? 'auto';
  if (!['auto', 'tc', 'agent'].includes(reflector)) throw new DrillOptionError(`reflector must be auto, tc or agent, not ${JSON.stringify(reflector)}`);
  const steps = options.faults ?? defaultFaults(mode, nics);
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > 20) throw new DrillOptionError('faults must list 1 to 20 steps');
  const faults = steps.map((s, i) => {
    const f = typeof s === 'string' ? { step: s } : { ...s };
    if (!FAULT_STEPS.includes(f.step)) throw new DrillOptionError(`faults[${i}]: unknown step ${JSON.stringify(f.step)} (use ${FAULT_STEPS.join(', ')})`);
    if (f.nic !== undefined && !/^eth\d{1,2}$/.test(f.nic)) throw new DrillOptionError(`faults[${i}]: nic must be eth0..eth${nics - 1}, not ${JSON.stringify(f.nic)}`);
    if (f.times !== undefined) intIn(`faults[${i}].times`, f.times, 3, [1, 20]);
    if (f.intervalMs !== undefined) intIn(`faults[${i}].intervalMs`, f.intervalMs, 150, [10, 5000]);
    return f;
  });
  const vlan = options.vlan === undefined ? null : intIn('vlan', options.vlan, 0, [1, 4094]);
  const bridge = options.bridge ?? false;
  if (typeof bridge !== 'boolean') throw new DrillOptionError('bridge must be true or false');
  return { mode, nics, miimon, updelay, downdelay, rate, settleMs, pacing, lateAfterMs, warmupMs, reflector, faults, vlan, bridge };
}

/** What runDrillWithData() gives besides the report: the raw stream and events, and the SVG. */
export interface DrillOutcome {
  report: DrillReport;
  probe: ProbeResult;
  events: DrillEvent[];
  analysis: DrillAnalysis;
  /** The timeline (svg.ts) of this run. */
  svg(): string;
}

/** Runs the drill and returns its report. */
export async function runDrill(options: DrillOptions = {}): Promise<DrillReport> {
  return (await runDrillWithData(options)).report;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `check` every `stepMs` until it is true or `timeoutMs` passed; returns whether it became true. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const maxRounds = Math.ceil(timeoutMs / stepMs) + 2;
  for (let round = 0; round < maxRounds; round++) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(stepMs, deadline - Date.now()));
  }
  return check();
}

/** 802.3ad port state "fully negotiated" with lacp_rate fast (activity, timeout, aggregation, sync, collecting, distributing). */
const LACP_UP = 63;

function lacpNegotiated(bond: ObservedBond | null, ports: number): boolean {
  return (
    bond !== null &&
    bond.ad !== null &&
    bond.ad.numPorts === ports &&
    bond.slaves.length === ports &&
    bond.slaves.every(
      (s) => s.ad?.aggregatorId === bond.ad!.aggregatorId && s.ad.actorOperPortState === LACP_UP && s.ad.partnerOperPortState === LACP_UP,
    )
  );
}

/** Options reported in the JSON: the ones that shape failover (the table's shapesFailover). */
const REPORTED_OPTIONS = failoverOptions().map((o) => o.name);

/** The drill's heavy modules, loaded only when a drill runs. */
type Modules = {
  Topology: typeof import('../netns/topology.js').Topology;
  Rtnl: typeof import('../netlink/rtnl.js').Rtnl;
  openBackend: typeof import('../backend/open-backend.js').openBackend;
  LinkCache: typeof import('../state/link-cache.js').LinkCache;
  probe: typeof import('./probe.js');
};

/** Everything one drill holds; the steps fill it in and `cleanUp` removes what is set. */
interface DrillRun {
  o: NormalizedDrillOptions;
  options: DrillOptions;
  mods: Modules;
  progress(message: string): void;
  warnings: string[];
  /** Problems of the lab, not of the bond (report.quality). */
  labProblems: string[];
  where: 'guest' | 'host';
  /** Real time (see clocked-agent.ts): our epoch clock corrected by its own error. */
  clock(): number;
  selfError: number;
  topo?: Topology;
  host?: BondBackend;
  partner?: BondBackend;
  rtnlHost?: Rtnl;
  rtnlSw?: Rtnl;
  watcher?: LinkWatcher;
  reflector?: ReflectorHandle;
  reflectorStart?: Promise<ReflectorHandle>;
  probe?: ProbeHandle;
  restoreRmem?: () => Promise<void>;
  clockDir?: string;
}

/** The lab once it is built and settled. */
interface Lab {
  topo: Topology;
  rtnlHost: Rtnl;
  rtnlSw: Rtnl;
  host: BondBackend;
  nics: string[];
  primary: string | null;
  lacp: boolean;
  /** The device carrying the probe address on each side: bond0 / sw0, or the VLAN or bridge above. */
  hostDevice: string;
  peerDevice: string;
  observed: ObservedBond;
  reflectorKind: 'tc' | 'agent';
}

/** The bond as RTNLGRP_LINK shows it during the drill. */
interface Watch {
  events: DrillEvent[];
  gone: Set<string>;
  activeNow(): string | null;
  miiOf(nic: string): number | undefined;
  slavesNow(): string[];
}

interface Stream {
  handle: ProbeHandle;
  firstProbe: number;
  agentError: number;
  udpBefore: Record<string, number> | null;
  setupMs: number;
  ended(): boolean;
}

export async function runDrillWithData(options: DrillOptions = {}): Promise<DrillOutcome> {
  const o = normalizeDrillOptions(options);
  const startedAt = new Date();
  const t0 = Date.now();
  const selfError = epochError();
  const [{ Topology }, { Rtnl }, { openBackend }, { LinkCache }, { ensureBondingLoaded }, probe] = await Promise.all([
    import('../netns/topology.js'),
    import('../netlink/rtnl.js'),
    import('../backend/open-backend.js'),
    import('../state/link-cache.js'),
    import('../sysfs/module.js'),
    import('./probe.js'),
  ]);
  // Fails early with a clear message when dist/ lacks the agent.
  probe.probeAgentPath();
  await ensureBondingLoaded();
  const run: DrillRun = {
    o,
    options,
    mods: { Topology, Rtnl, openBackend, LinkCache, probe },
    progress: (message) => options.onProgress?.(message),
    warnings: [],
    labProblems: [],
    where: process.env['BONDD_IN_GUEST'] === '1' ? 'guest' : 'host',
    clock: () => nowMs() - selfError,
    selfError,
  };
  try {
    const built = await buildLab(run);
    await waitReady(run, built);
    const lab = await pinAndReflect(run, built);
    const watch = await watchBond(run, lab);
    const stream = await startStream(run, lab, t0);
    const { injected, aborted } = await runSchedule(run, lab, watch, stream);
    return await analyseRun(run, lab, watch, stream, { injected, aborted, startedAt });
  } finally {
    await cleanUp(run);
  }
}

/** Namespaces, NICs, the bond (and its VLAN/bridge), the switch side. */
async function buildLab(run: DrillRun): Promise<Omit<Lab, 'observed' | 'reflectorKind'>> {
  const { o, mods } = run;
  const lacp = o.mode === '802.3ad';
  const stack = o.vlan !== null ? ` on VLAN ${o.vlan}${o.bridge ? ' through a bridge' : ''}` : o.bridge ? ' through a bridge' : '';
  run.progress(`building the lab: ${o.nics} NIC(s), ${lacp ? 'an 802.3ad partner bond' : 'a bridge'} on the switch side${stack}`);
  // With a VLAN the switch's address moves to its VLAN device.
  const topo = (run.topo = await mods.Topology.create({ nics: o.nics, bridge: !lacp, ...(o.vlan !== null ? { switchAddresses: [] } : {}) }));
  const nics = topo.nics.map((n) => n.name);
  const rtnlHost = (run.rtnlHost = mods.Rtnl.open({ netnsPath: topo.host.path, timeoutMs: 10_000 }));
  const rtnlSw = (run.rtnlSw = mods.Rtnl.open({ netnsPath: topo.sw.path, timeoutMs: 10_000 }));
  const host = (run.host = mods.openBackend('netlink', { netnsPath: topo.host.path }));

  const bondOptions: Record<string, OptionValue> = { miimon: o.miimon, updelay: o.updelay, downdelay: o.downdelay };
  if (lacp) Object.assign(bondOptions, { lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' });
  await host.createBond(BOND, o.mode, bondOptions);
  for (const nic of nics) await host.enslave(BOND, nic);
  const primary = hasActiveSlave(o.mode) ? nics[0]! : null;
  if (primary) await host.setOptions(BOND, { primary });
  await host.setUp(BOND, true);

  let peerBase = 'sw0';
  if (!lacp) {
    // A bridge takes the lowest MAC of its ports unless it was given one: deleting port0 (the
    // NIC-deleted fault) would change the switch's MAC under the host's pinned neighbour entry.
    // A real switch keeps its address, so pin it.
    const swMac = (await rtnlSw.getLink('sw0')).address;
    if (swMac) await rtnlSw.setLink({ name: 'sw0', address: swMac });
  } else {
    peerBase = PARTNER_BOND;
    const partner = (run.partner = mods.openBackend('netlink', { netnsPath: topo.sw.path }));
    await partner.createBond(PARTNER_BOND, '802.3ad', { miimon: o.miimon, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' });
    for (const nic of topo.nics) await partner.enslave(PARTNER_BOND, nic.port);
    await partner.setUp(PARTNER_BOND, true);
  }
  const hostDevice = await buildHostStack(rtnlHost, o);
  await rtnlHost.addAddress({ index: (await rtnlHost.getLink(hostDevice)).index, address: `${HOST_ADDRESS}/${PREFIX}` });
  let peerDevice = peerBase;
  if (o.vlan !== null) {
    peerDevice = `${peerBase}.${o.vlan}`;
    await rtnlSw.createLink({ name: peerDevice, kind: 'vlan', infoData: vlanInfoData(o.vlan), extra: [u32(IFLA_LINK, (await rtnlSw.getLink(peerBase)).index)] });
    await rtnlSw.setLink({ name: peerDevice, up: true });
  }
  if (o.vlan !== null || lacp) await rtnlSw.addAddress({ index: (await rtnlSw.getLink(peerDevice)).index, address: `${SWITCH_ADDRESS}/${PREFIX}` });
  // The agent needs only the switch address: it starts (a Node process, seconds in the VM)
  // while the bond settles.
  if (o.reflector === 'agent') run.reflectorStart = startAgentReflector(run, topo);
  return { topo, rtnlHost, rtnlSw, host, nics, primary, lacp, hostDevice, peerDevice };
}

/**
 * The bond's stack for `--vlan ID [--bridge]`: VLAN ID on bond0 (bond0.ID), and a bridge
 * (drillbr0) with the VLAN (or, without --vlan, the bond) as its only port. Returns the device
 * that carries the probe address: the top of the stack.
 */
async function buildHostStack(rtnl: Rtnl, o: NormalizedDrillOptions): Promise<string> {
  let top = BOND;
  if (o.vlan !== null) {
    top = `${BOND}.${o.vlan}`;
    await rtnl.createLink({ name: top, kind: 'vlan', infoData: vlanInfoData(o.vlan), extra: [u32(IFLA_LINK, (await rtnl.getLink(BOND)).index)] });
    await rtnl.setLink({ name: top, up: true });
  }
  if (o.bridge) {
    await rtnl.createLink({ name: DRILL_BRIDGE, kind: 'bridge', infoData: bridgeInfoData({ stp: false, forwardDelay: 0 }) });
    await rtnl.setLink({ name: top, master: (await rtnl.getLink(DRILL_BRIDGE)).index });
    await rtnl.setLink({ name: DRILL_BRIDGE, up: true });
    top = DRILL_BRIDGE;
  }
  return top;
}

function startAgentReflector(run: DrillRun, topo: Topology): Promise<ReflectorHandle> {
  const started = run.mods.probe.startReflector({ netns: topo.sw.name, bind: `${SWITCH_ADDRESS}:${REFLECTOR_PORT}`, maxSeconds: 600 });
  started.catch(() => undefined);
  return started;
}

/** Waits for the bond (and in 802.3ad both partners) to be up with every NIC. */
async function waitReady(run: DrillRun, lab: Omit<Lab, 'observed' | 'reflectorKind'>): Promise<void> {
  const { host, nics, primary, lacp } = lab;
  run.progress(lacp ? 'waiting for LACP to negotiate' : `waiting for ${BOND} to come up${primary ? ` with ${primary} active` : ''}`);
  const partner = run.partner;
  const ready = await until(
    async () => {
      const b = await host.readBond(BOND);
      if (!b || !b.carrier || b.slaves.length !== nics.length || !b.slaves.every((s) => s.mii === 'up')) return false;
      if (primary && b.activeSlave !== primary) return false;
      if (lacp) return lacpNegotiated(b, nics.length) && lacpNegotiated(await partner!.readBond(PARTNER_BOND), nics.length);
      return true;
    },
    lacp ? 90_000 : 30_000,
    lacp ? 250 : 50,
  );
  if (!ready) {
    const b = await host.readBond(BOND);
    throw new DrillError(
      `${BOND}: not ready in time (${lacp ? 'LACP did not negotiate' : 'slaves not all up'}; ` +
        `carrier ${b?.carrier}, active ${b?.activeSlave ?? 'none'}, slaves ${b?.slaves.map((s) => `${s.name} ${s.mii}`).join(', ')})`,
    );
  }
}

/** Pins the neighbours on both sides and starts the reflector. */
async function pinAndReflect(run: DrillRun, partial: Omit<Lab, 'observed' | 'reflectorKind'>): Promise<Lab> {
  const lab = { ...partial, observed: (await partial.host.readBond(BOND))!, reflectorKind: 'agent' } as Lab;
  const { topo, rtnlHost, rtnlSw, hostDevice, peerDevice } = lab;
  const peerMac = (await rtnlSw.getLink(peerDevice)).address;
  const hostMac = (await rtnlHost.getLink(hostDevice)).address;
  if (!peerMac || !hostMac) throw new DrillError(`${peerMac ? hostDevice : peerDevice}: no MAC address`);
  await topo.host.ip('neigh', 'replace', SWITCH_ADDRESS, 'lladdr', peerMac, 'dev', hostDevice, 'nud', 'permanent');
  await topo.sw.ip('neigh', 'replace', HOST_ADDRESS, 'lladdr', hostMac, 'dev', peerDevice, 'nud', 'permanent');
  if (run.o.reflector !== 'agent') {
    try {
      await startTcReflector(topo.sw, peerDevice, peerMac, hostMac);
      lab.reflectorKind = 'tc';
    } catch (error) {
      if (run.o.reflector === 'tc') throw new DrillError(`tc reflector: ${(error as Error).message}`);
      run.warnings.push(`tc reflector unavailable (${firstLine((error as Error).message)}); using the reflector agent`);
      run.reflectorStart = startAgentReflector(run, topo);
    }
  }
  return lab;
}

/** A journal-style change of the link cache as a drill event. */
function translate(c: LinkChange, t: number, ctx: { events: DrillEvent[]; gone: Set<string>; nics: string[]; primary: string | null }): void {
  const { events, gone, nics, primary } = ctx;
  const slave = c.slave;
  const data = c.data ?? {};
  switch (c.kind) {
    case 'carrier':
      if (slave) events.push({ t, kind: data['carrier'] ? 'nic-carrier-on' : 'nic-carrier-off', nic: slave });
      else if (c.bond === BOND) events.push({ t, kind: data['carrier'] ? 'bond-carrier-on' : 'bond-carrier-off', nic: BOND });
      break;
    case 'slave-mii':
      if (slave) events.push({ t, kind: `mii-${String(data['mii']).replace(' ', '-')}`, nic: slave });
      break;
    case 'failover': {
      const to = typeof data['to'] === 'string' ? data['to'] : (slave ?? '');
      const from = typeof data['from'] === 'string' ? data['from'] : null;
      const back = primary !== null && to === primary && from !== null && from !== primary;
      events.push({ t, kind: back ? 'failback' : 'failover', nic: to, newActive: to });
      break;
    }
    case 'no-active-slave':
      events.push({ t, kind: 'no-active-slave', nic: BOND });
      break;
    case 'slave-removed':
    case 'interface-removed':
      if (slave && nics.includes(slave) && !gone.has(slave)) {
        gone.add(slave);
        events.push({ t, kind: 'nic-gone', nic: slave });
      }
      break;
    case 'slave-state':
      // Without an active slave (802.3ad aggregators, ...) this is how a port leaves or joins.
      if (slave && !primary && c.bond === BOND) events.push({ t, kind: `slave-${String(data['state'])}`, nic: slave });
      break;
    default:
      break;
  }
}

/** RTNLGRP_LINK in the host namespace through a LinkCache, as bondd itself watches. */
async function watchBond(run: DrillRun, lab: Lab): Promise<Watch> {
  const cache = new run.mods.LinkCache();
  const ctx = { events: [] as DrillEvent[], gone: new Set<string>(), nics: lab.nics, primary: lab.primary };
  const pending: Array<{ m: LinkMessage; t: number }> = [];
  let loaded = false;
  const apply = (m: LinkMessage, t: number): void => {
    for (const change of cache.update(m, t)) translate(change, t, ctx);
  };
  const watcher = (run.watcher = lab.rtnlHost.subscribeLinks());
  watcher.on('link', (m) => {
    const t = run.clock();
    if (loaded) apply(m, t);
    else pending.push({ m, t });
  });
  watcher.on('overrun', () => {
    // Notifications were dropped: the dump shows the net effect, stamped now.
    run.warnings.push('netlink event overrun: some events are known only by their net effect');
    void lab.rtnlHost.getLinks().then(
      (links) => {
        const t = run.clock();
        for (const change of cache.resync(links, t)) translate(change, t, ctx);
      },
      () => undefined,
    );
  });
  cache.resync(await lab.rtnlHost.getLinks(), run.clock());
  loaded = true;
  for (const { m, t } of pending.splice(0)) apply(m, t);

  const indexOf = (name: string): number | undefined => cache.byName(name)?.index;
  return {
    events: ctx.events,
    gone: ctx.gone,
    activeNow: () => {
      const bond = cache.byName(BOND);
      if (!bond || bond.activeSlave === null || bond.activeSlave === undefined) return null;
      return cache.get(bond.activeSlave)?.name ?? null;
    },
    miiOf: (nic) => cache.byName(nic)?.mii,
    slavesNow: () => lab.nics.filter((n) => !ctx.gone.has(n) && cache.byName(n)?.master === indexOf(BOND)),
  };
}

/** Starts the probe agent on a fixed schedule (warm-up + one slot per fault). */
async function startStream(run: DrillRun, lab: Lab, t0: number): Promise<Stream> {
  const { o } = run;
  if (run.reflectorStart) run.reflector = await run.reflectorStart;
  run.restoreRmem = await enlargeReceiveBuffers(lab.topo.host, run.where === 'guest', run.warnings);
  const target = `${SWITCH_ADDRESS}:${REFLECTOR_PORT}`;
  // A fixed schedule: fault i is injected at warmup + the slots before it (ms after the first
  // probe), and the stream is exactly as long as the schedule. The agent then ends by its count
  // and drains its echoes for up to `drainMs`: under a loaded CPU echoes can sit in its socket
  // for a while, and stopping it early would count them as lost.
  const streamMs = o.warmupMs + o.faults.map((f) => slotMs(f, o)).reduce((x, y) => x + y, 0);
  const count = Math.ceil((o.rate * streamMs) / 1000);
  const drainMs = o.lateAfterMs + 1000;
  const maxSeconds = Math.ceil(streamMs / 1000 + drainMs / 1000) + 30;
  run.progress(
    `probes: ${o.rate} pps from ${HOST_ADDRESS} (${lab.hostDevice}) to ${target} (${lab.reflectorKind} reflector) for ${(streamMs / 1000).toFixed(1)} s, ` +
      `first fault after a ${o.warmupMs} ms warm-up`,
  );
  run.clockDir = await mkdtemp(join(tmpdir(), 'bondd-drill-'));
  const clockFile = join(run.clockDir, 'agent-clock');
  const agentPath = clockedAgentPath();
  if (!agentPath) run.warnings.push('dist/src/drill/clocked-agent.js is missing: the probe agent\'s clock error is not corrected');
  const savedClockVar = process.env[CLOCK_FILE_VAR];
  process.env[CLOCK_FILE_VAR] = clockFile;
  try {
    run.probe = run.mods.probe.runProbe({
      ...(agentPath ? { agentPath } : {}),
      netns: lab.topo.host.name,
      to: target,
      bind: `${HOST_ADDRESS}:${PROBE_PORT}`,
      rate: o.rate,
      count,
      maxSeconds,
      drainMs,
      pacing: o.pacing,
    });
  } finally {
    // The variable is only for the agent (spawn copied the environment).
    if (savedClockVar === undefined) delete process.env[CLOCK_FILE_VAR];
    else process.env[CLOCK_FILE_VAR] = savedClockVar;
  }
  const handle = run.probe;
  // The agent's pace is the drill's clock: ahead of this process (which decodes the netlink
  // burst every fault causes just when the agent must keep sending) and of other work on a
  // small machine. Best effort: needs CAP_SYS_NICE.
  try {
    setPriority(handle.pid, PROBE_NICE);
  } catch {
    /* not allowed: the quality check will tell if it mattered */
  }
  const firstStarted = await handle.started;
  // Written by clocked-agent.js before the agent started sending.
  const agentError = await readFile(clockFile, 'utf8').then(
    (text) => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : 0),
    () => 0,
  );
  const udpBefore = await udpCounters(handle.pid);
  let ended = false;
  void handle.done.then(
    () => void (ended = true),
    () => void (ended = true),
  );
  return { handle, firstProbe: firstStarted - agentError, agentError, udpBefore, setupMs: Date.now() - t0, ended: () => ended };
}

/** The NIC a fault hits when the sequence does not name one. */
function chooseNic(step: FaultStepKind, watch: Watch, lab: Lab, cut: readonly string[]): { nic: string | undefined; active: string | null; slaves: string[] } {
  const slaves = watch.slavesNow();
  const active = lab.primary ? watch.activeNow() : null;
  const usable = slaves.filter((n) => !cut.includes(n) && watch.miiOf(n) === 0);
  switch (step) {
    case 'carrier-loss':
    case 'flap':
    case 'nic-delete':
      return { nic: active ?? usable[0], active, slaves };
    case 'backup-loss':
      return { nic: usable.filter((n) => n !== (active ?? usable[0]))[0], active, slaves };
    case 'restore':
      return { nic: cut[cut.length - 1], active, slaves };
  }
}

/** Makes one fault over rtnetlink (requests encoded before the time is stamped). */
async function injectFault(run: DrillRun, lab: Lab, f: NormalizedDrillOptions['faults'][number], nic: string, times: number, intervalMs: number, cut: string[]): Promise<{ t: number; injectMs: number }> {
  const port = lab.topo.nic(nic).port;
  // Under emulation the encoding alone takes milliseconds, and the kernel acts only once the
  // message is sent.
  const down = linkRequest({ name: port, up: false });
  const up = linkRequest({ name: port, up: true });
  const del = linkRequest({ name: nic });
  const send = (rtnl: Rtnl, type: number, payload: Buffer) => rtnl.request(type, 0, payload);
  const t = run.clock();
  switch (f.step) {
    case 'carrier-loss':
    case 'backup-loss':
      await send(lab.rtnlSw, RTM_NEWLINK, down);
      cut.push(nic);
      break;
    case 'restore':
      await send(lab.rtnlSw, RTM_NEWLINK, up);
      cut.splice(cut.indexOf(nic), 1);
      break;
    case 'flap':
      for (let k = 0; k < times; k++) {
        await send(lab.rtnlSw, RTM_NEWLINK, down);
        await sleep(intervalMs);
        await send(lab.rtnlSw, RTM_NEWLINK, up);
        if (k + 1 < times) await sleep(intervalMs);
      }
      break;
    case 'nic-delete': {
      // Both veth ends go: the NIC disappears (hot unplug, driver unbind).
      await send(lab.rtnlHost, RTM_DELLINK, del);
      const at = lab.topo.nics.findIndex((n) => n.name === nic);
      if (at >= 0) lab.topo.nics.splice(at, 1);
      if (cut.includes(nic)) cut.splice(cut.indexOf(nic), 1);
      break;
    }
  }
  return { t, injectMs: run.clock() - t };
}

/** Within a fault's slot: waits for the bond's reaction (shown in progress and the report). */
async function awaitReaction(run: DrillRun, lab: Lab, watch: Watch, step: FaultStepKind, nic: string, cut: readonly string[], left: () => number): Promise<boolean> {
  const { primary } = lab;
  if (step === 'carrier-loss' || step === 'backup-loss') return until(() => watch.miiOf(nic) === 2, left());
  if (step === 'restore' || step === 'flap') {
    const back = await until(() => watch.miiOf(nic) === 0 && (primary === null || nic !== primary || watch.activeNow() === primary), left());
    if (!lab.lacp || !back) return back;
    const ports = (): number => watch.slavesNow().filter((n) => !cut.includes(n)).length;
    return until(async () => lacpNegotiated(await lab.host.readBond(BOND), ports()), left(), 250);
  }
  return until(() => watch.gone.has(nic) && (primary === null || watch.activeNow() !== null), left());
}

/** The fault sequence, each fault at its slot of the schedule. */
async function runSchedule(run: DrillRun, lab: Lab, watch: Watch, stream: Stream): Promise<{ injected: InjectedFault[]; aborted: boolean }> {
  const { o } = run;
  const slots = o.faults.map((f) => slotMs(f, o));
  const injected: InjectedFault[] = [];
  const cut: string[] = []; // NICs whose port is down, most recent last
  let slotStart = stream.firstProbe + o.warmupMs;
  for (let i = 0; i < o.faults.length; i++) {
    const f = o.faults[i]!;
    const slotEnd = slotStart + slots[i]!;
    await sleep(slotStart - run.clock());
    slotStart = slotEnd;
    if (run.options.signal?.aborted) {
      run.warnings.push(`aborted before fault ${i + 1}`);
      stream.handle.stop();
      return { injected, aborted: true };
    }
    if (stream.ended()) {
      run.labProblems.push(`the probe stream ended before fault ${i + 1} (${f.step}); the rest was skipped`);
      break;
    }
    const lateBy = run.clock() - (slotEnd - slots[i]!);
    if (lateBy > 100) run.labProblems.push(`fault ${i + 1} (${f.step}) was injected ${lateBy.toFixed(0)} ms late (busy CPU)`);
    const chosen = chooseNic(f.step, watch, lab, cut);
    const nic = f.nic ?? chosen.nic;
    const { active } = chosen;
    if (nic === undefined || !chosen.slaves.includes(nic)) {
      run.warnings.push(`fault ${i + 1} (${f.step}) skipped: no ${f.step === 'restore' ? 'NIC to restore' : 'suitable NIC'}${nic ? ` (${nic} is not a slave)` : ''}`);
      continue;
    }
    const times = f.times ?? 3;
    const intervalMs = f.intervalMs ?? flapIntervalMs(o.miimon);
    const label = {
      'carrier-loss': `carrier loss ${nic}${active === nic ? ' (active)' : ''}`,
      'backup-loss': `carrier loss ${nic} (${lab.primary ? 'backup' : 'second NIC'})`,
      restore: `restore ${nic}`,
      flap: `flap ${nic} ${times}x ${intervalMs} ms`,
      'nic-delete': `delete ${nic}${active === nic ? ' (active)' : ''}`,
    }[f.step];
    const kind = f.step === 'backup-loss' ? 'carrier-loss' : f.step;
    run.progress(`fault ${i + 1}/${o.faults.length}: ${label}`);
    const { t, injectMs } = await injectFault(run, lab, f, nic, times, intervalMs, cut);
    const fault: InjectedFault = { step: f.step, kind, label, nic, t, injectMs, activeBefore: active, activeAfter: null };
    injected.push(fault);
    watch.events.push({ t, kind, nic, label });
    const reacted = await awaitReaction(run, lab, watch, f.step, nic, cut, () => slotEnd - 100 - run.clock());
    if (!reacted) run.warnings.push(`fault ${i + 1} (${label}): the bond had not settled by the end of its ${slots[i]} ms slot`);
    await sleep(slotEnd - 50 - run.clock());
    fault.activeAfter = lab.primary ? watch.activeNow() : null;
  }
  return { injected, aborted: false };
}

/** Collects the stream, analyses it against the events and builds the report. */
async function analyseRun(run: DrillRun, lab: Lab, watch: Watch, stream: Stream, r: { injected: InjectedFault[]; aborted: boolean; startedAt: Date }): Promise<DrillOutcome> {
  const { o } = run;
  const fullRaw = await stream.handle.done;
  const full: ProbeResult = { ...fullRaw, startMs: fullRaw.startMs - stream.agentError };
  run.probe = undefined;
  const endedAt = run.clock();
  // The agent has exited; a process inside the namespace reads its counters.
  const udpAfter = stream.udpBefore ? parseUdpCounters((await lab.topo.host.exec('cat', ['/proc/net/snmp']).catch(() => ({ stdout: '' }))).stdout) : null;
  const rcvbufErrors = stream.udpBefore && udpAfter ? (udpAfter['RcvbufErrors'] ?? 0) - (stream.udpBefore['RcvbufErrors'] ?? 0) : null;
  if (full.stoppedBy !== 'count' && !r.aborted) run.labProblems.push(`the probe stream ended early (${full.stoppedBy})`);
  if (full.received === 0) {
    throw new DrillError(`no probe came back at all (${lab.reflectorKind} reflector); try --reflector agent, and check that ${lab.hostDevice} passes traffic`);
  }
  // Counted: the last BASELINE_MS of the warm-up (the calm before the first fault) to the end.
  // The rest of the warm-up is the agent's start-up (V8 compiling its loop), not the bond.
  const countFrom = stream.firstProbe + Math.max(0, o.warmupMs - BASELINE_MS);
  const result = sliceProbe(full, countFrom, r.aborted ? endedAt - o.lateAfterMs : Infinity);
  await run.reflector?.stop().catch(() => undefined);
  run.reflector = undefined;
  run.reflectorStart = undefined;
  run.watcher?.close();
  run.watcher = undefined;
  // A fault's window opens a little before its stamp: a probe is stamped when the agent hands
  // it to the kernel, and on a starved machine it can sit in socket and backlog queues for
  // tens of ms before it reaches the NIC, so the first probes a fault kills may carry stamps
  // from before the fault (seen in the VM: up to ~40 ms). rttBeforeMs in the report shows it.
  const analysis = analyze(result, watch.events, { lateAfterMs: o.lateAfterMs, slackMs: run.where === 'guest' ? 100 : 5 });
  const report = buildReport({
    startedAt: r.startedAt,
    finishedAt: new Date(),
    setupMs: stream.setupMs,
    kernel: release(),
    node: process.version,
    where: run.where,
    bond: {
      name: BOND,
      mode: o.mode,
      slaves: lab.nics,
      miimon: o.miimon,
      updelay: o.updelay,
      downdelay: o.downdelay,
      primary: lab.primary,
      options: Object.fromEntries(REPORTED_OPTIONS.filter((k) => k in lab.observed.options).map((k) => [k, lab.observed.options[k]!])),
      ...(lab.hostDevice !== BOND ? { stack: { vlan: o.vlan, bridge: o.bridge ? DRILL_BRIDGE : null, device: lab.hostDevice } } : {}),
    },
    probe: {
      from: HOST_ADDRESS,
      to: result.to,
      rateHz: result.rateHz,
      count: result.count,
      sent: result.sent,
      pacing: result.pacing.mode,
      stoppedBy: result.stoppedBy,
      reflector: lab.reflectorKind,
      rcvbufErrors,
      sendErrors: full.sendErrors,
      warmupMs: o.warmupMs,
      warmupProbes: full.sent - result.sent,
      pacingLateP99Ms: Math.round(full.pacing.lateP99Us) / 1000,
      clockCorrectionMs: Math.round((stream.agentError - run.selfError) * 1000) / 1000,
    },
    analysis,
    stream: result,
    injected: r.injected,
    events: watch.events,
    warnings: run.warnings,
    labProblems: run.labProblems,
  });
  run.progress('done; removing the lab');
  const over = lab.hostDevice !== BOND ? ` over ${lab.hostDevice}` : '';
  const title = `failover drill: ${BOND} ${o.mode}${over}, ${o.nics} NICs, miimon ${o.miimon}, updelay ${o.updelay}, ${o.rate} pps, kernel ${report.kernel}`;
  // The NIC's own carrier edges stay in the JSON; on the timeline the fault marks them.
  const drawn = watch.events.filter((e) => e.kind !== 'nic-carrier-off' && e.kind !== 'nic-carrier-on');
  return {
    report,
    probe: result,
    events: watch.events,
    analysis,
    svg: () => renderTimeline({ probe: result, events: drawn, faults: analysis.faults, title, lateAfterMs: o.lateAfterMs }),
  };
}

/** Removes everything the run made (agents, sockets, namespaces), whatever step it reached. */
async function cleanUp(run: DrillRun): Promise<void> {
  run.probe?.stop();
  await run.probe?.done.catch(() => undefined);
  const leftover = run.reflector ?? (await run.reflectorStart?.catch(() => undefined));
  await leftover?.stop().catch(() => undefined);
  run.watcher?.close();
  await run.host?.close().catch(() => undefined);
  await run.partner?.close().catch(() => undefined);
  run.rtnlHost?.close();
  run.rtnlSw?.close();
  await run.topo?.destroy();
  await run.restoreRmem?.().catch(() => undefined);
  if (run.clockDir) await rm(run.clockDir, { recursive: true, force: true }).catch(() => undefined);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text;
}

/**
 * The kernel as reflector: a tc ingress filter on the switch's own device (the bridge, or the
 * 802.3ad partner bond) matches the probes addressed to the switch, rewrites each into its echo
 * (MACs, addresses and ports swapped: all are fixed, so pedit sets them), fixes the checksums
 * and redirects it to the same device's egress, where the bridge forwards it by its FDB (or the
 * partner bond hashes it onto a port) like any reply from the switch. The echo costs no process
 * and no CPU time of its own: under emulation a Node reflector would add queueing delay and
 * drops of its own to what the drill measures.
 */
async function startTcReflector(ns: Namespace, dev: string, devMac: string, hostMac: string): Promise<void> {
  await ns.exec('tc', ['qdisc', 'replace', 'dev', dev, 'clsact'], 15_000);
  // protocol ip + flower: IPv4/UDP to SWITCH:REFLECTOR_PORT from HOST:PROBE_PORT only.
  await ns.exec('tc', [
    'filter', 'replace', 'dev', dev, 'ingress', 'protocol', 'ip', 'pref', '10', 'flower',
    'ip_proto', 'udp', 'src_ip', HOST_ADDRESS, 'dst_ip', SWITCH_ADDRESS, 'src_port', String(PROBE_PORT), 'dst_port', String(REFLECTOR_PORT),
    'action', 'pedit', 'ex',
    'munge', 'eth', 'dst', 'set', hostMac,
    'munge', 'eth', 'src', 'set', devMac,
    'munge', 'ip', 'src', 'set', SWITCH_ADDRESS,
    'munge', 'ip', 'dst', 'set', HOST_ADDRESS,
    'munge', 'udp', 'sport', 'set', String(REFLECTOR_PORT),
    'munge', 'udp', 'dport', 'set', String(PROBE_PORT),
    'pipe',
    'action', 'csum', 'ip4h', 'udp', 'pipe',
    'action', 'mirred', 'egress', 'redirect', 'dev', dev,
  ], 15_000);
}

/** Part of the warm-up counted as the baseline before the first fault. */
const BASELINE_MS = 500;

/**
 * The stream cut to the probes sent in [fromMs, untilMs] (epoch ms), re-based so that its first
 * kept probe is t = 0 again. Returns the same object when nothing is cut.
 */
export function sliceProbe(probe: ProbeResult, fromMs: number, untilMs: number): ProbeResult {
  const n = Math.min(probe.sendUs.length, probe.recvUs.length);
  const fromUs = (fromMs - probe.startMs) * 1000;
  const untilUs = (untilMs - probe.startMs) * 1000;
  let a = 0;
  while (a < n && probe.sendUs[a]! < fromUs) a++;
  let b = a;
  while (b < n && probe.sendUs[b]! <= untilUs) b++;
  if (a === 0 && b === n) return probe;
  const base = a < n ? probe.sendUs[a]! : 0;
  const sendUs = probe.sendUs.slice(a, b).map((x) => x - base);
  const recvUs = probe.recvUs.slice(a, b).map((x) => (x >= 0 ? x - base : x));
  return {
    ...probe,
    startMs: probe.startMs + base / 1000,
    sent: sendUs.length,
    received: recvUs.filter((x) => x >= 0).length,
    sendUs,
    recvUs,
  };
}

/** UDP counters of the namespace a process lives in (/proc/PID/net/snmp), or null. */
async function udpCounters(pid: number): Promise<Record<string, number> | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    return parseUdpCounters(await readFile(`/proc/${pid}/net/snmp`, 'utf8'));
  } catch {
    return null;
  }
}

/** The Udp: header and value lines of /proc/net/snmp as a record, or null. */
export function parseUdpCounters(snmp: string): Record<string, number> | null {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  if (lines.length < 2) return null;
  const names = lines[0]!.trim().split(/\s+/).slice(1);
  const values = lines[1]!.trim().split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? 0]));
}

/** Flap pattern default: each edge lasts 1.5 miimon, so the bond sees every down (at least 20 ms). */
function flapIntervalMs(miimon: number): number {
  return Math.max(20, Math.round(miimon * 1.5));
}

/**
 * How long a fault's slot lasts: at least settleMs, and long enough for the bond to react
 * (detection within miimon + downdelay, a returning slave after updelay, an 802.3ad port after
 * LACP renegotiates: a few LACPDUs at the fast rate of one per second) plus some calm after.
 */
export function slotMs(f: { step: FaultStepKind; times?: number; intervalMs?: number }, o: Pick<NormalizedDrillOptions, 'mode' | 'miimon' | 'updelay' | 'downdelay' | 'settleMs'>): number {
  const down = o.downdelay + 3 * o.miimon + 500;
  let up = o.updelay + 3 * o.miimon + 700;
  if (o.mode === '802.3ad') up = Math.max(up, 4000);
  switch (f.step) {
    case 'carrier-loss':
    case 'backup-loss':
    case 'nic-delete':
      return Math.max(o.settleMs, down);
    case 'restore':
      return Math.max(o.settleMs, up);
    case 'flap':
      return 2 * (f.times ?? 3) * (f.intervalMs ?? flapIntervalMs(o.miimon)) + Math.max(o.settleMs, up);
  }
}

/** Default socket receive buffer for the probe agent's socket (see enlargeReceiveBuffers). */
const PROBE_RMEM = 8 * 1024 * 1024;

/**
 * A probe agent short of CPU (the test VM, a loaded machine) stops reading its socket for a
 * while; with the default ~208 KiB receive buffer a few hundred ms of echoes overflow it and are
 * counted as lost, which is the lab's loss, not the bond's. The agent takes the default size, so
 * the default is raised to 8 MiB (several seconds of echoes at 1000 pps):
 * - inside the host namespace, when the kernel has a per-namespace net.core.rmem_default;
 * - otherwise only inside the test VM (BONDD_IN_GUEST=1), globally, and put back afterwards. On a
 *   real machine the global setting is left alone; drops are then reported as a warning.
 * Returns the undo, if any.
 */
async function enlargeReceiveBuffers(ns: Namespace, inGuest: boolean, warnings: string[]): Promise<(() => Promise<void>) | undefined> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const file = '/proc/sys/net/core/rmem_default';
  try {
    // Kernels without the per-namespace setting show no net.core.rmem_default outside the
    // initial namespace at all.
    const perNamespace = await ns.exec('test', ['-w', file]).then(
      () => true,
      () => false,
    );
    if (perNamespace) {
      await ns.sysctl('net.core.rmem_default', String(PROBE_RMEM));
      return undefined; // goes away with the namespace
    }
    if (!inGuest) return undefined;
    const before = (await readFile(file, 'utf8')).trim();
    await writeFile(file, String(PROBE_RMEM));
    return async () => void (await writeFile(file, before));
  } catch (error) {
    warnings.push(`could not raise the probe socket's receive buffer: ${firstLine((error as Error).message)}`);
    return undefined;
  }
}

/** dist/src/drill/clocked-agent.js (next to this file when compiled), or null when not built. */
function clockedAgentPath(): string | null {
  const here = fileURLToPath(import.meta.url);
  const path = here.endsWith('.js') ? resolve(dirname(here), 'clocked-agent.js') : resolve(dirname(here), '../../dist/src/drill/clocked-agent.js');
  return existsSync(path) ? path : null;
}
