/**
 * Test harness for bondd as a process: start the built daemon (dist/) inside a topology's host
 * namespace, talk to it over its control socket, stop or kill it, and read the kernel state of
 * the namespace the way an operator would (ip -j, sysfs files).
 *
 * The daemon runs *inside* the namespace (`ip netns exec NS node bondd ...`): the sysfs backend
 * writes /sys/class/net of the process's own namespace, and `ip netns exec` mounts the
 * namespace's sysfs there. `ip netns exec` execs the command, so the child's pid is node's and
 * signals reach the daemon directly.
 *
 * Every daemon started here is killed in afterAll even when a test fails before stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { callDaemon } from '../../../src/daemon/client.js';
import type { JournalEntry, JournalKind } from '../../../src/state/journal.js';
import type { Namespace } from '../../netns/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BONDD = join(ROOT, 'dist/src/daemon/main.js');
export const BONDCTL = join(ROOT, 'dist/src/cli/main.js');

/** Inside the guest a missing driver is a failure, not a reason to skip. */
export const inGuest = process.env['BONDD_IN_GUEST'] === '1';

export function requireBuilt(): void {
  for (const file of [BONDD, BONDCTL]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npx tsc -p tsconfig.json, or scripts/setup)`);
  }
}

const running = new Set<Bondd>();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of [...running]) await d.kill().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
});

/** A scratch directory removed in afterAll (guest /tmp is a fresh tmpfs). */
export async function scratchDir(prefix = 'bdt-daemon-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Writes files (name → text) into a directory; returns their paths by name. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    out[name] = join(dir, name);
    await writeFile(out[name], text);
  }
  return out;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs a program inside the namespace and returns its output and exit status (never throws on a non-zero exit). */
export function runIn(ns: Namespace, argv: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExitStatus & { stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

export interface StartOptions {
  /** bondd arguments besides --state-dir and --socket (e.g. ['--config', file]). */
  args: string[];
  stateDir: string;
  socket: string;
  env?: Record<string, string>;
  /** Wait until the control socket answers (default true). */
  ready?: boolean;
  readyTimeoutMs?: number;
}

/** One bondd process. */
export class Bondd {
  readonly child: ChildProcess;
  readonly socket: string;
  /** stdout and stderr together, in arrival order. */
  output = '';
  readonly exited: Promise<ExitStatus>;
  #exit: ExitStatus | null = null;
  readonly #lineWaiters = new Set<() => void>();

  private constructor(ns: Namespace, options: StartOptions) {
    this.socket = options.socket;
    this.child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, BONDD, ...options.args, '--state-dir', options.stateDir, '--socket', options.socket], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (chunk: string) => {
      this.output += chunk;
      for (const w of this.#lineWaiters) w();
    };
    this.child.stdout!.setEncoding('utf8').on('data', take);
    this.child.stderr!.setEncoding('utf8').on('data', take);
    this.exited = new Promise((resolvePromise) => {
      this.child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        for (const w of this.#lineWaiters) w();
        resolvePromise(this.#exit);
      });
      this.child.on('error', (e) => {
        this.output += `\n[spawn error: ${e.message}]\n`;
        this.#exit = { code: null, signal: null };
        running.delete(this);
        resolvePromise(this.#exit);
      });
    });
    running.add(this);
  }

  static async start(ns: Namespace, options: StartOptions): Promise<Bondd> {
    requireBuilt();
    const d = new Bondd(ns, options);
    if (options.ready !== false) await d.ready(options.readyTimeoutMs);
    return d;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exitStatus(): ExitStatus | null {
    return this.#exit;
  }

  /** Waits until the control socket answers ping (bondd opens it after the start-up apply). */
  async ready(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#exit) throw new Error(`bondd exited (${JSON.stringify(this.#exit)}) before it was ready:\n${this.output}`);
      try {
        await callDaemon('ping', {}, { path: this.socket, timeoutMs: 5000 });
        return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`bondd did not answer on ${this.socket} within ${timeoutMs} ms:\n${this.output}`);
      await sleep(100);
    }
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    return callDaemon<T>(method, params, { path: this.socket, timeoutMs });
  }

  events(params: Record<string, unknown> = {}): Promise<JournalEntry[]> {
    return this.call<JournalEntry[]>('events', params);
  }

  /** Polls the journal until an entry matches. */
  async waitEvent(match: (e: JournalEntry) => boolean, what: string, timeoutMs = 20_000): Promise<JournalEntry> {
    const deadline = Date.now() + timeoutMs;
    let seen: JournalEntry[] = [];
    for (;;) {
      seen = await this.events();
      const hit = seen.find(match);
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; journal:\n${seen.map((e) => `  ${e.kind}: ${e.message}`).join('\n')}\nbondd output:\n${this.output}`);
      }
      await sleep(100);
    }
  }

  /** Waits until the output contains the text (or matches the pattern). */
  async waitOutput(pattern: string | RegExp, timeoutMs = 30_000): Promise<void> {
    const found = () => (typeof pattern === 'string' ? this.output.includes(pattern) : pattern.test(this.output));
    if (found()) return;
    await new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.#lineWaiters.delete(check);
        reject(new Error(`bondd did not print ${String(pattern)} within ${timeoutMs} ms; output:\n${this.output}`));
      }, timeoutMs);
      const check = () => {
        if (found()) {
          clearTimeout(timer);
          this.#lineWaiters.delete(check);
          resolvePromise();
        } else if (this.#exit) {
          clearTimeout(timer);
          this.#lineWaiters.delete(check);
          reject(new Error(`bondd exited (${JSON.stringify(this.#exit)}) without printing ${String(pattern)}; output:\n${this.output}`));
        }
      };
      this.#lineWaiters.add(check);
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.#exit) this.child.kill(signal);
  }

  /** SIGTERM, then waits for a clean exit (SIGKILL after timeoutMs). */
  async stop(timeoutMs = 30_000): Promise<ExitStatus> {
    if (this.#exit) return this.#exit;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<ExitStatus> {
    if (this.#exit) return this.#exit;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

/** Journal entries of the given kind. */
export function ofKind(entries: JournalEntry[], kind: JournalKind): JournalEntry[] {
  return entries.filter((e) => e.kind === kind);
}

/* ------------------------------------------------------------------------------------------- */
/* Kernel state of a namespace, read the way an operator would                                  */

export interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  operstate?: string;
  master?: string;
  address?: string;
  mtu?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
  [key: string]: unknown;
}

export async function links(ns: Namespace): Promise<IpLink[]> {
  return ns.ipJson<IpLink[]>('-d', 'link', 'show');
}

export async function link(ns: Namespace, name: string): Promise<IpLink | undefined> {
  return (await links(ns)).find((l) => l.ifname === name);
}

/** `ip -d link show` details of a bond (info_data: mode, miimon, active_slave...). */
export async function bondInfo(ns: Namespace, bond: string): Promise<Record<string, unknown> | undefined> {
  const l = await link(ns, bond);
  return l?.linkinfo?.info_kind === 'bond' ? l.linkinfo.info_data : undefined;
}

export async function slavesOf(ns: Namespace, bond: string): Promise<string[]> {
  return (await links(ns)).filter((l) => l.master === bond).map((l) => l.ifname).sort();
}

export async function addressesOf(ns: Namespace, dev: string): Promise<string[]> {
  const out = await ns.ipJson<Array<{ addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>>('address', 'show', 'dev', dev);
  return (out[0]?.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort();
}

export async function readSysfs(ns: Namespace, path: string): Promise<string> {
  return (await ns.exec('cat', [path])).stdout.trim();
}

/** Writes one value to a sysfs file as seen from inside the namespace (constant script, value as argument). */
export async function writeSysfs(ns: Namespace, path: string, value: string): Promise<void> {
  await ns.exec('sh', ['-c', 'printf "%s\\n" "$1" > "$2"', 'sh', value, path]);
}

/** carrier_changes of every interface in the namespace (a flap increments it by 2). */
export async function carrierChanges(ns: Namespace): Promise<Record<string, number>> {
  const { stdout } = await ns.exec('sh', ['-c', 'for f in /sys/class/net/*/carrier_changes; do d=${f%/carrier_changes}; printf "%s %s\\n" "${d##*/}" "$(cat "$f")"; done']);
  const out: Record<string, number> = {};
  for (const line of stdout.trim().split('\n')) {
    const [name, value] = line.split(' ');
    if (name && value !== undefined) out[name] = Number(value);
  }
  return out;
}

/**
 * Every interface as `ip -j -d link show` reports it, minus what changes on its own (counters,
 * statistics), keyed by name: equal snapshots mean the kernel state is the same.
 */
export async function linkSnapshot(ns: Namespace): Promise<Record<string, IpLink>> {
  const out: Record<string, IpLink> = {};
  for (const l of await links(ns)) {
    const copy = JSON.parse(JSON.stringify(l)) as IpLink;
    for (const key of Object.keys(copy)) if (/^stats/.test(key) || key === 'carrier_changes' || key === 'carrier_up_count' || key === 'carrier_down_count') delete copy[key];
    out[l.ifname] = copy;
  }
  return out;
}

/** Global addresses of every interface, keyed by name. */
export async function addressSnapshot(ns: Namespace): Promise<Record<string, string[]>> {
  const all = await ns.ipJson<Array<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number; scope: string }> }>>('address', 'show');
  return Object.fromEntries(all.map((l) => [l.ifname, (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort()]));
}

/** The daemon's status of one bond (the control socket's 'status' method). */
export interface BondStatusLite {
  name: string;
  configured: boolean;
  drift: { policy: string; differences: string[] } | null;
  pendingSlaves: string[];
  kernel: { mode: string; options: Record<string, unknown>; slaves: Array<{ name: string }>; activeSlave: string | null } | null;
}
