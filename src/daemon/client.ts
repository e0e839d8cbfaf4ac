/**
 * Client side of the control socket (bondctl). One connection per call; streaming calls deliver
 * event lines until the caller stops them.
 */
import { createConnection } from 'node:net';
import { DEFAULT_CONTROL_SOCKET } from './control.js';

export class DaemonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** The daemon is not running (no socket, or nobody listening). */
export class DaemonUnavailable extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`bondd is not running (no answer on ${path}): ${(cause as Error).message}`, { cause });
    this.name = 'DaemonUnavailable';
  }
}

/**
 * bondd runs, but this user may not connect: the control socket is root:bondd 0660, so connect()
 * fails with EACCES (or EPERM under an LSM) for anyone else.
 */
export class DaemonPermissionDenied extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`permission denied: you need to be root or in group bondd to talk to bondd (${path}: ${(cause as Error).message})`, { cause });
    this.name = 'DaemonPermissionDenied';
  }
}

/** The error for a failed connect: permission problems are not "not running". */
function connectError(path: string, error: NodeJS.ErrnoException): Error {
  return error.code === 'EACCES' || error.code === 'EPERM' ? new DaemonPermissionDenied(path, error) : new DaemonUnavailable(path, error);
}

export interface CallOptions {
  path?: string;
  timeoutMs?: number;
  /** For streaming methods: receives each event; the call resolves when stop() is called. */
  onEvent?(event: unknown): void;
  signal?: AbortSignal;
}

export function callDaemon<T = unknown>(method: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
  const path = options.path ?? process.env['BONDD_SOCKET'] ?? DEFAULT_CONTROL_SOCKET;
  return new Promise<T>((resolve, reject) => {
    const socket = createConnection(path);
    let settled = false;
    let connected = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = options.timeoutMs && !options.onEvent
      ? setTimeout(() => finish(() => reject(new DaemonError('ETIMEDOUT', `bondd did not answer ${method} within ${options.timeoutMs} ms`))), options.timeoutMs)
      : undefined;
    options.signal?.addEventListener('abort', () => finish(() => resolve(undefined as T)));
    socket.on('connect', () => {
      connected = true;
      socket.write(JSON.stringify({ id: 1, method, params }) + '\n');
    });
    socket.on('error', (error) => finish(() => reject(connected ? error : connectError(path, error))));
    socket.on('close', () => finish(() => reject(new DaemonError('ECONNRESET', `bondd closed the connection during ${method}`))));
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let message: { ok?: boolean; result?: unknown; event?: unknown; error?: { code: string; message: string } };
        try {
          message = JSON.parse(line);
        } catch {
          finish(() => reject(new DaemonError('EPROTO', `bondd sent a line that is not JSON: ${line.slice(0, 80)}`)));
          return;
        }
        if ('event' in message) {
          options.onEvent?.(message.event);
          continue;
        }
        if (message.ok) finish(() => resolve(message.result as T));
        else finish(() => reject(new DaemonError(message.error?.code ?? 'EFAIL', message.error?.message ?? 'bondd refused the request')));
      }
    });
  });
}
