/**
 * What every bondctl command shares: the injectable dependencies (so tests run commands
 * in-process against fakes, with no kernel and no daemon), the per-run context, and the
 * argument checks that turn bad input into a UsageError naming the argument.
 *
 * Nothing here imports a backend, the daemon client or the configuration loader: those are
 * loaded by the default dependencies (main.ts) only when a command needs them.
 */
import type { BackendName, BondBackend } from '../../bond/backend.js';
import type { BondOption, OptionValue } from '../../bond/option-types.js';
import { findOption, findSlaveOption, isListOption, parseOptionValue, resolveOption } from '../../bond/options.js';
import { validateIfname } from '../../bond/names.js';
import type { ProcBond } from '../../sysfs/procfs.js';
import type { Plan } from '../../plan/planner.js';
import { UsageError, isDaemonUnavailable } from '../exit-codes.js';

export interface DaemonCallOptions {
  timeoutMs?: number;
  onEvent?(event: unknown): void;
  signal?: AbortSignal;
}

/** A plan computed in this process (bondd not involved). */
export interface LocalPlan {
  /** The configuration file (or ifcfg directory) the plan is for. */
  source: string;
  plan: Plan;
  warnings: string[];
}

/** Everything a command reaches outside the process. main.ts provides the real ones. */
export interface CliDeps {
  out(text: string): void;
  err(text: string): void;
  openBackend(kind: BackendName): Promise<BondBackend>;
  callDaemon<T = unknown>(method: string, params: Record<string, unknown>, options: DaemonCallOptions & { path?: string }): Promise<T>;
  /** /proc/net/bonding/<bond>, parsed; null when there is no such file. */
  readProc(bond: string): Promise<ProcBond | null>;
  /** Plans `configFile` (default /etc/bondd/bondd.yaml) against this host, without bondd. */
  planLocally(configFile: string | undefined): Promise<LocalPlan>;
  now(): number;
  isRoot(): boolean;
  /** Aborted when the user interrupts (SIGINT, SIGTERM): ends `events --follow` cleanly. */
  interrupt: AbortSignal;
  /** Waits between read-backs (failover verification). */
  sleep(ms: number): Promise<void>;
}

/**
 * bondd's default control socket: DEFAULT_CONTROL_SOCKET of src/daemon/control.ts, repeated here
 * because loading the daemon client just to find no socket costs more than all of `status`
 * (a unit test keeps the two equal).
 */
export const DEFAULT_SOCKET_PATH = '/run/bondd/bondd.sock';

export const BACKEND_NAMES: readonly BackendName[] = ['sysfs', 'netlink'];

/**
 * The backend asked for, else sysfs unless an option has no sysfs file (ns_ip6_target,
 * coupled_control, prio, actor_port_prio), which only netlink can set.
 */
export function chooseBackend(flag: unknown, options: Iterable<BondOption> = []): BackendName {
  if (flag !== undefined) {
    if (!BACKEND_NAMES.includes(flag as BackendName)) throw new UsageError(`--backend: "${String(flag)}" is not sysfs or netlink`);
    return flag as BackendName;
  }
  for (const option of options) if (option.sysfs === null) return 'netlink';
  return 'sysfs';
}

/** Argument objects as yargs hands them to handlers; every field is checked by the handler. */
export type Args = Record<string, unknown>;
export type Handler = (args: Args, ctx: Context) => Promise<void>;
/** Wraps a handler for yargs: builds the Context, runs the handler, records the exit code. */
export type Runner = (handler: Handler) => (argv: Args) => Promise<void>;

/** Options every command accepts. */
export interface GlobalArgs {
  socket?: string;
}

/** One run of one command: the dependencies, the global options and the backends opened. */
export class Context {
  readonly #backends = new Map<BackendName, Promise<BondBackend>>();

  constructor(
    readonly deps: CliDeps,
    readonly globals: GlobalArgs = {},
  ) {}

  out(text: string): void {
    this.deps.out(text);
  }

  err(text: string): void {
    this.deps.err(text);
  }

  backend(kind: BackendName): Promise<BondBackend> {
    let backend = this.#backends.get(kind);
    if (!backend) {
      backend = this.deps.openBackend(kind);
      this.#backends.set(kind, backend);
    }
    return backend;
  }

  daemon<T = unknown>(method: string, params: Record<string, unknown> = {}, options: DaemonCallOptions = {}): Promise<T> {
    return this.deps.callDaemon<T>(method, params, { ...options, ...(this.globals.socket ? { path: this.globals.socket } : {}) });
  }

  /**
   * Calls bondd, or returns `undefined` when it is not running (so the caller can fall back to
   * the kernel). Every other error (bondd refused, timed out) propagates.
   */
  async daemonIfRunning<T>(method: string, params: Record<string, unknown> = {}, options: DaemonCallOptions = {}): Promise<T | undefined> {
    try {
      return await this.daemon<T>(method, params, options);
    } catch (error) {
      if (isDaemonUnavailable(error)) return undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const backend of this.#backends.values()) {
      await backend.then((b) => b.close()).catch(() => undefined);
    }
    this.#backends.clear();
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Argument checks: each throws UsageError naming the argument                                    */

/** An interface name from the command line (`what` names the argument: "bond", "slave", "--to"). */
export function ifnameArg(value: unknown, what: string): string {
  try {
    return validateIfname(typeof value === 'number' ? String(value) : value);
  } catch (error) {
    throw new UsageError(`${what}: ${(error as Error).message}`);
  }
}

/** A list of distinct interface names. */
export function ifnameListArg(values: unknown, what: string): string[] {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values]).map((v) => ifnameArg(v, what));
  if (list.length === 0) throw new UsageError(`${what}: give at least one interface`);
  const duplicate = list.find((name, i) => list.indexOf(name) !== i);
  if (duplicate) throw new UsageError(`${what}: ${duplicate} is given twice`);
  return list;
}

export type OptionScope = 'bond' | 'slave';

/**
 * A relative change to an address-list option, written as in sysfs: `arp_ip_target=+192.0.2.3`
 * adds, `arp_ip_target=-192.0.2.1` removes (several addresses may follow one sign, separated by
 * commas). Only `set` can resolve it, against the list the bond has now.
 */
export interface ListEdit {
  sign: '+' | '-';
  items: string[];
}

/**
 * Parses `name=value` arguments against the option table: names as in sysfs (aliases, and '-'
 * for '_', accepted), values checked by parseOptionValue(). Returns canonical name → canonical
 * value, in the order given. With `edits`, list options written `+addr` or `-addr` go there
 * instead (validated, not yet resolved); without it, `+addr` is just the list (a new bond has
 * none to add to) and `-addr` is bad input.
 */
export function parseAssignments(args: readonly unknown[], scope: OptionScope, edits?: Map<BondOption, ListEdit>): Map<BondOption, OptionValue> {
  const out = new Map<BondOption, OptionValue>();
  for (const raw of args) {
    const arg = String(raw);
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      const known = findOption(arg) ?? findSlaveOption(arg);
      throw new UsageError(
        `"${arg}" is not <option>=<value>` + (known ? `; for example ${known.name}=${example(known)}` : '; see bondctl options'),
      );
    }
    const name = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    // resolveOption() throws UnknownOptionError with a suggestion for names in neither table.
    const found = scope === 'bond' ? findOption(name) : findSlaveOption(name);
    if (!found) {
      const other = resolveOption(name);
      throw new UsageError(
        scope === 'bond'
          ? `${other.name} is a per-slave option; set it with --slave IF (bondctl set BOND --slave IF ${other.name}=${value})`
          : `${other.name} is a bond option, not a slave option; drop --slave to set it on the bond`,
      );
    }
    if (out.has(found) || edits?.has(found)) throw new UsageError(`${found.name} is given twice`);
    const sign = isListOption(found) && (value.startsWith('+') || value.startsWith('-')) ? (value[0] as '+' | '-') : undefined;
    try {
      if (sign && edits) {
        edits.set(found, { sign, items: parseOptionValue(found, value.slice(1)) as string[] });
        continue;
      }
      if (sign === '-') throw new Error(`a new bond has no ${found.name} to remove from; list the addresses it should have`);
      out.set(found, parseOptionValue(found, sign ? value.slice(1) : value));
    } catch (error) {
      throw new UsageError(`"${arg}": ${(error as Error).message}`);
    }
  }
  return out;
}

/** The list `current` after `edit`; removing an address that is not there is bad input. */
export function applyListEdit(option: BondOption, current: readonly string[], edit: ListEdit): string[] {
  if (edit.sign === '+') return [...current, ...edit.items.filter((item) => !current.includes(item))];
  const missing = edit.items.filter((item) => !current.includes(item));
  if (missing.length) {
    throw new UsageError(`${option.name}: ${missing.join(', ')} is not in the list (${current.length ? current.join(', ') : 'empty'}); nothing to remove`);
  }
  return current.filter((item) => !edit.items.includes(item));
}

function example(option: BondOption): string {
  if (option.values?.length) return option.values[option.values.length > 1 ? 1 : 0]!.name;
  if (option.kind === 'int') return String(option.default ?? option.min ?? 0);
  if (option.kind === 'ifname') return 'eth0';
  if (option.kind === 'mac') return '02:00:00:00:00:01';
  if (option.kind === 'ipv4-list') return '192.0.2.1,192.0.2.2';
  return '2001:db8::1';
}

/** Canonical name → value, for the backend calls. */
export function toRecord(options: Map<BondOption, OptionValue>): Record<string, OptionValue> {
  return Object.fromEntries([...options].map(([o, v]) => [o.name, v]));
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration such as 500ms, 60s, 10m, 2h or 1d; a bare number is in `bareUnit`.
 * @throws {UsageError} naming `what`
 */
export function parseDuration(text: unknown, what: string, bareUnit: 's' | 'ms' = 's'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(text));
  if (!m) throw new UsageError(`${what}: "${String(text)}" is not a duration such as 30s, 10m, 2h or 1d`);
  return Math.round(Number(m[1]) * UNITS_MS[m[2] ?? bareUnit]!);
}

/**
 * A point in time: a duration back from now (10m, 2h, 1d) or an ISO 8601 time
 * (2024-05-01T12:00:00Z, 2024-05-01). Returns milliseconds since the epoch.
 */
export function parseSince(text: unknown, now: number): number {
  const s = String(text).trim();
  if (/^\d+(?:\.\d+)?\s*(ms|s|m|h|d)$/.test(s)) return now - parseDuration(s, '--since');
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw new UsageError(`--since: "${s}" is neither a duration back from now (10m, 2h, 1d) nor an ISO time (2024-05-01T12:00:00Z)`);
}
