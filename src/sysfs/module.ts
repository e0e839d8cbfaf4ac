/**
 * Loading the bonding driver.
 *
 * Kernel behaviour (docs/kernel-notes.md §4):
 * - Once the driver is initialised, every network namespace has /sys/class/net/bonding_masters
 *   (bond_net_init() creates it per namespace), so its presence means "bonding is usable".
 * - A driver built into the kernel has /sys/module/bonding (for its parameters) but no
 *   `initstate`, which only loadable modules have; it is initialised at boot.
 * - Loading the module with the default max_bonds=1 makes bonding_init() create bond0 in the
 *   initial namespace by itself, which then collides with a configured bond0 (EEXIST). bondd loads
 *   it with max_bonds=0. (`ip link add ... type bond` would auto-load it through
 *   request_module("rtnl-link-bond") with the defaults, i.e. with that stray bond0.)
 * - bonding.ko depends on tls.ko; modprobe resolves that, insmod would not.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { posix } from 'node:path';

import { BondError } from '../bond/errors.js';

export interface ModuleLoadOptions {
  /** Root of sysfs; tests point it at a fake tree. Default /sys. */
  sysRoot?: string;
  /** The modprobe program. Default `modprobe` (found through PATH). */
  modprobe?: string;
  /** Time limit for modprobe. Default 30 s. */
  timeoutMs?: number;
}

/** What bondd found out about the driver (see bondingStatus()). */
export type BondingStatus = 'initialised' | 'built-in' | 'absent';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Where the driver stands, without changing anything:
 * - `initialised`: bonding_masters exists in this namespace's /sys/class/net;
 * - `built-in`: /sys/module/bonding exists without `initstate` (compiled into the kernel);
 * - `absent`: neither; a module may still be installed and loadable.
 */
export async function bondingStatus(options: Pick<ModuleLoadOptions, 'sysRoot'> = {}): Promise<BondingStatus> {
  const sys = options.sysRoot ?? '/sys';
  if (await exists(posix.join(sys, 'class/net/bonding_masters'))) return 'initialised';
  const module = posix.join(sys, 'module/bonding');
  if ((await exists(module)) && !(await exists(posix.join(module, 'initstate')))) return 'built-in';
  return 'absent';
}

/** True when the bonding driver is usable now (loaded or built in); loads nothing. */
export async function bondingAvailable(options: Pick<ModuleLoadOptions, 'sysRoot'> = {}): Promise<boolean> {
  return (await bondingStatus(options)) !== 'absent';
}

function unavailable(detail: string, hint: string, cause?: unknown): BondError {
  return new BondError(`the bonding driver is not available on this kernel: ${detail}; ${hint}`, {
    bond: '',
    code: 'ENOMODULE',
    hint,
    cause,
  });
}

function runModprobe(file: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // max_bonds=0: no bond0 created behind our back (see the header).
    execFile(file, ['bonding', 'max_bonds=0'], { timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
      if (e.code === 'ENOENT') {
        return reject(unavailable(`${file} was not found`, 'install kmod (modprobe), or load the bonding module by hand', error));
      }
      if (e.code === 'EACCES') {
        return reject(unavailable(`${file} can not be run (permission denied)`, 'run bondd as root', error));
      }
      const why = e.killed ? `modprobe did not finish within ${timeoutMs} ms` : String(stderr).trim() || `modprobe exited with ${String(e.code)}`;
      reject(unavailable(why, 'install the bonding module for the running kernel (CONFIG_BONDING), or run bondd as root', error));
    });
  });
}

let loading: Promise<void> | null = null;

/**
 * Makes sure the bonding driver is usable: nothing to do when it is initialised or built in,
 * otherwise `modprobe bonding max_bonds=0`. Concurrent calls share one modprobe.
 *
 * @throws {BondError} (code ENOMODULE) when modprobe is missing or fails; the message carries
 *   modprobe's own error text.
 */
export async function ensureBondingLoaded(options: ModuleLoadOptions = {}): Promise<void> {
  if ((await bondingStatus(options)) !== 'absent') return;
  loading ??= (async () => {
    try {
      await runModprobe(options.modprobe ?? 'modprobe', options.timeoutMs ?? 30_000);
      // modprobe returns after the module's init ran; bonding_masters exists from then on.
      if ((await bondingStatus(options)) === 'absent') {
        throw unavailable(
          'modprobe succeeded but /sys/class/net/bonding_masters did not appear',
          'check that sysfs is mounted for this network namespace',
        );
      }
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** True when the running kernel has the bonding driver, loaded or loadable. */
export function hostHasBonding(): boolean {
  if (existsSync('/sys/class/net/bonding_masters')) return true;
  try {
    // -n: dry run, resolves the module without loading it.
    return spawnSync('modprobe', ['-n', '-q', 'bonding'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  } catch {
    return false;
  }
}
