/**
 * The devices of a bond's stack in rtnetlink: 802.1Q VLANs (IFLA_INFO_KIND "vlan") and Linux
 * bridges (IFLA_INFO_KIND "bridge"), and the per-device IPv6 settings (accept_ra, disable_ipv6)
 * the kernel reports under IFLA_AF_SPEC → AF_INET6 → IFLA_INET6_CONF.
 *
 * Kernel facts used here:
 * - a VLAN is created with RTM_NEWLINK, IFLA_LINK = the lower device's ifindex and
 *   IFLA_VLAN_ID in IFLA_INFO_DATA; neither can change afterwards (vlan_changelink ignores the
 *   id), so a different id means delete and create;
 * - bridge times (IFLA_BR_FORWARD_DELAY) travel as clock_t, hundredths of a second; the kernel
 *   refuses a forward delay outside 2..30 s while STP is on (ERANGE);
 * - IFLA_BR_STP_STATE reads back 0 (off), 1 (kernel STP) or 2 (user-space STP when
 *   /sbin/bridge-stp takes over): anything nonzero is "on";
 * - IFLA_INET6_CONF is an array of s32 indexed by DEVCONF_* (the order of
 *   /proc/sys/net/ipv6/conf/<dev>/), present for every device with an inet6 dev.
 */
import { type AttrMap, u16, u32 } from './attributes.js';
import {
  AF_INET6,
  DEVCONF_ACCEPT_RA,
  DEVCONF_AUTOCONF,
  DEVCONF_DISABLE_IPV6,
  IFLA_BR_FORWARD_DELAY,
  IFLA_BR_STP_STATE,
  IFLA_INET6_CONF,
  IFLA_VLAN_ID,
  IFLA_VLAN_PROTOCOL,
} from './constants.js';

export interface VlanInfo {
  id: number;
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  protocol?: number;
}

export interface BridgeInfo {
  stp: boolean;
  /** Seconds (the kernel's hundredths / 100). */
  forwardDelay: number;
}

export interface Inet6Conf {
  acceptRa: number;
  autoconf: number;
  disableIpv6: number;
}

/** IFLA_INFO_DATA for a new 802.1Q VLAN. */
export function vlanInfoData(id: number): Buffer[] {
  if (!Number.isInteger(id) || id < 1 || id > 4094) throw new RangeError(`VLAN id ${id} is outside 1..4094`);
  // No IFLA_VLAN_PROTOCOL: the kernel's default is 802.1Q.
  return [u16(IFLA_VLAN_ID, id)];
}

/** IFLA_INFO_DATA for a bridge: only the settings given are sent. */
export function bridgeInfoData(settings: { stp?: boolean; forwardDelay?: number }): Buffer[] {
  const out: Buffer[] = [];
  // The forward delay goes first: with STP on the kernel range-checks it against STP's limits.
  if (settings.forwardDelay !== undefined) out.push(u32(IFLA_BR_FORWARD_DELAY, Math.round(settings.forwardDelay * 100)));
  if (settings.stp !== undefined) out.push(u32(IFLA_BR_STP_STATE, settings.stp ? 1 : 0));
  return out;
}

export function decodeVlanInfo(a: AttrMap): VlanInfo | undefined {
  const id = a.u16(IFLA_VLAN_ID);
  if (id === undefined) return undefined;
  const proto = a.get(IFLA_VLAN_PROTOCOL);
  return { id, ...(proto && proto.length >= 2 ? { protocol: proto.readUInt16BE(0) } : {}) };
}

export function decodeBridgeInfo(a: AttrMap): BridgeInfo | undefined {
  const fd = a.u32(IFLA_BR_FORWARD_DELAY);
  const stp = a.u32(IFLA_BR_STP_STATE);
  if (fd === undefined || stp === undefined) return undefined;
  return { stp: stp !== 0, forwardDelay: fd / 100 };
}

/** accept_ra, autoconf and disable_ipv6 from IFLA_AF_SPEC (undefined when the device has no inet6 dev). */
export function decodeInet6Conf(afSpec: AttrMap | undefined): Inet6Conf | undefined {
  const conf = afSpec?.nested(AF_INET6)?.get(IFLA_INET6_CONF);
  if (!conf) return undefined;
  const at = (i: number) => (conf.length >= (i + 1) * 4 ? conf.readInt32LE(i * 4) : 0);
  return { acceptRa: at(DEVCONF_ACCEPT_RA), autoconf: at(DEVCONF_AUTOCONF), disableIpv6: at(DEVCONF_DISABLE_IPV6) };
}
