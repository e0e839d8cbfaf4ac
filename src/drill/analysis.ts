/**
 * Failover drill analysis (pure): a probe stream result plus timestamped drill events →
 * loss windows, per-fault detection / failover / loss / downtime, and totals.
 *
 * All event times (`t`) are epoch ms on the clock of `nowMs()` (probe.ts), the same clock as
 * ProbeResult.startMs. Loss is judged by send time: a probe is lost when no echo of it came
 * back within `lateAfterMs` (default 250 ms), whatever the order or number of echoes.
 *
 * Why late echoes count as lost: when a NIC loses carrier the kernel flushes its neighbour
 * entries; the next packets wait in the neighbour (ARP/ND) queue of an unresolved entry and are
 * delivered only when resolution succeeds, up to a retransmit interval (1 s) later. Those probes
 * do come back, but an application would have seen an outage; counting them as received would
 * hide part of it. `late` reports how many of the lost probes did come back eventually.
 */
import type { ProbeResult } from './probe-agent.js';

/** Fault kinds the drill injects. An event with `fault: true` counts as a fault too. */
export const FAULT_KINDS: ReadonlySet<string> = new Set([
  'cut', // carrier loss on the (active) NIC
  'carrier-loss',
  'port-down', // the switch port facing the NIC goes down
  'nic-delete',
  'flap',
  'restore', // undo the previous fault (failback may follow)
]);
/** Observations that show the bond noticed a link going away (detection of a fault). */
export const DOWN_KINDS: ReadonlySet<string> = new Set(['carrier-down', 'mii-down', 'link-down', 'nic-gone']);
/** Observations that show the bond noticed a link coming back (detection of a restore). */
export const UP_KINDS: ReadonlySet<string> = new Set(['carrier-up', 'mii-up', 'link-up']);
/** Observations of a change of active slave. */
export const FAILOVER_KINDS: ReadonlySet<string> = new Set(['failover', 'failback', 'active-change']);

export interface DrillEvent {
  /** Epoch ms (nowMs() clock). */
  t: number;
  kind: string;
  /** NIC the fault hits or the observation is about. */
  nic?: string;
  /** For failover kinds: the new active slave. */
  newActive?: string;
  label?: string;
  /** Overrides the classification by kind. */
  fault?: boolean;
}

export interface LossWindow {
  firstSeq: number;
  lastSeq: number;
  /** Probes in the window (lastSeq - firstSeq + 1). */
  lost: number;
  /** Of those, probes whose echo came back after lateAfterMs. */
  late: number;
  /** Epoch ms of the send of the first lost probe. */
  startMs: number;
  /** Epoch ms of the send of the first probe after the window that came back; when the stream
   *  never recovered, the time the next probe would have been sent. */
  endMs: number;
  /** endMs - startMs: the downtime this window stands for. */
  durationMs: number;
  /** Whether a probe after the window came back. */
  recovered: boolean;
  /** startMs relative to the start of the stream. */
  atMs: number;
}

export interface FaultReport {
  index: number;
  kind: string;
  nic?: string;
  label?: string;
  t: number;
  /** t relative to the start of the stream (negative: before the first probe). */
  atMs: number;
  /** Epoch ms where this fault's window ends (next fault, or end of the stream). */
  untilMs: number;
  /** Probes sent in the window. */
  sent: number;
  /** Probes sent in the window and lost (no echo within lateAfterMs). */
  lost: number;
  /** Of those, probes whose echo came back after lateAfterMs. */
  late: number;
  /** Loss windows that start in this fault's window. */
  lossWindows: LossWindow[];
  /** First lost send → first successful send after it (the first window); 0 if none lost. */
  downtimeMs: number;
  /** Sum of the durations of all loss windows of this fault (more than one when flapping). */
  lossMs: number;
  /** Fault → traffic flowing again (end of the last window); null if nothing was lost. */
  outageMs: number | null;
  /** False if some loss window of this fault never recovered. */
  recovered: boolean;
  /** Fault → first detection observation (carrier/mii down, or up for a restore); null if none. */
  detectionMs: number | null;
  detectedBy: string | null;
  /** Fault → first failover observation in the window; null if none. */
  failoverMs: number | null;
  newActive: string | null;
  /** Largest round trip of a probe sent in the window that came back (late ones included); null if none came back. */
  maxRttMs: number | null;
}

export interface DrillTotals {
  sent: number;
  /** Echoed within lateAfterMs. */
  received: number;
  /** sent - received. */
  lost: number;
  /** Of the lost, probes whose echo came back after lateAfterMs. */
  late: number;
  /** lost / sent (0 when nothing was sent). */
  lossRatio: number;
  duplicates: number;
  reordered: number;
  lossWindows: number;
  /** Sum of all loss window durations. */
  downtimeMs: number;
  maxWindowMs: number;
  /** Lost probes not in any fault's window (before the first fault, or no faults at all). */
  unattributedLost: number;
  /** Round trips of all echoed probes (late ones included). */
  rttP50Ms: number | null;
  rttP99Ms: number | null;
  rttMaxMs: number | null;
}

export interface DrillAnalysis {
  startMs: number;
  /** First send → when the probe after the last would have been sent. */
  durationMs: number;
  rateHz: number;
  achievedHz: number;
  /** Nominal time between probes. */
  intervalMs: number;
  lateAfterMs: number;
  lossWindows: LossWindow[];
  faults: FaultReport[];
  totals: DrillTotals;
}

export interface AnalyzeOptions {
  /**
   * A fault's window starts this long before the fault, so a probe already in flight when the
   * fault hit is charged to it. Default: one probe interval.
   */
  slackMs?: number;
  /** An echo with a longer round trip counts as lost (and late). Default 250 ms; Infinity disables. */
  lateAfterMs?: number;
}

export const DEFAULT_LATE_AFTER_MS = 250;

export function isFault(event: DrillEvent): boolean {
  return event.fault ?? FAULT_KINDS.has(event.kind);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A consistent view of a result: equal-length arrays, times as epoch ms. */
interface Stream {
  n: number;
  sendMs: Float64Array;
  /** 1: echoed within lateAfterMs. */
  ok: Uint8Array;
  /** Round trip in ms, -1 when no echo came back. */
  rttMs: Float64Array;
  intervalMs: number;
  startMs: number;
  endMs: number;
}

/**
 * Whether probe `i` counts as received: echoed within `lateAfterMs`. Shared with the SVG
 * renderer so both agree on what is lost.
 */
export function deliveredInTime(probe: ProbeResult, i: number, lateAfterMs = DEFAULT_LATE_AFTER_MS): boolean {
  const r = probe.recvUs[i]!;
  return Number.isFinite(r) && r >= 0 && (r - probe.sendUs[i]!) / 1000 <= lateAfterMs;
}

function toStream(probe: ProbeResult, lateAfterMs: number): Stream {
  const n = Math.min(probe.sendUs.length, probe.recvUs.length);
  const sendMs = new Float64Array(n);
  const ok = new Uint8Array(n);
  const rttMs = new Float64Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    sendMs[i] = probe.startMs + probe.sendUs[i]! / 1000;
    const r = probe.recvUs[i]!;
    if (Number.isFinite(r) && r >= 0) {
      rttMs[i] = Math.max(0, (r - probe.sendUs[i]!) / 1000);
      if (rttMs[i]! <= lateAfterMs) ok[i] = 1;
    }
  }
  const hz = probe.achievedHz > 0 ? probe.achievedHz : probe.rateHz;
  const intervalMs = hz > 0 ? 1000 / hz : 0;
  const endMs = n > 0 ? sendMs[n - 1]! + intervalMs : probe.startMs;
  return { n, sendMs, ok, rttMs, intervalMs, startMs: probe.startMs, endMs };
}

function windowsOf(s: Stream): LossWindow[] {
  const out: LossWindow[] = [];
  let i = 0;
  while (i < s.n) {
    if (s.ok[i]) {
      i++;
      continue;
    }
    const first = i;
    while (i < s.n && !s.ok[i]) i++;
    const last = i - 1;
    const recovered = i < s.n;
    let late = 0;
    for (let j = first; j <= last; j++) if (s.rttMs[j]! >= 0) late++;
    const startMs = s.sendMs[first]!;
    const endMs = recovered ? s.sendMs[i]! : s.sendMs[last]! + s.intervalMs;
    out.push({
      firstSeq: first,
      lastSeq: last,
      lost: last - first + 1,
      late,
      startMs: round3(startMs),
      endMs: round3(endMs),
      durationMs: round3(endMs - startMs),
      recovered,
      atMs: round3(startMs - s.startMs),
    });
  }
  return out;
}

/** Runs of consecutive lost sequence numbers, in order. */
export function lossWindows(probe: ProbeResult, lateAfterMs = DEFAULT_LATE_AFTER_MS): LossWindow[] {
  return windowsOf(toStream(probe, lateAfterMs));
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** First event in [from, until) matching `kinds`, preferring one about `nic`. */
function firstObservation(events: readonly DrillEvent[], kinds: ReadonlySet<string>, from: number, until: number, nic: string | undefined): DrillEvent | undefined {
  const candidates = events.filter((e) => !isFault(e) && kinds.has(e.kind) && e.t >= from && e.t < until);
  if (nic !== undefined) {
    const same = candidates.find((e) => e.nic === nic);
    if (same) return same;
  }
  return candidates[0];
}

/** Index of the first probe sent at or after `t`. */
function seqAt(s: Stream, t: number): number {
  let lo = 0;
  let hi = s.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.sendMs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The figures of fault `index`: the probes sent from `slack` before it until `slack` before the
 * next fault, the loss windows that start in that span, and the first observations after it.
 */
function faultReport(s: Stream, windows: readonly LossWindow[], sorted: readonly DrillEvent[], faults: readonly DrillEvent[], index: number, slack: number): FaultReport {
  const fault = faults[index]!;
  const next = faults[index + 1];
  const from = fault.t - slack;
  const until = next ? next.t - slack : Math.max(s.endMs, fault.t) + 1e-9;
  const untilMs = next ? next.t : Math.max(s.endMs, fault.t);
  const a = seqAt(s, from);
  const b = seqAt(s, until);
  let lost = 0;
  let late = 0;
  let maxRtt = -1;
  for (let i = a; i < b; i++) {
    if (!s.ok[i]) lost++;
    if (s.rttMs[i]! >= 0) {
      if (!s.ok[i]) late++;
      if (s.rttMs[i]! > maxRtt) maxRtt = s.rttMs[i]!;
    }
  }
  const own = windows.filter((w) => w.startMs >= from && w.startMs < until);
  const detectKinds = fault.kind === 'restore' ? UP_KINDS : DOWN_KINDS;
  const obsUntil = next ? next.t : Infinity;
  const detected = firstObservation(sorted, detectKinds, fault.t, obsUntil, fault.nic);
  const failover = firstObservation(sorted, FAILOVER_KINDS, fault.t, obsUntil, undefined);
  const lastWindow = own[own.length - 1];
  const report: FaultReport = {
    index,
    kind: fault.kind,
    t: fault.t,
    atMs: round3(fault.t - s.startMs),
    untilMs: round3(untilMs),
    sent: b - a,
    lost,
    late,
    lossWindows: own,
    downtimeMs: own[0]?.durationMs ?? 0,
    lossMs: round3(own.reduce((sum, w) => sum + w.durationMs, 0)),
    outageMs: lastWindow ? round3(lastWindow.endMs - fault.t) : null,
    recovered: own.every((w) => w.recovered),
    detectionMs: detected ? round3(detected.t - fault.t) : null,
    detectedBy: detected?.kind ?? null,
    failoverMs: failover ? round3(failover.t - fault.t) : null,
    newActive: failover ? (failover.newActive ?? failover.nic ?? null) : null,
    maxRttMs: maxRtt >= 0 ? round3(maxRtt) : null,
  };
  if (fault.nic !== undefined) report.nic = fault.nic;
  if (fault.label !== undefined) report.label = fault.label;
  return report;
}

/** Whole-run figures; `attributed`: probes lost inside some fault's span. */
function streamTotals(s: Stream, probe: ProbeResult, windows: readonly LossWindow[], attributed: number): DrillAnalysis['totals'] {
  let received = 0;
  let late = 0;
  const rtts: number[] = [];
  for (let i = 0; i < s.n; i++) {
    if (s.ok[i]) received++;
    if (s.rttMs[i]! >= 0) {
      rtts.push(s.rttMs[i]!);
      if (!s.ok[i]) late++;
    }
  }
  rtts.sort((x, y) => x - y);
  const lost = s.n - received;
  const p50 = percentile(rtts, 0.5);
  const p99 = percentile(rtts, 0.99);
  return {
    sent: s.n,
    received,
    lost,
    late,
    lossRatio: s.n > 0 ? lost / s.n : 0,
    duplicates: probe.duplicates,
    reordered: probe.reordered,
    lossWindows: windows.length,
    downtimeMs: round3(windows.reduce((sum, w) => sum + w.durationMs, 0)),
    maxWindowMs: windows.reduce((m, w) => Math.max(m, w.durationMs), 0),
    unattributedLost: lost - attributed,
    rttP50Ms: p50 === null ? null : round3(p50),
    rttP99Ms: p99 === null ? null : round3(p99),
    rttMaxMs: rtts.length > 0 ? round3(rtts[rtts.length - 1]!) : null,
  };
}

export function analyze(probe: ProbeResult, events: readonly DrillEvent[], options: AnalyzeOptions = {}): DrillAnalysis {
  const lateAfterMs = options.lateAfterMs ?? DEFAULT_LATE_AFTER_MS;
  const s = toStream(probe, lateAfterMs);
  const windows = windowsOf(s);
  const slack = options.slackMs ?? s.intervalMs;
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const faults = sorted.filter(isFault);
  const reports = faults.map((_, index) => faultReport(s, windows, sorted, faults, index, slack));
  const attributed = reports.reduce((sum, r) => sum + r.lost, 0);
  return {
    startMs: probe.startMs,
    durationMs: round3(s.endMs - s.startMs),
    rateHz: probe.rateHz,
    achievedHz: probe.achievedHz,
    intervalMs: round3(s.intervalMs),
    lateAfterMs,
    lossWindows: windows,
    faults: reports,
    totals: streamTotals(s, probe, windows, attributed),
  };
}

function ms(x: number | null): string {
  return x === null ? '-' : x.toFixed(1);
}

/** A plain-text table of the per-fault results and the totals, for terminals and logs. */
export function formatAnalysisTable(a: DrillAnalysis): string {
  const header = ['#', 'fault', 'nic', 'at ms', 'detect ms', 'failover ms', 'lost', 'downtime ms', 'outage ms', 'new active'];
  const rows = a.faults.map((f) => [
    String(f.index + 1),
    f.label ?? f.kind,
    f.nic ?? '-',
    ms(f.atMs),
    ms(f.detectionMs),
    ms(f.failoverMs),
    f.late > 0 ? `${f.lost}/${f.sent} (${f.late} late)` : `${f.lost}/${f.sent}`,
    f.recovered ? ms(f.downtimeMs) : `${ms(f.downtimeMs)}+`,
    ms(f.outageMs),
    f.newActive ?? '-',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (c <= 2 || c === 9 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const t = a.totals;
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push(
    '',
    `probes ${t.received}/${t.sent} received, ${t.lost} lost (${(t.lossRatio * 100).toFixed(2)}%) at ${a.achievedHz} pps over ${(a.durationMs / 1000).toFixed(2)} s`,
    `loss windows ${t.lossWindows}, downtime ${t.downtimeMs.toFixed(1)} ms total, longest ${t.maxWindowMs.toFixed(1)} ms` +
      (t.unattributedLost > 0 ? `, ${t.unattributedLost} lost outside any fault` : ''),
    `late echoes (> ${a.lateAfterMs} ms, counted as lost) ${t.late}, duplicates ${t.duplicates}, reordered ${t.reordered}, ` +
      `rtt p50 ${ms(t.rttP50Ms)} ms p99 ${ms(t.rttP99Ms)} ms max ${ms(t.rttMaxMs)} ms`,
  );
  return out.join('\n') + '\n';
}
