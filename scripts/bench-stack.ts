/**
 * Stack bring-up benchmark (run by scripts/bench-stack inside the guest): 8 bonds × 2 slaves
 * (active-backup, miimon 100), each with 4 VLANs, each VLAN the port of its own bridge (STP off,
 * forward delay 0) that carries an address, built two ways in fresh network namespaces:
 *   - ip -batch: one iproute2 process reading every command from a file (the floor);
 *   - bondd: the planner and executor (KernelHost, netlink backend) applying the same stack from
 *     the configuration model, including what bondd does on top: observing the host first,
 *     switching IPv6 off on the 32 bridge ports (/proc/sys, which ip cannot do), marking what it
 *     created, and verifying by observing and planning again.
 * bondd's run happens in a worker started inside the namespace (`ip netns exec NS node ... --worker`)
 * so that /proc/sys is the namespace's own; the worker times only the apply. Both results are
 * checked with `ip -j -d link show` / `ip -j addr show` and must agree.
 *
 * Usage: node <compiled>/scripts/bench-stack.js [--runs N] [--bonds N] [--vlans N] [--time-limit S]
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { DesiredBond } from '../src/config/types.js';
import { apply } from '../src/plan/executor.js';
import { KernelHost } from '../src/plan/host.js';
import { ensureBondingLoaded } from '../src/sysfs/module.js';

const run = promisify(execFile);

interface Args {
  runs: number;
  bonds: number;
  vlans: number;
  timeLimitS: number;
  worker: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 5, bonds: 8, vlans: 4, timeLimitS: 600, worker: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const int = (min: number, max: number): number => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${key} needs a whole number from ${min} to ${max}`);
      return value;
    };
    if (key === '--runs') args.runs = int(1, 20);
    else if (key === '--bonds') args.bonds = int(1, 64);
    else if (key === '--vlans') args.vlans = int(1, 64);
    else if (key === '--time-limit') args.timeLimitS = int(10, 3600);
    else if (key === '--worker') args.worker = true;
    else if (key === '-h' || key === '--help') {
      console.log('usage: bench-stack [--runs N (5)] [--bonds N (8)] [--vlans N (4)] [--time-limit SECONDS (600)]');
      process.exit(0);
    } else throw new Error(`unknown argument ${key}`);
  }
  return args;
}

const vlanId = (v: number): number => 100 + v;
const bridgeName = (b: number, v: number): string => `br${b}v${vlanId(v)}`;
const bridgeAddress = (b: number, v: number): string => `2001:db8:${b.toString(16)}:${vlanId(v).toString(16)}::1/64`;

/** The stack as bondd's configuration model. */
function stackConfig(bonds: number, vlans: number): DesiredBond[] {
  return Array.from({ length: bonds }, (_, b): DesiredBond => ({
    name: `bond${b}`,
    mode: 'active-backup',
    options: { miimon: 100 },
    slaves: [{ name: `eth${2 * b}`, options: {} }, { name: `eth${2 * b + 1}`, options: {} }],
    addresses: [],
    routes: [],
    backend: 'netlink',
    drift: 'alert',
    up: true,
    origin: { file: 'bench-stack', line: 0 },
    vlans: Array.from({ length: vlans }, (_, v) => ({
      id: vlanId(v),
      name: `bond${b}.${vlanId(v)}`,
      addresses: [],
      routes: [],
      bridge: { name: bridgeName(b, v), stp: false, forwardDelay: 0, addresses: [bridgeAddress(b, v)], routes: [] },
    })),
  }));
}

/** The same stack as iproute2 commands. */
function ipBatchText(bonds: number, vlans: number): string {
  const lines: string[] = [];
  for (let b = 0; b < bonds; b++) {
    lines.push(`link add bond${b} type bond mode active-backup miimon 100`);
    for (const s of [2 * b, 2 * b + 1]) lines.push(`link set eth${s} down master bond${b}`);
    lines.push(`link set bond${b} up`);
    for (let v = 0; v < vlans; v++) {
      const vl = `bond${b}.${vlanId(v)}`;
      lines.push(`link add link bond${b} name ${vl} type vlan id ${vlanId(v)}`);
      lines.push(`link add ${bridgeName(b, v)} type bridge stp_state 0 forward_delay 0`);
      lines.push(`link set ${vl} master ${bridgeName(b, v)}`);
      lines.push(`link set ${vl} up`);
      lines.push(`link set ${bridgeName(b, v)} up`);
      lines.push(`address add ${bridgeAddress(b, v)} dev ${bridgeName(b, v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Worker (inside the namespace): applies the stack, prints {ms, steps}. */
async function worker(args: Args): Promise<void> {
  const host = KernelHost.open();
  try {
    const start = performance.now();
    const result = await apply({ bonds: stackConfig(args.bonds, args.vlans) }, host);
    const ms = performance.now() - start;
    console.log(JSON.stringify({ ms, steps: result.executed.length }));
  } finally {
    await host.close();
  }
}

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 300_000, maxBuffer: 64 << 20 })).stdout;
}

const live = new Set<string>();

async function createNamespace(tag: string, bonds: number): Promise<string> {
  const name = `bds-${process.pid.toString(36)}-${tag}`;
  live.add(name);
  await ip('netns', 'add', name);
  const dir = mkdtempSync(join(tmpdir(), 'bench-stack-'));
  try {
    const lines = ['link set lo up'];
    for (let i = 0; i < bonds * 2; i++) lines.push(`link add eth${i} type veth peer name p${i}`, `link set p${i} up`);
    writeFileSync(join(dir, 'nics'), `${lines.join('\n')}\n`);
    await ip('-n', name, '-batch', join(dir, 'nics'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return name;
}

async function deleteNamespace(name: string): Promise<void> {
  await ip('netns', 'del', name).catch(() => undefined);
  live.delete(name);
}

function cleanupSync(): void {
  for (const name of live) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* gone */
    }
  }
  live.clear();
}

type Method = 'ip -batch' | 'bondd';
const METHODS: Method[] = ['ip -batch', 'bondd'];

async function timeMethod(method: Method, ns: string, args: Args): Promise<{ ms: number; steps: number }> {
  if (method === 'ip -batch') {
    const dir = mkdtempSync(join(tmpdir(), 'bench-stack-'));
    try {
      const file = join(dir, 'stack');
      const text = ipBatchText(args.bonds, args.vlans);
      writeFileSync(file, text);
      const start = performance.now();
      await ip('-n', ns, '-batch', file);
      return { ms: performance.now() - start, steps: text.trim().split('\n').length };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const self = fileURLToPath(import.meta.url);
  const out = await run('ip', ['netns', 'exec', ns, process.execPath, self, '--worker', '--bonds', String(args.bonds), '--vlans', String(args.vlans)], { timeout: 300_000 });
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { ms: number; steps: number };
}

interface IpLinkJson {
  ifname: string;
  master?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
  addr_info?: Array<{ local: string; prefixlen: number; scope: string }>;
}

/** What was built, without ifindexes, MACs and bondd's alias: both methods must agree. */
async function verify(ns: string, args: Args): Promise<string> {
  const links = JSON.parse(await ip('-n', ns, '-j', '-d', 'link', 'show')) as IpLinkJson[];
  const addrs = JSON.parse(await ip('-n', ns, '-j', 'address', 'show')) as IpLinkJson[];
  const summary: unknown[] = [];
  for (const l of links.filter((x) => ['bond', 'vlan', 'bridge'].includes(x.linkinfo?.info_kind ?? '')).sort((a, b) => a.ifname.localeCompare(b.ifname, 'en', { numeric: true }))) {
    const kind = l.linkinfo!.info_kind!;
    const data = l.linkinfo!.info_data ?? {};
    const global = (addrs.find((a) => a.ifname === l.ifname)?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
    summary.push([l.ifname, kind, l.master ?? null, l.flags.includes('UP'), kind === 'vlan' ? data['id'] : kind === 'bridge' ? [data['stp_state'], data['forward_delay']] : data['mode'], global]);
  }
  const want = args.bonds * (1 + 2 * args.vlans);
  if (summary.length !== want) throw new Error(`${ns}: ${summary.length} bonds/VLANs/bridges instead of ${want}`);
  return JSON.stringify(summary);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return worker(args);
  process.once('exit', cleanupSync);
  const watchdog = setTimeout(() => {
    console.error(`bench-stack: time limit of ${args.timeLimitS} s reached; cleaning up`);
    cleanupSync();
    process.exit(124);
  }, args.timeLimitS * 1000);
  watchdog.unref();
  await ensureBondingLoaded();
  await run('modprobe', ['8021q']).catch(() => undefined);
  await run('modprobe', ['bridge']).catch(() => undefined);
  const devices = args.bonds * (1 + 2 * args.vlans);
  console.log(`bench-stack: ${args.bonds} bonds × 2 slaves × ${args.vlans} VLANs, a bridge with an address on each VLAN (${devices} devices); ${args.runs} run(s) per method`);
  console.log(`kernel ${(await run('uname', ['-r'])).stdout.trim()}; each build in a fresh namespace\n`);

  // Warm-up, not counted (binaries over 9p, node's code paths).
  for (const method of METHODS) {
    const ns = await createNamespace(`w${method === 'bondd' ? 'b' : 'i'}`, 1);
    try {
      await timeMethod(method, ns, { ...args, bonds: 1, vlans: 1 });
    } finally {
      await deleteNamespace(ns);
    }
  }
  const times = new Map<Method, number[]>(METHODS.map((m) => [m, []]));
  let reference: string | undefined;
  for (let r = 0; r < args.runs; r++) {
    const order = r % 2 ? [...METHODS].reverse() : METHODS;
    for (const method of order) {
      const ns = await createNamespace(`${r}${method === 'bondd' ? 'b' : 'i'}`, args.bonds);
      try {
        const { ms, steps } = await timeMethod(method, ns, args);
        const summary = await verify(ns, args);
        reference ??= summary;
        if (summary !== reference) throw new Error(`${method} built something different (run ${r + 1})`);
        times.get(method)!.push(ms);
        console.log(`  run ${r + 1}: ${method.padEnd(9)} ${ms.toFixed(1).padStart(9)} ms  (${steps} ${method === 'bondd' ? 'executor steps' : 'ip commands'})`);
      } finally {
        await deleteNamespace(ns);
      }
    }
  }
  const floor = median(times.get('ip -batch')!);
  console.log('');
  for (const m of METHODS) {
    const med = median(times.get(m)!);
    console.log(`${m.padEnd(9)} median ${med.toFixed(1).padStart(8)} ms, ${(med / devices).toFixed(2)} ms/device, min ${Math.min(...times.get(m)!).toFixed(1)} ms, ${(med / floor).toFixed(2)}× ip -batch`);
  }
  const paired = median(times.get('bondd')!.map((ms, i) => ms / times.get('ip -batch')![i]!));
  console.log(`bondd / ip -batch: medians ${(median(times.get('bondd')!) / floor).toFixed(2)}×, minimums ${(Math.min(...times.get('bondd')!) / Math.min(...times.get('ip -batch')!)).toFixed(2)}×, median of per-run ratios ${paired.toFixed(2)}×`);
  clearTimeout(watchdog);
}

main().catch((error: unknown) => {
  console.error(`bench-stack: ${error instanceof Error ? error.message : String(error)}`);
  cleanupSync();
  process.exit(1);
});
