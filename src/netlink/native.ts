/**
 * Loads the nlsock addon (build/Release/nlsock.node, built by `npm install` / `npx node-gyp
 * rebuild`) and types it. The addon is found from the package root, which is located by walking
 * up from this file to the first directory holding package.json, so the same code works from
 * src/netlink (vitest) and from dist/src/netlink (compiled).
 *
 * A packaged build (scripts/package) has no package root: its bundler sets __BONDD_ADDON__ to
 * the addon's fixed path (/usr/lib/bondd/nlsock.node), and the addon is loaded from there only.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The object the addon wraps; it calls onDatagram for every datagram or receive error. */
export interface NativeTarget {
  /**
   * errno 0 with a Buffer holding one datagram (one or more netlink messages), or an errno
   * (ENOBUFS: the kernel dropped messages because the receive queue was full) with undefined.
   */
  onDatagram(errno: number, datagram: Buffer | undefined): void;
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface NlsockAddon {
  /** Creates and binds the socket (inside the netns at netnsPath when given) and wraps target. */
  open(target: NativeTarget, protocol: number, netnsPath?: string): void;
  /** Sends one datagram to the kernel; returns the byte count. Throws with `errno` on failure. */
  send(target: NativeTarget, datagram: Buffer): number;
  /**
   * Delivers (through onDatagram) what is already queued on the socket, now. rtnetlink queues a
   * request's reply inside sendmsg(), so this saves a trip through the event loop per request.
   * Optional: test doubles may leave it out, and delivery then waits for the poll.
   */
  drain?(target: NativeTarget): void;
  setsockoptInt(target: NativeTarget, level: number, name: number, value: number): void;
  getsockoptInt(target: NativeTarget, level: number, name: number): number;
  /** The port id the kernel assigned at bind(). */
  portid(target: NativeTarget): number;
  /** Idempotent. Also done by the addon when target is garbage collected. */
  close(target: NativeTarget): void;
  /** SO_PEERCRED of a connected Unix socket fd. */
  peerCredentials(fd: number): PeerCredentials;
  /** One datagram to an AF_UNIX datagram socket ('@name' = abstract), e.g. $NOTIFY_SOCKET. */
  unixDatagramSend(path: string, datagram: Buffer): void;
}

/** An Error thrown by the addon for a failed system call. */
export interface NativeError extends Error {
  errno?: number;
  syscall?: string;
}

/** The first directory at or above `start` that contains package.json. */
export function findPackageRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`nlsock: no package.json above ${start}`);
    dir = parent;
  }
}

let addon: NlsockAddon | undefined;

/** Replaced by scripts/package's bundler with the addon's installed path. */
declare const __BONDD_ADDON__: string | undefined;

function loadPackaged(path: string): NlsockAddon {
  if (!existsSync(path)) throw new Error(`nlsock: ${path} is missing; reinstall the bondd package`);
  // process.dlopen, not require: a bundled single executable has no require for files.
  const module = { exports: {} as NlsockAddon };
  process.dlopen(module, path);
  return module.exports;
}

/** The addon, loaded once. Throws a message that says how to build it when it is missing. */
export function loadNative(): NlsockAddon {
  if (addon) return addon;
  if (typeof __BONDD_ADDON__ === 'string') return (addon = loadPackaged(__BONDD_ADDON__));
  const root = findPackageRoot();
  const path = join(root, 'build', 'Release', 'nlsock.node');
  if (!existsSync(path)) {
    throw new Error(`nlsock: ${path} is missing; build it with \`npm install\` or \`npx node-gyp rebuild\` in ${root}`);
  }
  addon = createRequire(import.meta.url)(path) as NlsockAddon;
  return addon;
}
