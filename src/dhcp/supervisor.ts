/**
 * Supervises the DHCP clients of the bonds' stacks: one dhcpcd per device and family (see
 * client.ts), started when a layer asks for DHCP, restarted when it dies (backoff 1 s doubling
 * to 30 s, reset after a minute of running), stopped when the layer or its DHCP goes away.
 *
 * Across a bondd restart the clients keep running, like the stack itself (bondd stop leaves
 * every layer up): a client that stopped would take its lease addresses with it or, with
 * dhcpcd's `persistent`, leave them unrenewed. The next bondd adopts a running client when it
 * can tell it is exactly the one it would start: the state file names its pid and start time
 * (so a reused pid is not mistaken for it), /proc/<pid>/exe is the dhcpcd binary and the process
 * lives in the namespace bondd manages. Anything else is not adopted: it is left alone, and a
 * client of bondd's own is started next to it only if none with that pid runs. Adopted clients
 * are not bondd's children, so their death is noticed by polling (every `pollMs`).
 *
 * Leases: the addresses with a lifetime on a device are its lease (see plan/host.ts); they are
 * polled with the liveness check and every change is reported (journaled by the daemon).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, readlink, stat, writeFile, rename } from 'node:fs/promises';
import { dhcpcdArgv, type DhcpWant, wantKey } from './client.js';

export interface DhcpEvent {
  bond: string;
  device: string;
  kind: 'dhcp-client' | 'dhcp-lease';
  message: string;
  data?: Record<string, unknown>;
}

export interface SupervisorOptions {
  /** dhcpcd's path (client.ts findDhcpcd). */
  program: string;
  /** Named network namespace (/run/netns/NAME) the clients run in; the process's own by default. */
  netnsPath?: string;
  /** JSON file remembering the clients (pid and start time per device and family). */
  stateFile: string;
  /** Lease addresses per device (addresses with a finite lifetime). */
  leases(): Promise<Map<string, string[]>>;
  event(e: DhcpEvent): void;
  /**
   * Removes addresses from a device. Used when a client stops: an IPv4 lease address still there
   * was left by an earlier instance that was killed before it could release it (a new instance
   * that had not bound yet does not own it). IPv6 leftovers are not touched: SLAAC addresses look
   * the same, and the kernel's router advertisement handling owns those.
   */
  dropAddresses?(device: string, addresses: string[]): Promise<void>;
  pollMs?: number;
}

export interface DhcpClientStatus {
  bond: string;
  device: string;
  family: 4 | 6;
  pid: number | null;
  state: 'running' | 'restarting';
  adopted: boolean;
  restarts: number;
  lease: string[];
}

interface Client {
  want: DhcpWant;
  pid: number | null;
  startTime: string | null;
  child: ChildProcess | null;
  adopted: boolean;
  restarts: number;
  backoffMs: number;
  startedAt: number;
  timer: NodeJS.Timeout | null;
  lease: string[];
  /** The lease was read once (an adopted client's lease is known, not news). */
  seeded: boolean;
}

interface SavedClient {
  pid: number;
  startTime: string;
}

const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const STABLE_MS = 60_000;

export class DhcpSupervisor {
  readonly #o: SupervisorOptions;
  readonly #clients = new Map<string, Client>();
  #poller: NodeJS.Timeout | null = null;
  #closed = false;
  /** Clients being started (their pid and start time not known yet). */
  readonly #starting = new Set<Promise<void>>();

  constructor(options: SupervisorOptions) {
    this.#o = options;
  }

  /** Starts, adopts and stops clients so that exactly `wants` run. */
  async reconcile(wants: readonly DhcpWant[]): Promise<void> {
    const saved = this.#clients.size === 0 ? await this.#load() : new Map<string, SavedClient>();
    const keys = new Set(wants.map(wantKey));
    for (const [key, c] of this.#clients) {
      if (!keys.has(key)) await this.#stop(key, c, 'DHCP is no longer configured on this layer');
    }
    for (const want of wants) {
      const key = wantKey(want);
      if (this.#clients.has(key)) continue;
      const c: Client = { want, pid: null, startTime: null, child: null, adopted: false, restarts: 0, backoffMs: BACKOFF_MIN_MS, startedAt: 0, timer: null, lease: [], seeded: false };
      this.#clients.set(key, c);
      const old = saved.get(key);
      if (old && (await this.#isOurs(old))) {
        c.pid = old.pid;
        c.startTime = old.startTime;
        c.adopted = true;
        c.startedAt = Date.now();
        this.#o.event({ bond: want.bond, device: want.device, kind: 'dhcp-client', message: `${key}: adopted the running dhcpcd (pid ${old.pid})`, data: { pid: old.pid, family: want.family } });
      } else await this.#start(key, c);
    }
    // Saved clients no longer configured and still running: stop them (they are ours).
    for (const [key, old] of saved) {
      if (!keys.has(key) && (await this.#isOurs(old))) process.kill(old.pid, 'SIGALRM');
    }
    await this.#save();
    this.#poller ??= setInterval(() => void this.#poll(), this.#o.pollMs ?? 2000);
    this.#poller.unref();
    await this.#poll();
  }

  status(): DhcpClientStatus[] {
    return [...this.#clients.values()].map((c) => ({
      bond: c.want.bond,
      device: c.want.device,
      family: c.want.family,
      pid: c.pid,
      state: c.pid !== null ? 'running' : 'restarting',
      adopted: c.adopted,
      restarts: c.restarts,
      lease: c.lease,
    }));
  }

  /** bondd stops: the clients keep running (adopted by the next bondd); only supervision ends. */
  async detach(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#starting]);
    if (this.#poller) clearInterval(this.#poller);
    for (const c of this.#clients.values()) {
      if (c.timer) clearTimeout(c.timer);
      c.child?.removeAllListeners('exit');
      c.child?.unref();
    }
    await this.#save();
  }

  /** Stops every client and releases the leases (tests, and a configuration without DHCP). */
  async stopAll(): Promise<void> {
    for (const [key, c] of this.#clients) await this.#stop(key, c, 'bondd stops its DHCP clients');
    await this.detach();
  }

  async #start(key: string, c: Client): Promise<void> {
    if (this.#closed) return;
    const argv = dhcpcdArgv(this.#o.program, c.want.device, c.want.family);
    const name = this.#o.netnsPath?.replace(/^\/run\/netns\//, '');
    // `ip netns exec` execs the program in place: the pid is dhcpcd's own.
    const [file, ...args] = name ? ['ip', 'netns', 'exec', name, ...argv] : argv;
    // Its own session, no pipes: it must outlive bondd (adoption) and never write into a closed pipe.
    const child = spawn(file!, args, { detached: true, stdio: 'ignore' });
    c.child = child;
    c.startedAt = Date.now();
    c.adopted = false;
    child.on('exit', (code, signal) => this.#died(key, c, child, code === null ? `signal ${signal}` : `exit ${code}`));
    child.on('error', (e) => this.#died(key, c, child, e.message));
    // pid and start time are set together: a state file with a new pid and an old start time
    // would make the next bondd refuse to adopt the client.
    const starting = (async () => {
      const startTime = child.pid !== undefined ? await startTimeOf(child.pid).catch(() => null) : null;
      if (c.child !== child) return; // it died meanwhile (#died took over)
      c.pid = child.pid ?? null;
      c.startTime = startTime;
    })();
    this.#starting.add(starting);
    await starting;
    this.#starting.delete(starting);
    this.#o.event({ bond: c.want.bond, device: c.want.device, kind: 'dhcp-client', message: `${key}: started dhcpcd (pid ${c.pid})`, data: { pid: c.pid, family: c.want.family } });
    await this.#save();
  }

  #died(key: string, c: Client, child: ChildProcess | null, how: string): void {
    if (child && c.child !== child) return;
    if (this.#clients.get(key) !== c || this.#closed) return;
    // dhcpcd's privilege-separation helpers outlive a main process that was killed, holding its
    // sockets and the lease's ARP watch; a new instance next to them misbehaves. They are in the
    // client's process group (its own session, see #start): end them all.
    const leader = child?.pid ?? c.pid;
    if (leader !== null && leader !== undefined) killGroup(leader, 'SIGKILL');
    c.child = null;
    c.pid = null;
    if (Date.now() - c.startedAt > STABLE_MS) c.backoffMs = BACKOFF_MIN_MS;
    const wait = c.backoffMs;
    c.backoffMs = Math.min(c.backoffMs * 2, BACKOFF_MAX_MS);
    c.restarts++;
    this.#o.event({ bond: c.want.bond, device: c.want.device, kind: 'dhcp-client', message: `${key}: dhcpcd ended (${how}); restarting in ${wait / 1000} s`, data: { how, restarts: c.restarts } });
    c.timer = setTimeout(() => {
      c.timer = null;
      void this.#start(key, c);
    }, wait);
    c.timer.unref();
  }

  async #stop(key: string, c: Client, why: string): Promise<void> {
    this.#clients.delete(key);
    if (c.timer) clearTimeout(c.timer);
    const pid = c.pid;
    c.child?.removeAllListeners('exit');
    if (pid !== null && (c.child || (c.startTime !== null && (await this.#isOurs({ pid, startTime: c.startTime }))))) {
      // SIGALRM: dhcpcd releases the lease, removes its addresses and routes, and exits (SIGTERM
      // would keep them with dhcpcd.conf's `persistent`, SIGHUP only rebinds).
      try {
        process.kill(pid, 'SIGALRM');
      } catch {
        // already gone
      }
      // A client that does not go within 5 s (busy probing an address) is terminated, then killed.
      if (!(await waitGone(pid, 5000))) {
        killGroup(pid, 'SIGTERM');
        if (!(await waitGone(pid, 2000))) killGroup(pid, 'SIGKILL');
      }
      killGroup(pid, 'SIGTERM'); // helpers left behind, if any
    }
    if (c.want.family === 4 && this.#o.dropAddresses) {
      const left = ((await this.#o.leases().catch(() => new Map<string, string[]>())).get(c.want.device) ?? []).filter((a) => !a.includes(':'));
      if (left.length) await this.#o.dropAddresses(c.want.device, left).catch(() => undefined);
    }
    this.#o.event({ bond: c.want.bond, device: c.want.device, kind: 'dhcp-client', message: `${key}: stopped dhcpcd (${why})`, data: { pid } });
    await this.#save();
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    for (const [key, c] of this.#clients) {
      if (c.adopted && c.pid !== null && !(await this.#isOurs({ pid: c.pid, startTime: c.startTime ?? '' }))) this.#died(key, c, null, 'the adopted process is gone');
    }
    let leases: Map<string, string[]>;
    try {
      leases = await this.#o.leases();
    } catch {
      return;
    }
    for (const [key, c] of this.#clients) {
      const fam = c.want.family === 4 ? (a: string) => !a.includes(':') : (a: string) => a.includes(':');
      const now = (leases.get(c.want.device) ?? []).filter(fam).sort();
      if (now.join() === c.lease.join()) {
        c.seeded = true;
        continue;
      }
      const before = c.lease;
      c.lease = now;
      const quiet = c.adopted && !c.seeded;
      c.seeded = true;
      if (quiet) continue;
      this.#o.event({
        bond: c.want.bond,
        device: c.want.device,
        kind: 'dhcp-lease',
        message: `${key}: lease ${before.length ? before.join(', ') : '(none)'} → ${now.length ? now.join(', ') : '(none)'}`,
        data: { before, after: now, family: c.want.family },
      });
    }
  }

  /** The saved process is a dhcpcd bondd started, still running, in the managed namespace. */
  async #isOurs(saved: SavedClient): Promise<boolean> {
    try {
      if ((await startTimeOf(saved.pid)) !== saved.startTime) return false;
      if ((await readlink(`/proc/${saved.pid}/exe`)) !== this.#o.program) return false;
      const want = this.#o.netnsPath ?? '/proc/self/ns/net';
      return (await stat(`/proc/${saved.pid}/ns/net`)).ino === (await stat(want)).ino;
    } catch {
      return false;
    }
  }

  async #load(): Promise<Map<string, SavedClient>> {
    try {
      const data = JSON.parse(await readFile(this.#o.stateFile, 'utf8')) as Record<string, SavedClient>;
      return new Map(Object.entries(data).filter(([, v]) => Number.isInteger(v?.pid) && typeof v?.startTime === 'string'));
    } catch {
      return new Map();
    }
  }

  #saving: Promise<void> = Promise.resolve();

  /** Writes the state file; writes are queued, so two never race on the temporary file. */
  #save(): Promise<void> {
    const next = this.#saving.then(async () => {
      const data: Record<string, SavedClient> = {};
      for (const [key, c] of this.#clients) if (c.pid !== null && c.startTime !== null) data[key] = { pid: c.pid, startTime: c.startTime };
      const tmp = `${this.#o.stateFile}.tmp`;
      await writeFile(tmp, `${JSON.stringify(data)}\n`);
      await rename(tmp, this.#o.stateFile);
    });
    this.#saving = next.catch(() => undefined);
    return next;
  }
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (with the pid, unique). */
async function startTimeOf(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19]!;
}

/** Signals the process group led by `pid` (a client started in its own session); never throws. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is empty
  }
}

/** True once `pid` is gone (or a zombie nobody reaped yet), false after `ms`. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      const state = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '')[0];
      if (state === 'Z') return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
