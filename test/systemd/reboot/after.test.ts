/**
 * Second boot of the reboot test (project systemd-after), on the disk the first boot wrote
 * (test/systemd/reboot/prepare.test.ts): bondd enabled starts at boot, the bond is up with its
 * address before network-online.target, systemd-networkd's catch-all leaves it alone and
 * wait-online does not wait for it, and the apply left unconfirmed at power-off is rolled back.
 * Writes the boot figures (bondd start → READY, and `node -e 0` in the same boot as the
 * reference) to $BONDD_RESULTS/boot-figures.json for scripts/systemd-suite to print.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addresses, assertSystemdGuest, link, must, unitProps } from '../helpers.js';

const BOND = 'sdr0';

describe('reboot, second boot', () => {
  it('bondd ran at boot: bond up with its address before network-online.target, unconfirmed apply rolled back', async () => {
    assertSystemdGuest();
    const bondd = await unitProps('bondd', 'ActiveState', 'ExecMainStartTimestampMonotonic', 'ActiveEnterTimestampMonotonic', 'NRestarts');
    expect(bondd['ActiveState']).toBe('active');
    expect(bondd['NRestarts']).toBe('0');
    const online = await unitProps('network-online.target', 'ActiveState', 'ActiveEnterTimestampMonotonic');
    expect(online['ActiveState']).toBe('active');
    expect(Number(bondd['ActiveEnterTimestampMonotonic'])).toBeGreaterThan(0);
    expect(Number(bondd['ActiveEnterTimestampMonotonic'])).toBeLessThanOrEqual(Number(online['ActiveEnterTimestampMonotonic']));
    // wait-online finished because sdm0 came online, not by its 2-minute time-out on bondd's links.
    expect((await unitProps('systemd-networkd-wait-online', 'Result'))['Result']).toBe('success');
    const list = await must('networkctl', ['list', '--no-legend']);
    for (const name of [BOND, 'sdr0a', 'sdr1a']) expect(list.split('\n').find((l) => l.includes(` ${name} `)), list).toMatch(/unmanaged/);
    const bond = await link(BOND);
    expect(addresses(bond)).toContain('203.0.113.10/24');
    expect(addresses(bond)).not.toContain('203.0.113.20/24');
    for (const s of ['sdr0a', 'sdr1a']) expect((await link(s))?.master).toBe(BOND);
    const boot = await must('journalctl', ['-b', '-u', 'bondd', '--no-pager', '-o', 'cat']);
    expect(boot).toContain('inside a confirm window');
    expect(boot).toContain('running the last confirmed configuration');

    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, ['-e', '0']);
    const nodeMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const figures = {
      bonddStartToReadyMs: (Number(bondd['ActiveEnterTimestampMonotonic']) - Number(bondd['ExecMainStartTimestampMonotonic'])) / 1000,
      nodeStartupMs: nodeMs,
      networkOnlineAtMs: Number(online['ActiveEnterTimestampMonotonic']) / 1000,
      bonddReadyAtMs: Number(bondd['ActiveEnterTimestampMonotonic']) / 1000,
    };
    if (process.env['BONDD_RESULTS']) await writeFile(join(process.env['BONDD_RESULTS'], 'boot-figures.json'), JSON.stringify(figures, null, 2) + '\n');
  });
});
