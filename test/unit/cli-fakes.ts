/**
 * In-process fakes for bondctl tests: a bond backend over an in-memory kernel, a daemon that is
 * absent or answers from a table, and CliDeps that capture stdout/stderr and record every touch
 * of the kernel or the daemon.
 */
import type { BackendName, BondBackend, ObservedBond, ObservedSlave } from '../../src/bond/backend.js';
import type { BondMode, OptionValue } from '../../src/bond/option-types.js';
import { effectiveDefaults } from '../../src/bond/options.js';
import type { CliDeps, DaemonCallOptions, LocalPlan } from '../../src/cli/commands/common.js';
import { run } from '../../src/cli/main.js';
import { DaemonUnavailable } from '../../src/daemon/client.js';
import type { ProcBond } from '../../src/sysfs/procfs.js';

export function slave(name: string, over: Partial<ObservedSlave> = {}): ObservedSlave {
  return {
    name,
    index: 10 + Number(name.replace(/\D/g, '') || 0),
    permMac: `02:00:00:00:00:${(10 + Number(name.replace(/\D/g, '') || 0)).toString(16).padStart(2, '0')}`,
    state: 'backup',
    mii: 'up',
    linkFailureCount: 0,
    options: { queue_id: 0 },
    speedMbps: 10000,
    duplex: 'full',
    carrier: true,
    ...over,
  };
}

export function bond(name: string, mode: BondMode, over: Partial<ObservedBond> = {}): ObservedBond {
  const options = { ...effectiveDefaults(mode) };
  delete options['mode'];
  return {
    name,
    index: 5,
    up: true,
    carrier: true,
    mtu: 1500,
    mac: '02:00:00:00:00:01',
    mode,
    options,
    slaves: [],
    activeSlave: null,
    primary: null,
    ad: null,
    ...over,
  };
}

export type Call = [string, ...unknown[]];

/** A kernel of bonds in memory. Refusals are injected with `refuse`. */
export class FakeBackend implements BondBackend {
  readonly calls: Call[] = [];
  /** Thrown by the next call of that method. */
  readonly refuse = new Map<string, Error>();

  constructor(
    readonly name: BackendName,
    readonly bonds: Map<string, ObservedBond>,
  ) {}

  #check(method: string, ...args: unknown[]): void {
    this.calls.push([method, ...args]);
    const error = this.refuse.get(method);
    if (error) {
      this.refuse.delete(method);
      throw error;
    }
  }

  async listBonds(): Promise<string[]> {
    this.#check('listBonds');
    return [...this.bonds.keys()];
  }

  async readBond(name: string): Promise<ObservedBond | null> {
    this.#check('readBond', name);
    const b = this.bonds.get(name);
    return b ? structuredClone(b) : null;
  }

  async createBond(name: string, mode: BondMode, options: Record<string, OptionValue> = {}): Promise<void> {
    this.#check('createBond', name, mode, options);
    this.bonds.set(name, bond(name, mode, { up: false, carrier: false, options: { ...bond(name, mode).options, ...options } }));
  }

  async deleteBond(name: string): Promise<void> {
    this.#check('deleteBond', name);
    this.bonds.delete(name);
  }

  async setOptions(name: string, options: Record<string, OptionValue>): Promise<void> {
    this.#check('setOptions', name, options);
    const b = this.bonds.get(name)!;
    for (const [k, v] of Object.entries(options)) {
      if (k === 'mode') b.mode = v as BondMode;
      else if (k === 'active_slave') {
        b.activeSlave = v === '' ? null : String(v);
        for (const s of b.slaves) s.state = s.name === v ? 'active' : 'backup';
      } else b.options[k] = v;
    }
  }

  async enslave(bondName: string, slaveName: string): Promise<void> {
    this.#check('enslave', bondName, slaveName);
    this.bonds.get(bondName)!.slaves.push(slave(slaveName));
  }

  async release(bondName: string, slaveName: string): Promise<void> {
    this.#check('release', bondName, slaveName);
    const b = this.bonds.get(bondName)!;
    b.slaves = b.slaves.filter((s) => s.name !== slaveName);
  }

  async setSlaveOptions(bondName: string, slaveName: string, options: Record<string, OptionValue>): Promise<void> {
    this.#check('setSlaveOptions', bondName, slaveName, options);
    Object.assign(this.bonds.get(bondName)!.slaves.find((s) => s.name === slaveName)!.options, options);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    this.#check('setUp', name, up);
    this.bonds.get(name)!.up = up;
  }

  async close(): Promise<void> {}
}

export type DaemonHandler = (params: Record<string, unknown>, options: DaemonCallOptions) => unknown;

export interface Harness {
  deps: CliDeps;
  kernel: Map<string, ObservedBond>;
  backends: Map<BackendName, FakeBackend>;
  /** Every backend opened and every daemon call, in order. */
  touched: string[];
  stdout: string;
  stderr: string;
  /** bondd's methods; when undefined bondd is "not running". */
  daemon: Record<string, DaemonHandler> | undefined;
  proc: Map<string, ProcBond>;
  run(...args: string[]): Promise<number>;
}

export function harness(options: { bonds?: ObservedBond[]; daemon?: Record<string, DaemonHandler>; now?: number } = {}): Harness {
  const kernel = new Map((options.bonds ?? []).map((b) => [b.name, b]));
  const h: Harness = {
    kernel,
    backends: new Map(),
    touched: [],
    stdout: '',
    stderr: '',
    daemon: options.daemon,
    proc: new Map(),
    deps: undefined as unknown as CliDeps,
    async run(...args: string[]) {
      h.stdout = '';
      h.stderr = '';
      return run(args, h.deps);
    },
  };
  const controller = new AbortController();
  h.deps = {
    out: (t) => void (h.stdout += t),
    err: (t) => void (h.stderr += t),
    async openBackend(kind) {
      h.touched.push(`backend:${kind}`);
      let b = h.backends.get(kind);
      if (!b) {
        b = new FakeBackend(kind, kernel);
        h.backends.set(kind, b);
      }
      return b;
    },
    async callDaemon<T>(method: string, params: Record<string, unknown>, opts: DaemonCallOptions & { path?: string }): Promise<T> {
      h.touched.push(`daemon:${method}`);
      const handler = h.daemon?.[method];
      if (!h.daemon) throw new DaemonUnavailable(opts.path ?? '/run/bondd/bondd.sock', Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }));
      if (!handler) throw Object.assign(new Error(`no method ${method}`), { name: 'DaemonError', code: 'ENOSYS' });
      return (await handler(params, opts)) as T;
    },
    async readProc(name) {
      return h.proc.get(name) ?? null;
    },
    async planLocally(configFile): Promise<LocalPlan> {
      h.touched.push(`plan:${configFile ?? 'default'}`);
      return { source: configFile ?? '/etc/bondd/bondd.yaml', plan: { steps: [], pending: [], problems: [], impact: 'none' }, warnings: [] };
    },
    now: () => options.now ?? Date.parse('2024-05-01T12:00:00Z'),
    isRoot: () => true,
    interrupt: controller.signal,
    sleep: async () => undefined,
  };
  return h;
}
