/**
 * Living beside the host's other network managers. bondd owns its bonds and their slaves; the
 * others must keep out, or they undo its work:
 *
 * - udev: its 99-default.link gives every new virtual device a "persistent" MAC
 *   (MACAddressPolicy=persistent). On a bond that happens when the uevent is processed, racing
 *   bondd's first enslave; if udev wins, the kernel keeps udev's MAC (addr_assign_type 3, set by
 *   userspace) instead of taking the first slave's. A .link file for bondd's bonds with
 *   MACAddressPolicy=none, sorted before 99-default.link (the first matching .link file wins),
 *   stops that.
 * - systemd-networkd: a catch-all .network (Name=*, DHCP=yes, common on cloud images) makes it
 *   manage bondd's devices: it releases slaves and deletes the bond's addresses, and
 *   systemd-networkd-wait-online waits for them. A .network file with Unmanaged=yes for exactly
 *   bondd's devices, sorted first (networkd uses the first .network file that matches, in name
 *   order across /etc, /run and /usr/lib), keeps it out, and wait-online ignores unmanaged links.
 * - NetworkManager: a conf.d file with unmanaged-devices for the same devices.
 * - ifupdown/ifupdown2 and netplan have no runtime "keep out": bondd warns when their files name
 *   its devices.
 *
 * The generated files live in /run (gone at reboot, rewritten at every start and reload, so they
 * always list exactly the current configuration's devices).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DesiredConfig } from '../config/types.js';

const run = promisify(execFile);

export interface CoexistPaths {
  /** Root of the host's filesystem (tests point this at a scratch directory). */
  root: string;
}

export const LINK_FILE = 'run/systemd/network/00-bondd.link';
export const NETWORK_FILE = 'run/systemd/network/00-bondd.network';
export const NM_FILE = 'run/NetworkManager/conf.d/00-bondd-unmanaged.conf';

/** The devices bondd manages: bonds, their VLANs and bridges, and slaves by name or permanent MAC. */
export function bonddDevices(config: Pick<DesiredConfig, 'bonds'>): { bonds: string[]; names: string[]; macs: string[] } {
  const bonds = config.bonds.map((b) => b.name);
  const slaves = config.bonds.flatMap((b) => b.slaves);
  const stack = config.bonds.flatMap((b) => [...(b.vlans ?? []).flatMap((v) => [v.name, ...(v.bridge ? [v.bridge.name] : [])]), ...(b.bridge ? [b.bridge.name] : [])]);
  const names = [...new Set([...bonds, ...stack, ...slaves.flatMap((s) => (s.name ? [s.name] : []))])];
  const macs = [...new Set(slaves.flatMap((s) => (!s.name && s.permMac ? [s.permMac] : [])))];
  return { bonds, names, macs };
}

const HEADER = '# Written by bondd for the devices in its configuration; rewritten at every start and reload.\n';

export function linkFileText(bonds: string[]): string | null {
  if (!bonds.length) return null;
  return `${HEADER}# Keep udev from giving bonds a "persistent" MAC before the first enslave (bondd sets the MAC).\n[Match]\nOriginalName=${bonds.join(' ')}\n\n[Link]\nMACAddressPolicy=none\n`;
}

export function networkFileText(devices: { names: string[]; macs: string[] }): string | null {
  if (!devices.names.length && !devices.macs.length) return null;
  const match = [devices.names.length ? `Name=${devices.names.join(' ')}` : '', devices.macs.length ? `PermanentMACAddress=${devices.macs.join(' ')}` : ''];
  // Match keys AND together; names and MACs need one section each, i.e. one file each. Names win
  // here; MAC-only slaves get their own file below.
  return `${HEADER}# systemd-networkd leaves these alone (and systemd-networkd-wait-online does not wait for them).\n[Match]\n${match[0] || match[1]}\n\n[Link]\nUnmanaged=yes\n`;
}

export function nmConfText(devices: { names: string[]; macs: string[] }): string | null {
  const specs = [...devices.names.map((n) => `interface-name:${n}`), ...devices.macs.map((m) => `mac:${m}`)];
  if (!specs.length) return null;
  return `${HEADER}[keyfile]\nunmanaged-devices=${specs.join(';')}\n`;
}

/** Writes `text` atomically, or removes the file when text is null. True when something changed. */
async function put(file: string, text: string | null): Promise<boolean> {
  const old = await readFile(file, 'utf8').catch(() => null);
  if (old === text) return false;
  if (text === null) {
    await rm(file, { force: true });
    return true;
  }
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(`${file}.tmp`, text, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
  return true;
}

/**
 * True when this process runs in the host's network namespace (PID 1's). A bondd started in
 * another one (ip netns exec, containers) manages that namespace's devices, which the host-wide
 * udev/networkd/NetworkManager files must not name.
 */
export async function inHostNamespace(): Promise<boolean> {
  const [own, init] = await Promise.all([readlink('/proc/self/ns/net').catch(() => null), readlink('/proc/1/ns/net').catch(() => null)]);
  // Reading PID 1's namespace needs ptrace access, which a sandboxed service (fewer capabilities
  // than PID 1) does not have: a systemd service (INVOCATION_ID) runs in the host's namespace
  // unless its unit says otherwise, and bondd.service does not.
  if (init === null) return own !== null && process.env['INVOCATION_ID'] !== undefined;
  return own !== null && own === init;
}

export interface CoexistResult {
  /** One line per thing done or found, for the journal. */
  notes: string[];
  /** Problems an operator has to solve (a manager bondd cannot keep out names its devices). */
  warnings: string[];
}

async function isActive(unit: string): Promise<boolean> {
  return run('systemctl', ['is-active', '--quiet', unit]).then(
    () => true,
    () => false,
  );
}

/**
 * Writes the keep-out files for the configuration's devices, tells running managers to re-read
 * them, and warns about ifupdown and netplan files that name bondd's devices.
 */
export async function keepOthersOut(config: Pick<DesiredConfig, 'bonds'>, paths: CoexistPaths = { root: '/' }): Promise<CoexistResult> {
  const out: CoexistResult = { notes: [], warnings: [] };
  const devices = bonddDevices(config);
  const at = (p: string) => join(paths.root, p);
  const macNetwork = devices.names.length && devices.macs.length ? networkFileText({ names: [], macs: devices.macs }) : null;
  // udevd re-reads .link files on its own only every few seconds at most; a bond created right
  // after this must already see the new file, so ask udevd to reload now.
  if ((await put(at(LINK_FILE), linkFileText(devices.bonds))) && paths.root === '/' && existsSync('/run/udev/control')) {
    await run('udevadm', ['control', '--reload']).catch((e: Error) => out.warnings.push(`udevadm control --reload failed (${e.message}): udev may still give new bonds a persistent MAC`));
  }
  const namesChanged = await put(at(NETWORK_FILE), networkFileText(devices));
  const macsChanged = await put(at(NETWORK_FILE.replace('.network', '-mac.network')), macNetwork);
  const networkChanged = namesChanged || macsChanged;
  if (networkChanged && paths.root === '/' && (await isActive('systemd-networkd.service'))) {
    await run('networkctl', ['reload']).then(
      () => out.notes.push(`systemd-networkd: told to leave ${devices.names.join(', ')} alone (/${NETWORK_FILE}, networkctl reload)`),
      (e: Error) => out.warnings.push(`systemd-networkd runs but networkctl reload failed (${e.message}); it may still manage ${devices.names.join(', ')}`),
    );
  }
  if (existsSync(at('etc/NetworkManager')) || existsSync(at('run/NetworkManager'))) {
    const changed = await put(at(NM_FILE), nmConfText(devices)).catch((e: Error) => {
      out.warnings.push(`NetworkManager is installed but ${at(NM_FILE)} could not be written (${e.message}): it may manage ${devices.names.join(', ')}`);
      return false;
    });
    if (changed && paths.root === '/' && (await isActive('NetworkManager.service'))) {
      await run('nmcli', ['general', 'reload', 'conf']).then(
        () => out.notes.push(`NetworkManager: told to leave ${devices.names.join(', ')} alone (/${NM_FILE})`),
        (e: Error) => out.warnings.push(`NetworkManager runs but nmcli general reload conf failed (${e.message})`),
      );
    }
  }
  out.warnings.push(...(await claimsInFiles(devices.names, paths)));
  return out;
}

/** ifupdown (/etc/network/interfaces, interfaces.d) and netplan (/etc/netplan) files naming the devices. */
async function claimsInFiles(names: string[], paths: CoexistPaths): Promise<string[]> {
  if (!names.length) return [];
  const files: Array<[string, string]> = [['etc/network/interfaces', 'ifupdown']];
  for (const [dir, tool] of [['etc/network/interfaces.d', 'ifupdown'], ['etc/netplan', 'netplan']] as const) {
    const entries = await readdir(join(paths.root, dir)).catch(() => [] as string[]);
    for (const e of entries.sort()) if (tool !== 'netplan' || e.endsWith('.yaml')) files.push([join(dir, e), tool]);
  }
  const warnings: string[] = [];
  for (const [file, tool] of files) {
    const text = await readFile(join(paths.root, file), 'utf8').catch(() => null);
    if (text === null) continue;
    const lines = text.split('\n');
    for (const name of names) {
      const pattern = tool === 'netplan' ? new RegExp(`^\\s*${escapeRegExp(name)}\\s*:`) : new RegExp(`^\\s*(auto|allow-[a-z]+|iface|mapping)\\b.*\\s${escapeRegExp(name)}(\\s|$)`);
      const line = lines.findIndex((l) => !l.trimStart().startsWith('#') && pattern.test(l));
      if (line >= 0) warnings.push(`/${file}:${line + 1}: ${tool} also configures ${name}; remove it there (bondd cannot keep ${tool} out)`);
    }
  }
  return warnings;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
