/**
 * The control-socket client (src/daemon/client.ts) against scripted fake servers: results,
 * errors with their codes, a daemon that is not there, one that does not answer, one that
 * answers garbage or hangs up, and streams that end when the caller aborts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callDaemon, DaemonError, DaemonUnavailable } from '../../src/daemon/client.js';

let dir: string;
let server: Server | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bdt-client-'));
});
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = null;
  await rm(dir, { recursive: true, force: true });
});

/** A server that hands each request line to `onLine`. */
async function fake(onLine: (request: { id: number; method: string; params: Record<string, unknown> }, socket: Socket) => void): Promise<string> {
  const path = join(dir, 'bondd.sock');
  server = createServer((socket) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(JSON.parse(buf.slice(0, i)), socket);
        buf = buf.slice(i + 1);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(path, () => resolve()));
  return path;
}

describe('callDaemon', () => {
  it('sends one request line and resolves with the result', async () => {
    const seen: unknown[] = [];
    const path = await fake((r, s) => {
      seen.push(r);
      s.write(JSON.stringify({ id: r.id, ok: true, result: { pong: r.params['x'] } }) + '\n');
    });
    expect(await callDaemon('ping', { x: 7 }, { path })).toEqual({ pong: 7 });
    expect(seen).toEqual([{ id: 1, method: 'ping', params: { x: 7 } }]);
  });

  it('uses $BONDD_SOCKET when no path is given', async () => {
    const path = await fake((r, s) => s.write(JSON.stringify({ id: r.id, ok: true, result: 'env' }) + '\n'));
    const saved = process.env['BONDD_SOCKET'];
    process.env['BONDD_SOCKET'] = path;
    try {
      expect(await callDaemon('ping')).toBe('env');
    } finally {
      if (saved === undefined) delete process.env['BONDD_SOCKET'];
      else process.env['BONDD_SOCKET'] = saved;
    }
  });

  it('rejects with DaemonError carrying the code and message of an error reply', async () => {
    const path = await fake((r, s) => s.write(JSON.stringify({ id: r.id, ok: false, error: { code: 'EPERM', message: 'apply changes the host: only root may do that' } }) + '\n'));
    const error = await callDaemon('apply', {}, { path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonError);
    expect(error).toMatchObject({ code: 'EPERM', message: 'apply changes the host: only root may do that' });
  });

  it('rejects with DaemonUnavailable when nothing listens', async () => {
    const path = join(dir, 'nobody.sock');
    const error = await callDaemon('ping', {}, { path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DaemonUnavailable);
    expect((error as Error).message).toContain(`bondd is not running (no answer on ${path})`);
  });

  it('times out when the daemon does not answer', async () => {
    const path = await fake(() => undefined);
    const t = Date.now();
    await expect(callDaemon('status', {}, { path, timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('rejects a reply that is not JSON, and a daemon that hangs up', async () => {
    const garbage = await fake((_r, s) => s.write('<html>\n'));
    await expect(callDaemon('status', {}, { path: garbage })).rejects.toMatchObject({ code: 'EPROTO' });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
    await rm(join(dir, 'bondd.sock'), { force: true });
    const hangup = await fake((_r, s) => s.end());
    await expect(callDaemon('status', {}, { path: hangup })).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('streams events to onEvent until the caller aborts', async () => {
    const path = await fake((r, s) => {
      s.write(JSON.stringify({ id: r.id, event: { n: 1 } }) + '\n' + JSON.stringify({ id: r.id, event: { n: 2 } }) + '\n');
    });
    const events: unknown[] = [];
    const stop = new AbortController();
    const done = callDaemon('events', { follow: true }, { path, onEvent: (e) => {
      events.push(e);
      if (events.length === 2) stop.abort();
    }, signal: stop.signal });
    await expect(done).resolves.toBeUndefined();
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
