/**
 * bench-netlink: our LinkWatcher against `ip monitor link` during a carrier flap storm.
 *
 * In a scratch network namespace with N veth pairs, `ip -batch` flaps the B side of the pairs K
 * times (down + up = one flap; every flap makes the kernel send RTM_NEWLINK for both ends). Our
 * watcher and an `ip -ts monitor link` (writing to a file, so it never waits for us) listen at
 * the same time. For each receive-buffer size the run prints what each side received, its rate,
 * the overruns, our CPU cost per event, the resync dump time and memory. Not a test: figures only.
 *
 * Usage (root): scripts/bench-netlink [--pairs N] [--flaps K] [--rcvbuf BYTES[,BYTES...]] [--timeout S]
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LinkMessage } from '../src/netlink/link.js';
import { Rtnl, subscribeLinks } from '../src/netlink/rtnl.js';

interface Options {
  pairs: number;
  flaps: number;
  rcvbufs: number[];
  timeoutS: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { pairs: 32, flaps: 20000, rcvbufs: [4 << 20, 256 << 10], timeoutS: 120 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const int = (min: number, max: number): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${arg}: expected an integer in ${min}..${max}, got ${value}`);
      i++;
      return n;
    };
    if (arg === '--pairs') o.pairs = int(1, 512);
    else if (arg === '--flaps') o.flaps = int(1, 200_000);
    else if (arg === '--timeout') o.timeoutS = int(10, 1800);
    else if (arg === '--rcvbuf') {
      o.rcvbufs = String(value)
        .split(',')
        .map((v) => Number(v));
      if (!o.rcvbufs.every((n) => Number.isInteger(n) && n >= 4096 && n <= 64 << 20)) throw new Error('--rcvbuf: sizes in 4096..67108864');
      i++;
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: scripts/bench-netlink [--pairs N<=512] [--flaps K<=200000] [--rcvbuf BYTES[,BYTES]] [--timeout S]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const ns = `bdt-bench-${process.pid}`;
const netnsPath = `/run/netns/${ns}`;
const workDir = mkdtempSync(join(tmpdir(), 'bdt-bench-'));
const children = new Set<ReturnType<typeof spawn>>();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);

function ip(args: string[], input?: string): void {
  const r = spawnSync('ip', ['-n', ns, ...args], { input, encoding: 'utf8', timeout: opts.timeoutS * 1000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(workDir, { recursive: true, force: true });
}

/** Runs `ip -batch -` and resolves with its duration in ms. */
function batch(lines: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('ip', ['-n', ns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`ip -batch exited ${code}: ${stderr.slice(0, 500)}`));
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

interface MonitorResult {
  events: number;
  spanMs: number;
  overruns: number;
}

/** `ip -ts monitor link` writing straight into files (so it never waits for this process). */
function startIpMonitor(tag: string): { stop(): Promise<MonitorResult>; lines(): number; bytes(): number } {
  const outPath = join(workDir, `${tag}.out`);
  const errPath = join(workDir, `${tag}.err`);
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const child = spawn('ip', ['-n', ns, '-ts', 'monitor', 'link'], { stdio: ['ignore', out, err] });
  children.add(child);
  closeSync(out);
  closeSync(err);
  const eventLine = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (Deleted )?\d+: /;
  const count = (): number => readFileSync(outPath, 'utf8').split('\n').filter((l) => eventLine.test(l)).length;
  const closed = new Promise((resolve) => child.on('close', resolve));
  let result: Promise<MonitorResult> | undefined;
  return {
    lines: count,
    // Cheap progress probe while events flow: reading and splitting the file would cost CPU
    // that the figures would charge to our watcher.
    bytes: () => statSync(outPath).size,
    stop: () => (result ??= collect()),
  };
  async function collect(): Promise<MonitorResult> {
      child.kill('SIGTERM');
      await closed;
      children.delete(child);
      const stamps: number[] = [];
      for (const l of readFileSync(outPath, 'utf8').split('\n')) {
        const m = eventLine.exec(l);
        if (m) stamps.push(Date.parse(m[1]!) + Number(m[2]) / 1000);
      }
      const overruns = readFileSync(errPath, 'utf8')
        .split('\n')
        .filter((l) => /No buffer space|ENOBUFS|\(105\)/.test(l)).length;
      return { events: stamps.length, spanMs: stamps.length > 1 ? stamps[stamps.length - 1]! - stamps[0]! : 0, overruns };
  }
}

async function waitQuiet(read: () => number, quietMs: number, limitMs: number): Promise<void> {
  const deadline = performance.now() + limitMs;
  let last = read();
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = read();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
  }
}

function ipLinkSummary(): string[] {
  const r = spawnSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(r.stdout) as Array<{ ifindex: number; ifname: string; operstate: string; flags: string[] }>;
  return links.map((l) => `${l.ifindex} ${l.ifname} ${l.operstate} ${l.flags.includes('LOWER_UP') ? 'LOWER_UP' : ''}`).sort();
}

function ourLinkSummary(links: LinkMessage[]): string[] {
  return links.map((l) => `${l.index} ${l.name} ${l.operstate} ${l.lowerUp ? 'LOWER_UP' : ''}`).sort();
}

const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(1)} MiB`;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface PhaseResult {
  rcvbuf: number;
  effectiveRcvbuf: number;
  stormMs: number;
  ours: { events: number; spanMs: number; overruns: number };
  ip: MonitorResult;
  cpuUsPerEvent: number;
  drain: { events: number; ms: number; cpuUs: number; overruns: number; flaps: number };
  resyncMs: number;
  resyncLinks: number;
  resyncMatches: boolean;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
}

async function phase(rtnl: Rtnl, rcvbuf: number, index: number): Promise<PhaseResult> {
  const monitor = startIpMonitor(`phase${index}`);
  const watcher = subscribeLinks({ netnsPath, rcvbuf });
  let events = 0;
  let first = 0;
  let last = 0;
  watcher.on('link', () => {
    const now = performance.now();
    if (events++ === 0) first = now;
    last = now;
  });
  try {
    // Both listeners must be live before the storm: flap pair 0 until both have seen it.
    for (let i = 0; i < 50 && (events === 0 || monitor.lines() === 0); i++) {
      await batch(['link set bB0 down', 'link set bB0 up']);
      await sleep(100);
    }
    await waitQuiet(() => events + monitor.lines(), 1500, 10_000);
    const warmOurs = events;
    const warmIp = monitor.lines();
    events = 0;
    gc();
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();

    const lines: string[] = [];
    for (let k = 0; k < opts.flaps; k++) {
      const pair = k % opts.pairs;
      lines.push(`link set bB${pair} down`, `link set bB${pair} up`);
    }
    const stormMs = await batch(lines);
    // linkwatch may hold the last carrier changes back for up to a second.
    await waitQuiet(() => events + monitor.bytes(), 1500, opts.timeoutS * 500);
    const cpu = process.cpuUsage(cpu0);
    const stormEvents = events;
    const stormSpan = last - first;
    const stormOverruns = watcher.overruns;
    const ipResult = await monitor.stop();
    ipResult.events -= warmIp;
    gc();
    const rssAfter = process.memoryUsage().rss;
    const heapAfter = process.memoryUsage().heapUsed;

    // Backlog drain: run a smaller storm while this process is blocked (spawnSync), so the
    // notifications pile up in the socket's receive queue, then time how fast we empty it.
    const drainFlaps = Math.min(opts.flaps, 500);
    const drainLines: string[] = [];
    for (let k = 0; k < drainFlaps; k++) drainLines.push(`link set bB${k % opts.pairs} down`, `link set bB${k % opts.pairs} up`);
    // Three rounds (the first one also warms the JIT up); the median is reported.
    const rounds: Array<{ events: number; ms: number; cpuUs: number; overruns: number; flaps: number }> = [];
    for (let round = 0; round < 3; round++) {
      const overrunsBefore = watcher.overruns;
      events = 0;
      ip(['-batch', '-'], `${drainLines.join('\n')}\n`);
      // Stay blocked past linkwatch's one-second hold-back so the whole backlog is queued
      // before we start reading: the figure is then our processing rate alone.
      const until = performance.now() + 1100;
      while (performance.now() < until);
      const unblocked = performance.now();
      const cpuStart = process.cpuUsage();
      await waitQuiet(() => events, 1500, opts.timeoutS * 300);
      const cpuDrain = process.cpuUsage(cpuStart);
      rounds.push({
        events,
        ms: last - unblocked,
        cpuUs: cpuDrain.user + cpuDrain.system,
        overruns: watcher.overruns - overrunsBefore,
        flaps: drainFlaps,
      });
    }
    rounds.sort((a, b) => a.cpuUs / a.events - b.cpuUs / b.events);
    const drain = rounds[1]!;

    const times: number[] = [];
    let links: LinkMessage[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      links = await rtnl.getLinks();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const resyncMatches = JSON.stringify(ourLinkSummary(links)) === JSON.stringify(ipLinkSummary());
    void warmOurs;
    return {
      rcvbuf,
      effectiveRcvbuf: watcher.socket.rcvbuf,
      stormMs,
      ours: { events: stormEvents, spanMs: stormSpan, overruns: stormOverruns },
      ip: ipResult,
      cpuUsPerEvent: stormEvents > 0 ? (cpu.user + cpu.system) / stormEvents : 0,
      drain,
      resyncMs: times[2]!,
      resyncLinks: links.length,
      resyncMatches,
      rssBefore,
      rssAfter,
      heapBefore,
      heapAfter,
    };
  } finally {
    watcher.close();
    await monitor.stop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, veth)');
  const timer = setTimeout(() => {
    console.error(`bench-netlink: over the ${opts.timeoutS} s limit, stopping`);
    cleanup();
    process.exit(2);
  }, opts.timeoutS * 1000);
  timer.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  const r0 = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (r0.status !== 0) throw new Error(`ip netns add ${ns}: ${r0.stderr}`);
  const setup: string[] = ['link set lo up'];
  for (let i = 0; i < opts.pairs; i++) setup.push(`link add bA${i} type veth peer name bB${i}`, `link set bA${i} up`, `link set bB${i} up`);
  ip(['-batch', '-'], `${setup.join('\n')}\n`);
  const rtnl = Rtnl.open({ netnsPath, timeoutMs: 30_000 });
  try {
    const results: PhaseResult[] = [];
    for (const [i, rcvbuf] of opts.rcvbufs.entries()) results.push(await phase(rtnl, rcvbuf, i));
    print(results);
  } finally {
    rtnl.close();
  }
}

function print(results: PhaseResult[]): void {
  console.log(
    `bench-netlink: ${opts.pairs} veth pairs, ${fmt(opts.flaps)} flaps (${fmt(opts.flaps * 2)} link ops) per run; node ${process.version}; ip monitor link as reference`,
  );
  for (const r of results) {
    const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
    const oursRate = r.ours.spanMs > 0 ? (r.ours.events * 1000) / r.ours.spanMs : 0;
    const ipRate = r.ip.spanMs > 0 ? (r.ip.events * 1000) / r.ip.spanMs : 0;
    console.log('');
    console.log(`rcvbuf ${mib(r.rcvbuf)} requested (kernel reports ${mib(r.effectiveRcvbuf)}); storm took ${fmt(r.stormMs)} ms`);
    const rows: Array<[string, string, string, string]> = [
      ['', 'ours', 'ip monitor', 'ours/ip'],
      ['link events received', fmt(r.ours.events), fmt(r.ip.events), ratio(r.ours.events, r.ip.events)],
      ['events/s (first..last)', fmt(oursRate), fmt(ipRate), ratio(oursRate, ipRate)],
      ['overruns (ENOBUFS)', fmt(r.ours.overruns), fmt(r.ip.overruns), ''],
      ['CPU per event (storm)', `${fmt(r.cpuUsPerEvent, 1)} us`, '', ''],
      [
        `backlog drain (${r.drain.flaps} flaps queued while blocked, median of 3)`,
        r.drain.ms > 0 ? `${fmt((r.drain.events * 1000) / r.drain.ms)}/s` : '-',
        '',
        `${fmt(r.drain.events)} events in ${fmt(r.drain.ms, 1)} ms, ${r.drain.overruns} overruns`,
      ],
      [
        'CPU per event (backlog)',
        `${fmt(r.drain.cpuUs / Math.max(1, r.drain.events), 1)} us`,
        '',
        r.drain.cpuUs > 0 ? `= ${fmt((r.drain.events * 1e6) / r.drain.cpuUs)} events per CPU second` : '',
      ],
      [`resync dump (${r.resyncLinks} links)`, `${fmt(r.resyncMs, 2)} ms`, '', r.resyncMatches ? 'matches ip -j' : 'DIFFERS from ip -j'],
      ['RSS before / after storm', `${mib(r.rssBefore)} / ${mib(r.rssAfter)}`, '', ''],
      ['JS heap used before / after (after gc)', `${mib(r.heapBefore)} / ${mib(r.heapAfter)}`, '', ''],
    ];
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows) console.log(`  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')}`);
  }
  console.log('');
  console.log(`peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
}

main()
  .catch((error: unknown) => {
    console.error(`bench-netlink: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
