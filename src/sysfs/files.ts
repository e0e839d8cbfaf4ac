/**
 * Low-level sysfs access for the sysfs backend, and the small pure helpers around it.
 *
 * Sysfs semantics that matter here:
 * - Every write(2) to a sysfs attribute is one call of the kernel's store function; the return
 *   value of that function becomes the errno of the write. So a command such as "+eth0" must
 *   reach the kernel in exactly one write(2), and the error of that write is the kernel's answer.
 * - Opening a file that does not exist with O_CREAT in a sysfs directory fails with EACCES, which
 *   would hide "this kernel has no such option" behind "permission denied"; files are therefore
 *   opened O_WRONLY without O_CREAT, and a missing file is ENOENT.
 * - A zero-length write never reaches the store function, so "clear this value" is written as
 *   "\n" (formatSysfsValue() does that).
 * - Reads return at most one page, produced at once by the show function.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, open, readFile, readdir, readlink, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename } from 'node:path';

import { sysClassNetPath } from '../bond/names.js';
import type { ClassNetLink } from './classnet.js';

/** The file operations the sysfs backend needs; tests substitute a fake kernel. */
export interface SysfsIO {
  /** The file's whole text. Rejects with a Node error whose `code` is the errno name. */
  read(path: string): Promise<string>;
  /** Writes `text` in a single write(2). Rejects with the kernel's errno as `code`. */
  write(path: string, text: string): Promise<void>;
  /** Entries of a directory. */
  list(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** The last component of a symlink's target, or null when there is no such link. */
  linkName(path: string): Promise<string | null>;
}

/** The real thing, on the current process's mount and network namespace. */
export const nodeSysfsIO: SysfsIO = {
  async read(path) {
    return readFile(path, 'utf8');
  },
  async write(path, text) {
    const handle = await open(path, constants.O_WRONLY);
    try {
      const data = Buffer.from(text, 'utf8');
      const { bytesWritten } = await handle.write(data, 0, data.length, null);
      if (bytesWritten !== data.length) {
        throw Object.assign(new Error(`short write to ${path}: ${bytesWritten} of ${data.length} bytes`), { code: 'EIO' });
      }
    } finally {
      await handle.close();
    }
  },
  async list(dir) {
    return readdir(dir);
  },
  async exists(path) {
    return access(path).then(
      () => true,
      () => false,
    );
  },
  async linkName(path) {
    try {
      return basename(await readlink(path));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
  },
};

/** The errno name carried by a Node system error ('EBUSY'), or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Interface flags (include/uapi/linux/if.h). */
export const IFF_UP = 0x1;
export const IFF_PROMISC = 0x100;
export const IFF_ALLMULTI = 0x200;

/** Parses /sys/class/net/<dev>/flags ("0x1003\n"). */
export function parseFlags(text: string): number {
  const trimmed = text.trim();
  if (!/^0x[0-9a-f]+$/i.test(trimmed)) throw new SyntaxError(`interface flags ${JSON.stringify(text)} are not a hex number`);
  return Number.parseInt(trimmed.slice(2), 16);
}

/**
 * The text to write to a device's `flags` file to set it up or down, or null when it already is.
 *
 * The store function (net-sysfs.c change_flags → dev_change_flags) takes IFF_UP from the value,
 * but treats IFF_PROMISC and IFF_ALLMULTI as the *user's* promiscuous/allmulti request
 * (dev->gflags), while the file shows dev->flags, which also counts requests of bridges, packet
 * sockets and upper devices. Writing those bits back would add a user request nobody ever drops
 * (a bond in a bridge would stay promiscuous after leaving it), so they are cleared. The cost: a
 * promiscuous mode set by hand with `ip link set ... promisc on` is dropped by this write; the
 * netlink backend does not have that limitation.
 */
export function flagsForUp(current: number, up: boolean): string | null {
  if (Boolean(current & IFF_UP) === up) return null;
  const next = (up ? current | IFF_UP : current & ~IFF_UP) & ~(IFF_PROMISC | IFF_ALLMULTI);
  return `0x${(next >>> 0).toString(16)}`;
}

/** Per-slave "N/A" (not in 802.3ad, or the port has no aggregator) → null; a number otherwise. */
export function parseOptionalNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** Names in a whitespace-separated sysfs list (bonding_masters, slaves). */
export function parseNameList(text: string): string[] {
  return text.split(/\s+/).filter((name) => name !== '');
}

/* ---------------------------------------------------------------------------------------------- */
/* Another network namespace                                                                       */

/** A SysfsIO that holds a resource (a helper process) until closed. */
export interface ClosableSysfsIO extends SysfsIO {
  close(): Promise<void>;
}

const NETNS_RUN_DIR = '/run/netns/';
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

async function nsInode(path: string): Promise<bigint> {
  return (await stat(path, { bigint: true })).ino;
}

/**
 * Sysfs of the network namespace at `netnsPath` (/run/netns/NAME), for a process that lives in
 * another one.
 *
 * /sys/class/net shows the devices of the namespace sysfs was *mounted* in, and bonding_masters
 * creates bonds in that namespace too, so entering the namespace is not enough: a sysfs mounted
 * inside it is needed. `ip netns exec NAME cat` makes exactly that (a private mount namespace with
 * a fresh /sys) and then waits on its stdin; its mounts are reached through /proc/<pid>/root.
 * Nothing is mounted in our own mount namespace, so nothing can leak: when this process dies,
 * the pipe closes, cat exits and its mount namespace goes with it.
 *
 * While the helper runs it keeps the network namespace alive, also after `ip netns del`: close()
 * ends it. If it dies, the next operation starts a new one.
 */
export function netnsSysfsIO(netnsPath: string): ClosableSysfsIO {
  const name = netnsPath.startsWith(NETNS_RUN_DIR) ? netnsPath.slice(NETNS_RUN_DIR.length) : '';
  if (!NETNS_NAME.test(name) || name === '.' || name === '..') {
    throw new TypeError(`${JSON.stringify(netnsPath)} is not a named network namespace (${NETNS_RUN_DIR}NAME)`);
  }
  let child: ChildProcess | null = null;
  let root: Promise<string> | null = null;
  let closed = false;

  const start = async (): Promise<string> => {
    const wanted = await nsInode(netnsPath);
    const helper = spawn('ip', ['netns', 'exec', name, 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] });
    child = helper;
    let stderr = '';
    let exited: string | null = null;
    helper.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    helper.on('error', (error) => (exited = error.message));
    helper.on('exit', (code, signal) => {
      exited ??= `exit ${code ?? signal}`;
      if (child === helper) {
        child = null;
        root = null;
      }
    });
    // The helper must not keep this process alive.
    helper.unref();
    (helper.stdin as Socket).unref();
    (helper.stderr as Socket).unref();
    const proc = `/proc/${helper.pid}`;
    // `ip` sets up the mount namespace and then execs cat: once the command name is "cat", /sys
    // is the namespace's own. The namespace is checked by inode, as `ip` resolved it by name.
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited !== null || helper.pid === undefined) {
        throw new Error(`cannot open sysfs of network namespace ${name}: ip netns exec failed (${exited}): ${stderr.trim()}`);
      }
      const comm = await readFile(`${proc}/comm`, 'utf8').catch(() => '');
      if (comm.trim() === 'cat') break;
      if (Date.now() > deadline) {
        helper.kill();
        throw new Error(`cannot open sysfs of network namespace ${name}: ip netns exec did not start within 20 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if ((await nsInode(`${proc}/ns/net`)) !== wanted) {
      helper.kill();
      throw new Error(`cannot open sysfs of network namespace ${name}: the helper is in another namespace`);
    }
    return `${proc}/root`;
  };

  const at = async (path: string): Promise<string> => {
    if (closed) throw new Error(`sysfs of network namespace ${name} is closed`);
    if (!path.startsWith('/sys/')) throw new TypeError(`${path} is not a sysfs path`);
    root ??= start().catch((error: unknown) => {
      root = null;
      throw error;
    });
    return (await root) + path;
  };

  return {
    read: async (path) => nodeSysfsIO.read(await at(path)),
    write: async (path, text) => nodeSysfsIO.write(await at(path), text),
    list: async (dir) => nodeSysfsIO.list(await at(dir)),
    exists: async (path) => nodeSysfsIO.exists(await at(path)),
    linkName: async (path) => nodeSysfsIO.linkName(await at(path)),
    async close() {
      closed = true;
      const helper = child;
      child = null;
      root = null;
      if (!helper || helper.exitCode !== null || helper.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        helper.once('exit', () => resolve());
        helper.ref(); // keep the process alive until the helper is gone
        helper.kill('SIGTERM');
      });
    },
  };
}

/* ---------------------------------------------------------------------------------------------- */
/* Interface facts                                                                                 */

/**
 * Speed, duplex, carrier, MTU and MAC of an interface, as classnet.readClassNetLink() reads them
 * but through `io` (so that it works for another namespace). Attributes a driver can not report
 * fail with EINVAL (speed and duplex of a down NIC, carrier of a down device) or read as -1 or
 * "unknown": null.
 */
export async function readLinkFacts(io: SysfsIO, name: string): Promise<ClassNetLink> {
  const attr = (file: string): Promise<string | null> =>
    io.read(sysClassNetPath(name, file)).then(
      (text) => text.trim(),
      () => null,
    );
  const [speed, duplex, carrier, operstate, mtu, address] = await Promise.all(
    ['speed', 'duplex', 'carrier', 'operstate', 'mtu', 'address'].map(attr),
  );
  const mbps = speed === null || speed === undefined ? NaN : Number.parseInt(speed, 10);
  return {
    name,
    speedMbps: Number.isFinite(mbps) && mbps > 0 ? mbps : null,
    duplex: duplex === 'full' || duplex === 'half' ? duplex : null,
    carrier: carrier == null ? null : carrier === '1',
    operstate: operstate ?? null,
    mtu: mtu == null ? null : Number(mtu),
    address: address ?? null,
  };
}
