/**
 * Confirm windows survive bondd: an apply made with --confirm-within that is not confirmed is
 * rolled back even when bondd is SIGKILLed inside the window (systemd restarts it), and the
 * rolled-back file is not applied again by the restart or by a reload. bondctl rollback and
 * confirm --extend.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addresses, assertSystemdGuest, bondctl, delLinks, installBondd, isInstalled, journal, link, must, nowEpoch, sh, unitProps, vethPair, waitFor, writeConfig } from './helpers.js';

const BOND = 'sdc0';

function config(addrs: string[]): string {
  return ['version: 1', 'bonds:', `  ${BOND}:`, '    mode: active-backup', '    options:', '      miimon: 100', '    slaves:', '      - sdc0a', '    addresses:', ...addrs.map((a) => `      - ${a}`), '    drift: alert', ''].join('\n');
}

async function mainPid(): Promise<number> {
  return Number((await unitProps('bondd', 'MainPID'))['MainPID']);
}

describe('confirm windows under systemd', () => {
  beforeAll(async () => {
    assertSystemdGuest();
    if (!isInstalled()) expect((await installBondd()).code).toBe(0);
    await sh('systemctl', ['stop', 'bondd']);
    await sh('rm', ['-f', '/var/lib/bondd/pending-confirm.json', '/var/lib/bondd/rejected.json']);
    await delLinks(BOND);
    await vethPair('sdc0a', 'sdc0p');
    await writeConfig(config(['198.51.100.10/24']));
    await must('systemctl', ['start', 'bondd']);
  });

  afterAll(async () => {
    await sh('systemctl', ['stop', 'bondd']);
    await sh('systemctl', ['reset-failed', 'bondd']);
    await delLinks(BOND, 'sdc0a');
  });

  it('SIGKILL inside the window: the restarted bondd restores the confirmed state and keeps it', async () => {
    await writeConfig(config(['198.51.100.10/24', '198.51.100.20/24']));
    const applied = await bondctl(['apply', '--confirm-within', '10m']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(addresses(await link(BOND))).toContain('198.51.100.20/24');
    expect(existsSync('/var/lib/bondd/pending-confirm.json')).toBe(true);
    const since = nowEpoch();
    const pid = await mainPid();
    await must('systemctl', ['kill', '-s', 'KILL', 'bondd']);
    await waitFor('bondd restarted', async () => (await sh('systemctl', ['is-active', '--quiet', 'bondd'])).code === 0 && (await mainPid()) !== pid, 90_000, 500);
    expect(addresses(await link(BOND))).not.toContain('198.51.100.20/24');
    expect(addresses(await link(BOND))).toContain('198.51.100.10/24');
    const text = (await journal(since)).map((l) => l.MESSAGE).join('\n');
    expect(text).toContain('inside a confirm window');
    expect(text).toContain('restored the state before the apply');
    expect((await unitProps('bondd', 'StatusText'))['StatusText']).toContain('rolled back');
    // The file still asks for the rolled-back configuration: a reload keeps the confirmed one.
    expect((await sh('systemctl', ['reload', 'bondd'])).code).toBe(0);
    expect(addresses(await link(BOND))).not.toContain('198.51.100.20/24');
    // An explicit apply runs it again (and can be confirmed).
    expect((await bondctl(['apply'])).code).toBe(0);
    expect(addresses(await link(BOND))).toContain('198.51.100.20/24');
  });

  it('confirm --extend moves the deadline; rollback reverts at once', async () => {
    await writeConfig(config(['198.51.100.10/24', '198.51.100.20/24', '198.51.100.30/24']));
    expect((await bondctl(['apply', '--confirm-within', '5s'])).code).toBe(0);
    const ext = await bondctl(['confirm', '--extend', '10m', '--json']);
    expect(ext.code, ext.stderr).toBe(0);
    const deadline = (JSON.parse(ext.stdout) as { confirmDeadline: number }).confirmDeadline;
    expect(deadline).toBeGreaterThan(Date.now() + 9 * 60_000);
    await new Promise((r) => setTimeout(r, 7000)); // past the original 5 s
    expect(addresses(await link(BOND))).toContain('198.51.100.30/24');
    const rb = await bondctl(['rollback']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain('rolled back on request');
    expect(addresses(await link(BOND))).not.toContain('198.51.100.30/24');
    expect(existsSync('/var/lib/bondd/pending-confirm.json')).toBe(false);
    expect((await bondctl(['rollback'])).code).toBe(1);
  });
});
