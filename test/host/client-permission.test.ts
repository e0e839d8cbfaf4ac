/**
 * A user outside group bondd connecting to the real control socket: the kernel refuses connect()
 * with EACCES (the socket is root:bondd 0660, here root:root 0660); the client must say
 * "permission denied", not "bondd is not running". Runs the built client as user nobody.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLIENT = join(ROOT, 'dist/src/daemon/client.js');
const canDrop = process.getuid?.() === 0;

function asNobody(script: string): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], (error, stdout) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 255) : 0, stdout: String(stdout) });
    });
  });
}

describe.skipIf(!canDrop)('control socket permissions', () => {
  let dir = '';
  let server: Server;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bondd-perm-'));
    await chmod(dir, 0o755);
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(join(dir, 'control.sock'), r));
    await chmod(join(dir, 'control.sock'), 0o660);
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const script = (path: string) =>
    `import { callDaemon } from ${JSON.stringify(CLIENT)};
     callDaemon('ping', {}, { path: ${JSON.stringify(path)}, timeoutMs: 5000 }).then(
       () => console.log('ok'),
       (e) => console.log(e.name + ': ' + e.message));`;

  it('EACCES is DaemonPermissionDenied with what to do', async () => {
    const r = await asNobody(script(join(dir, 'control.sock')));
    expect(r.stdout).toMatch(/^DaemonPermissionDenied: permission denied: you need to be root or in group bondd/);
  });

  it('a socket nobody listens on is still "not running"', async () => {
    const r = await asNobody(script(join(dir, 'absent.sock')));
    expect(r.stdout).toMatch(/^DaemonUnavailable: bondd is not running/);
  });
});
