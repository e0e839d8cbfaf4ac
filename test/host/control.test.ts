/**
 * The control socket (src/daemon/control.ts) with fake handlers: no bonding needed.
 *
 * - Access: by default only root can connect at all (0600 without a bondd group); with the socket
 *   opened up for the test, an unprivileged client (uid 65534, run through setpriv) is refused
 *   with EPERM on every mutating method and served on every read method. The refusal comes from
 *   the peer credentials of the connection, not from anything the client claims.
 * - Robustness: malformed requests get error replies and the server keeps serving, on the same
 *   connection and on new ones; an over-long line is refused and its connection closed, even when
 *   the client keeps sending.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callDaemon, DaemonError } from '../../src/daemon/client.js';
import { ControlError, ControlServer, type MethodHandler, type RequestContext } from '../../src/daemon/control.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const MUTATING = ['apply', 'confirm', 'failover', 'reload'];
const READING = ['status', 'plan', 'events', 'ping'];

/** What an unprivileged client does: one connection per request, replies printed as JSON. */
const CLIENT = `
const net = require('node:net');
const [path, ...lines] = process.argv.slice(1);
const out = [];
const one = (line) => new Promise((resolve) => {
  const s = net.createConnection(path);
  let buf = '';
  s.setEncoding('utf8');
  s.on('connect', () => s.write(line + '\\n'));
  s.on('data', (c) => { buf += c; const i = buf.indexOf('\\n'); if (i >= 0) { s.destroy(); resolve(JSON.parse(buf.slice(0, i))); } });
  s.on('error', (e) => resolve({ connectError: e.code }));
  s.on('close', () => resolve({ closed: true }));
});
(async () => { for (const l of lines) out.push(await one(l)); process.stdout.write(JSON.stringify(out)); })();
`;

function runAsNobody(socket: string, requests: unknown[]): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', CLIENT, socket, ...requests.map((r) => JSON.stringify(r))], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`client as uid ${NOBODY} failed (exit ${code}): ${stderr}`));
      else resolve(JSON.parse(stdout) as Array<Record<string, unknown>>);
    });
  });
}

/** Sends raw text on one connection and collects reply lines until `count` arrived or the server closed. */
function raw(socketPath: string, text: string | Buffer, count: number, timeoutMs = 10_000): Promise<{ replies: Array<Record<string, unknown>>; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socketPath);
    const replies: Array<Record<string, unknown>> = [];
    let buf = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ replies, closedByServer });
    };
    const timer = setTimeout(() => (done ? undefined : reject(new Error(`no ${count} replies within ${timeoutMs} ms (got ${JSON.stringify(replies)})`))), timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(text));
    s.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
      if (replies.length >= count) finish(false);
    });
    s.on('end', () => finish(true));
    s.on('error', () => finish(true));
  });
}

describe.skipIf(!isRoot)('control socket', () => {
  let dir: string;
  let socket: string;
  let server: ControlServer;
  const calls: Array<{ method: string; uid: number }> = [];
  const refusals: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bdt-control-'));
    socket = join(dir, 'bondd.sock');
    const handler = (method: string, mutating: boolean): MethodHandler => ({
      mutating,
      handle: async (params: Record<string, unknown>, ctx: RequestContext) => {
        calls.push({ method, uid: ctx.peer.uid });
        if (params['boom'] === true) throw new Error('handler failed');
        if (params['code'] === true) throw new ControlError('ENODEV', 'bond9: no such bond');
        return { method, uid: ctx.peer.uid, pid: ctx.peer.pid };
      },
    });
    const handlers: Record<string, MethodHandler> = {};
    for (const m of MUTATING) handlers[m] = handler(m, true);
    for (const m of READING) handlers[m] = handler(m, false);
    server = await ControlServer.listen({ path: socket, group: 'bdt-no-such-group', handlers, log: (m) => refusals.push(m) });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is a socket only root can connect to when there is no bondd group', async () => {
    const st = await stat(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    await chmod(dir, 0o755);
    const [reply] = await runAsNobody(socket, [{ id: 1, method: 'ping' }]);
    expect(reply).toEqual({ connectError: 'EACCES' });
    expect(calls).toEqual([]);
  });

  it('refuses every mutating method to an unprivileged client with EPERM and serves every read method', async () => {
    // Opened up for the test: anyone may connect, so the peer-credential check is what decides.
    await chmod(socket, 0o666);
    calls.length = 0;
    const requests = [...MUTATING, ...READING].map((method, i) => ({ id: i + 1, method, params: method === 'failover' ? { bond: 'bond0' } : {} }));
    const replies = await runAsNobody(socket, requests);
    expect(replies).toHaveLength(requests.length);
    for (const [i, method] of MUTATING.entries()) {
      expect(replies[i], method).toMatchObject({ id: i + 1, ok: false, error: { code: 'EPERM' } });
      expect((replies[i]!['error'] as { message: string }).message).toContain(`${method} changes the host: only root may do that (you are uid ${NOBODY})`);
    }
    for (const [j, method] of READING.entries()) {
      const i = MUTATING.length + j;
      expect(replies[i], method).toMatchObject({ id: i + 1, ok: true, result: { method, uid: NOBODY } });
    }
    // No mutating handler ran; each refusal was logged with the uid.
    expect(calls.map((c) => c.method).sort()).toEqual([...READING].sort());
    expect(calls.every((c) => c.uid === NOBODY)).toBe(true);
    for (const method of MUTATING) expect(refusals.some((r) => r.startsWith(`refused ${method} from uid ${NOBODY}`))).toBe(true);
  });

  it('serves root on every method, with the peer credentials of the connection', async () => {
    for (const method of [...MUTATING, ...READING]) {
      const result = await callDaemon<{ method: string; uid: number; pid: number }>(method, {}, { path: socket, timeoutMs: 5000 });
      expect(result).toEqual({ method, uid: 0, pid: process.pid });
    }
  });

  it('answers malformed requests with errors and keeps serving on the same connection', async () => {
    const lines = [
      'this is not json',
      '[1, 2, 3]',
      '"a string"',
      '{"id": 1}',
      '{"id": 2, "method": 42}',
      '{"id": 3, "method": "no-such-method"}',
      '{"id": 4, "method": "constructor"}',
      '{"id": 5, "method": "__proto__"}',
      '{"id": 6, "method": "status", "params": [1]}',
      '{"id": 7, "method": "status", "params": "x"}',
      '{"id": 8, "method": "status", "params": null}',
      '{"id": 9, "method": "status", "params": {"boom": true}}',
      '{"id": 10, "method": "status", "params": {"code": true}}',
      '{"id": {"x": 1}, "method": "ping"}',
      '{"id": 11, "method": "ping"}',
    ];
    const { replies, closedByServer } = await raw(socket, lines.join('\n') + '\n', lines.length);
    expect(closedByServer).toBe(false);
    const byId = new Map(replies.filter((r) => r['id'] !== null).map((r) => [r['id'], r]));
    const anonymous = replies.filter((r) => r['id'] === null);
    // Not JSON, not an object (twice), id not a number or string: replies without an id.
    expect(anonymous.filter((r) => r['ok'] === false).map((r) => (r['error'] as { code: string }).code)).toEqual(['EINVAL', 'EINVAL', 'EINVAL']);
    expect(anonymous.some((r) => r['ok'] === true)).toBe(true); // id {"x":1} is dropped, the ping still answered
    const code = (id: number) => (byId.get(id)?.['error'] as { code: string; message: string } | undefined);
    expect(code(1)).toMatchObject({ code: 'EINVAL', message: 'request needs a "method" string' });
    expect(code(2)?.code).toBe('EINVAL');
    expect(code(2)?.message).toContain('"method"');
    expect(code(3)).toMatchObject({ code: 'ENOSYS' });
    expect(code(3)?.message).toContain('unknown method "no-such-method" (known: apply, confirm, events, failover, ping, plan, reload, status)');
    expect(code(4)).toMatchObject({ code: 'ENOSYS' });
    expect(code(5)).toMatchObject({ code: 'EINVAL' });
    expect(code(6)).toMatchObject({ code: 'EINVAL', message: '"params" must be a JSON object' });
    expect(code(7)).toMatchObject({ code: 'EINVAL', message: '"params" must be a JSON object' });
    expect(byId.get(8)).toMatchObject({ ok: true }); // null params: no params
    expect(code(9)).toMatchObject({ code: 'EFAIL', message: 'handler failed' });
    expect(code(10)).toMatchObject({ code: 'ENODEV', message: 'bond9: no such bond' });
    expect(byId.get(11)).toMatchObject({ ok: true, result: { method: 'ping', uid: 0 } });
  });

  it('refuses a 1 MB line with E2BIG, closes that connection, and keeps serving others', async () => {
    const big = Buffer.alloc(1 << 20, 'a');
    const { replies, closedByServer } = await raw(socket, Buffer.concat([big, Buffer.from('\n')]), 1);
    expect(replies[0]).toMatchObject({ id: null, ok: false, error: { code: 'E2BIG' } });
    // Same again, as the start of a JSON request, without a newline at all.
    const noNewline = await raw(socket, Buffer.concat([Buffer.from('{"id": 1, "method": "ping", "params": {"x": "'), big]), 1);
    expect(noNewline.replies[0]).toMatchObject({ ok: false, error: { code: 'E2BIG' } });
    void closedByServer;
    expect(await callDaemon('ping', {}, { path: socket, timeoutMs: 5000 })).toMatchObject({ method: 'ping' });
  });

  it('closes the connection of a client that keeps sending after an over-long line (no unbounded buffering)', async () => {
    // A half-open client: it ignores the server's end of stream and keeps writing.
    const s: Socket = createConnection({ path: socket, allowHalfOpen: true });
    let reply = '';
    let failed: string | null = null;
    s.setEncoding('utf8');
    s.on('data', (c: string) => (reply += c));
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.on('error', (e: NodeJS.ErrnoException) => (failed = e.code ?? e.message));
    await new Promise<void>((resolve) => s.on('connect', () => resolve()));
    const chunk = Buffer.alloc(256 << 10, 'b');
    let sent = 0;
    const deadline = Date.now() + 20_000;
    // Keep writing up to 256 MB; the server must cut us off long before.
    while (failed === null && !s.destroyed && sent < 256 << 20 && Date.now() < deadline) {
      const ok = s.write(chunk);
      sent += chunk.length;
      if (!ok) await Promise.race([new Promise((r) => s.once('drain', r)), closed, new Promise((r) => setTimeout(r, 200))]);
    }
    s.destroy();
    await closed;
    expect(reply).toContain('E2BIG');
    expect(failed, `the server accepted ${sent >> 20} MB after refusing the line`).not.toBeNull();
    expect(sent).toBeLessThan(64 << 20);
    expect(await callDaemon('ping', {}, { path: socket, timeoutMs: 5000 })).toMatchObject({ method: 'ping' });
  });

  it('reports errors to the client library as DaemonError with the code', async () => {
    await expect(callDaemon('no-such', {}, { path: socket, timeoutMs: 5000 })).rejects.toMatchObject({ name: 'DaemonError', code: 'ENOSYS' });
    await expect(callDaemon('status', { code: true }, { path: socket, timeoutMs: 5000 })).rejects.toBeInstanceOf(DaemonError);
  });
});
