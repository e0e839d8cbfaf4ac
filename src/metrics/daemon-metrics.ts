/**
 * What bondd runs for metrics: the /metrics endpoint and/or the textfile, both off by default,
 * fed by the kernel view, the journal and the daemon's drift state.
 *
 * Failovers are counted from the journal (its 'failover' entries, the ones bondctl events shows),
 * from the start of this process: a Prometheus counter starts at 0 with the process, and history
 * from earlier runs stays in the journal.
 */
import type { ObservedBond } from '../bond/backend.js';
import type { Journal, JournalEntry } from '../state/journal.js';
import { type LayerMetrics, renderMetrics } from './prometheus.js';
import { MetricsServer } from './server.js';
import { TextfileWriter } from './textfile.js';

export interface DaemonMetricsOptions {
  /** `HOST:PORT` for the /metrics endpoint; none when absent. */
  listen?: string;
  allowNonLoopback?: boolean;
  /** File for node_exporter's textfile collector; none when absent. */
  textfile?: string;
  journal: Journal;
  /** Kernel view of every bond, read afresh. */
  observe(): Promise<ObservedBond[]>;
  /** The VLANs and bridges of the stacks (optional). */
  layers?(): Promise<LayerMetrics[]>;
  /** Per configured bond: does the kernel differ from the configuration? */
  drift(): ReadonlyMap<string, boolean>;
  log: { info(message: string): void; warn(message: string): void };
  /** Textfile debounce (default 200 ms). */
  debounceMs?: number;
}

export class DaemonMetrics {
  readonly failovers = new Map<string, number>();
  #server: MetricsServer | null = null;
  #textfile: TextfileWriter | null = null;
  #unsubscribe: (() => void) | null = null;
  readonly #options: DaemonMetricsOptions;

  private constructor(options: DaemonMetricsOptions) {
    this.#options = options;
  }

  /** Starts what is configured; null when neither the endpoint nor the textfile is. */
  static async start(options: DaemonMetricsOptions): Promise<DaemonMetrics | null> {
    if (!options.listen && !options.textfile) return null;
    const metrics = new DaemonMetrics(options);
    // Entries are stamped with performance.timeOrigin + now(): the ones at or after timeOrigin
    // were recorded by this process.
    for (const e of options.journal.list({ since: performance.timeOrigin, kinds: ['failover'] })) metrics.#count(e);
    metrics.#unsubscribe = options.journal.subscribe((e) => metrics.#onEntry(e));
    try {
      if (options.textfile) {
        metrics.#textfile = new TextfileWriter({
          path: options.textfile,
          render: () => metrics.render({ nodeExporterCompat: false }),
          log: (m) => options.log.warn(m),
          ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
        });
        await metrics.#textfile.writeNow();
        options.log.info(`metrics: writing ${options.textfile} after each journal event`);
      }
      if (options.listen) {
        metrics.#server = await MetricsServer.listen({
          listen: options.listen,
          allowNonLoopback: options.allowNonLoopback ?? false,
          render: () => metrics.render({ nodeExporterCompat: true }),
          log: (m) => options.log.warn(m),
        });
        options.log.info(`metrics: serving ${metrics.#server.address.url}`);
      }
    } catch (error) {
      await metrics.close();
      throw error;
    }
    return metrics;
  }

  get url(): string | null {
    return this.#server?.address.url ?? null;
  }

  async render(options: { nodeExporterCompat: boolean }): Promise<string> {
    const bonds = await this.#options.observe();
    const layers = (await this.#options.layers?.()) ?? [];
    return renderMetrics({ bonds, failovers: this.failovers, drift: this.#options.drift(), now: Date.now(), layers }, options);
  }

  #count(e: JournalEntry): void {
    if (e.kind === 'failover' && e.bond) this.failovers.set(e.bond, (this.failovers.get(e.bond) ?? 0) + 1);
  }

  #onEntry(e: JournalEntry): void {
    this.#count(e);
    // Every entry, not only those naming a bond: a reload that ends drift journals an 'apply'
    // without a bond. Entries are events, not a stream, and schedule() coalesces bursts.
    this.#textfile?.schedule();
  }

  /** Stops the endpoint and removes the textfile (numbers nobody updates would mislead). */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await Promise.all([this.#server?.close(), this.#textfile?.close({ remove: true })]);
    this.#server = null;
    this.#textfile = null;
  }
}
