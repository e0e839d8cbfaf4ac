/**
 * Failover drill timeline as a self-contained SVG (pure; no scripts, fonts or external refs).
 *
 *   title
 *   marker labels (stacked in rows so they do not overlap)
 *   probe strip: binned probes by send time, green = all came back, red = all lost,
 *                orange = some lost; loss windows shaded behind everything. "Lost" is the
 *                analysis' notion: no echo within lateAfterMs (late echoes count as lost)
 *   time axis in ms since the first probe
 *   legend, then one line of numbers per fault
 *
 * Vertical markers: faults (red), down observations (orange), up observations (green),
 * failovers (blue), anything else (grey). Each marker line carries data-kind and data-t
 * (ms since the first probe) for tools and tests.
 */
import type { ProbeResult } from './probe-agent.js';
import {
  analyze,
  DEFAULT_LATE_AFTER_MS,
  deliveredInTime,
  DOWN_KINDS,
  FAILOVER_KINDS,
  isFault,
  UP_KINDS,
  type DrillEvent,
  type FaultReport,
} from './analysis.js';

export interface TimelineInput {
  probe: ProbeResult;
  /** All drill events (faults and observations), epoch ms on the nowMs() clock. */
  events: readonly DrillEvent[];
  /** Per-fault numbers for the summary lines; computed with analyze() when omitted. */
  faults?: readonly FaultReport[];
  title?: string;
  /** Total width in px (default 1000, at least 300). */
  width?: number;
  /** As in AnalyzeOptions (default 250 ms). */
  lateAfterMs?: number;
}

/** Horizontal layout; x(t) = left + (t - tMin) / (tMax - tMin) * (width - left - right). */
export const TIMELINE_MARGIN = { left: 60, right: 30 } as const;
const LABEL_ROW_PX = 13;
const LABEL_TOP = 40;
const MAX_LABEL_ROWS = 6;
const STRIP_PX = 30;
const CHAR_PX = 6.4;
const NICE = [1, 2, 5];

const COLOR = {
  ok: '#2e9e44',
  lost: '#d62728',
  partial: '#ff9f1c',
  idle: '#e6e6e6',
  band: '#d62728',
  fault: '#b00020',
  down: '#e67e00',
  up: '#2e9e44',
  failover: '#1f5fbf',
  other: '#777777',
  axis: '#333333',
  grid: '#dddddd',
} as const;

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the allowed XML 1.0 characters include tab, LF and CR
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Smallest 1-2-5 step ≥ x. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  let p = 10 ** Math.floor(Math.log10(x));
  for (;;) {
    for (const m of NICE) if (m * p >= x - 1e-12) return m * p;
    p *= 10;
  }
}

/** Time domain (ms since the first probe) covering the stream and every event. */
export function timelineDomain(probe: ProbeResult, events: readonly DrillEvent[]): { tMin: number; tMax: number } {
  const n = Math.min(probe.sendUs.length, probe.recvUs.length);
  const hz = probe.achievedHz > 0 ? probe.achievedHz : probe.rateHz;
  let tMin = 0;
  let tMax = n > 0 ? probe.sendUs[n - 1]! / 1000 + (hz > 0 ? 1000 / hz : 0) : 0;
  for (const e of events) {
    const t = e.t - probe.startMs;
    if (!Number.isFinite(t)) continue;
    tMin = Math.min(tMin, t);
    tMax = Math.max(tMax, t);
  }
  if (tMax - tMin < 1) tMax = tMin + 1;
  return { tMin, tMax };
}

/** Bin width (ms) for the probe strip: the smallest 1-2-5 width giving at least 2 px per bin. */
export function binWidthMs(spanMs: number, plotWidthPx: number): number {
  return niceStep(spanMs / Math.max(1, plotWidthPx / 2));
}

type MarkerClass = 'fault' | 'down' | 'up' | 'failover' | 'other';

function markerClass(e: DrillEvent): MarkerClass {
  if (isFault(e)) return 'fault';
  if (DOWN_KINDS.has(e.kind)) return 'down';
  if (UP_KINDS.has(e.kind)) return 'up';
  if (FAILOVER_KINDS.has(e.kind)) return 'failover';
  return 'other';
}

function markerLabel(e: DrillEvent): string {
  if (e.label !== undefined) return e.label;
  if (FAILOVER_KINDS.has(e.kind) && (e.newActive ?? e.nic)) return `${e.kind} → ${e.newActive ?? e.nic}`;
  return e.nic !== undefined ? `${e.kind} ${e.nic}` : e.kind;
}

function fmt(x: number | null): string {
  return x === null ? '-' : x.toFixed(1);
}

/** Where things go on the timeline: the time scale and the vertical layout. */
interface TimelineLayout {
  probe: TimelineInput['probe'];
  width: number;
  height: number;
  left: number;
  plotW: number;
  tMin: number;
  tMax: number;
  /** Time (ms since the first probe) → x. */
  x(t: number): number;
  lateAfterMs: number;
  /** Probe i came back within lateAfterMs. */
  ok(i: number): boolean;
  /** Probes with both a send and a receive slot. */
  n: number;
  /** Interval between probes (ms), 0 when unknown. */
  intervalMs: number;
  stripTop: number;
  stripBottom: number;
  axisY: number;
  legendY: number;
  summaryY: number;
}

interface PlacedMarker {
  e: DrillEvent;
  t: number;
  label: string;
  row: number;
  cls: ReturnType<typeof markerClass>;
}

/** Marker labels in greedy rows: each label in the first row where it does not overlap. */
function placeMarkers(events: readonly DrillEvent[], startMs: number, x: (t: number) => number): { placed: PlacedMarker[]; rows: number } {
  const rowEnds: number[] = [];
  const placed = events.map((e) => {
    const t = e.t - startMs;
    const label = markerLabel(e);
    const lx = x(t) + 3;
    const w = label.length * CHAR_PX;
    let row = rowEnds.findIndex((end) => end < lx);
    if (row < 0) {
      if (rowEnds.length < MAX_LABEL_ROWS) row = rowEnds.push(0) - 1;
      else row = rowEnds.indexOf(Math.min(...rowEnds));
    }
    rowEnds[row] = lx + w + 4;
    return { e, t, label, row, cls: markerClass(e) };
  });
  return { placed, rows: Math.max(1, rowEnds.length) };
}

function axisLines(l: TimelineLayout): string[] {
  const { left, plotW, axisY, tMin, tMax, probe } = l;
  const step = niceStep((tMax - tMin) / 10);
  const out = [`<g class="axis" stroke="${COLOR.axis}">`, `<line x1="${left}" y1="${axisY}" x2="${num(left + plotW)}" y2="${axisY}"/>`];
  for (let t = Math.ceil(tMin / step) * step; t <= tMax + 1e-9; t += step) {
    const tx = num(l.x(t));
    out.push(`<line x1="${tx}" y1="${LABEL_TOP}" x2="${tx}" y2="${l.stripBottom}" stroke="${COLOR.grid}"/>`);
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}"/>`);
    out.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle" stroke="none">${num(t)}</text>`);
  }
  out.push(`</g>`);
  out.push(`<text x="${num(left + plotW)}" y="${axisY + 30}" text-anchor="end">time (ms since first probe, ${num(probe.startMs)} epoch ms)</text>`);
  return out;
}

/** Loss windows, shaded behind the strip and the markers. */
function lossWindowLines(l: TimelineLayout): string[] {
  const { probe, n, ok } = l;
  const out = [`<g class="loss-windows" fill="${COLOR.band}" fill-opacity="0.12">`];
  for (let i = 0; i < n; ) {
    if (ok(i)) {
      i++;
      continue;
    }
    const first = i;
    let late = 0;
    for (; i < n && !ok(i); i++) if (probe.recvUs[i]! >= 0) late++;
    const t0 = probe.sendUs[first]! / 1000;
    const t1 = i < n ? probe.sendUs[i]! / 1000 : probe.sendUs[i - 1]! / 1000 + l.intervalMs;
    const x0 = l.x(t0);
    const w = Math.max(1, l.x(t1) - x0);
    out.push(
      `<rect x="${num(x0)}" y="${LABEL_TOP}" width="${num(w)}" height="${l.stripBottom - LABEL_TOP}"><title>${escapeXml(
        `lost ${i - first} probes (seq ${first}-${i - 1}${late > 0 ? `, ${late} echoed late` : ''}), ${(t1 - t0).toFixed(1)} ms from ${t0.toFixed(1)} ms`,
      )}</title></rect>`,
    );
  }
  out.push(`</g>`);
  return out;
}

/** Probe strip: bins by send time, consecutive bins of the same state merged into one rect. */
function probeStripLines(l: TimelineLayout): { lines: string[]; received: number; binMs: number } {
  const { probe, n, ok, left, plotW, stripTop } = l;
  const streamEnd = n > 0 ? probe.sendUs[n - 1]! / 1000 + l.intervalMs : 0;
  const bin = binWidthMs(l.tMax - l.tMin, plotW);
  const bins = n > 0 ? Math.max(1, Math.ceil(streamEnd / bin)) : 0;
  const sent = new Uint32Array(bins);
  const got = new Uint32Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(probe.sendUs[i]! / 1000 / bin)));
    sent[b]!++;
    if (ok(i)) got[b]!++;
  }
  const state = (b: number): keyof typeof COLOR => (sent[b] === 0 ? 'idle' : got[b] === sent[b] ? 'ok' : got[b] === 0 ? 'lost' : 'partial');
  const out = [`<g class="probes" data-bin-ms="${num(bin)}">`, `<rect x="${left}" y="${stripTop}" width="${plotW}" height="${STRIP_PX}" fill="none" stroke="${COLOR.grid}"/>`];
  for (let b = 0; b < bins; ) {
    const s = state(b);
    let e = b + 1;
    let lostHere = sent[b]! - got[b]!;
    let sentHere = sent[b]!;
    while (e < bins && state(e) === s) {
      lostHere += sent[e]! - got[e]!;
      sentHere += sent[e]!;
      e++;
    }
    const t0 = b * bin;
    const t1 = Math.min(e * bin, streamEnd);
    const x0 = l.x(t0);
    out.push(
      `<rect class="${s}" x="${num(x0)}" y="${stripTop}" width="${num(Math.max(0.5, l.x(t1) - x0))}" height="${STRIP_PX}" fill="${COLOR[s]}"><title>${escapeXml(
        `${t0.toFixed(0)}-${t1.toFixed(0)} ms: ${sentHere - lostHere}/${sentHere} received`,
      )}</title></rect>`,
    );
    b = e;
  }
  out.push(`</g>`);
  return { lines: out, received: got.reduce((x, y) => x + y, 0), binMs: bin };
}

function markerLines(l: TimelineLayout, placed: readonly PlacedMarker[]): string[] {
  const out = [`<g class="markers">`];
  for (const p of placed) {
    const mx = num(l.x(p.t));
    const ly = LABEL_TOP + (p.row + 1) * LABEL_ROW_PX - 3;
    const color = COLOR[p.cls];
    const dash = p.cls === 'fault' ? '' : ' stroke-dasharray="4 2"';
    out.push(
      `<g class="marker ${p.cls}"><line x1="${mx}" y1="${ly - 9}" x2="${mx}" y2="${l.axisY}" stroke="${color}" stroke-width="${p.cls === 'fault' ? 2 : 1.2}"${dash} data-kind="${escapeXml(p.e.kind)}" data-t="${num(p.t)}"/>` +
        `<text x="${num(l.x(p.t) + 3)}" y="${ly}" fill="${color}">${escapeXml(p.label)}</text></g>`,
    );
  }
  out.push(`</g>`);
  return out;
}

const LEGEND: ReadonlyArray<[string, string, 'box' | 'line']> = [
  [COLOR.ok, 'received', 'box'],
  [COLOR.partial, 'some lost', 'box'],
  [COLOR.lost, 'lost', 'box'],
  [COLOR.fault, 'fault', 'line'],
  [COLOR.down, 'link down seen', 'line'],
  [COLOR.up, 'link up seen', 'line'],
  [COLOR.failover, 'failover', 'line'],
];

function legendLines(l: TimelineLayout, strip: { received: number; binMs: number }): string[] {
  const { legendY, left, probe } = l;
  const out = [`<g class="legend">`];
  let lx = left;
  for (const [color, text, shape] of LEGEND) {
    if (shape === 'box') out.push(`<rect x="${lx}" y="${legendY - 9}" width="12" height="10" fill="${color}"/>`);
    else out.push(`<line x1="${lx + 6}" y1="${legendY - 11}" x2="${lx + 6}" y2="${legendY + 2}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${escapeXml(text)}</text>`);
    lx += 16 + text.length * CHAR_PX + 14;
  }
  out.push(
    `<text x="${left}" y="${legendY + 20}">${escapeXml(
      `${strip.received}/${l.n} probes back within ${l.lateAfterMs} ms at ${probe.achievedHz} pps, bins ${num(strip.binMs)} ms`,
    )}</text>`,
  );
  out.push(`</g>`);
  return out;
}

/** One line of numbers per fault. */
function faultLines(l: TimelineLayout, faults: TimelineFaults): string[] {
  const out = [`<g class="faults">`];
  faults.forEach((f, i) => {
    const text =
      `${f.index + 1}. ${f.label ?? f.kind}${f.nic !== undefined ? ` ${f.nic}` : ''} at ${f.atMs.toFixed(1)} ms: ` +
      `detect ${fmt(f.detectionMs)} ms, failover ${fmt(f.failoverMs)} ms, lost ${f.lost}/${f.sent}${f.late > 0 ? ` (${f.late} late)` : ''}, ` +
      `downtime ${f.downtimeMs.toFixed(1)}${f.recovered ? '' : '+'} ms, new active ${f.newActive ?? '-'}`;
    out.push(`<text x="${l.left}" y="${l.summaryY + i * 16}">${escapeXml(text)}</text>`);
  });
  out.push(`</g>`);
  return out;
}

type TimelineFaults = NonNullable<TimelineInput['faults']>;

export function renderTimeline(input: TimelineInput): string {
  const { probe } = input;
  const width = Math.max(300, Math.round(input.width ?? 1000));
  const left = TIMELINE_MARGIN.left;
  const plotW = width - left - TIMELINE_MARGIN.right;
  const events = [...input.events].filter((e) => Number.isFinite(e.t)).sort((a, b) => a.t - b.t);
  const { tMin, tMax } = timelineDomain(probe, events);
  const x = (t: number): number => left + ((t - tMin) / (tMax - tMin)) * plotW;
  const lateAfterMs = input.lateAfterMs ?? DEFAULT_LATE_AFTER_MS;
  const faults = input.faults ?? analyze(probe, events, { lateAfterMs }).faults;
  const { placed, rows } = placeMarkers(events, probe.startMs, x);
  const stripTop = LABEL_TOP + rows * LABEL_ROW_PX + 6;
  const stripBottom = stripTop + STRIP_PX;
  const axisY = stripBottom + 8;
  const legendY = axisY + 50;
  const summaryY = legendY + 40;
  const hz = probe.achievedHz > 0 ? probe.achievedHz : probe.rateHz;
  const layout: TimelineLayout = {
    probe,
    width,
    height: summaryY + faults.length * 16 + 12,
    left,
    plotW,
    tMin,
    tMax,
    x,
    lateAfterMs,
    ok: (i) => deliveredInTime(probe, i, lateAfterMs),
    n: Math.min(probe.sendUs.length, probe.recvUs.length),
    intervalMs: hz > 0 ? 1000 / hz : 0,
    stripTop,
    stripBottom,
    axisY,
    legendY,
    summaryY,
  };
  const { height } = layout;
  const title = input.title ?? `failover drill: ${probe.to}`;
  const strip = probeStripLines(layout);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...axisLines(layout),
    ...lossWindowLines(layout),
    ...strip.lines,
    ...markerLines(layout, placed),
    ...legendLines(layout, strip),
    ...faultLines(layout, faults),
    `</svg>`,
  ];
  return out.join('\n') + '\n';
}
