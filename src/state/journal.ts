/**
 * The event journal: timestamped bond events (failovers, carrier changes, drift, applies), kept
 * in memory and appended to a JSON-lines file under the state directory so history survives a
 * restart. Bounded: the file is rewritten with the kept entries when it grows past twice `limit`,
 * and memory never holds more than `limit`.
 *
 * What is dropped first: link churn (carrier, MII and slave-state changes) may fill at most half
 * of the journal once it is full. A slave that never settles (an ARP-monitored bond whose targets
 * do not answer flips its slave every arp_interval, forever) then only pushes out older churn,
 * never the failovers, drift and applies an operator comes back for.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type JournalKind =
  | 'failover'
  | 'no-active-slave'
  | 'carrier'
  | 'slave-mii'
  | 'slave-state'
  | 'slave-added'
  | 'slave-removed'
  | 'interface-appeared'
  | 'interface-removed'
  | 'options-changed'
  | 'drift'
  | 'drift-cleared'
  | 'apply'
  | 'apply-failed'
  | 'rollback'
  | 'dhcp-client'
  | 'dhcp-lease'
  | 'daemon';

export interface JournalEntry {
  /** Milliseconds since the epoch, with sub-millisecond precision. */
  t: number;
  /** Monotonic sequence number, unique within one journal file. */
  seq: number;
  kind: JournalKind;
  bond?: string;
  slave?: string;
  /** Human sentence, as the daemon logs it. */
  message: string;
  /** Kind-specific details (old/new active slave, carrier value, drifted options...). */
  data?: Record<string, unknown>;
}

export interface JournalOptions {
  /** JSON-lines file; no persistence when absent. */
  file?: string;
  /** Entries kept. Default 10000. */
  limit?: number;
}

/** Link-level churn: plentiful while a link flaps, and worth less than what it leads to. */
const LINK_CHURN: ReadonlySet<JournalKind> = new Set<JournalKind>(['carrier', 'slave-mii', 'slave-state']);

export class Journal {
  readonly #file: string | undefined;
  readonly #limit: number;
  #entries: JournalEntry[] = [];
  #seq = 0;
  #churn = 0;
  /** No churn entry sits before this index (entries are only appended, or removed by #trim). */
  #churnFrom = 0;
  #linesInFile = 0;
  #writing: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<(e: JournalEntry) => void>();

  private constructor(options: JournalOptions) {
    this.#file = options.file;
    this.#limit = options.limit ?? 10_000;
  }

  /** Opens the journal, loading what an earlier run left. Corrupt lines are skipped. */
  static async open(options: JournalOptions = {}): Promise<Journal> {
    const journal = new Journal(options);
    if (options.file) {
      await mkdir(dirname(options.file), { recursive: true, mode: 0o750 });
      const text = await readFile(options.file, 'utf8').catch(() => '');
      // A line cut by a crash: end it, or the first entry appended now would be glued to it and lost.
      if (text && !text.endsWith('\n')) await appendFile(options.file, '\n', { mode: 0o640 });
      const lines = text.split('\n').filter(Boolean);
      journal.#linesInFile = lines.length;
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as JournalEntry;
          if (typeof entry.t === 'number' && typeof entry.kind === 'string') journal.#entries.push(entry);
        } catch {
          /* a line cut by a crash mid-write */
        }
      }
      journal.#churn = journal.#entries.filter((e) => LINK_CHURN.has(e.kind)).length;
      journal.#trim();
      journal.#seq = journal.#entries.reduce((max, e) => Math.max(max, e.seq ?? 0), 0);
    }
    return journal;
  }

  get size(): number {
    return this.#entries.length;
  }

  record(entry: Omit<JournalEntry, 't' | 'seq'> & { t?: number }): JournalEntry {
    const full: JournalEntry = { ...entry, t: entry.t ?? performance.timeOrigin + performance.now(), seq: ++this.#seq };
    this.#entries.push(full);
    if (LINK_CHURN.has(full.kind)) this.#churn++;
    this.#trim();
    for (const listener of this.#listeners) listener(full);
    if (this.#file) this.#persist(full);
    return full;
  }

  /** Entries, oldest first, optionally since a time and for one bond. */
  list(filter: { since?: number; bond?: string; kinds?: JournalKind[]; limit?: number } = {}): JournalEntry[] {
    let out = this.#entries.filter(
      (e) => (filter.since === undefined || e.t >= filter.since) && (!filter.bond || e.bond === filter.bond) && (!filter.kinds || filter.kinds.includes(e.kind)),
    );
    if (filter.limit !== undefined) out = out.slice(-filter.limit);
    return out;
  }

  last(filter: { bond?: string; kind?: JournalKind }): JournalEntry | undefined {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i]!;
      if ((!filter.bond || e.bond === filter.bond) && (!filter.kind || e.kind === filter.kind)) return e;
    }
    return undefined;
  }

  subscribe(listener: (e: JournalEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when everything recorded so far is on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }

  /**
   * Down to `limit` entries: the oldest churn while churn fills over half, else the oldest. The
   * search for the oldest churn starts where the last one was found, so a journal of old
   * failovers followed by a flapping link is not rescanned on every entry.
   */
  #trim(): void {
    while (this.#entries.length > this.#limit) {
      let at = 0;
      if (this.#churn > this.#limit / 2) {
        at = this.#churnFrom;
        while (!LINK_CHURN.has(this.#entries[at]!.kind)) at++;
        this.#churnFrom = at;
      } else if (this.#churnFrom > 0) this.#churnFrom--;
      const [dropped] = this.#entries.splice(at, 1);
      if (LINK_CHURN.has(dropped!.kind)) this.#churn--;
    }
  }

  #persist(entry: JournalEntry): void {
    const file = this.#file!;
    this.#writing = this.#writing
      .then(async () => {
        await appendFile(file, JSON.stringify(entry) + '\n', { mode: 0o640 });
        this.#linesInFile++;
        if (this.#linesInFile > 2 * this.#limit) {
          // Rewrite atomically: a crash leaves either the old or the new file, never half of one.
          const tmp = `${file}.tmp`;
          await writeFile(tmp, this.#entries.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o640 });
          await rename(tmp, file);
          this.#linesInFile = this.#entries.length;
        }
      })
      .catch((error: Error) => {
        process.stderr.write(`<4>bondd: cannot write the event journal ${file}: ${error.message}\n`);
      });
  }
}
