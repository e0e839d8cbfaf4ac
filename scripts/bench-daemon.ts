/**
 * bench-daemon: what bondd costs while nothing happens, and how late it records what happens.
 *
 * In a scratch topology (test kit namespaces, bdt-<pid>-...) bondd runs inside the host namespace
 * with BONDS active-backup bonds of two veth slaves each (miimon 100). Then:
 *
 *   1. idle: nothing touches the namespace or the daemon for IDLE seconds. CPU time from
 *      /proc/PID/stat (utime+stime, clock ticks) and, more precisely, the sum of every thread's
 *      /proc/PID/task/TID/schedstat run time; wake-ups as the change of every thread's
 *      voluntary+nonvoluntary context switches. The daemon has no timers (no watchdog outside
 *      systemd), so the target is ~0 wake-ups and < 20 ms of CPU.
 *   2. memory: VmRSS, VmHWM, RssAnon, threads.
 *   3. latency: CUTS carrier cuts and restores on bond0's first slave (the switch port goes down,
 *      as a pulled cable). `ip -ts monitor link` in the same namespace stamps each RTM_NEWLINK
 *      when iproute2 receives it; bondd's journal entry for the carrier edge carries the time
 *      bondd recorded it. The difference is bondd's own delay (decode, cache, journal), for the
 *      same kernel message. Both clocks are the wall clock of the same machine.
 *
 * Figures only, not a test. Usage (root, real bonding driver: see scripts/bench-daemon):
 *   node dist/scripts/bench-daemon.js [--idle S] [--settle S] [--cuts N] [--bonds N] [--trace-gc]
 * --settle: wait this long after READY before the idle window (default 60 s: about 50 s after
 * start V8's memory reducer runs two "Mark-Compact (reduce)" collections once, ~1 s of CPU in
 * the guest; --settle 5 puts them inside the window). --trace-gc: run bondd with node --trace-gc
 * and list the collections V8 made during the window.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callDaemon } from '../src/daemon/client.js';
import type { JournalEntry } from '../src/state/journal.js';
import { Topology } from '../src/netns/topology.js';

interface Options {
  idleS: number;
  settleS: number;
  cuts: number;
  bonds: number;
  traceGc: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { idleS: 60, settleS: 60, cuts: 20, bonds: 4, traceGc: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const int = (min: number, max: number): number => {
      const n = Number(argv[i + 1]);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${arg}: expected an integer in ${min}..${max}, got ${argv[i + 1]}`);
      i++;
      return n;
    };
    if (arg === '--idle') o.idleS = int(1, 3600);
    else if (arg === '--settle') o.settleS = int(0, 3600);
    else if (arg === '--trace-gc') o.traceGc = true;
    else if (arg === '--cuts') o.cuts = int(1, 1000);
    else if (arg === '--bonds') o.bonds = int(1, 8);
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: scripts/bench-daemon [--idle SECONDS (60)] [--settle SECONDS (60)] [--cuts N (20)] [--bonds N<=8 (4)] [--trace-gc]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return o;
}

const BONDD = join(dirname(fileURLToPath(import.meta.url)), '../src/daemon/main.js');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface ProcSample {
  ticks: number;
  runNs: number;
  switches: Map<string, number>;
  threads: Map<string, string>;
}

function sample(pid: number): ProcSample {
  // Fields after the command name (which may contain spaces): utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  let runNs = 0;
  const switches = new Map<string, number>();
  const threads = new Map<string, string>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      runNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const v = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const nv = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      switches.set(tid, v + nv);
      threads.set(tid, readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      /* a thread that just ended */
    }
  }
  return { ticks, runNs, switches, threads };
}

function memory(pid: number): Record<string, string> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const out: Record<string, string> = {};
  for (const key of ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'Threads']) out[key] = /^(\w+):\s+(.*)$/m.exec(status.split('\n').find((l) => l.startsWith(`${key}:`)) ?? '')?.[2] ?? '?';
  return out;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `n=${s.length} median ${quantile(s, 0.5).toFixed(2)} ms, p95 ${quantile(s, 0.95).toFixed(2)} ms, min ${s[0]?.toFixed(2)} ms, max ${s[s.length - 1]?.toFixed(2)} ms`;
}

/** `[2025-11-25T07:50:01.123456]` (iproute2 -ts: local time, microseconds) → ms since the epoch. */
function parseIpTimestamp(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})$/.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
  return new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime() + us! / 1000;
}

interface MonitorLine {
  t: number;
  name: string;
  flags: string[];
}

function parseMonitor(text: string): MonitorLine[] {
  const out: MonitorLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[([^\]]+)\]\s*(?:Deleted\s+)?\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>/.exec(line);
    if (m) out.push({ t: parseIpTimestamp(m[1]!), name: m[2]!, flags: m[3]!.split(',') });
  }
  return out;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, the bonding driver)');
  const work = mkdtempSync(join(tmpdir(), 'bdt-bench-daemon-'));
  const children: ChildProcess[] = [];
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  spawnSync('modprobe', ['bonding', 'max_bonds=0'], { stdio: 'ignore' });

  const topo = await Topology.create({ nics: o.bonds * 2 });
  try {
    const config = join(work, 'bondd.yaml');
    const bonds = Array.from({ length: o.bonds }, (_, i) => i);
    writeFileSync(
      config,
      'bonds:\n' +
        bonds
          .map((i) => `  bond${i}:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [eth${2 * i}, eth${2 * i + 1}]\n${i === 0 ? '    addresses: [192.0.2.10/24]\n' : ''}`)
          .join(''),
    );
    const socket = join(work, 'bondd.sock');
    const log = openSync(join(work, 'bondd.log'), 'w');
    const started = performance.now();
    const daemon = spawn('ip', ['netns', 'exec', topo.host.name, process.execPath, ...(o.traceGc ? ['--trace-gc'] : []), BONDD, '--config', config, '--state-dir', join(work, 'state'), '--socket', socket], {
      stdio: ['ignore', log, log],
    });
    children.push(daemon);
    closeSync(log);
    const pid = daemon.pid!;
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`bondd exited (${daemon.exitCode}): ${readFileSync(join(work, 'bondd.log'), 'utf8')}`);
      try {
        await callDaemon('ping', {}, { path: socket, timeoutMs: 5000 });
        break;
      } catch {
        await sleep(100);
      }
      if (performance.now() - started > 180_000) throw new Error('bondd did not become ready within 180 s');
    }
    const readyMs = performance.now() - started;
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    console.log(`bondd pid ${pid} (${comm}) ready after ${(readyMs / 1000).toFixed(1)} s with ${o.bonds} bond(s), ${o.bonds * 2} slaves; kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}${process.env['BONDD_IN_GUEST'] === '1' ? ' (QEMU guest: user code ~20x slower than on a host)' : ''}`);

    // Let the start-up settle: miimon brings the slaves up, the journal records it.
    await sleep(o.settleS * 1000);

    // 1. idle, in slices: a wake-up rate that decays is start-up work (V8's memory reducer runs a
    // few GCs in the first minute after an allocation burst), a flat one would be a timer.
    const logFile = join(work, 'bondd.log');
    const gcLinesBefore = readFileSync(logFile, 'utf8').split('\n').length;
    const slices = Math.max(1, Math.min(6, o.idleS));
    const sliceMs = (o.idleS * 1000) / slices;
    const a = sample(pid);
    const t0 = performance.now();
    let prev = a;
    const sliceLines: string[] = [];
    for (let i = 0; i < slices; i++) {
      await sleep(sliceMs);
      const now = sample(pid);
      let w = 0;
      for (const [tid, after] of now.switches) w += after - (prev.switches.get(tid) ?? 0);
      sliceLines.push(`${((i + 1) * sliceMs / 1000).toFixed(0)}s: ${((now.runNs - prev.runNs) / 1e6).toFixed(1)} ms, ${w} wake-ups`);
      prev = now;
    }
    const b = prev;
    const seconds = (performance.now() - t0) / 1000;
    const cpuTicksMs = ((b.ticks - a.ticks) * 1000) / CLK_TCK;
    const runMs = (b.runNs - a.runNs) / 1e6;
    let wakeups = 0;
    const perThread: string[] = [];
    for (const [tid, after] of b.switches) {
      const delta = after - (a.switches.get(tid) ?? 0);
      wakeups += delta;
      if (delta) perThread.push(`${b.threads.get(tid)}[${tid}] ${delta}`);
    }
    console.log(`\nidle ${seconds.toFixed(1)} s (from ${o.settleS} s after ready), ${o.bonds} bonds:`);
    console.log(`  CPU (utime+stime)      ${cpuTicksMs.toFixed(0)} ms  (clock tick ${1000 / CLK_TCK} ms)`);
    console.log(`  CPU (schedstat, all threads) ${runMs.toFixed(3)} ms  target < 20 ms: ${runMs < 20 ? 'met' : 'NOT met'}`);
    console.log(`  context switches (wake-ups) ${wakeups} over ${b.switches.size} threads = ${(wakeups / seconds).toFixed(2)}/s${perThread.length ? `: ${perThread.join(', ')}` : ''}`);
    console.log(`  per slice: ${sliceLines.join('; ')}`);
    if (o.traceGc) {
      const gcs = readFileSync(logFile, 'utf8').split('\n').slice(gcLinesBefore - 1).filter((l) => /Scavenge|Mark-Compact|Mark-sweep/i.test(l));
      const kinds = new Map<string, number>();
      for (const l of gcs) {
        const k = /(Scavenge|Mark-Compact|Mark-sweep)[^,(]*/i.exec(l)?.[0]?.trim() ?? '?';
        kinds.set(k, (kinds.get(k) ?? 0) + 1);
      }
      console.log(`  V8 collections during and just before the window: ${gcs.length}${kinds.size ? ` (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`);
      for (const l of gcs.slice(0, 12)) console.log(`    ${l.trim().slice(0, 160)}`);
    }

    // 2. memory
    const mem = memory(pid);
    console.log(`\nmemory: VmRSS ${mem['VmRSS']}, VmHWM ${mem['VmHWM']}, RssAnon ${mem['RssAnon']}, RssFile ${mem['RssFile']}, threads ${mem['Threads']}`);

    // 3. carrier event → journal entry, next to ip monitor
    const monitorFile = join(work, 'monitor.txt');
    const monitorFd = openSync(monitorFile, 'w');
    const monitor = spawn('ip', ['-n', topo.host.name, '-ts', 'monitor', 'link'], { stdio: ['ignore', monitorFd, 'ignore'] });
    children.push(monitor);
    closeSync(monitorFd);
    const entries: JournalEntry[] = [];
    const received = new Map<number, number>();
    const stop = new AbortController();
    const following = callDaemon('events', { follow: true, since: Date.now() }, {
      path: socket,
      onEvent: (e) => {
        received.set((e as JournalEntry).seq, Date.now());
        entries.push(e as JournalEntry);
      },
      signal: stop.signal,
    });
    following.catch(() => undefined);
    await sleep(1000);
    const slave = 'eth0';
    const waitEntry = async (carrier: boolean, after: number): Promise<JournalEntry> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const e = entries.find((x) => x.kind === 'carrier' && x.slave === slave && x.data?.['carrier'] === carrier && x.t >= after);
        if (e) return e;
        if (Date.now() > deadline) throw new Error(`no journal entry for ${slave} carrier ${carrier ? 'up' : 'lost'} within 20 s`);
        await sleep(10);
      }
    };
    const edges: Array<{ carrier: boolean; before: number; entry: JournalEntry }> = [];
    for (let i = 0; i < o.cuts; i++) {
      let before = Date.now() - 1;
      await topo.cutCarrier(slave);
      edges.push({ carrier: false, before, entry: await waitEntry(false, before) });
      await sleep(300);
      before = Date.now() - 1;
      await topo.restoreCarrier(slave);
      edges.push({ carrier: true, before, entry: await waitEntry(true, before) });
      await sleep(300);
    }
    await sleep(500);
    monitor.kill('SIGTERM');
    stop.abort();
    const lines = parseMonitor(readFileSync(monitorFile, 'utf8')).filter((l) => l.name === slave);
    const delays: { lost: number[]; up: number[] } = { lost: [], up: [] };
    const delivered: number[] = [];
    let unmatched = 0;
    for (const edge of edges) {
      // The first message for the slave, after the cut began, that shows the new carrier state.
      const seen = lines.find((l) => l.t >= edge.before - 1 && l.flags.includes('NO-CARRIER') === !edge.carrier && (edge.carrier ? l.flags.includes('LOWER_UP') : true));
      if (!seen) {
        unmatched++;
        continue;
      }
      (edge.carrier ? delays.up : delays.lost).push(edge.entry.t - seen.t);
      const got = received.get(edge.entry.seq);
      if (got !== undefined) delivered.push(got - seen.t);
    }
    console.log(`\ncarrier event → bondd journal entry, minus the same event's ip monitor timestamp (${o.cuts} cuts of ${slave}):`);
    console.log(`  carrier lost: ${stats(delays.lost)}`);
    console.log(`  carrier up:   ${stats(delays.up)}`);
    console.log(`  all edges:    ${stats([...delays.lost, ...delays.up])}`);
    console.log(`  delivered to an \`events --follow\` client (upper bound, wall clock on both sides): ${stats(delivered)}`);
    console.log('  (both receivers get the same multicast message; a negative figure means ip monitor was scheduled later than bondd)');
    if (unmatched) console.log(`  (${unmatched} edge(s) without a matching ip monitor line)`);
    const failovers = entries.filter((e) => e.kind === 'failover').length;
    console.log(`  journal entries during the cuts: ${entries.length} (${failovers} failovers)`);

    const after = memory(pid);
    console.log(`\nmemory after the cuts: VmRSS ${after['VmRSS']}, VmHWM ${after['VmHWM']}`);

    daemon.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => {
      if (daemon.exitCode !== null) resolve(daemon.exitCode);
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 30_000);
      daemon.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    console.log(`bondd stopped (exit ${code})`);
  } finally {
    await topo.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench-daemon: ${error.message}`);
    process.exit(1);
  },
);
