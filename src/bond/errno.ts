/**
 * Linux errno numbers, defined once (the kernel's values, whatever platform the tests run on):
 * the netlink layer reads them from NLMSG_ERROR, sysfs writes fail with them, and BondError
 * (src/bond/errors.ts) explains them. Names are the kernel's own spelling: EOPNOTSUPP, not its
 * alias ENOTSUP; EAGAIN, not EWOULDBLOCK.
 */
import { constants as osConstants } from 'node:os';

/** The errno values bondd refers to by name. */
export const ERRNO = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOTEMPTY: 39,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRNOTAVAIL: 99,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ECANCELED: 125,
});

export const { EPERM, ENOENT, EINTR, EAGAIN, ENOMEM, EACCES, EBUSY, EEXIST, ENODEV, EINVAL, ERANGE, EMSGSIZE, EOPNOTSUPP, ENOBUFS, ETIMEDOUT, ECANCELED } =
  ERRNO;

const KNOWN: ReadonlyMap<number, string> = new Map(Object.entries(ERRNO).map(([name, n]) => [n, name]));

const FROM_NODE = new Map<number, string>();
{
  // os.constants.errno has aliases (ENOTSUP = EOPNOTSUPP, EWOULDBLOCK = EAGAIN, EDEADLOCK =
  // EDEADLK); the kernel and iproute2 speak of the second spelling, so prefer it.
  const preferred = new Set(['EOPNOTSUPP', 'EAGAIN', 'EDEADLK']);
  for (const [name, value] of Object.entries(osConstants.errno)) {
    if (!FROM_NODE.has(value) || preferred.has(name)) FROM_NODE.set(value, name);
  }
}

/** The name of an errno bondd knows by name ('EBUSY' for 16), or undefined. */
export function knownErrnoName(errno: number): string | undefined {
  return KNOWN.get(errno);
}

/** 'EBUSY' for 16, and so on; `E<number>` for numbers neither bondd nor Node knows. */
export function errnoName(errno: number): string {
  return KNOWN.get(errno) ?? FROM_NODE.get(errno) ?? `E${errno}`;
}

/** 16 for 'EBUSY' (ENOTSUP is read as EOPNOTSUPP); undefined for names bondd does not know. */
export function errnoNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  return (ERRNO as Record<string, number>)[upper === 'ENOTSUP' ? 'EOPNOTSUPP' : upper];
}
