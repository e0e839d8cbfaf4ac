import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkoutRoot, runInGuest } from '../../scripts/lib/guest-runner.js';
import { hostHasBonding } from '../../src/sysfs/module.js';

// These tests never boot a VM: they check the plumbing around scripts/guest with inputs that
// scripts/guest rejects before it starts anything.
describe('scripts/lib/guest-runner', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the checkout', () => {
    const root = checkoutRoot();
    expect(existsSync(join(root, 'scripts', 'guest'))).toBe(true);
    expect(existsSync(join(root, 'package.json'))).toBe(true);
  });

  it('hostHasBonding answers without throwing', () => {
    expect(typeof hostHasBonding()).toBe('boolean');
  });

  it('rejects an empty command and bad variable names', async () => {
    await expect(runInGuest([])).rejects.toThrow(/empty command/);
    await expect(runInGuest(['true'], { env: { 'A B': '1' } })).rejects.toThrow(/invalid variable name/);
    await expect(runInGuest(['true'], { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
  });

  it('returns the exit code and output of scripts/guest', async () => {
    const saved = process.env.BONDD_GUEST_MODE;
    process.env.BONDD_GUEST_MODE = 'nonsense';
    try {
      const chunks: string[] = [];
      const r = await runInGuest(['true'], { onOutput: (c) => chunks.push(c) });
      made.push(r.resultsDir);
      expect(r.code).toBe(125);
      expect(r.output).toMatch(/BONDD_GUEST_MODE must be auto, vm or host/);
      expect(chunks.join('')).toBe(r.output);
      expect(r.resultsDir.startsWith(join(checkoutRoot(), '.cache', 'guest-results-'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.BONDD_GUEST_MODE;
      else process.env.BONDD_GUEST_MODE = saved;
    }
  });

  it('resolves with 130 when aborted before the start', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runInGuest(['true'], { signal: ac.signal });
    made.push(r.resultsDir);
    expect(r.code).toBe(130);
  });
});
