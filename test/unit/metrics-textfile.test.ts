import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TextfilePathError, TextfileWriter, validateTextfilePath, writeFileAtomic } from '../../src/metrics/textfile.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bondd-textfile-'));
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Lets real I/O (the file writes) finish without sleeping: turns of the event loop until `done`
 * holds. Timers are fake in these tests; time only moves through vi.advanceTimersByTimeAsync.
 */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  if (!done()) throw new Error(`still waiting for ${what}`);
}

describe('validateTextfilePath', () => {
  it('accepts absolute *.prom paths', () => {
    expect(validateTextfilePath('/var/lib/node_exporter/textfile_collector/bondd.prom')).toBe('/var/lib/node_exporter/textfile_collector/bondd.prom');
  });
  it.each(['bondd.prom', './x/bondd.prom', '/var/lib/x/bondd.txt', '/var/lib/x/bondd.prom.tmp', '/var/lib/x/.prom'])('refuses %s', (p) => {
    expect(() => validateTextfilePath(p)).toThrow(TextfilePathError);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file, mode 0644, leaving no temporary file behind', async () => {
    const file = join(dir, 'bondd.prom');
    writeFileSync(file, 'old\n');
    await writeFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(readdirSync(dir)).toEqual(['bondd.prom']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'bondd.prom'), 'x')).rejects.toThrow(/ENOENT/);
  });

  it('writes the temporary file under a name node_exporter ignores (hidden, not *.prom)', async () => {
    const file = join(dir, 'bondd.prom');
    // Make rename fail by putting a directory where the file goes: the temporary must be removed.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(file);
    writeFileSync(join(file, 'x'), '');
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['bondd.prom']);
  });
});

describe('TextfileWriter', () => {
  it('turns a burst of schedule() calls into one write, at most one window after the first', async () => {
    let renders = 0;
    const file = join(dir, 'bondd.prom');
    const w = new TextfileWriter({ path: file, debounceMs: 40, render: async () => `x ${++renders}\n` });
    for (let i = 0; i < 20; i++) w.schedule();
    await vi.advanceTimersByTimeAsync(39);
    expect(renders).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => w.writes === 1, 'the first write');
    expect(renders).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe('x 1\n');
    // A steady stream does not starve the file: the window is not extended by later calls.
    const stream = setInterval(() => w.schedule(), 10);
    for (let step = 0; step < 13; step++) {
      await vi.advanceTimersByTimeAsync(10);
      await until(() => renders === w.writes, 'the write in progress');
    }
    clearInterval(stream);
    expect(w.writes, 'writes during a 130 ms stream (one per 40 ms window)').toBeGreaterThanOrEqual(3);
    await w.close();
  });

  it('writes once more when asked during a write, and close() waits for it', async () => {
    let release!: () => void;
    let renders = 0;
    const file = join(dir, 'bondd.prom');
    const w = new TextfileWriter({
      path: file,
      render: async () => {
        renders++;
        if (renders === 1) await new Promise<void>((r) => (release = r));
        return `x ${renders}\n`;
      },
    });
    const first = w.writeNow();
    await until(() => renders === 1, 'the first render');
    void w.writeNow();
    void w.writeNow();
    release();
    await first;
    await until(() => w.writes === 2, 'the second write');
    expect(renders).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('x 2\n');
    await w.close();
  });

  it('logs a failure once per streak, never throws, and recovers', async () => {
    const logs: string[] = [];
    const sub = join(dir, 'sub');
    const w = new TextfileWriter({ path: join(sub, 'bondd.prom'), render: async () => 'x 1\n', log: (m) => logs.push(m) });
    await w.writeNow();
    await w.writeNow();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/cannot write .*bondd\.prom/);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    await w.writeNow();
    expect(logs[1]).toMatch(/works again/);
    expect(readFileSync(join(sub, 'bondd.prom'), 'utf8')).toBe('x 1\n');
    await w.close();
  });

  it('a render failure is a logged failure too', async () => {
    const logs: string[] = [];
    const w = new TextfileWriter({ path: join(dir, 'bondd.prom'), render: async () => Promise.reject(new Error('netlink gone')), log: (m) => logs.push(m) });
    await w.writeNow();
    expect(logs).toEqual([expect.stringContaining('netlink gone')]);
    await w.close();
  });

  it('close() cancels a pending write and can remove the file', async () => {
    const file = join(dir, 'bondd.prom');
    let renders = 0;
    const w = new TextfileWriter({ path: file, debounceMs: 20, render: async () => `x ${++renders}\n` });
    await w.writeNow();
    w.schedule();
    await w.close({ remove: true });
    await vi.advanceTimersByTimeAsync(60);
    expect(renders).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    w.schedule();
    await vi.advanceTimersByTimeAsync(40);
    expect(renders).toBe(1);
  });
});
