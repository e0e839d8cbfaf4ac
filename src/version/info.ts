/**
 * What `bondd --version` and `bondctl --version` print: the package version, the git commit it
 * was built from, the Node.js version running it, and whether the running kernel has the bonding
 * driver.
 *
 * A packaged build (scripts/package) has its version and commit baked in by the bundler (the
 * global __BONDD_BUILD__ below is replaced at bundle time). A development checkout reads
 * package.json and asks git, which only `--version` ever does.
 *
 * The driver question has four answers, from cheapest to most expensive to find out:
 * - initialised: /sys/class/net/bonding_masters exists (the driver is loaded, or built in);
 * - built in: /sys/module/bonding without initstate;
 * - loadable: not loaded, but modules.dep of the running kernel lists bonding.ko, so bondd can
 *   load it (modprobe bonding max_bonds=0);
 * - missing: none of these; bondd cannot manage bonds on this kernel.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { bondingStatus } from '../sysfs/module.js';

/** Replaced by scripts/package's bundler with { version, commit, addonPath }. */
declare const __BONDD_BUILD__: BuildInfo | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  /** Absolute path of the netlink addon in a packaged build. */
  addonPath?: string;
}

export type DriverState = 'initialised' | 'built-in' | 'loadable' | 'missing';

export interface VersionInfo extends BuildInfo {
  node: string;
  kernel: string;
  bonding: DriverState;
}

/** The build's own description, or undefined in a development checkout. */
export function packagedBuild(): BuildInfo | undefined {
  return typeof __BONDD_BUILD__ === 'undefined' ? undefined : __BONDD_BUILD__;
}

function checkoutRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function developmentBuild(): BuildInfo {
  const root = checkoutRoot();
  if (!root) return { version: 'unknown', commit: 'unknown' };
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    // not a git checkout (an unpacked tarball): the commit stays unknown
  }
  return { version, commit: `${commit} (development checkout)` };
}

/** Whether modules.dep of kernel `kernel` lists the bonding module. */
export function moduleInstalled(kernel: string, modulesRoot = '/lib/modules'): boolean {
  try {
    return /(^|\/)bonding\.ko(\.[a-z]+)?:/m.test(readFileSync(join(modulesRoot, kernel, 'modules.dep'), 'utf8'));
  } catch {
    return false;
  }
}

export async function driverState(kernel = release(), sysRoot = '/sys', modulesRoot = '/lib/modules'): Promise<DriverState> {
  const status = await bondingStatus({ sysRoot });
  if (status !== 'absent') return status;
  return moduleInstalled(kernel, modulesRoot) ? 'loadable' : 'missing';
}

export async function versionInfo(): Promise<VersionInfo> {
  const build = packagedBuild() ?? developmentBuild();
  const kernel = release();
  return { ...build, node: process.version, kernel, bonding: await driverState(kernel) };
}

const DRIVER_TEXT: Record<DriverState, string> = {
  initialised: 'loaded',
  'built-in': 'built into the kernel',
  loadable: 'installed as a module, not loaded yet (bondd loads it)',
  missing: 'NOT available (no bonding module for this kernel)',
};

/** The text both commands print for --version. */
export function formatVersion(program: string, info: VersionInfo): string {
  return [
    `${program} ${info.version}`,
    `commit:  ${info.commit}`,
    `node:    ${info.node}`,
    `kernel:  ${info.kernel}, bonding driver ${DRIVER_TEXT[info.bonding]}`,
    '',
  ].join('\n');
}
