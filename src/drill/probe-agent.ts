/**
 * Probe agent of the failover drill: a standalone program run inside a network namespace with
 * `ip netns exec NS node dist/src/drill/probe-agent.js MODE ...`.
 *
 *   reflect --bind ADDR:PORT [--max-seconds S] [--ready]
 *       UDP echo responder: every datagram goes back to its source, unchanged.
 *   send --to ADDR:PORT --rate PPS --count N --max-seconds S [--bind ADDR[:PORT]]
 *        [--drain-ms MS] [--pacing spin|sleep|timer] [--size BYTES] [--run-id HEX16] [--ready]
 *       Sequence-numbered probe stream; prints ONE JSON line (ProbeResult) on stdout at the end.
 *
 * IPv6 endpoints are written `[2001:db8::1]:9000`.
 *
 * Only Node built-ins are imported so this file can be compiled and run on its own.
 * On stderr (with --ready): `ready ADDR:PORT` once the socket is bound, and for `send`
 * `started EPOCH_MS` when the first probe leaves. Exit status: 0 done, 1 runtime error, 2 usage.
 *
 * Clocks. Per-packet times are taken with process.hrtime.bigint() (CLOCK_MONOTONIC, ns) and
 * reported relative to the first send in microseconds. To align them with events recorded by
 * other processes (fault injection, netlink watchers) the result carries `startMs`: the
 * wall-clock (CLOCK_REALTIME) epoch time of that first send, computed as
 * `performance.timeOrigin + performance.now()`. Node samples timeOrigin once at process start
 * from gettimeofday() with microsecond precision together with the monotonic clock, so
 * timeOrigin + now() is a realtime-based epoch value with sub-millisecond precision that never
 * jumps inside a run (Date.now() only has millisecond precision and can step with NTP).
 * Any process that stamps its events with the same expression (see `nowMs()` in probe.ts)
 * is aligned with the probe stream to within a few microseconds plus the clock slew
 * accumulated since either process started.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** Header size of a probe: 8-byte sequence number, 8-byte send timestamp, 8-byte run id. */
export const PROBE_HEADER_BYTES = 24;
const MAX_PROBE_BYTES = 1472;
const MAX_RATE = 100_000;
const MAX_COUNT = 10_000_000;
/** Longest drain after an early stop (SIGTERM or --max-seconds). */
const EARLY_STOP_DRAIN_MS = 100;
/** At most this many probes are sent in one scheduler turn when catching up after a stall. */
const MAX_BURST = 64;
/** sleep pacing: longest blocking slice (bounds how late an echo is stamped) and wake-up margin. */
const SLEEP_SLICE_MS = 0.25;
const SLEEP_MARGIN_MS = 0.05;

export type PacingMode = 'spin' | 'sleep' | 'timer';
export type StopReason = 'count' | 'max-seconds' | 'signal';

/** What `probe-agent send` prints (one JSON line). All `*Us` values are µs since `startMs`. */
export interface ProbeResult {
  version: 1;
  mode: 'send';
  runId: string;
  to: string;
  /** Requested rate (probes/s). */
  rateHz: number;
  /** Achieved rate: (sent - 1) / (last send - first send). */
  achievedHz: number;
  /** Requested count. */
  count: number;
  sent: number;
  /** Distinct sequence numbers echoed back. */
  received: number;
  /** Echoes of a sequence number already received. */
  duplicates: number;
  /** Echoes that arrived after an echo of a higher sequence number. */
  reordered: number;
  /** Datagrams that were not an echo of this run (wrong size, run id or sequence). */
  foreign: number;
  /** Sends the kernel rejected (the probe still counts as sent, and as lost). */
  sendErrors: number;
  /** Realtime epoch ms (sub-ms precision) of the first send; t = 0 of every `*Us` value. */
  startMs: number;
  /** µs since start when the agent stopped listening for echoes. */
  endUs: number;
  stoppedBy: StopReason;
  pacing: {
    mode: PacingMode;
    /** Lateness of each send against its ideal time start + seq / rate. */
    lateP50Us: number;
    lateP99Us: number;
    lateMaxUs: number;
  };
  /** CPU time the agent used while sending and draining (user + system, ms). */
  cpuMs: number;
  /** Send time of sequence i (µs since start). Length = sent. */
  sendUs: number[];
  /** Receive time of the first echo of sequence i (µs since start), -1 if it never came back. */
  recvUs: number[];
}

/** What `probe-agent reflect` prints (one JSON line) when it ends. */
export interface ReflectorSummary {
  version: 1;
  mode: 'reflect';
  bind: string;
  reflected: number;
  errors: number;
  durationMs: number;
  stoppedBy: 'max-seconds' | 'signal';
  cpuMs: number;
}

export interface Endpoint {
  address: string;
  port: number;
  family: 4 | 6;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `ADDR:PORT` or `[V6ADDR]:PORT`. With `portOptional`, a bare `ADDR`, `V6ADDR` or
 * `[V6ADDR]` is accepted too (port 0: any).
 */
export function parseEndpoint(text: string, portOptional = false): Endpoint {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) host = text;
    else {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  const family = isIP(host);
  if (family !== 4 && family !== 6) throw new UsageError(`"${text}": not an IP address (IPv6 is written [ADDR]:PORT)`);
  if (portText === undefined) {
    if (!portOptional) throw new UsageError(`"${text}": a port is required (ADDR:PORT or [V6ADDR]:PORT)`);
    return { address: host, port: 0, family };
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`"${text}": port must be 0-65535`);
  const port = Number(portText);
  if (port === 0 && !portOptional) throw new UsageError(`"${text}": port 0 is not a destination`);
  return { address: host, port, family };
}

export function formatEndpoint(e: { address: string; port: number }): string {
  return isIP(e.address) === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export interface ReflectOptions {
  mode: 'reflect';
  bind: Endpoint;
  maxSeconds: number;
  ready: boolean;
}

export interface SendOptions {
  mode: 'send';
  to: Endpoint;
  bind?: Endpoint;
  rate: number;
  count: number;
  maxSeconds: number;
  drainMs: number;
  pacing: PacingMode;
  size: number;
  runId: Buffer;
  ready: boolean;
}

function numberOption(name: string, value: string | undefined, min: number, max: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} ${value}: must be a number from ${min} to ${max}`);
  return n;
}

/** Parses the agent command line (without node and script path). */
export function parseAgentArgs(argv: readonly string[]): ReflectOptions | SendOptions {
  const [mode, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        bind: { type: 'string' },
        to: { type: 'string' },
        rate: { type: 'string' },
        count: { type: 'string' },
        'max-seconds': { type: 'string' },
        'drain-ms': { type: 'string' },
        pacing: { type: 'string' },
        size: { type: 'string' },
        'run-id': { type: 'string' },
        ready: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const maxSeconds = numberOption('max-seconds', v['max-seconds'], 0.001, 86_400, mode === 'reflect' ? 60 : undefined);
  if (mode === 'reflect') {
    if (v.bind === undefined) throw new UsageError('reflect: --bind ADDR:PORT is required');
    for (const k of ['to', 'rate', 'count', 'drain-ms', 'pacing', 'size', 'run-id'] as const) {
      if (v[k] !== undefined) throw new UsageError(`reflect: --${k} is a send option`);
    }
    return { mode, bind: parseEndpoint(v.bind, true), maxSeconds, ready: v.ready ?? false };
  }
  if (mode === 'send') {
    if (v.to === undefined) throw new UsageError('send: --to ADDR:PORT is required');
    const to = parseEndpoint(v.to);
    const bind = v.bind === undefined ? undefined : parseEndpoint(v.bind, true);
    if (bind && bind.family !== to.family) throw new UsageError(`send: --bind ${v.bind} and --to ${v.to} are different address families`);
    const pacing = v.pacing ?? 'spin';
    if (pacing !== 'spin' && pacing !== 'sleep' && pacing !== 'timer') throw new UsageError(`send: --pacing ${pacing}: use spin, sleep or timer`);
    let runId: Buffer;
    if (v['run-id'] === undefined) runId = randomBytes(8);
    else if (/^[0-9a-f]{16}$/i.test(v['run-id'])) runId = Buffer.from(v['run-id'], 'hex');
    else throw new UsageError('send: --run-id must be 16 hex digits');
    return {
      mode,
      to,
      bind,
      rate: numberOption('rate', v.rate, 1, MAX_RATE),
      count: Math.floor(numberOption('count', v.count, 1, MAX_COUNT)),
      maxSeconds,
      drainMs: numberOption('drain-ms', v['drain-ms'], 0, 60_000, 200),
      pacing,
      size: Math.floor(numberOption('size', v.size, PROBE_HEADER_BYTES, MAX_PROBE_BYTES, PROBE_HEADER_BYTES)),
      runId,
      ready: v.ready ?? false,
    };
  }
  throw new UsageError(`unknown mode "${mode ?? ''}": use reflect or send`);
}

/** Builds probe `seq` (header + zero padding to `size`). */
export function encodeProbe(seq: number, sendNs: bigint, runId: Buffer, size = PROBE_HEADER_BYTES): Buffer {
  const buf = Buffer.alloc(size);
  buf.writeBigUInt64BE(BigInt(seq), 0);
  buf.writeBigUInt64BE(sendNs, 8);
  runId.copy(buf, 16, 0, 8);
  return buf;
}

/** Sequence number of an echo of this run, or -1 for anything else. */
export function decodeProbe(msg: Buffer, runId: Buffer): number {
  if (msg.length < PROBE_HEADER_BYTES) return -1;
  if (msg.compare(runId, 0, 8, 16, 24) !== 0) return -1;
  const seq = msg.readBigUInt64BE(0);
  return seq > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(seq);
}

/** Number of probes that should have been sent `elapsedNs` after the first one (capped). */
export function dueCount(elapsedNs: bigint, rate: number, count: number): number {
  if (elapsedNs < 0n) return 0;
  // Probe i is due at i / rate seconds; floor(elapsed * rate) + 1 probes are due.
  const due = Math.floor((Number(elapsedNs) * rate) / 1e9) + 1;
  return Math.min(due, count);
}

/** Per-sequence bookkeeping of sends and echoes (duplicates, reordering, foreign). */
export class ProbeRecorder {
  readonly sendUs: Float64Array;
  readonly recvUs: Float64Array;
  sent = 0;
  received = 0;
  duplicates = 0;
  reordered = 0;
  foreign = 0;
  sendErrors = 0;
  private highest = -1;

  constructor(readonly capacity: number) {
    this.sendUs = new Float64Array(capacity);
    this.recvUs = new Float64Array(capacity).fill(-1);
  }

  /** Records the send of the next sequence number and returns it. */
  recordSend(tUs: number): number {
    const seq = this.sent++;
    this.sendUs[seq] = tUs;
    return seq;
  }

  /** Records an echo; seq -1 (not ours) or a sequence never sent counts as foreign. */
  recordEcho(seq: number, tUs: number): void {
    if (seq < 0 || seq >= this.sent) {
      this.foreign++;
      return;
    }
    if (this.recvUs[seq]! >= 0) {
      this.duplicates++;
      return;
    }
    this.recvUs[seq] = tUs;
    this.received++;
    if (seq < this.highest) this.reordered++;
    else this.highest = seq;
  }

  get complete(): boolean {
    return this.received >= this.sent;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return round1((u.user + u.system) / 1000);
}

/** Writes one line to stdout and exits once it is flushed. */
function finish(line: string, code = 0): void {
  process.stdout.write(line + '\n', () => process.exit(code));
}

function openSocket(family: 4 | 6): Socket {
  // ipv6Only keeps a v6 socket from also answering v4-mapped traffic on the same port.
  return createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6 });
}

function bindSocket(sock: Socket, ep: Endpoint | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    sock.once('error', onError);
    const done = (): void => {
      sock.off('error', onError);
      resolve();
    };
    if (ep) sock.bind({ address: ep.address, port: ep.port, exclusive: true }, done);
    else sock.bind({ port: 0, exclusive: true }, done);
  });
}

async function reflect(opts: ReflectOptions): Promise<void> {
  const sock = openSocket(opts.bind.family);
  await bindSocket(sock, opts.bind);
  // Captured now: address() throws once the socket is closed.
  const bound = formatEndpoint(sock.address());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let reflected = 0;
  let errors = 0;
  let ended = false;
  const onSent = (error: Error | null): void => {
    if (error) errors++;
  };
  sock.on('message', (msg, rinfo) => {
    reflected++;
    sock.send(msg, rinfo.port, rinfo.address, onSent);
  });
  // Errors of an unconnected UDP socket (e.g. a queued ICMP error) must not end the responder.
  sock.on('error', () => {
    errors++;
  });
  const end = (stoppedBy: ReflectorSummary['stoppedBy']): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    sock.close();
    const summary: ReflectorSummary = {
      version: 1,
      mode: 'reflect',
      bind: bound,
      reflected,
      errors,
      durationMs: round1(performance.now() - t0),
      stoppedBy,
      cpuMs: cpuMsSince(cpu0),
    };
    finish(JSON.stringify(summary));
  };
  const timer = setTimeout(() => end('max-seconds'), opts.maxSeconds * 1000);
  process.on('SIGTERM', () => end('signal'));
  process.on('SIGINT', () => end('signal'));
  if (opts.ready) process.stderr.write(`ready ${bound}\n`);
}

/** The sender's summary line, from what it recorded. */
function probeResult(
  opts: SendOptions,
  rec: ProbeRecorder,
  late: Float64Array,
  run: { startMs: number; endUs: number; stoppedBy: StopReason; cpuMs: number },
): ProbeResult {
  const n = rec.sent;
  const sortedLate = late.slice(0, n).sort();
  const first = rec.sendUs[0] ?? 0;
  const last = n > 0 ? rec.sendUs[n - 1]! : 0;
  return {
    version: 1,
    mode: 'send',
    runId: opts.runId.toString('hex'),
    to: formatEndpoint(opts.to),
    rateHz: opts.rate,
    achievedHz: n > 1 && last > first ? round1(((n - 1) * 1e6) / (last - first)) : 0,
    count: opts.count,
    sent: n,
    received: rec.received,
    duplicates: rec.duplicates,
    reordered: rec.reordered,
    foreign: rec.foreign,
    sendErrors: rec.sendErrors,
    startMs: Math.round(run.startMs * 1000) / 1000,
    endUs: run.endUs,
    stoppedBy: run.stoppedBy,
    pacing: {
      mode: opts.pacing,
      lateP50Us: Math.round(percentile(sortedLate, 0.5)),
      lateP99Us: Math.round(percentile(sortedLate, 0.99)),
      lateMaxUs: Math.round(n > 0 ? sortedLate[n - 1]! : 0),
    },
    cpuMs: run.cpuMs,
    sendUs: Array.from(rec.sendUs.subarray(0, n), Math.round),
    recvUs: Array.from(rec.recvUs.subarray(0, n), Math.round),
  };
}

/** Sleep pacing: blocks the thread until ~SLEEP_MARGIN_MS before the next probe, one slice at most; true when it slept. */
function sleepUntilDue(cell: Int32Array, waitMs: number): boolean {
  if (waitMs <= SLEEP_MARGIN_MS) return false;
  Atomics.wait(cell, 0, 0, Math.min(waitMs - SLEEP_MARGIN_MS, SLEEP_SLICE_MS));
  return true;
}

/**
 * Pacing: probe i is due at t0 + i / rate. Every turn sends whatever is due (up to MAX_BURST,
 * so a stall is caught up in small bursts instead of one flood) and reschedules itself.
 * - spin: reschedules with setImmediate; the event loop polls the socket without blocking
 *   between turns, so probes leave within µs of their time and echoes are stamped within µs,
 *   at the cost of one busy core.
 * - sleep: between turns blocks the thread (Atomics.wait) in slices of at most 250 µs until
 *   ~50 µs before the next probe. Send times stay µs-accurate and the core is mostly idle;
 *   an echo that arrives during a slice is stamped when it ends (up to 250 µs late).
 * - timer: setTimeout with libuv's 1 ms granularity; up to ~1 ms send jitter (probes go out
 *   in bursts of rate/1000), echoes stamped promptly, nearly idle.
 * Beyond 2 ms to the next probe (low rates) every mode sleeps with setTimeout.
 *
 * The next pacing turn, `waitMs` before the next probe is due.
 */
function scheduleTurn(tick: () => void, pacing: SendOptions['pacing'], waitMs: number): void {
  if (waitMs > 2) setTimeout(tick, Math.floor(waitMs - 1));
  else if (pacing === 'timer') setTimeout(tick, Math.max(1, Math.floor(waitMs)));
  else setImmediate(tick);
}

async function send(opts: SendOptions): Promise<void> {
  const sock = openSocket(opts.to.family);
  await bindSocket(sock, opts.bind);
  const rec = new ProbeRecorder(opts.count);
  const late = new Float64Array(opts.count);
  const intervalNs = 1e9 / opts.rate;
  const runId = opts.runId;
  let t0 = 0n;
  let startMs = 0;
  let cpu0 = process.cpuUsage();
  let stoppedBy: StopReason = 'count';
  let sending = true;
  let ending = false;
  let drainTimer: NodeJS.Timeout | undefined;
  let signals = 0;

  const usSince = (t: bigint): number => Number(t - t0) / 1000;

  sock.on('message', (msg) => {
    const t = process.hrtime.bigint();
    if (t0 === 0n) return;
    rec.recordEcho(decodeProbe(msg, runId), Math.round(usSince(t)));
    if (!sending && rec.complete) end();
  });
  // ICMP errors queued on the socket (unreachable, refused) show up here; the probe is lost anyway.
  sock.on('error', () => {
    rec.sendErrors++;
  });
  const onSent = (error: Error | null): void => {
    if (error) rec.sendErrors++;
  };

  const end = (): void => {
    if (ending) return;
    ending = true;
    sending = false;
    clearTimeout(deadline);
    clearTimeout(drainTimer);
    const endUs = Math.round(usSince(process.hrtime.bigint()));
    sock.close();
    finish(JSON.stringify(probeResult(opts, rec, late, { startMs, endUs, stoppedBy, cpuMs: cpuMsSince(cpu0) })));
  };

  /** Stops sending and waits for echoes still in flight, at most `ms`. */
  const stopSending = (reason: StopReason, ms: number): void => {
    if (!sending) return;
    sending = false;
    stoppedBy = reason;
    if (rec.complete || ms <= 0) end();
    else drainTimer = setTimeout(end, ms);
  };

  const deadline = setTimeout(() => stopSending('max-seconds', EARLY_STOP_DRAIN_MS), opts.maxSeconds * 1000);
  const onSignal = (): void => {
    // The first signal stops the stream and drains briefly; a second one prints at once.
    if (++signals > 1 || !sending) end();
    else stopSending('signal', EARLY_STOP_DRAIN_MS);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const sendOne = (now: bigint): void => {
    const seq = rec.recordSend(usSince(now));
    late[seq] = (Number(now - t0) - seq * intervalNs) / 1000;
    sock.send(encodeProbe(seq, now, runId, opts.size), opts.to.port, opts.to.address, onSent);
  };

  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  const tick = (): void => {
    if (!sending) return;
    let now = process.hrtime.bigint();
    // Sleep pacing sleeps here, at the start of a turn: the probes of the previous turn have
    // already left (dgram hands them to the kernel on process.nextTick after the turn that
    // queued them).
    if (opts.pacing === 'sleep' && sleepUntilDue(sleepCell, (Number(t0 - now) + rec.sent * intervalNs) / 1e6)) now = process.hrtime.bigint();
    const due = dueCount(now - t0, opts.rate, opts.count);
    for (let burst = 0; rec.sent < due && burst < MAX_BURST; burst++) sendOne(now);
    if (rec.sent >= opts.count) {
      stopSending('count', opts.drainMs);
      return;
    }
    scheduleTurn(tick, opts.pacing, (Number(t0 - now) + rec.sent * intervalNs) / 1e6);
  };

  const bound = formatEndpoint(sock.address());
  if (opts.ready) process.stderr.write(`ready ${bound}\n`);
  cpu0 = process.cpuUsage();
  t0 = process.hrtime.bigint();
  startMs = nowEpochMs();
  sendOne(t0);
  if (opts.ready) process.stderr.write(`started ${startMs.toFixed(3)}\n`);
  if (opts.count === 1) stopSending('count', opts.drainMs);
  else setImmediate(tick);
}

export async function main(argv: readonly string[]): Promise<void> {
  let opts: ReflectOptions | SendOptions;
  try {
    opts = parseAgentArgs(argv);
  } catch (error) {
    process.stderr.write(`probe-agent: ${(error as Error).message}\n`);
    process.exit(2);
  }
  try {
    if (opts.mode === 'reflect') await reflect(opts);
    else await send(opts);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const where = opts.mode === 'reflect' ? formatEndpoint(opts.bind) : formatEndpoint(opts.to);
    process.stderr.write(`probe-agent ${opts.mode} ${where}: ${e.message}\n`);
    process.exit(1);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main(process.argv.slice(2));
