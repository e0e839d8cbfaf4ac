/**
 * The control socket: JSON lines over a Unix stream socket under /run/bondd.
 *
 * Request:  {"id": 1, "method": "status", "params": {...}}
 * Response: {"id": 1, "ok": true, "result": ...}
 *         | {"id": 1, "ok": false, "error": {"code": "EPERM", "message": "..."}}
 * Streams (events --follow): any number of {"id": 1, "event": {...}} lines until the client
 * disconnects.
 *
 * Access: the socket file is 0660 (owner root, group bondd when that group exists), so only root
 * and the bondd group can connect at all; every connection's peer credentials (SO_PEERCRED,
 * read through the addon) decide whether it may change anything: only uid 0 may call a mutating
 * method. A malformed request gets an error reply; nothing a client sends can crash the daemon.
 */
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { loadNative } from '../netlink/native.js';

export const DEFAULT_CONTROL_SOCKET = '/run/bondd/bondd.sock';
const MAX_LINE = 64 * 1024;
const METHOD = /^[a-z][a-z-]{0,31}$/;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface RequestContext {
  peer: PeerCredentials;
  /** For streaming methods: send one event line. Returns false once the client is gone. */
  emit(event: unknown): boolean;
  /** Resolves when the client disconnects (streams end then). */
  closed: Promise<void>;
}

export interface MethodHandler {
  /** Changes the host or the daemon: root only. */
  mutating: boolean;
  /** Streams events after the result until the client disconnects. */
  streaming?: boolean;
  handle(params: Record<string, unknown>, ctx: RequestContext): Promise<unknown>;
}

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

function peerOf(socket: Socket): PeerCredentials {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new ControlError('EPERM', 'cannot identify the client');
  return loadNative().peerCredentials(fd);
}

function groupId(name: string): number | null {
  try {
    const out = execFileSync('getent', ['group', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const gid = Number(out.split(':')[2]);
    return Number.isInteger(gid) ? gid : null;
  } catch {
    return null;
  }
}

export interface ControlServerOptions {
  path?: string;
  /** Group allowed to read (status, plan, events). Default "bondd" when it exists. */
  group?: string;
  handlers: Record<string, MethodHandler>;
  log?(message: string): void;
}

export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #handlers: Record<string, MethodHandler>;
  readonly #log: (message: string) => void;
  readonly #sockets = new Set<Socket>();

  private constructor(options: ControlServerOptions) {
    this.path = options.path ?? DEFAULT_CONTROL_SOCKET;
    this.#handlers = options.handlers;
    this.#log = options.log ?? (() => undefined);
    this.#server = createServer((socket) => this.#accept(socket));
  }

  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const server = new ControlServer(options);
    await mkdir(dirname(server.path), { recursive: true, mode: 0o755 });
    // A socket file left by a killed daemon would make listen() fail with EADDRINUSE.
    await rm(server.path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(server.path, () => resolve());
    });
    const gid = groupId(options.group ?? 'bondd');
    if (gid !== null) await chown(server.path, 0, gid).catch(() => undefined);
    await chmod(server.path, gid !== null ? 0o660 : 0o600);
    return server;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.path, { force: true });
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    let peer: PeerCredentials;
    try {
      peer = peerOf(socket);
    } catch {
      socket.destroy();
      return;
    }
    let closedResolve!: () => void;
    const closed = new Promise<void>((resolve) => (closedResolve = resolve));
    socket.on('close', () => {
      this.#sockets.delete(socket);
      closedResolve();
    });
    socket.on('error', () => undefined);
    let buffer = '';
    let refused = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (refused) return;
      buffer += chunk;
      if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
        this.#reply(socket, { id: null, ok: false, error: { code: 'E2BIG', message: `request longer than ${MAX_LINE} bytes` } });
        // Stop reading too: end() alone half-closes, and a client that keeps sending would grow
        // the buffer without bound. Drop what came, close both ways once the reply is out.
        refused = true;
        buffer = '';
        socket.end(() => socket.destroy());
        return;
      }
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) void this.#dispatch(socket, line, peer, closed);
      }
    });
  }

  #reply(socket: Socket, message: unknown): boolean {
    if (socket.destroyed || !socket.writable) return false;
    socket.write(JSON.stringify(message) + '\n');
    return true;
  }

  async #dispatch(socket: Socket, line: string, peer: PeerCredentials, closed: Promise<void>): Promise<void> {
    let id: unknown = null;
    try {
      let request: unknown;
      try {
        request = JSON.parse(line);
      } catch {
        throw new ControlError('EINVAL', 'request is not valid JSON');
      }
      if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new ControlError('EINVAL', 'request must be a JSON object');
      const r = request as Record<string, unknown>;
      id = typeof r['id'] === 'number' || typeof r['id'] === 'string' ? r['id'] : null;
      const method = r['method'];
      if (typeof method !== 'string' || !METHOD.test(method)) throw new ControlError('EINVAL', 'request needs a "method" string');
      const params = r['params'] ?? {};
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ControlError('EINVAL', '"params" must be a JSON object');
      const handler = Object.hasOwn(this.#handlers, method) ? this.#handlers[method] : undefined;
      if (!handler) throw new ControlError('ENOSYS', `unknown method "${method}" (known: ${Object.keys(this.#handlers).sort().join(', ')})`);
      if (handler.mutating && peer.uid !== 0) {
        this.#log(`refused ${method} from uid ${peer.uid} (pid ${peer.pid}): only root may change anything`);
        throw new ControlError('EPERM', `${method} changes the host: only root may do that (you are uid ${peer.uid})`);
      }
      const ctx: RequestContext = { peer, closed, emit: (event) => this.#reply(socket, { id, event }) };
      const result = await handler.handle(params as Record<string, unknown>, ctx);
      this.#reply(socket, { id, ok: true, result });
    } catch (error) {
      const e = error as Error & { code?: unknown };
      const code = typeof e.code === 'string' ? e.code : 'EFAIL';
      this.#reply(socket, { id, ok: false, error: { code, message: e.message } });
    }
  }
}
