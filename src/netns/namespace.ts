/**
 * Network namespaces owned by this process, with guaranteed removal.
 *
 * Every namespace created here is recorded in a process-wide registry. They are removed by
 * `destroy()`, and otherwise on process exit and on SIGINT/SIGTERM/SIGHUP, so an interrupted
 * test or drill leaves nothing behind. Removing a namespace also removes every veth end inside
 * it together with its peer, wherever that peer lives.
 *
 * Names start with `bdt-` so that a later run can sweep leftovers of a killed one
 * (see sweepStaleNamespaces) without ever touching namespaces it does not own.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const NAMESPACE_PREFIX = 'bdt-';
const NAMESPACE_NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;

const owned = new Set<string>();
let counter = 0;
let hooksInstalled = false;

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

/** Runs a program with an argument array (never a shell string) and returns its output. */
export async function runCommand(file: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, [...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stderr?: string };
    throw new CommandError([file, ...args], typeof e.code === 'number' ? e.code : null, e.stderr ?? String(error));
  }
}

function removeOwnedSync(): void {
  for (const name of owned) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* already gone */
    }
    owned.delete(name);
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', removeOwnedSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removeOwnedSync();
      // Re-raise with the default action so the exit status still says "killed by signal".
      process.kill(process.pid, signal);
    });
  }
}

export class Namespace {
  private constructor(readonly name: string) {}

  /** Path usable with setns(2), e.g. by the netlink addon. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  static async create(role: string): Promise<Namespace> {
    if (!/^[a-z0-9]{1,12}$/.test(role)) throw new TypeError(`namespace role "${role}" must be 1-12 lower-case letters or digits`);
    installExitHooks();
    const name = `${NAMESPACE_PREFIX}${process.pid.toString(36)}-${(counter++).toString(36)}-${role}`;
    owned.add(name);
    await runCommand('ip', ['netns', 'add', name]);
    const ns = new Namespace(name);
    await ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** `ip -n <ns> ...` */
  ip(...args: string[]): Promise<CommandResult> {
    return runCommand('ip', ['-n', this.name, ...args]);
  }

  /** `ip -j -n <ns> ...` parsed as JSON. */
  async ipJson<T = unknown>(...args: string[]): Promise<T> {
    const { stdout } = await runCommand('ip', ['-j', '-n', this.name, ...args]);
    return JSON.parse(stdout || '[]') as T;
  }

  /** Runs a program inside the namespace. */
  exec(file: string, args: readonly string[] = [], timeoutMs?: number): Promise<CommandResult> {
    return runCommand('ip', ['netns', 'exec', this.name, file, ...args], timeoutMs);
  }

  /** Writes a sysctl inside the namespace (path form, e.g. net/ipv6/conf/all/accept_dad). */
  sysctl(key: string, value: string): Promise<CommandResult> {
    return this.exec('sysctl', ['-q', '-w', `${key}=${value}`]);
  }

  async destroy(): Promise<void> {
    if (!owned.has(this.name)) return;
    owned.delete(this.name);
    if (existsSync(this.path)) await runCommand('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

/**
 * Removes `bdt-` namespaces left by runs that were killed before they could clean up.
 * Only namespaces whose creating process no longer exists are removed.
 */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (!name?.startsWith(NAMESPACE_PREFIX)) continue;
    const pid = Number.parseInt(name.slice(NAMESPACE_PREFIX.length).split('-')[0] ?? '', 36);
    if (Number.isFinite(pid) && pid > 0 && existsSync(`/proc/${pid}`) && !owned.has(name)) continue;
    if (owned.has(name)) continue;
    await runCommand('ip', ['netns', 'del', name]).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

export function isValidNamespaceName(name: string): boolean {
  return NAMESPACE_NAME.test(name);
}
