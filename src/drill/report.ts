/**
 * The failover drill's report (pure): the JSON shape `bondctl drill --json` prints and
 * runDrill() returns, built from the analysis of the probe stream (analysis.ts) plus what the
 * drill knows about its own faults, and the human table printed on a terminal.
 *
 * Times in the report are milliseconds relative to the first probe (`atMs`) or to the fault
 * they belong to (`detectionMs`, `failoverMs`, `outageMs`), rounded to 0.001 ms; absolute
 * epoch times appear only as `probe.startMs` and the ISO stamps.
 *
 * Per fault:
 *   detectionMs  fault → the bond reports the slave's MII down (carrier loss, flap), the slave
 *                gone (NIC deleted) or MII up again (restore: this includes updelay)
 *   failoverMs   fault → the active slave changed (active-backup, tlb, alb; null for modes
 *                without an active slave, or when no change was needed)
 *   lost         probes sent in the fault's window without an echo within lateAfterMs
 *   downtimeMs   length of the first loss window of the fault: first lost probe → first probe
 *                that came back after it (0: nothing lost)
 *   lossMs       all loss windows of the fault added up (differs when flapping)
 *   activeBefore / activeAfter  the bond's active slave when the fault was injected and when
 *                its window ended (null: the mode has none, or no slave is usable)
 */
import type { DrillAnalysis, DrillEvent, DrillTotals, FaultReport, LossWindow } from './analysis.js';
import type { ProbeResult } from './probe-agent.js';

export const DRILL_REPORT_VERSION = 1;

/** The fault steps the drill knows (FaultStep in drill.ts). */
export type FaultStepKind = 'carrier-loss' | 'backup-loss' | 'restore' | 'flap' | 'nic-delete';

/** What the drill itself records about one injected fault. */
export interface InjectedFault {
  step: FaultStepKind;
  /** Event kind given to the analysis (carrier-loss, restore, flap, nic-delete). */
  kind: string;
  label: string;
  nic: string;
  /** nowMs() just before the kernel was asked (the fault's t). */
  t: number;
  /** How long the request took (the fault happened at some point within). */
  injectMs: number;
  activeBefore: string | null;
  activeAfter: string | null;
}

export interface DrillFaultResult {
  index: number;
  step: FaultStepKind;
  kind: string;
  label: string;
  nic: string;
  /** Fault time, ms since the first probe. */
  atMs: number;
  injectMs: number;
  activeBefore: string | null;
  activeAfter: string | null;
  detectionMs: number | null;
  detectedBy: string | null;
  failoverMs: number | null;
  /** The slave the failover went to (from the failover event), null when none happened. */
  newActive: string | null;
  sent: number;
  lost: number;
  /** Of the lost probes, those whose echo came back after lateAfterMs. */
  late: number;
  lossWindows: number;
  downtimeMs: number;
  /**
   * What the send times allow for the first loss window: the outage lasted at least from the
   * first to the last lost probe, and at most from the last probe that came back before it to
   * the first one after it. Equal to downtimeMs ± one probe interval when the agent kept its
   * pace; wider when it stalled around the fault. 0 / 0 when nothing was lost.
   */
  downtimeMinMs: number;
  downtimeMaxMs: number;
  lossMs: number;
  /**
   * Median round trip of the probes sent in the 200 ms before the fault (null: none came back).
   * A probe's time is when the agent handed it to the kernel; when the machine is too busy to
   * move packets at once they queue, and this is how far the wire lagged the stamps.
   */
  rttBeforeMs: number | null;
  /** Fault → traffic flowing again after the last loss window; null when nothing was lost. */
  outageMs: number | null;
  recovered: boolean;
  maxRttMs: number | null;
}

export interface DrillLossWindow {
  atMs: number;
  durationMs: number;
  lost: number;
  late: number;
  recovered: boolean;
  fault: number | null;
}

export interface DrillReportEvent {
  atMs: number;
  kind: string;
  nic?: string;
  newActive?: string;
  label?: string;
}

export interface DrillReport {
  version: typeof DRILL_REPORT_VERSION;
  startedAt: string;
  finishedAt: string;
  /** Wall time of the whole drill, setup and cleanup included. */
  runtimeMs: number;
  /** Part of runtimeMs spent building the lab before the first probe. */
  setupMs: number;
  kernel: string;
  node: string;
  /** host: the drill ran on this machine's kernel; guest: inside the test VM (scripts/guest). */
  where: 'host' | 'guest';
  bond: {
    name: string;
    mode: string;
    /** NICs enslaved at the start, in order. */
    slaves: string[];
    miimon: number;
    updelay: number;
    downdelay: number;
    primary: string | null;
    /** The options the kernel reported after setup (a relevant subset). */
    options: Record<string, string | number | string[]>;
    /** `--vlan` / `--bridge`: the layers the probes went through, and the device carrying the address. */
    stack?: { vlan: number | null; bridge: string | null; device: string };
  };
  probe: {
    from: string;
    to: string;
    rateHz: number;
    achievedHz: number;
    count: number;
    sent: number;
    pacing: string;
    /** Who echoed the probes: tc (the kernel, in the switch namespace) or agent (a UDP reflector process). */
    reflector: string;
    /** Echoes the probe socket dropped because its receive buffer was full (null: unknown). */
    rcvbufErrors: number | null;
    /** Sends the kernel refused (counted as lost probes). */
    sendErrors: number;
    /** Stream before the first fault; all but its last 500 ms (the agent starting up) is not counted. */
    warmupMs: number;
    /** Probes of the warm-up that are not counted (not in `sent`, the totals or the analysis). */
    warmupProbes: number;
    /**
     * How much the agent's epoch clock was ahead of ours (both measured against real time by
     * clocked-agent.ts); already taken off the probe times. Tens of ms are possible under emulation.
     */
    clockCorrectionMs: number;
    /** 99th percentile of how late probes left against their schedule (a starved agent sends in bursts). */
    pacingLateP99Ms: number;
    /** Epoch ms of the first probe (the zero of every atMs). */
    startMs: number;
    durationMs: number;
    lateAfterMs: number;
    stoppedBy: string;
  };
  /**
   * Whether the lab itself measured cleanly. Not ok: the probe agent was short of CPU (late
   * sends, echoes dropped by its socket or seconds late), probes were lost outside any fault, or
   * faults could not keep their schedule. The figures are then upper bounds, not measurements.
   */
  quality: { ok: boolean; problems: string[] };
  faults: DrillFaultResult[];
  totals: DrillTotals;
  /** Every run of consecutive lost probes, in order; `fault` is the index of the fault whose window it starts in (null: none). */
  lossWindows: DrillLossWindow[];
  events: DrillReportEvent[];
  warnings: string[];
}

export interface BuildReportInput {
  startedAt: Date;
  finishedAt: Date;
  setupMs: number;
  kernel: string;
  node: string;
  where: 'host' | 'guest';
  bond: DrillReport['bond'];
  probe: Omit<DrillReport['probe'], 'durationMs' | 'lateAfterMs' | 'achievedHz' | 'startMs'> & { startMs?: number };
  analysis: DrillAnalysis;
  /** The stream the analysis was made from (send times bound each window). */
  stream: Pick<ProbeResult, 'sendUs' | 'recvUs' | 'startMs'>;
  injected: readonly InjectedFault[];
  events: readonly DrillEvent[];
  warnings?: readonly string[];
  /** Problems of the run found by the drill itself (faults injected late, ...). */
  labProblems?: readonly string[];
}

/** Thresholds of DrillReport.quality. */
export const QUALITY = {
  /** Share of probes allowed to be late, or lost outside any fault. */
  maxStrayShare: 0.005,
  /** A fault's downtime must be known to within this (downtimeMaxMs - downtimeMinMs) ... */
  maxDowntimeSpreadMs: 25,
  /** ... or within this share of it, for long outages. */
  maxDowntimeSpreadShare: 0.2,
  /** Probes queueing longer than this just before a fault blur its times. */
  maxRttBeforeMs: 20,
} as const;

/** Median round trip (ms) of the probes sent in [fromMs, untilMs) (ms since the first probe) that came back. */
export function medianRtt(stream: Pick<ProbeResult, 'sendUs' | 'recvUs'>, fromMs: number, untilMs: number): number | null {
  const rtts: number[] = [];
  const n = Math.min(stream.sendUs.length, stream.recvUs.length);
  for (let i = 0; i < n; i++) {
    const s = stream.sendUs[i]! / 1000;
    if (s < fromMs || s >= untilMs) continue;
    const r = stream.recvUs[i]!;
    if (r >= 0) rtts.push((r - stream.sendUs[i]!) / 1000);
  }
  if (rtts.length === 0) return null;
  rtts.sort((x, y) => x - y);
  return r3(rtts[rtts.length >> 1]!);
}

/** Bounds of a loss window's duration from the send times around it (see downtimeMinMs). */
export function windowBounds(stream: Pick<ProbeResult, 'sendUs'>, w: Pick<LossWindow, 'firstSeq' | 'lastSeq' | 'durationMs'>): { minMs: number; maxMs: number } {
  const send = (i: number): number | undefined => (i >= 0 && i < stream.sendUs.length ? stream.sendUs[i]! / 1000 : undefined);
  const first = send(w.firstSeq);
  const last = send(w.lastSeq);
  if (first === undefined || last === undefined) return { minMs: w.durationMs, maxMs: w.durationMs };
  const before = send(w.firstSeq - 1) ?? first;
  const after = send(w.lastSeq + 1) ?? first + w.durationMs;
  return { minMs: r3(last - first), maxMs: r3(after - before) };
}

/** Judges the lab from the stream (see DrillReport.quality). */
export function assessQuality(
  totals: DrillTotals,
  probe: { rcvbufErrors: number | null; sendErrors: number },
  faults: ReadonlyArray<Pick<DrillFaultResult, 'index' | 'label' | 'downtimeMinMs' | 'downtimeMaxMs' | 'rttBeforeMs'>> = [],
  labProblems: readonly string[] = [],
): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const share = (n: number): string => `${n} of ${totals.sent} probes (${((100 * n) / Math.max(1, totals.sent)).toFixed(2)}%)`;
  if (probe.rcvbufErrors) problems.push(`${probe.rcvbufErrors} echoes dropped by the probe socket's full receive buffer`);
  if (probe.sendErrors > 0) problems.push(`${probe.sendErrors} sends refused by the kernel`);
  if (totals.late > QUALITY.maxStrayShare * totals.sent) problems.push(`${share(totals.late)} came back late`);
  if (totals.unattributedLost > QUALITY.maxStrayShare * totals.sent) problems.push(`${share(totals.unattributedLost)} lost outside any fault`);
  for (const f of faults) {
    if (f.rttBeforeMs !== null && f.rttBeforeMs > QUALITY.maxRttBeforeMs) {
      problems.push(`fault ${f.index + 1} (${f.label}): probes were queueing in the kernel (${f.rttBeforeMs.toFixed(0)} ms round trip just before it), its times are that uncertain`);
    }
    const spread = f.downtimeMaxMs - f.downtimeMinMs;
    if (spread > Math.max(QUALITY.maxDowntimeSpreadMs, QUALITY.maxDowntimeSpreadShare * f.downtimeMaxMs)) {
      problems.push(`fault ${f.index + 1} (${f.label}): the downtime is only known to be ${f.downtimeMinMs.toFixed(0)}-${f.downtimeMaxMs.toFixed(0)} ms (the probe agent stalled around it)`);
    }
  }
  problems.push(...labProblems);
  return { ok: problems.length === 0, problems };
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Finds the analysis' entry for an injected fault (same time; the order is the same too). */
function matchFault(faults: readonly FaultReport[], fault: InjectedFault, index: number): FaultReport | undefined {
  const same = faults[index];
  if (same && Math.abs(same.t - fault.t) < 1e-6) return same;
  return faults.find((f) => Math.abs(f.t - fault.t) < 1e-6);
}

export function buildReport(input: BuildReportInput): DrillReport {
  const a = input.analysis;
  const start = a.startMs;
  const faults: DrillFaultResult[] = input.injected.map((fault, index) => {
    const f = matchFault(a.faults, fault, index);
    const w = f?.lossWindows[0];
    const bounds = w ? windowBounds(input.stream, w) : { minMs: 0, maxMs: 0 };
    return {
      index,
      step: fault.step,
      kind: fault.kind,
      label: fault.label,
      nic: fault.nic,
      atMs: r3(fault.t - start),
      injectMs: r3(fault.injectMs),
      activeBefore: fault.activeBefore,
      activeAfter: fault.activeAfter,
      detectionMs: f?.detectionMs ?? null,
      detectedBy: f?.detectedBy ?? null,
      failoverMs: f?.failoverMs ?? null,
      newActive: f?.newActive ?? null,
      sent: f?.sent ?? 0,
      lost: f?.lost ?? 0,
      late: f?.late ?? 0,
      lossWindows: f?.lossWindows.length ?? 0,
      downtimeMs: f?.downtimeMs ?? 0,
      downtimeMinMs: bounds.minMs,
      downtimeMaxMs: bounds.maxMs,
      rttBeforeMs: medianRtt(input.stream, fault.t - start - 200, fault.t - start),
      lossMs: f?.lossMs ?? 0,
      outageMs: f?.outageMs ?? null,
      recovered: f?.recovered ?? true,
      maxRttMs: f?.maxRttMs ?? null,
    };
  });
  const lossWindows: DrillLossWindow[] = a.lossWindows.map((w) => {
    const owner = a.faults.findIndex((f) => f.lossWindows.some((x) => x.firstSeq === w.firstSeq));
    return { atMs: w.atMs, durationMs: w.durationMs, lost: w.lost, late: w.late, recovered: w.recovered, fault: owner >= 0 ? owner : null };
  });
  const events: DrillReportEvent[] = [...input.events]
    .sort((x, y) => x.t - y.t)
    .map((e) => {
      const out: DrillReportEvent = { atMs: r3(e.t - start), kind: e.kind };
      if (e.nic !== undefined) out.nic = e.nic;
      if (e.newActive !== undefined) out.newActive = e.newActive;
      if (e.label !== undefined) out.label = e.label;
      return out;
    });
  return {
    version: DRILL_REPORT_VERSION,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    runtimeMs: Math.round(input.finishedAt.getTime() - input.startedAt.getTime()),
    setupMs: Math.round(input.setupMs),
    kernel: input.kernel,
    node: input.node,
    where: input.where,
    bond: input.bond,
    probe: {
      ...input.probe,
      startMs: r3(start),
      achievedHz: a.achievedHz,
      durationMs: a.durationMs,
      lateAfterMs: a.lateAfterMs,
    },
    quality: assessQuality(a.totals, input.probe, faults, input.labProblems),
    faults,
    totals: a.totals,
    lossWindows,
    events,
    warnings: [...(input.warnings ?? [])],
  };
}

export function reportToJson(report: DrillReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/**
 * Checks that a parsed JSON value has the report's shape (keys and types, not values).
 * Returns the problems found; [] means it is a DrillReport of this version.
 */
export function reportShapeProblems(value: unknown): string[] {
  const problems: string[] = [];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const want = (obj: Record<string, unknown>, path: string, key: string, type: 'string' | 'number' | 'boolean' | 'object' | 'array', nullable = false): void => {
    const v = obj[key];
    if (nullable && v === null) return;
    const ok = type === 'array' ? Array.isArray(v) : type === 'object' ? isObj(v) : typeof v === type;
    if (!ok) problems.push(`${path}${key}: expected ${type}${nullable ? ' or null' : ''}, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
  };
  if (!isObj(value)) return ['report: expected an object'];
  if (value['version'] !== DRILL_REPORT_VERSION) problems.push(`version: expected ${DRILL_REPORT_VERSION}`);
  for (const k of ['startedAt', 'finishedAt', 'kernel', 'node', 'where'] as const) want(value, '', k, 'string');
  for (const k of ['runtimeMs', 'setupMs'] as const) want(value, '', k, 'number');
  for (const k of ['bond', 'probe', 'quality', 'totals'] as const) want(value, '', k, 'object');
  const quality = value['quality'];
  if (isObj(quality)) {
    want(quality, 'quality.', 'ok', 'boolean');
    want(quality, 'quality.', 'problems', 'array');
  }
  for (const k of ['faults', 'lossWindows', 'events', 'warnings'] as const) want(value, '', k, 'array');
  const bond = value['bond'];
  if (isObj(bond)) {
    for (const k of ['name', 'mode'] as const) want(bond, 'bond.', k, 'string');
    for (const k of ['miimon', 'updelay', 'downdelay'] as const) want(bond, 'bond.', k, 'number');
    want(bond, 'bond.', 'slaves', 'array');
    want(bond, 'bond.', 'primary', 'string', true);
    want(bond, 'bond.', 'options', 'object');
  }
  const probe = value['probe'];
  if (isObj(probe)) {
    for (const k of ['from', 'to', 'pacing', 'stoppedBy', 'reflector'] as const) want(probe, 'probe.', k, 'string');
    for (const k of ['rateHz', 'achievedHz', 'count', 'sent', 'startMs', 'durationMs', 'lateAfterMs', 'sendErrors', 'pacingLateP99Ms', 'warmupMs', 'warmupProbes', 'clockCorrectionMs'] as const) want(probe, 'probe.', k, 'number');
    want(probe, 'probe.', 'rcvbufErrors', 'number', true);
  }
  const totals = value['totals'];
  if (isObj(totals)) {
    for (const k of ['sent', 'received', 'lost', 'late', 'lossRatio', 'duplicates', 'reordered', 'lossWindows', 'downtimeMs', 'maxWindowMs', 'unattributedLost'] as const) {
      want(totals, 'totals.', k, 'number');
    }
    for (const k of ['rttP50Ms', 'rttP99Ms', 'rttMaxMs'] as const) want(totals, 'totals.', k, 'number', true);
  }
  const faults = value['faults'];
  if (Array.isArray(faults)) {
    faults.forEach((f: unknown, i) => {
      const p = `faults[${i}].`;
      if (!isObj(f)) {
        problems.push(`faults[${i}]: expected an object`);
        return;
      }
      for (const k of ['step', 'kind', 'label', 'nic'] as const) want(f, p, k, 'string');
      for (const k of ['index', 'atMs', 'injectMs', 'sent', 'lost', 'late', 'lossWindows', 'downtimeMs', 'downtimeMinMs', 'downtimeMaxMs', 'lossMs'] as const) want(f, p, k, 'number');
      for (const k of ['detectionMs', 'failoverMs', 'outageMs', 'maxRttMs', 'rttBeforeMs'] as const) want(f, p, k, 'number', true);
      for (const k of ['activeBefore', 'activeAfter', 'detectedBy', 'newActive'] as const) want(f, p, k, 'string', true);
      want(f, p, 'recovered', 'boolean');
    });
  }
  const events = value['events'];
  if (Array.isArray(events)) {
    events.forEach((e: unknown, i) => {
      if (!isObj(e)) {
        problems.push(`events[${i}]: expected an object`);
        return;
      }
      want(e, `events[${i}].`, 'atMs', 'number');
      want(e, `events[${i}].`, 'kind', 'string');
    });
  }
  return problems;
}

function ms(x: number | null): string {
  return x === null ? '-' : x.toFixed(1);
}

function table(header: string[], rows: string[][], leftAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (leftAligned.has(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The terminal rendering: settings, one row per fault, totals. */
export function formatReport(report: DrillReport): string {
  const b = report.bond;
  const p = report.probe;
  const t = report.totals;
  const out: string[] = [];
  out.push(
    `failover drill: ${b.name} ${b.mode} over ${b.slaves.join(', ')}` +
      `, miimon ${b.miimon} ms, updelay ${b.updelay} ms, downdelay ${b.downdelay} ms` +
      (b.primary ? `, primary ${b.primary}` : ''),
    ...(b.stack ? [`probes over the bond's stack: ${[b.stack.vlan !== null ? `VLAN ${b.stack.vlan}` : null, b.stack.bridge ? `bridge ${b.stack.bridge}` : null].filter(Boolean).join(' → ')} (address on ${b.stack.device})`] : []),
    `kernel ${report.kernel} (${report.where}), probes ${p.from} → ${p.to} at ${p.rateHz} pps (achieved ${p.achievedHz}), ` +
      `${p.reflector} reflector, an echo later than ${p.lateAfterMs} ms counts as lost`,
    '',
  );
  const rows = report.faults.map((f) => [
    String(f.index + 1),
    f.label,
    ms(f.atMs),
    ms(f.detectionMs),
    ms(f.failoverMs),
    f.late > 0 ? `${f.lost}/${f.sent} (${f.late} late)` : `${f.lost}/${f.sent}`,
    (f.recovered ? ms(f.downtimeMs) : `${ms(f.downtimeMs)}+`) +
      (f.downtimeMaxMs - f.downtimeMinMs > 3 ? ` (${f.downtimeMinMs.toFixed(0)}-${f.downtimeMaxMs.toFixed(0)})` : ''),
    f.lossWindows > 1 ? `${ms(f.lossMs)} (${f.lossWindows}x)` : ms(f.lossMs),
    `${f.activeBefore ?? '-'} → ${f.activeAfter ?? '-'}`,
  ]);
  out.push(
    ...table(['#', 'fault', 'at ms', 'detect ms', 'failover ms', 'lost/sent', 'downtime ms', 'loss ms', 'active'], rows, new Set([0, 1, 8])),
  );
  out.push(
    '',
    `probes ${t.received}/${t.sent} received, ${t.lost} lost (${(t.lossRatio * 100).toFixed(2)}%) over ${(p.durationMs / 1000).toFixed(2)} s; ` +
      `${t.lossWindows} loss window(s), ${t.downtimeMs.toFixed(1)} ms down in total, longest ${t.maxWindowMs.toFixed(1)} ms`,
    `late ${t.late}, duplicates ${t.duplicates}, reordered ${t.reordered}, lost outside any fault ${t.unattributedLost}; ` +
      `rtt p50 ${ms(t.rttP50Ms)} ms, p99 ${ms(t.rttP99Ms)} ms, max ${ms(t.rttMaxMs)} ms`,
    `drill took ${(report.runtimeMs / 1000).toFixed(1)} s (setup ${(report.setupMs / 1000).toFixed(1)} s)`,
  );
  if (!report.quality.ok) {
    out.push(`the lab did not measure cleanly; treat the figures as upper bounds: ${report.quality.problems.join('; ')}`);
  }
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}
