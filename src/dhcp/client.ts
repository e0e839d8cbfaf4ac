/**
 * DHCP on a layer of a bond's stack is done by a real, maintained client: dhcpcd (Debian
 * `dhcpcd-base`), one process per device and address family, never by bondd itself.
 *
 * Why dhcpcd: it runs as a per-interface, per-family instance (`dhcpcd -4 IFACE` keeps to that
 * interface and to DHCPv4; `-6` to router solicitation/DHCPv6), stays in the foreground for a
 * supervisor (`-B`), handles carrier loss and INIT-REBOOT (a bond that went down asks for its
 * old lease again), does DHCPv4 and DHCPv6 in one program, and is in Debian as a small package
 * without a service of its own. ISC dhclient is end-of-life; systemd-networkd's client cannot
 * run alone; busybox udhcpc has no DHCPv6 and needs a script to configure anything.
 *
 * Command line (argv array, no shell):
 *   dhcpcd -B -4|-6 -L --nohook hostname IFACE
 * -B foreground (bondd supervises the process), -4/-6 the family, -L no IPv4 link-local
 * fallback (a 169.254/16 address on a server VLAN hides a DHCP outage), --nohook hostname: a
 * lease does not rename the host. The system's /etc/dhcpcd.conf still applies (an operator can
 * tune timeouts, client ids, ...); DNS servers from the lease go through dhcpcd's own hooks.
 */
import { accessSync, constants } from 'node:fs';
import { validateIfname } from '../bond/names.js';
import type { DesiredConfig, DhcpMode, IpConfig, Origin } from '../config/types.js';

export type DhcpFamily = 4 | 6;

/** One DHCP client bondd runs: on `device` (a layer of `bond`'s stack) for one family. */
export interface DhcpWant {
  bond: string;
  device: string;
  family: DhcpFamily;
  origin?: Origin;
}

/** Where dhcpcd is looked for (Debian installs it in /usr/sbin; merged /usr has /sbin too). */
export const DHCPCD_PATHS = ['/usr/sbin/dhcpcd', '/sbin/dhcpcd', '/usr/local/sbin/dhcpcd'];

export function findDhcpcd(paths: readonly string[] = DHCPCD_PATHS): string | null {
  for (const p of paths) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

function families(mode: DhcpMode | undefined): DhcpFamily[] {
  return mode === 'both' ? [4, 6] : mode === 'ipv4' ? [4] : mode === 'ipv6' ? [6] : [];
}

/** Every DHCP client the configuration asks for, bond by bond, bottom up. */
export function dhcpWants(config: Pick<DesiredConfig, 'bonds'>): DhcpWant[] {
  const out: DhcpWant[] = [];
  const add = (bond: string, device: string, layer: IpConfig, origin?: Origin) => {
    for (const family of families(layer.dhcp)) out.push({ bond, device, family, ...(origin ? { origin } : {}) });
  };
  for (const b of config.bonds) {
    add(b.name, b.name, b, b.origin);
    if (b.bridge) add(b.name, b.bridge.name, b.bridge, b.bridge.origin);
    for (const v of b.vlans ?? []) {
      add(b.name, v.name, v, v.origin);
      if (v.bridge) add(b.name, v.bridge.name, v.bridge, v.bridge.origin);
    }
  }
  return out;
}

/** The client's argv (program first) for one device and family. */
export function dhcpcdArgv(program: string, device: string, family: DhcpFamily): string[] {
  validateIfname(device);
  return [program, '-B', family === 4 ? '-4' : '-6', '-L', '--nohook', 'hostname', device];
}

export function wantKey(w: Pick<DhcpWant, 'device' | 'family'>): string {
  return `${w.device}/ipv${w.family}`;
}
