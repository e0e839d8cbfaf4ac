/**
 * Opens the bond backend of a kind for a network namespace.
 *
 * - netlink: an rtnetlink socket created inside the namespace; works for any namespace.
 * - sysfs: /sys/class/net shows the namespace sysfs was *mounted* in, not the caller's, so the
 *   sysfs backend works on the process's own namespace directly and on another one through a
 *   sysfs mounted inside it (SysfsBackend's netnsPath: an `ip netns exec` helper process).
 *   A namespace path that is the process's own is treated as no path at all (no helper).
 */
import type { BackendName, BondBackend } from '../bond/backend.js';
import { NetlinkBackend, isOwnNamespace } from './netlink-backend.js';
import { SysfsBackend } from './sysfs-backend.js';

export interface OpenBackendOptions {
  /** Network namespace to work in (/run/netns/NAME); the process's own by default. */
  netnsPath?: string;
}

/**
 * The backend `kind` for `netnsPath`. Close it with close() when done.
 * @throws {TypeError} for an unknown kind, or a sysfs backend for a namespace path that is not
 *   a named namespace (/run/netns/NAME) while not the process's own
 */
export function openBackend(kind: BackendName, options: OpenBackendOptions = {}): BondBackend {
  const netnsPath = options.netnsPath && !isOwnNamespace(options.netnsPath) ? options.netnsPath : undefined;
  switch (kind) {
    case 'netlink':
      return NetlinkBackend.open({ netnsPath: options.netnsPath });
    case 'sysfs':
      if (netnsPath !== undefined && !netnsPath.startsWith('/run/netns/')) {
        throw new TypeError(
          `the sysfs backend can not work in ${netnsPath}: it needs the process's own network namespace or a named one ` +
            '(/run/netns/NAME) to mount sysfs in; use the netlink backend, or run bondd inside that namespace',
        );
      }
      return new SysfsBackend({ netnsPath });
    default:
      throw new TypeError(`unknown bond backend ${JSON.stringify(kind)}: use 'sysfs' or 'netlink'`);
  }
}
