/**
 * bondctl commands for running under systemd: reload (the unit's ExecReload: fails with the
 * reason when bondd rejects the file), rollback, confirm --extend, and the permission error of a
 * user outside group bondd (exit 4, not "not running").
 */
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_NO_DAEMON, EXIT_OK, EXIT_PERMISSION, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { DaemonPermissionDenied } from '../../src/daemon/client.js';
import { harness } from './cli-fakes.js';

describe('bondctl reload', () => {
  it('exit 0 with bondd\'s message when the configuration was applied', async () => {
    const h = harness({ daemon: { reload: () => ({ ok: true, message: 'reloaded /etc/bondd/bondd.yaml' }) } });
    expect(await h.run('reload')).toBe(EXIT_OK);
    expect(h.stdout).toBe('reloaded /etc/bondd/bondd.yaml\n');
  });

  it('exit 1 with the reason when bondd rejected it', async () => {
    const h = harness({ daemon: { reload: () => ({ ok: false, message: '/etc/bondd/bondd.yaml:7: bonds.bond0.options.miimon: "lots" is not a whole number' }) } });
    expect(await h.run('reload')).toBe(EXIT_FAILURE);
    expect(h.stderr).toBe('bondctl: reload rejected, bondd keeps the running configuration: /etc/bondd/bondd.yaml:7: bonds.bond0.options.miimon: "lots" is not a whole number\n');
    expect(h.stdout).toBe('');
  });

  it('exit 3 without bondd', async () => {
    const h = harness();
    expect(await h.run('reload')).toBe(EXIT_NO_DAEMON);
  });
});

describe('bondctl confirm --extend and rollback', () => {
  it('--extend sends the new window and prints the deadline', async () => {
    let sent: unknown;
    const h = harness({ daemon: { confirm: (p) => ((sent = p), { message: 'deadline extended', confirmDeadline: Date.parse('2024-05-01T12:10:00Z') }) } });
    expect(await h.run('confirm', '--extend', '10m')).toBe(EXIT_OK);
    expect(sent).toEqual({ extendMs: 600_000 });
    expect(h.stdout).toMatch(/^deadline extended: run bondctl confirm before /);
  });

  it('--extend outside 1s..1h is bad input and asks bondd nothing', async () => {
    const h = harness({ daemon: {} });
    expect(await h.run('confirm', '--extend', '2h')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/--extend: 2h is outside 1s..1h/);
    expect(h.touched).toEqual([]);
  });

  it('rollback prints what bondd did; nothing pending is exit 1', async () => {
    const ok = harness({ daemon: { rollback: () => ({ message: 'rolled back on request (bondctl rollback): restored the state before the apply' }) } });
    expect(await ok.run('rollback')).toBe(EXIT_OK);
    expect(ok.stdout).toContain('rolled back on request');
    const none = harness({ daemon: { rollback: () => Promise.reject(Object.assign(new Error('nothing to roll back'), { name: 'DaemonError', code: 'ENOENT' })) } });
    expect(await none.run('rollback')).toBe(EXIT_FAILURE);
  });
});

describe('permission denied', () => {
  it('EACCES on the control socket is exit 4 with what to do, not "bondd is not running"', async () => {
    const denied = () => Promise.reject(new DaemonPermissionDenied('/run/bondd/control.sock', Object.assign(new Error('connect EACCES /run/bondd/control.sock'), { code: 'EACCES' })));
    const h = harness({ daemon: { apply: denied, events: denied } });
    expect(await h.run('events')).toBe(EXIT_PERMISSION);
    expect(h.stderr).toMatch(/^bondctl: permission denied: you need to be root or in group bondd/);
    expect(h.stderr).not.toMatch(/not running/);
  });
});
