/**
 * The exposition as a file for node_exporter's textfile collector
 * (`--collector.textfile.directory`, often /var/lib/node_exporter/textfile_collector).
 *
 * node_exporter reads every `*.prom` file in that directory on each scrape, so the file is
 * replaced atomically: written to a hidden temporary name in the same directory (same file system,
 * and not `*.prom`, so a scrape never sees half a file) and renamed over the old one.
 *
 * bondd has no periodic timer: the file is rewritten when the event journal records something
 * (debounced, so a burst of events is one write), not on a schedule.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';

export class TextfilePathError extends Error {
  override name = 'TextfilePathError';
}

/** Refuses paths node_exporter would not read, before bondd starts. */
export function validateTextfilePath(path: string): string {
  if (!isAbsolute(path)) throw new TextfilePathError(`"${path}" is not an absolute path`);
  if (!path.endsWith('.prom') || basename(path) === '.prom') {
    throw new TextfilePathError(`"${path}": node_exporter's textfile collector only reads files named *.prom (for example /var/lib/node_exporter/textfile_collector/bondd.prom)`);
  }
  return path;
}

/** Replaces `path` with `text` so that readers see the old file or the new one, never a mix. */
export async function writeFileAtomic(path: string, text: string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

export interface TextfileWriterOptions {
  path: string;
  /** Produces the exposition. */
  render(): Promise<string>;
  /** Delay between the first schedule() and the write (default 200 ms). */
  debounceMs?: number;
  /** Failures are reported here and never thrown: a full disk must not stop bondd. */
  log?(message: string): void;
}

export class TextfileWriter {
  readonly path: string;
  readonly #options: TextfileWriterOptions;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> | null = null;
  /** A schedule() arrived while writing: write once more afterwards. */
  #again = false;
  #closed = false;
  #failing = false;
  /** Writes completed (tests). */
  writes = 0;

  constructor(options: TextfileWriterOptions) {
    this.path = validateTextfilePath(options.path);
    this.#options = options;
  }

  /**
   * Asks for a write soon: the first call starts the timer and later calls within the window
   * join it, so a flapping link delays the file by at most one window instead of starving it.
   */
  schedule(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.writeNow();
    }, this.#options.debounceMs ?? 200);
  }

  /** Writes now (or right after the write in progress). Never rejects. */
  writeNow(): Promise<void> {
    if (this.#writing) {
      this.#again = true;
      return this.#writing;
    }
    this.#writing = this.#write().finally(() => {
      this.#writing = null;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.writeNow();
      }
    });
    return this.#writing;
  }

  async #write(): Promise<void> {
    try {
      await writeFileAtomic(this.path, await this.#options.render());
      this.writes++;
      if (this.#failing) this.#options.log?.(`metrics: writing ${this.path} works again`);
      this.#failing = false;
    } catch (error) {
      // One line per failure streak, not one per event.
      if (!this.#failing) this.#options.log?.(`metrics: cannot write ${this.path}: ${(error as Error).message}`);
      this.#failing = true;
    }
  }

  /**
   * Stops writing. With `remove`, deletes the file so node_exporter stops exporting numbers that
   * nobody updates any more (after a crash the file stays; node_textfile_mtime_seconds ages).
   */
  async close(options: { remove?: boolean } = {}): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = false;
    while (this.#writing) await this.#writing;
    if (options.remove) await rm(this.path, { force: true }).catch(() => undefined);
  }
}
