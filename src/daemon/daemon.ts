/**
 * bondd: keeps the kernel's bonds matching the configuration, records everything that happens to
 * them, and answers bondctl.
 *
 * Life cycle: subscribe to RTNLGRP_LINK first (so nothing between the first dump and the apply
 * is missed), load the link cache from a dump, apply the configuration (an empty plan when the
 * bonds already match: a restart adopts them without a flap), open the control socket, tell
 * systemd READY=1. From then on it only reacts: link notifications update the cache and the
 * journal; a configured slave that appears is enslaved; option changes made by others are drift,
 * handled per bond policy. There is no periodic wake-up unless systemd asks for a watchdog.
 * Stopping leaves the bonds as they are.
 */
import type { ObservedBond } from '../bond/backend.js';
import { findOption } from '../bond/options.js';
import { ConfigError, formatProblem } from '../config/errors.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { DesiredBond, DesiredConfig } from '../config/types.js';
import { dhcpWants, findDhcpcd } from '../dhcp/client.js';
import { requireDhcpClient } from '../dhcp/load-check.js';
import { type DhcpClientStatus, DhcpSupervisor } from '../dhcp/supervisor.js';
import { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { LinkMessage } from '../netlink/link.js';
import type { LinkWatcher } from '../netlink/rtnl.js';
import { apply, ApplyError, restore, type ApplyResult } from '../plan/executor.js';
import { KernelHost } from '../plan/host.js';
import type { ObservedHost } from '../plan/observed.js';
import { describeSlave, describeStep, mayMatch, plan, type Plan, type Step } from '../plan/planner.js';
import { stackDevices } from '../plan/stack-snapshot.js';
import { stackLayers, stackView, type StackView } from '../plan/stack-status.js';
import { inHostNamespace, keepOthersOut } from './coexist.js';
import { ConfirmStore, configDigest, type PendingConfirm, type RejectedConfig } from './confirm-store.js';
import { ControlError, ControlServer, type MethodHandler } from './control.js';
import { Journal, type JournalEntry } from '../state/journal.js';
import { LinkCache, type LinkChange } from '../state/link-cache.js';
import { journaldLogger, type Logger } from './log.js';
import { monotonicUsec, sdNotify, watchdogIntervalMs } from './notify.js';

export interface DaemonOptions {
  load: LoadOptions;
  stateDir: string;
  socketPath: string;
  /** Manage the bonds of this network namespace (tests, drills); the process's own by default. */
  netnsPath?: string;
  log?: Logger;
  /** Write the files that keep udev/networkd/NetworkManager out (default: yes, unless netnsPath). */
  coexist?: boolean;
  /** Serve Prometheus metrics on HOST:PORT (off when absent); loopback only unless metricsAllowRemote. */
  metricsListen?: string;
  metricsAllowRemote?: boolean;
  /** Keep a *.prom file for node_exporter's textfile collector (off when absent). */
  metricsTextfile?: string;
}

export { journaldLogger, type Logger };

const RECONCILE_DELAY_MS = 150;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 60_000;

export interface BondStatus {
  name: string;
  configured: boolean;
  backend: string | null;
  drift: { policy: string; differences: string[] } | null;
  pendingSlaves: string[];
  lastFailover: JournalEntry | null;
  kernel: ObservedBond | null;
  /** DHCP clients on the layers of this bond's stack, with their current lease. */
  dhcp?: DhcpClientStatus[];
  /** VLANs and bridges on the bond, with addresses, leases and carrier. */
  stack?: StackView;
}

export class Daemon {
  readonly journal: Journal;
  readonly host: KernelHost;
  readonly cache = new LinkCache();
  #config: DesiredConfig;
  #watcher: LinkWatcher | null = null;
  #server: ControlServer | null = null;
  #metrics: DaemonMetrics | null = null;
  #log: Logger;
  #options: DaemonOptions;
  #busy: Promise<unknown> = Promise.resolve();
  #applying = false;
  #reconcileTimer: NodeJS.Timeout | null = null;
  #watchdogTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryMs = 0;
  #confirm: { timer: NodeJS.Timeout; pending: PendingConfirm } | null = null;
  readonly #store: ConfirmStore;
  /** A configuration that was rolled back and is not run again while the file still asks for it. */
  #rejected: RejectedConfig | null = null;
  /** Last drift reported per bond, so one drift is one journal entry, not one per event. */
  #drift = new Map<string, string[]>();
  #lastPlan: Plan | null = null;
  #lastApplyBefore: ObservedHost | null = null;
  #dhcp: DhcpSupervisor | null = null;

  private constructor(options: DaemonOptions, config: DesiredConfig, journal: Journal) {
    this.#options = options;
    this.#config = config;
    this.journal = journal;
    this.#log = options.log ?? journaldLogger;
    this.host = KernelHost.open({ netnsPath: options.netnsPath });
    this.#store = new ConfirmStore(options.stateDir);
  }

  get config(): DesiredConfig {
    return this.#config;
  }

  /** Loads the configuration; a bad one throws ConfigError before anything is touched. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config, warnings } = await loadConfig(options.load);
    requireDhcpClient(config);
    const journal = await Journal.open({ file: `${options.stateDir}/events.jsonl` });
    const daemon = new Daemon(options, config, journal);
    for (const w of warnings) daemon.#log.warn(`config: ${formatProblem(w)}`);
    await daemon.#run();
    return daemon;
  }

  async #run(): Promise<void> {
    this.#watcher = this.host.rtnl.subscribeLinks();
    this.#watcher.on('link', (m) => this.#onLink(m));
    this.#watcher.on('overrun', (n) => {
      this.#log.warn(`link notifications overran the receive buffer (${n} so far); resynchronising`);
      this.#serial(() => this.#resync());
    });
    this.cache.resync(await this.host.rtnl.getLinks());
    this.#record({ kind: 'daemon', message: `bondd started with ${this.#config.bonds.length} bond(s) from ${this.#config.source}` });
    await this.#serial(() => this.#settleUnconfirmed());
    await this.#keepOthersOut(this.#config);
    await this.#serial(() => this.#applyConfig('start'));
    await this.#syncDhcp();
    this.#server = await ControlServer.listen({ path: this.#options.socketPath, handlers: this.#handlers(), log: (m) => this.#log.warn(m) });
    this.#metrics = await DaemonMetrics.start({
      listen: this.#options.metricsListen,
      allowNonLoopback: this.#options.metricsAllowRemote,
      textfile: this.#options.metricsTextfile,
      journal: this.journal,
      observe: async () => [...(await this.host.observe()).bonds.values()],
      layers: async () => {
        const observed = await this.host.observe();
        return this.#config.bonds.flatMap((b) => stackLayers(stackView(observed, b.name), b.name));
      },
      // Policy observe is journal-only: no bondd_drift series for those bonds.
      drift: () => new Map(this.#config.bonds.filter((b) => b.drift !== 'observe').map((b) => [b.name, (this.#drift.get(b.name)?.length ?? 0) > 0])),
      log: this.#log,
    });
    sdNotify({ READY: '1', STATUS: this.#summary() });
    const watchdog = watchdogIntervalMs();
    if (watchdog) this.#watchdogTimer = setInterval(() => sdNotify({ WATCHDOG: '1' }), watchdog / 2);
    this.#log.info(`ready: ${this.#summary()}`);
  }

  /** Runs jobs one at a time: applies, resyncs and drift checks never interleave. */
  #serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(job, job);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  #record(change: LinkChange): void {
    const entry = this.journal.record(change);
    const line = change.message;
    // A bond's first active slave (from none) is how every bond comes up: normal, not a warning.
    const firstActive = entry.kind === 'failover' && (change.data as { from?: string | null } | undefined)?.from == null;
    if (firstActive) (this.#log.notice ?? this.#log.info)(line);
    else if (entry.kind === 'failover' || entry.kind === 'no-active-slave' || entry.kind === 'drift') this.#log.warn(line);
    else if (entry.kind === 'apply-failed') this.#log.error(line);
    else this.#log.info(line);
  }

  #summary(): string {
    const bonds = this.#config.bonds.map((b) => {
      const link = this.cache.byName(b.name);
      const active = link?.activeSlave ? this.cache.get(link.activeSlave)?.name : null;
      return `${b.name} ${link ? (link.carrier ? 'up' : 'down') : 'missing'}${active ? ` via ${active}` : ''}`;
    });
    const text = bonds.length ? bonds.join(', ') : 'no bonds configured';
    return this.#rejected ? `${text}; last confirmed configuration (${this.#rejected.source} rolled back)` : text;
  }

  #configured(name: string | undefined): DesiredBond | undefined {
    return name ? this.#config.bonds.find((b) => b.name === name) : undefined;
  }

  #onLink(m: LinkMessage): void {
    const carrierBefore = this.cache.get(m.index)?.carrier;
    const changes = this.cache.update(m);
    const layer = carrierBefore !== undefined ? this.#stackLayerChange(m, carrierBefore) : null;
    if (layer) changes.push(layer);
    let reconcile = false;
    for (const change of changes) {
      // Interface churn that has nothing to do with bonds is not worth a journal line.
      if ((change.kind === 'interface-appeared' || change.kind === 'interface-removed') && !this.#mentionedInConfig(change.slave ?? change.bond)) continue;
      // Our own option writes raise the same notification; only changes made by others count.
      if (change.kind === 'options-changed' && this.#applying) continue;
      this.#record(change);
      if (change.kind === 'interface-appeared' || change.kind === 'slave-removed' || change.kind === 'options-changed') reconcile = true;
    }
    if (m.kind === 'bond' && this.#configured(m.name) && !this.#applying) reconcile = true;
    // A VLAN or bridge of a configured stack changed (deleted, moved, set down): drift check.
    if ((m.kind === 'vlan' || m.kind === 'bridge') && !this.#applying && this.#config.bonds.some((b) => stackDevices(b).includes(m.name))) reconcile = true;
    if (reconcile) this.#scheduleReconcile();
    if (changes.length) sdNotify({ STATUS: this.#summary() });
  }

  /** Carrier edges of the VLANs and bridges of a configured bond's stack (src/plan/stack-planner.ts). */
  #stackLayerChange(m: LinkMessage, before: boolean): LinkChange | null {
    const carrier = m.carrier !== undefined ? m.carrier === 1 : m.lowerUp;
    if (m.type !== 'new' || (m.kind !== 'vlan' && m.kind !== 'bridge') || carrier === before) return null;
    const bond = this.#config.bonds.find((b) => stackDevices(b).includes(m.name));
    if (!bond) return null;
    return { kind: 'carrier', bond: bond.name, message: `${m.name} (${m.kind} on ${bond.name}): carrier ${carrier ? 'up' : 'lost'}`, data: { carrier, layer: m.name, layerKind: m.kind } };
  }

  #mentionedInConfig(name: string | undefined): boolean {
    if (!name) return false;
    // A slave matched by hardware (name glob, driver) is re-resolved when a NIC it may select appears.
    return this.#config.bonds.some((b) => b.name === name || b.slaves.some((s) => s.name === name || mayMatch(s, name)));
  }

  #scheduleReconcile(): void {
    if (this.#reconcileTimer) return;
    this.#reconcileTimer = setTimeout(() => {
      this.#reconcileTimer = null;
      void this.#serial(() => this.#reconcile());
    }, RECONCILE_DELAY_MS);
  }

  async #resync(): Promise<void> {
    for (const change of this.cache.resync(await this.host.rtnl.getLinks())) this.#record(change);
    await this.#reconcile();
  }

  /**
   * Compares the kernel with the configuration. Late slaves are always enslaved (they are part
   * of the configuration, not drift); anything else that differs is drift, handled per policy.
   */
  async #reconcile(): Promise<void> {
    if (this.#applying) return;
    const observed = await this.host.observe();
    const current = plan(this.#config, observed);
    const lateSlaves = current.steps.filter((s) => (s.op === 'enslave' || s.op === 'set-slave-options') && !observed.interfaces.find((i) => i.name === s.slave)?.master);
    const enforce = new Set(this.#config.bonds.filter((b) => b.drift === 'enforce').map((b) => b.name));
    if (lateSlaves.length) {
      // Steps of the new plan inside apply() are new objects: match them by what they do.
      const late = new Set(lateSlaves.map(describeStep));
      const bonds = new Set(lateSlaves.map((s) => s.bond));
      const ok = await this.#applyFiltered(
        (s) => late.has(describeStep(s)) || (bonds.has(s.bond) && (s.op === 'set-up' || (s.op === 'set-options' && s.options.some(([n]) => n === 'primary')))),
        'a configured slave appeared',
      );
      this.#retryLateSlaves(ok);
    }
    const again = lateSlaves.length ? plan(this.#config, await this.host.observe()) : current;
    for (const bond of this.#config.bonds) {
      const steps = again.steps.filter((s) => s.bond === bond.name);
      const differences = steps.map((s) => `${describeStep(s)} (${s.reason})`);
      const previous = this.#drift.get(bond.name) ?? [];
      if (!differences.length) {
        if (previous.length) this.#record({ kind: 'drift-cleared', bond: bond.name, message: `${bond.name}: matches the configuration again` });
        this.#drift.delete(bond.name);
        continue;
      }
      if (differences.join('\n') === previous.join('\n')) continue;
      this.#drift.set(bond.name, differences);
      this.#record({ kind: 'drift', bond: bond.name, message: `${bond.name}: differs from the configuration (policy ${bond.drift}): ${differences.join('; ')}`, data: { policy: bond.drift, differences } });
      if (enforce.has(bond.name) && (await this.#applyFiltered((s) => s.bond === bond.name, `drift on ${bond.name} (policy enforce)`))) {
        // Enforced and verified: the bond matches again. Forgetting the drift matters: the same
        // change made again later is a new drift and must be journaled and enforced again.
        this.#drift.delete(bond.name);
        this.#record({ kind: 'drift-cleared', bond: bond.name, message: `${bond.name}: matches the configuration again (enforced)` });
      }
    }
    sdNotify({ STATUS: this.#summary() });
  }

  /**
   * A configured slave that could not be enslaved (another tool raised it or held it) is tried
   * again, under every drift policy: 1 s, doubling up to 60 s, until it works. A link event
   * reconciles sooner.
   */
  #retryLateSlaves(ok: boolean): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (ok) {
      this.#retryMs = 0;
      return;
    }
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs ? this.#retryMs * 2 : RETRY_FIRST_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#scheduleReconcile();
    }, this.#retryMs);
  }

  /** Applies the steps `filter` accepts; true when they were applied and verified. */
  async #applyFiltered(filter: (s: Step) => boolean, why: string): Promise<boolean> {
    this.#applying = true;
    try {
      const result = await apply(this.#config, this.host, { filter });
      if (result.executed.length) this.#record({ kind: 'apply', message: `applied ${result.executed.length} step(s) because ${why}: ${result.executed.map(describeStep).join('; ')}` });
      return true;
    } catch (error) {
      this.#record({ kind: 'apply-failed', message: `could not apply after ${why}: ${(error as Error).message}` });
      return false;
    } finally {
      this.#applying = false;
      for (const change of this.cache.resync(await this.host.rtnl.getLinks())) this.journal.record(change);
    }
  }

  async #applyConfig(why: string): Promise<ApplyResult> {
    this.#applying = true;
    try {
      const result = await apply(this.#config, this.host, {
        onStep: (step, i, n) => this.#log.info(`apply ${i + 1}/${n}: ${describeStep(step)} [impact ${step.impact}]`),
      });
      this.#lastPlan = result.plan;
      this.#lastApplyBefore = result.before;
      for (const p of result.plan.problems) this.#log.warn(p.message);
      for (const p of result.plan.pending) this.#log.info(`${p.bond}: ${p.reason}`);
      if (result.executed.length) this.#record({ kind: 'apply', message: `${why}: applied ${result.executed.length} step(s), impact ${result.plan.impact}`, data: { steps: result.executed.map(describeStep) } });
      else this.#log.info(`${why}: the kernel already matches the configuration; nothing to do`);
      this.#drift.clear();
      return result;
    } catch (error) {
      this.#record({ kind: 'apply-failed', message: `${why}: ${(error as Error).message}` });
      throw error;
    } finally {
      this.#applying = false;
      for (const change of this.cache.resync(await this.host.rtnl.getLinks())) this.journal.record(change);
    }
  }

  /**
   * SIGHUP, `bondctl reload` (the unit's ExecReload) and `bondctl apply`: a bad new configuration
   * is rejected with the reason and the running one stays. `explicit` (apply) also runs a file
   * that was rolled back before; a plain reload keeps the last confirmed configuration then.
   * `beforeApply` runs after the file loaded and before anything changes.
   */
  async reload(options: { explicit?: boolean; beforeApply?: (next: DesiredConfig) => Promise<void> } = {}): Promise<{ ok: boolean; message: string }> {
    sdNotify({ RELOADING: '1', MONOTONIC_USEC: monotonicUsec() });
    try {
      let next: DesiredConfig;
      try {
        next = (await loadConfig(this.#options.load)).config;
        requireDhcpClient(next);
      } catch (error) {
        const message = error instanceof ConfigError ? error.message : (error as Error).message;
        this.#log.error(`reload rejected, keeping the running configuration: ${message}`);
        return { ok: false, message };
      }
      const kept = await this.#keepConfirmed(next, options.explicit === true);
      if (kept) return { ok: true, message: kept };
      await options.beforeApply?.(next);
      await this.#keepOthersOut(next);
      const previous = this.#config;
      this.#config = next;
      try {
        await this.#serial(() => this.#applyConfig('reload'));
        await this.#syncDhcp();
        return { ok: true, message: `reloaded ${next.source}` };
      } catch (error) {
        this.#config = previous;
        await this.#keepOthersOut(previous);
        return { ok: false, message: (error as Error).message };
      }
    } finally {
      sdNotify({ READY: '1', STATUS: this.#summary() });
    }
  }

  async status(bond?: string): Promise<BondStatus[]> {
    const observed = await this.host.observe();
    const current = plan(this.#config, observed);
    const names = new Set([...this.#config.bonds.map((b) => b.name), ...observed.bonds.keys()]);
    const out: BondStatus[] = [];
    for (const name of [...names].sort()) {
      if (bond && name !== bond) continue;
      const desired = this.#configured(name);
      const differences = current.steps.filter((s) => s.bond === name).map((s) => `${describeStep(s)} (${s.reason})`);
      out.push({
        name,
        configured: !!desired,
        backend: desired?.backend ?? null,
        drift: desired ? { policy: desired.drift, differences } : null,
        pendingSlaves: current.pending.filter((p) => p.bond === name).map((p) => describeSlave(p.slave)),
        lastFailover: this.journal.last({ bond: name, kind: 'failover' }) ?? null,
        kernel: observed.bonds.get(name) ?? null,
        ...(this.#dhcp ? { dhcp: this.#dhcp.status().filter((c) => c.bond === name) } : {}),
        stack: stackView(observed, name),
      });
    }
    if (bond && out.length === 0) throw new ControlError('ENODEV', `${bond}: no such bond, configured or in the kernel`);
    return out;
  }

  #handlers(): Record<string, MethodHandler> {
    const str = (v: unknown, what: string): string | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || v.length > 256) throw new ControlError('EINVAL', `${what} must be a string`);
      return v;
    };
    return {
      ping: {
        mutating: false,
        handle: async () => ({
          pid: process.pid,
          source: this.#config.source,
          notice: this.#notice(),
          confirmDeadline: this.#confirm?.pending.deadline ?? null,
        }),
      },
      status: { mutating: false, handle: async (p) => this.status(str(p['bond'], 'bond')) },
      plan: {
        mutating: false,
        handle: async () => {
          const p = plan(this.#config, await this.host.observe());
          return { ...p, lines: p.steps.map((s) => ({ step: describeStep(s), impact: s.impact, reason: s.reason })) };
        },
      },
      events: {
        mutating: false,
        streaming: true,
        handle: async (p, ctx) => {
          const since = p['since'];
          if (since !== undefined && typeof since !== 'number') throw new ControlError('EINVAL', 'since must be a number (ms since the epoch)');
          const limit = p['limit'];
          if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) throw new ControlError('EINVAL', 'limit must be a positive integer');
          const bond = str(p['bond'], 'bond');
          const entries = this.journal.list({ ...(since !== undefined ? { since } : {}), ...(bond ? { bond } : {}), ...(limit !== undefined ? { limit } : {}) });
          if (p['follow'] !== true) return entries;
          for (const e of entries) ctx.emit(e);
          const unsubscribe = this.journal.subscribe((e) => {
            if (!bond || e.bond === bond) ctx.emit(e);
          });
          await ctx.closed;
          unsubscribe();
          return null;
        },
      },
      apply: {
        mutating: true,
        handle: async (p) => {
          const confirmWithinMs = p['confirmWithinMs'];
          if (confirmWithinMs !== undefined && (typeof confirmWithinMs !== 'number' || confirmWithinMs < 1000 || confirmWithinMs > 3_600_000)) {
            throw new ControlError('EINVAL', 'confirmWithinMs must be between 1000 and 3600000');
          }
          const previous = this.#config;
          // With a confirm window the undo information is on disk before anything changes.
          const persist = typeof confirmWithinMs === 'number' ? (next: DesiredConfig) => this.#persistPending(confirmWithinMs, previous, next) : undefined;
          const reload = await this.reload({ explicit: true, ...(persist ? { beforeApply: persist } : {}) });
          if (!reload.ok) {
            if (persist) await this.#store.clearPending();
            throw new ControlError('EFAIL', reload.message);
          }
          if (persist) await this.#armConfirm();
          return { message: reload.message, plan: this.#lastPlan?.steps.map(describeStep) ?? [], confirmDeadline: this.#confirm?.pending.deadline ?? null };
        },
      },
      confirm: {
        mutating: true,
        handle: async (p) => {
          if (!this.#confirm) throw new ControlError('ENOENT', 'nothing to confirm: no apply is waiting for confirmation');
          const extendMs = p['extendMs'];
          if (extendMs !== undefined) {
            if (typeof extendMs !== 'number' || extendMs < 1000 || extendMs > 3_600_000) throw new ControlError('EINVAL', 'extendMs must be between 1000 and 3600000');
            const pending = { ...this.#confirm.pending, deadline: Date.now() + extendMs };
            await this.#store.savePending(pending);
            await this.#armConfirm(pending);
            this.#record({ kind: 'apply', message: `confirm window extended: the apply is rolled back at ${new Date(pending.deadline).toISOString()} unless confirmed` });
            return { message: 'deadline extended', confirmDeadline: pending.deadline };
          }
          clearTimeout(this.#confirm.timer);
          this.#confirm = null;
          await this.#store.clearPending();
          await this.#store.clearRejected();
          this.#rejected = null;
          this.#record({ kind: 'apply', message: 'apply confirmed; it stays' });
          return { message: 'confirmed', confirmDeadline: null };
        },
      },
      rollback: {
        mutating: true,
        handle: async () => {
          if (!this.#confirm) throw new ControlError('ENOENT', 'nothing to roll back: no apply is waiting for confirmation');
          clearTimeout(this.#confirm.timer);
          const pending = this.#confirm.pending;
          return { message: await this.#serial(() => this.#rollback(pending, 'rolled back on request (bondctl rollback)')) };
        },
      },
      failover: {
        mutating: true,
        handle: async (p) => this.#serial(() => this.failover(str(p['bond'], 'bond') ?? '', str(p['to'], 'to'))),
      },
      reload: { mutating: true, handle: async () => this.reload() },
    };
  }

  /** Writes the undo information of an apply with a confirm window (before it changes anything). */
  async #persistPending(ms: number, previous: DesiredConfig, next: DesiredConfig): Promise<void> {
    const touched = [...previous.bonds, ...next.bonds.filter((b) => !previous.bonds.some((p) => p.name === b.name))];
    const pending: PendingConfirm = {
      deadline: Date.now() + ms,
      appliedAt: Date.now(),
      applied: configDigest(next),
      source: next.source,
      confirmed: this.#rejected?.confirmed ?? previous,
      before: await this.host.observe(),
      touched,
    };
    if (this.#confirm) clearTimeout(this.#confirm.timer);
    this.#confirm = null;
    await this.#store.savePending(pending);
    this.#confirmDraft = pending;
  }

  #confirmDraft: PendingConfirm | null = null;

  /**
   * Reverts the apply unless confirmed before its deadline: the host goes back to what it looked
   * like before the apply (bonds the new configuration added are deleted), and the daemon goes
   * back to the last confirmed configuration.
   */
  async #armConfirm(pending: PendingConfirm | null = this.#confirmDraft): Promise<void> {
    this.#confirmDraft = null;
    if (!pending) return;
    if (this.#confirm) clearTimeout(this.#confirm.timer);
    const timer = setTimeout(() => {
      void this.#serial(() => this.#rollback(pending, `no confirmation by ${new Date(pending.deadline).toISOString()}`));
    }, Math.max(0, pending.deadline - Date.now()));
    this.#confirm = { timer, pending };
  }

  /**
   * Puts back the host from before an unconfirmed apply, runs the last confirmed configuration,
   * and remembers the rolled-back one so that neither a restart nor a reload applies it again.
   */
  async #rollback(pending: PendingConfirm, why: string): Promise<string> {
    this.#confirm = null;
    this.#applying = true;
    let errors: string[];
    try {
      errors = await restore(pending.before, { bonds: pending.touched }, this.host);
    } finally {
      this.#applying = false;
    }
    this.#config = pending.confirmed;
    this.#rejected = { digest: pending.applied, source: pending.source, at: Date.now(), reason: why, confirmed: pending.confirmed };
    await this.#store.saveRejected(this.#rejected);
    await this.#store.clearPending();
    const message = `${why}: restored the state before the apply of ${pending.source} (${new Date(pending.appliedAt).toISOString()})${errors.length ? ` (incomplete: ${errors.join('; ')})` : ''}; running the last confirmed configuration until ${pending.source} changes (or bondctl apply)`;
    this.#record({ kind: 'rollback', message });
    sdNotify({ STATUS: this.#summary() });
    return message;
  }

  /** At start: an apply still waiting for confirmation (bondd restarted, host rebooted) is rolled back. */
  async #settleUnconfirmed(): Promise<void> {
    // What the file asks for now (the rollback below switches #config to the confirmed one).
    const loaded = this.#config;
    const pending = await this.#store.loadPending();
    if (pending) {
      const expired = Date.now() >= pending.deadline;
      await this.#rollback(pending, expired ? 'the confirm window expired while bondd was not running' : 'bondd (or the host) restarted inside a confirm window');
    } else {
      this.#rejected = await this.#store.loadRejected();
    }
    if (this.#rejected && configDigest(loaded) === this.#rejected.digest) {
      this.#config = this.#rejected.confirmed;
      if (!pending) this.#log.warn(this.#notice()!);
    } else if (this.#rejected) {
      this.#config = loaded;
      this.#rejected = null;
      await this.#store.clearRejected();
    }
  }

  /**
   * A reload of a file that still asks for a rolled-back configuration keeps the confirmed one
   * (returns the message saying so); a changed file or an explicit apply clears the mark.
   */
  async #keepConfirmed(next: DesiredConfig, explicit: boolean): Promise<string | null> {
    if (!this.#rejected) return null;
    if (!explicit && configDigest(next) === this.#rejected.digest) {
      const message = this.#notice()!;
      this.#log.warn(message);
      return message;
    }
    this.#rejected = null;
    await this.#store.clearRejected();
    return null;
  }

  /**
   * udev, networkd and NetworkManager keep out of the configuration's devices (coexist.ts).
   * Only for the host's own namespace: the generated files are host-wide.
   */
  async #keepOthersOut(config: DesiredConfig): Promise<void> {
    if (this.#options.netnsPath || this.#options.coexist === false || !(await inHostNamespace())) return;
    try {
      const { notes, warnings } = await keepOthersOut(config);
      for (const n of notes) this.#log.info(n);
      for (const w of warnings) this.#log.warn(w);
    } catch (error) {
      this.#log.warn(`could not write the files that keep other network managers out: ${(error as Error).message}`);
    }
  }

  /** What status should say about a rolled-back configuration, or null. */
  #notice(): string | null {
    const r = this.#rejected;
    if (!r) return null;
    return `running the last confirmed configuration: ${r.source} was rolled back at ${new Date(r.at).toISOString()} (${r.reason}); to apply it again, run bondctl apply [--confirm-within DUR] or change the file`;
  }

  /** Switches the active slave (active-backup, tlb, alb) and checks that the kernel did it. */
  async failover(bond: string, to?: string): Promise<{ from: string | null; to: string }> {
    const observed = await this.host.observe();
    const b = observed.bonds.get(bond);
    if (!b) throw new ControlError('ENODEV', `${bond}: no such bond`);
    if (!findOption('active_slave')?.modes.includes(b.mode)) throw new ControlError('EINVAL', `${bond}: mode ${b.mode} has no active slave to switch`);
    const target = to ?? b.slaves.find((s) => s.name !== b.activeSlave && s.mii === 'up')?.name;
    if (!target) throw new ControlError('EINVAL', `${bond}: no other slave with link up to switch to`);
    if (!b.slaves.some((s) => s.name === target)) throw new ControlError('EINVAL', `${bond}: ${target} is not a slave of ${bond}`);
    const desired = this.#configured(bond);
    await this.host.backend(desired?.backend ?? 'sysfs').setOptions(bond, { active_slave: target });
    const after = await this.host.backend('netlink').readBond(bond);
    if (after?.activeSlave !== target) throw new ControlError('EFAIL', `${bond}: the kernel kept ${after?.activeSlave ?? 'no slave'} active`);
    return { from: b.activeSlave, to: target };
  }

  /** DHCP clients for every layer that asks for one (src/dhcp/supervisor.ts). */
  async #syncDhcp(): Promise<void> {
    const wants = dhcpWants(this.#config);
    if (!this.#dhcp && wants.length === 0) return;
    this.#dhcp ??= new DhcpSupervisor({
      program: findDhcpcd() ?? 'dhcpcd',
      ...(this.#options.netnsPath ? { netnsPath: this.#options.netnsPath } : {}),
      stateFile: `${this.#options.stateDir}/dhcp.json`,
      leases: async () => (await this.host.observeLeases()),
      event: (e) => this.#record({ kind: e.kind, bond: e.bond, message: e.message, ...(e.data ? { data: e.data } : {}) }),
      dropAddresses: async (device, addresses) => {
        for (const a of addresses) await this.host.removeAddress(device, a);
      },
    });
    await this.#dhcp.reconcile(wants);
  }

  async stop(): Promise<void> {
    sdNotify({ STOPPING: '1' });
    if (this.#reconcileTimer) clearTimeout(this.#reconcileTimer);
    if (this.#watchdogTimer) clearInterval(this.#watchdogTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#confirm) clearTimeout(this.#confirm.timer);
    await this.#busy;
    await this.#server?.close();
    await this.#metrics?.close();
    this.#watcher?.close();
    await this.#dhcp?.detach(); // the clients keep running with the stack; the next bondd adopts them
    this.#record({ kind: 'daemon', message: 'bondd stopped; bonds left as they are' });
    await this.journal.flush();
    await this.host.close();
  }
}

export { ApplyError };
