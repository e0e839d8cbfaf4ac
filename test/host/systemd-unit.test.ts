/**
 * systemd/bondd.service as scripts/install puts it in place: `systemd-analyze verify` must accept
 * it without a word (syntax, hardening directives, Type=notify with a real executable). The unit
 * names /usr/local/bin/bondd, which exists only after an install, so the test points ExecStart
 * at a wrapper of this checkout's bondd, as scripts/install's sed does for --prefix.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const hasAnalyze = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);

describe.skipIf(!hasAnalyze)('systemd unit', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bondd-unit-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('systemd-analyze verify accepts bondd.service with an installed bondd', async () => {
    const bin = join(dir, 'bondd');
    await writeFile(bin, `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, 'dist/src/daemon/main.js')} "$@"\n`);
    await chmod(bin, 0o755);
    const ctl = join(dir, 'bondctl');
    await writeFile(ctl, `#!/bin/sh\nexec ${process.execPath} ${join(ROOT, 'dist/src/cli/main.js')} "$@"\n`);
    await chmod(ctl, 0o755);
    const unit = await readFile(join(ROOT, 'systemd/bondd.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/local/bin/bondd ');
    expect(unit).toMatch(/^Type=notify$/m);
    // Reload through the control socket (synchronous, fails when bondd rejects the file); an
    // invalid configuration (exit 2) is not restarted in a loop.
    expect(unit).toMatch(/^ExecReload=\/usr\/local\/bin\/bondctl reload$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    await writeFile(join(dir, 'bondd.service'), unit.replaceAll('/usr/local/bin/bondd', bin).replaceAll('/usr/local/bin/bondctl', ctl));
    const result = await run('systemd-analyze', ['verify', '--man=no', join(dir, 'bondd.service')]).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
    );
    expect(result).toEqual({ code: 0, stderr: '' });
  });

  it('the same check fails for a broken unit (the test can fail)', async () => {
    const broken = join(dir, 'broken.service');
    await writeFile(broken, '[Service]\nType=notify\nExecStart=/nonexistent/bondd\nProtectSystem=sideways\n');
    const code = await run('systemd-analyze', ['verify', '--man=no', broken]).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(code).not.toBe(0);
  });
});
