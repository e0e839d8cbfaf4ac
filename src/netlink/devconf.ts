/**
 * Writing per-device IPv6 settings (/proc/sys/net/ipv6/conf/<dev>/<key>). Reading goes through
 * rtnetlink (IFLA_INET6_CONF, see stack.ts), which works in any namespace; writing has no
 * rtnetlink form, only the sysctl file.
 *
 * /proc/sys/net shows the network namespace of the process that opens the file, not of the
 * /proc it is reached through, so for another namespace the write is done by `tee` started with
 * `ip netns exec NAME` (argv array, no shell). The device name is validated before it becomes
 * part of a path: a name like `..` or one with `/` would otherwise reach another file.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { validateIfname } from '../bond/names.js';

/** The settings bondd writes. */
export type DevconfKey = 'accept_ra' | 'disable_ipv6';
export const DEVCONF_KEYS: readonly DevconfKey[] = ['accept_ra', 'disable_ipv6'];

const NETNS_RUN_DIR = '/run/netns/';
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

export function devconfPath(device: string, key: DevconfKey): string {
  validateIfname(device);
  if (!DEVCONF_KEYS.includes(key)) throw new TypeError(`${key} is not an IPv6 device setting bondd writes`);
  return `/proc/sys/net/ipv6/conf/${device}/${key}`;
}

/** Writes one setting of `device`, in the namespace at netnsPath (/run/netns/NAME) or our own. */
export async function writeDevconf(device: string, key: DevconfKey, value: number, netnsPath?: string): Promise<void> {
  if (!Number.isInteger(value) || value < 0 || value > 2) throw new RangeError(`${key}: ${value} is not 0, 1 or 2`);
  const path = devconfPath(device, key);
  if (netnsPath === undefined) {
    await writeFile(path, `${value}\n`);
    return;
  }
  const name = netnsPath.startsWith(NETNS_RUN_DIR) ? netnsPath.slice(NETNS_RUN_DIR.length) : '';
  if (!NETNS_NAME.test(name) || name === '.' || name === '..') throw new TypeError(`${JSON.stringify(netnsPath)} is not a named network namespace`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', name, 'tee', path], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cannot write ${path} in ${name}: ${stderr.trim() || `exit ${code}`}`))));
    child.stdin!.end(`${value}\n`);
  });
}
