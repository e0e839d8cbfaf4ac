/**
 * The event journal (src/state/journal.ts): persistence across a restart, corrupt lines from a
 * crash mid-write, the bound on memory and on the file, filters, subscriptions.
 */
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, type JournalEntry, type JournalKind } from '../../src/state/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bdt-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEntry);

describe('Journal', () => {
  it('stamps entries with a time and an increasing sequence number', async () => {
    const j = await Journal.open();
    const before = Date.now();
    const a = j.record({ kind: 'daemon', message: 'started' });
    const b = j.record({ kind: 'carrier', bond: 'bond0', slave: 'eth0', message: 'eth0: carrier lost', data: { carrier: false } });
    expect(b.seq).toBe(a.seq + 1);
    expect(a.t).toBeGreaterThanOrEqual(before - 50);
    expect(a.t).toBeLessThanOrEqual(Date.now() + 50);
    expect(b.t).toBeGreaterThanOrEqual(a.t);
    expect(j.record({ kind: 'daemon', message: 'x', t: 42 }).t).toBe(42);
    expect(j.size).toBe(3);
  });

  it('persists to a JSON-lines file and loads it back on the next start, continuing the sequence', async () => {
    const file = join(dir, 'state', 'events.jsonl');
    const first = await Journal.open({ file });
    first.record({ kind: 'daemon', message: 'bondd started' });
    first.record({ kind: 'failover', bond: 'bond0', slave: 'eth1', message: 'bond0: eth0 → eth1', data: { from: 'eth0', to: 'eth1' } });
    await first.flush();
    expect((await lines(file)).map((e) => e.kind)).toEqual(['daemon', 'failover']);

    const second = await Journal.open({ file });
    expect(second.list().map((e) => e.message)).toEqual(['bondd started', 'bond0: eth0 → eth1']);
    expect(second.record({ kind: 'daemon', message: 'again' }).seq).toBe(3);
    await second.flush();
    expect((await lines(file)).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('skips a line cut short by a crash and anything that is not an entry', async () => {
    const file = join(dir, 'events.jsonl');
    await writeFile(file, [
      JSON.stringify({ t: 1, seq: 1, kind: 'daemon', message: 'ok' }),
      '{"t": 2, "seq": 2, "kind": "carr',
      'garbage',
      JSON.stringify({ seq: 3, kind: 'daemon', message: 'no time' }),
      JSON.stringify({ t: 4, seq: 7, kind: 'daemon', message: 'ok too' }),
    ].join('\n'));
    const j = await Journal.open({ file });
    expect(j.list().map((e) => e.message)).toEqual(['ok', 'ok too']);
    expect(j.record({ kind: 'daemon', message: 'next' }).seq).toBe(8);
  });

  it('starts a fresh line after a line cut by a crash, so the next run loses nothing', async () => {
    const file = join(dir, 'events.jsonl');
    await writeFile(file, JSON.stringify({ t: 1, seq: 1, kind: 'daemon', message: 'ok' }) + '\n');
    await appendFile(file, '{"t": 2, "seq": 2, "kind": "carr');
    const j = await Journal.open({ file });
    j.record({ kind: 'daemon', message: 'after the crash' });
    await j.flush();
    const reopened = await Journal.open({ file });
    expect(reopened.list().map((e) => e.message)).toEqual(['ok', 'after the crash']);
  });

  it('keeps at most `limit` entries in memory and rewrites the file when it passes twice that', async () => {
    const file = join(dir, 'events.jsonl');
    const j = await Journal.open({ file, limit: 5 });
    for (let i = 1; i <= 11; i++) j.record({ kind: 'daemon', message: `m${i}` });
    expect(j.size).toBe(5);
    expect(j.list().map((e) => e.message)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    await j.flush();
    // 11 lines > 2 * 5: the file was rewritten with the newest 5 (and nothing half-written left).
    expect((await lines(file)).map((e) => e.message)).toEqual(['m7', 'm8', 'm9', 'm10', 'm11']);
    const reopened = await Journal.open({ file, limit: 5 });
    expect(reopened.list().map((e) => e.seq)).toEqual([7, 8, 9, 10, 11]);
  });

  it('a link that never settles pushes out older churn, not failovers, drift or applies', async () => {
    const file = join(dir, 'events.jsonl');
    const j = await Journal.open({ file, limit: 6 });
    j.record({ kind: 'apply', message: 'apply' });
    j.record({ kind: 'failover', bond: 'bond0', message: 'failover' });
    for (let i = 1; i <= 20; i++) j.record({ kind: i % 2 ? 'slave-mii' : 'slave-state', bond: 'bond2', message: `churn${i}` });
    expect(j.list().map((e) => e.message)).toEqual(['apply', 'failover', 'churn17', 'churn18', 'churn19', 'churn20']);
    // Once churn is at most half, the oldest entry goes, whatever it is.
    for (let i = 1; i <= 5; i++) j.record({ kind: 'drift', bond: 'bond1', message: `drift${i}` });
    expect(j.list().map((e) => e.message)).toEqual(['churn20', 'drift1', 'drift2', 'drift3', 'drift4', 'drift5']);
    await j.flush();
    const reopened = await Journal.open({ file, limit: 6 });
    expect(reopened.list().map((e) => e.message)).toEqual(['churn20', 'drift1', 'drift2', 'drift3', 'drift4', 'drift5']);
    // Loading a file written with a larger limit applies the same rule.
    const smaller = await Journal.open({ file, limit: 4 });
    expect(smaller.list().map((e) => e.message)).toEqual(['drift2', 'drift3', 'drift4', 'drift5']);
  });

  it('keeps exactly what the retention rule says over a long random mix of kinds', async () => {
    const limit = 12;
    const j = await Journal.open({ limit });
    const model: Array<{ kind: JournalKind; message: string }> = [];
    const churn = (k: JournalKind) => k === 'carrier' || k === 'slave-mii' || k === 'slave-state';
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kinds: JournalKind[] = ['carrier', 'slave-mii', 'slave-state', 'failover', 'drift', 'apply'];
    for (let i = 0; i < 3000; i++) {
      // Phases: mostly churn, then mostly significant entries, and back.
      const churny = Math.floor(i / 37) % 2 === 0;
      const kind = kinds[churny ? (random() < 0.9 ? Math.floor(random() * 3) : 3 + Math.floor(random() * 3)) : random() < 0.2 ? Math.floor(random() * 3) : 3 + Math.floor(random() * 3)]!;
      j.record({ kind, message: `m${i}` });
      model.push({ kind, message: `m${i}` });
      while (model.length > limit) {
        const n = model.filter((e) => churn(e.kind)).length;
        model.splice(n > limit / 2 ? model.findIndex((e) => churn(e.kind)) : 0, 1);
      }
      expect(j.size).toBe(model.length);
    }
    expect(j.list().map((e) => e.message)).toEqual(model.map((e) => e.message));
  });

  it('filters by time, bond, kind and count, oldest first; last() finds the newest match', async () => {
    const j = await Journal.open();
    j.record({ kind: 'carrier', bond: 'bond0', message: 'a', t: 100 });
    j.record({ kind: 'failover', bond: 'bond0', message: 'b', t: 200 });
    j.record({ kind: 'failover', bond: 'bond1', message: 'c', t: 300 });
    j.record({ kind: 'failover', bond: 'bond0', message: 'd', t: 400 });
    expect(j.list({ since: 200 }).map((e) => e.message)).toEqual(['b', 'c', 'd']);
    expect(j.list({ bond: 'bond0' }).map((e) => e.message)).toEqual(['a', 'b', 'd']);
    expect(j.list({ kinds: ['carrier'] }).map((e) => e.message)).toEqual(['a']);
    expect(j.list({ bond: 'bond0', limit: 2 }).map((e) => e.message)).toEqual(['b', 'd']);
    expect(j.last({ bond: 'bond0', kind: 'failover' })?.message).toBe('d');
    expect(j.last({ bond: 'bond1' })?.message).toBe('c');
    expect(j.last({ bond: 'bond9' })).toBeUndefined();
  });

  it('tells subscribers about every new entry until they unsubscribe', async () => {
    const j = await Journal.open();
    const seen: string[] = [];
    const off = j.subscribe((e) => seen.push(e.message));
    j.record({ kind: 'daemon', message: 'one' });
    off();
    j.record({ kind: 'daemon', message: 'two' });
    expect(seen).toEqual(['one']);
  });

  it('keeps recording in memory when the file cannot be written', async () => {
    const file = join(dir, 'events.jsonl');
    const j = await Journal.open({ file });
    await rm(dir, { recursive: true, force: true });
    const stderr: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      stderr.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      j.record({ kind: 'daemon', message: 'lost on disk' });
      await j.flush();
    } finally {
      process.stderr.write = original;
    }
    expect(j.list().map((e) => e.message)).toEqual(['lost on disk']);
    expect(stderr.join('')).toContain('cannot write the event journal');
  });
});
