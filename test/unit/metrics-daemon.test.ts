/** DaemonMetrics: the glue bondd runs (journal → failover counter and textfile writes, endpoint). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../src/state/journal.js';
import { DaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { activeBackup, lacp } from './metrics-fixtures.js';
import { find, parseExposition, metricValue } from './metrics-parser.js';

let dir: string;
const logs: string[] = [];
const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bondd-metrics-'));
  logs.length = 0;
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

describe('DaemonMetrics', () => {
  it('does nothing when neither endpoint nor textfile is configured', async () => {
    const journal = await Journal.open();
    expect(await DaemonMetrics.start({ journal, observe: async () => [], drift: () => new Map(), log })).toBeNull();
  });

  it('counts failovers of this process only, then follows the journal', async () => {
    const journal = await Journal.open();
    // An entry from an earlier run (loaded from the file) is history, not this counter.
    journal.record({ kind: 'failover', bond: 'bond0', message: 'old', t: performance.timeOrigin - 60_000 });
    journal.record({ kind: 'failover', bond: 'bond0', message: 'at start' });
    journal.record({ kind: 'slave-mii', bond: 'bond0', slave: 'eth1', message: 'mii' });
    const file = join(dir, 'bondd.prom');
    const metrics = (await DaemonMetrics.start({ textfile: file, journal, observe: async () => [activeBackup(), lacp()], drift: () => new Map([['bond0', false]]), log, debounceMs: 20 }))!;
    try {
      expect(metrics.failovers).toEqual(new Map([['bond0', 1]]));
      journal.record({ kind: 'failover', bond: 'bond0', message: 'later' });
      journal.record({ kind: 'failover', bond: 'lacp0', message: 'later' });
      journal.record({ kind: 'no-active-slave', bond: 'bond0', message: 'none' });
      expect(metrics.failovers).toEqual(new Map([['bond0', 2], ['lacp0', 1]]));
      const f = parseExposition(await metrics.render({ nodeExporterCompat: true }));
      expect(metricValue(f, 'bondd_failovers_total', { bond: 'bond0' })).toBe(2);
      expect(metricValue(f, 'bondd_drift', { bond: 'bond0' })).toBe(0);
    } finally {
      await metrics.close();
    }
  });

  it('writes the textfile at start and after journal entries (a burst is one write), without node_bonding_*, and removes it on close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const journal = await Journal.open();
    const file = join(dir, 'bondd.prom');
    let carrier = true;
    let observed = 0;
    const metrics = (await DaemonMetrics.start({
      textfile: file,
      journal,
      observe: async () => {
        observed++;
        return [activeBackup({ carrier })];
      },
      drift: () => new Map(),
      log,
      debounceMs: 20,
    }))!;
    const read = () => parseExposition(readFileSync(file, 'utf8'));
    expect(observed).toBe(1);
    expect(metricValue(read(), 'bondd_bond_carrier', { bond: 'bond0' })).toBe(1);
    expect(read().has('node_bonding_slaves')).toBe(false);

    // An entry without a bond (a reload's apply may end drift) is a write too.
    journal.record({ kind: 'apply', message: 'reload: applied 0 step(s)' });
    await vi.advanceTimersByTimeAsync(19);
    expect(observed).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(observed).toBe(2);

    carrier = false;
    journal.record({ kind: 'carrier', bond: 'bond0', message: 'bond0: carrier lost' });
    journal.record({ kind: 'no-active-slave', bond: 'bond0', message: 'none' });
    journal.record({ kind: 'slave-mii', bond: 'bond0', slave: 'eth0', message: 'down' });
    await vi.advanceTimersByTimeAsync(20);
    await until(() => readFileSync(file, 'utf8').includes('bondd_bond_carrier{bond="bond0"} 0'), 'the write after the burst');
    expect(observed).toBe(3);
    expect(metricValue(read(), 'bondd_bond_carrier', { bond: 'bond0' })).toBe(0);

    await metrics.close();
    expect(existsSync(file)).toBe(false);
    // Unsubscribed: later entries neither count nor write.
    journal.record({ kind: 'failover', bond: 'bond0', message: 'after stop' });
    await vi.advanceTimersByTimeAsync(40);
    expect(observed).toBe(3);
    expect(metrics.failovers.get('bond0')).toBeUndefined();
  });

  it('serves the endpoint with the node_exporter names', async () => {
    const journal = await Journal.open();
    const metrics = (await DaemonMetrics.start({ listen: '127.0.0.1:0', journal, observe: async () => [activeBackup()], drift: () => new Map(), log }))!;
    try {
      expect(metrics.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(logs.some((l) => l.startsWith('info metrics: serving http://127.0.0.1:'))).toBe(true);
      const f = parseExposition(await (await fetch(metrics.url!)).text());
      expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(1);
      expect(find(f, 'bondd_drift', { bond: 'bond0' })).toBeUndefined();
    } finally {
      await metrics.close();
    }
  });

  it('refuses a non-loopback address without permission and leaves no textfile behind', async () => {
    const journal = await Journal.open();
    const file = join(dir, 'bondd.prom');
    await expect(DaemonMetrics.start({ listen: '0.0.0.0:0', textfile: file, journal, observe: async () => [], drift: () => new Map(), log })).rejects.toThrow(/not a loopback address/);
    expect(existsSync(file)).toBe(false);
  });
});
