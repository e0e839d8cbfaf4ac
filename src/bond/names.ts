/**
 * Interface name validation. Every name that reaches a /sys/class/net path, a sysfs write
 * (`+eth0` to `slaves`, `eth0:3` to `queue_id`) or a netlink request goes through
 * validateIfname() first.
 *
 * The rules are the kernel's dev_valid_name() (net/core/dev.c) plus a few that keep names safe in
 * paths, sysfs command strings and logs.
 */

import { posix } from 'node:path';

/** IFNAMSIZ is 16 bytes including the terminating NUL. */
export const IFNAME_MAX_BYTES = 15;

/** Root of the per-namespace interface directory. */
export const SYS_CLASS_NET = '/sys/class/net';

/** Thrown when a string can not be used as an interface name. `reason` is the bare explanation. */
export class InvalidNameError extends TypeError {
  override name = 'InvalidNameError';
  readonly ifname: unknown;
  readonly reason: string;

  constructor(ifname: unknown, reason: string) {
    super(`${JSON.stringify(ifname)} is not a valid interface name: ${reason}`);
    this.ifname = ifname;
    this.reason = reason;
  }
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Why `name` is not a valid interface name, or undefined when it is. */
function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAME_MAX_BYTES) {
    return `it is ${bytes} bytes long and the kernel allows at most ${IFNAME_MAX_BYTES}`;
  }
  if (name === '.' || name === '..') return '"." and ".." are reserved path components';
  for (const ch of name) {
    if (ch === '\0') return 'it contains a NUL byte';
    if (ch === '/') return 'it contains "/", which can not appear in a sysfs path';
    // dev_valid_name() refuses ':' (the old eth0:1 alias syntax); it would also be ambiguous in
    // the bond's queue_id file, which takes "ifname:qid".
    if (ch === ':') return 'it contains ":", which the kernel refuses in interface names';
    // The kernel expands a single %d into a free number when creating or renaming (bond%d), so a
    // name with '%' is a template, not a name bondd could find again.
    if (ch === '%') return 'it contains "%", which the kernel treats as a name template (bond%d)';
    if (/\s/u.test(ch)) return `it contains whitespace (${codePoint(ch)})`;
    if (/\p{Cc}/u.test(ch)) return `it contains the control character ${codePoint(ch)}`;
  }
  return undefined;
}

/**
 * Returns `name` unchanged when it is a valid interface name.
 *
 * Rules: 1 to 15 bytes of UTF-8; not "." or ".."; no "/", ":", "%", whitespace, control
 * characters or NUL.
 *
 * @throws {InvalidNameError} with a message that says which rule the name breaks
 * @example
 * validateIfname('bond0'); // 'bond0'
 * validateIfname('eth0:1'); // throws: "eth0:1" is not a valid interface name: it contains ":" ...
 */
export function validateIfname(name: unknown): string {
  if (typeof name !== 'string') {
    throw new InvalidNameError(name, `it must be a string, not ${name === null ? 'null' : typeof name}`);
  }
  const problem = nameProblem(name);
  if (problem !== undefined) throw new InvalidNameError(name, problem);
  return name;
}

/** True when validateIfname() would accept `name`. */
export function isValidIfname(name: unknown): name is string {
  return typeof name === 'string' && nameProblem(name) === undefined;
}

const PATH_PART = /^[a-z0-9_]+$/;

/**
 * `/sys/class/net/<name>/<parts...>`, after validating `name` as an interface name and each part
 * against `[a-z0-9_]+` (sysfs attribute and directory names such as `bonding`, `miimon`,
 * `bonding_slave`), so no caller-supplied string can climb out of the interface's directory.
 *
 * @throws {InvalidNameError} for a bad interface name
 * @throws {TypeError} for a part outside the allowlist
 * @example
 * sysClassNetPath('bond0', 'bonding', 'miimon'); // '/sys/class/net/bond0/bonding/miimon'
 */
export function sysClassNetPath(name: string, ...parts: string[]): string {
  validateIfname(name);
  for (const part of parts) {
    if (typeof part !== 'string' || !PATH_PART.test(part)) {
      throw new TypeError(`${JSON.stringify(part)} can not be used in a sysfs path: parts must match [a-z0-9_]+`);
    }
  }
  return posix.join(SYS_CLASS_NET, name, ...parts);
}
