/**
 * RTM_NEWROUTE / RTM_DELROUTE: struct rtmsg (12 bytes: u8 family, dst_len, src_len, tos, table,
 * protocol, scope, type, u32 flags) followed by RTA_* attributes.
 */
import { AttrMap, NetlinkDecodeError, bytes, u32 } from './attributes.js';
import { formatIp, ipFamily, parseIp, parsePrefix } from './address.js';
import {
  AF_INET,
  AF_INET6,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTMSG_LEN,
  RTM_DELROUTE,
  RTM_NEWROUTE,
  RTN_UNICAST,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RTPROT_UNSPEC,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
} from './constants.js';
import type { NetlinkMessage } from './socket.js';

export interface RouteMessage {
  type: 'new' | 'del';
  family: number;
  /** 'default' for 0/0 and ::/0, otherwise 'prefix/len'. */
  dst: string;
  dstLen: number;
  srcLen: number;
  src?: string;
  tos: number;
  /** RTA_TABLE when present (tables above 255), else rtm_table. */
  table: number;
  protocol: number;
  scope: number;
  /** rtm_type (RTN_UNICAST, RTN_LOCAL, ...). */
  routeType: number;
  flags: number;
  gateway?: string;
  oif?: number;
  priority?: number;
  prefsrc?: string;
  attrs: AttrMap;
}

export interface RouteRequest {
  /** 'default', '0.0.0.0/0', '::/0', '192.0.2.0/24', '2001:db8::/64', or a host address. */
  dst: string;
  /** Needed only for 'default' without a gateway (AF_INET otherwise). */
  family?: number;
  gateway?: string;
  /** Output interface index. */
  oif?: number;
  /** Metric (RTA_PRIORITY). */
  priority?: number;
  prefsrc?: string;
  /** Default main (254). */
  table?: number;
  /** Adding: RTPROT_BOOT (what `ip route add` uses). Deleting: any. */
  protocol?: number;
  /** Adding: link scope for a direct route (oif and no gateway), else universe. Deleting: any. */
  scope?: number;
  /** Adding: RTN_UNICAST. Deleting: any. */
  routeType?: number;
}

export function rtmsg(
  family: number,
  dstLen: number,
  srcLen: number,
  tos: number,
  table: number,
  protocol: number,
  scope: number,
  type: number,
  flags: number,
): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(dstLen, 1);
  b.writeUInt8(srcLen, 2);
  b.writeUInt8(tos, 3);
  b.writeUInt8(table, 4);
  b.writeUInt8(protocol, 5);
  b.writeUInt8(scope, 6);
  b.writeUInt8(type, 7);
  b.writeUInt32LE(flags >>> 0, 8);
  return b;
}

/**
 * Payload of an RTM_NEWROUTE (op 'add') or RTM_DELROUTE (op 'del') request. Deletion leaves
 * protocol, scope and type as wildcards (0, RT_SCOPE_NOWHERE, 0), as iproute2 does, so the
 * kernel matches the route whatever they are.
 */
export function routeRequest(req: RouteRequest, op: 'add' | 'del' = 'add'): Buffer {
  const family = req.family ?? (req.dst === 'default' && req.gateway !== undefined ? ipFamily(req.gateway) : undefined);
  const dst = parsePrefix(req.dst, family);
  const table = req.table ?? RT_TABLE_MAIN;
  const attrs: Buffer[] = [];
  // A 0/0 destination is the default route: the kernel wants no RTA_DST then.
  if (dst.prefixlen > 0) attrs.push(bytes(RTA_DST, dst.address));
  if (req.gateway !== undefined) {
    const gw = parseIp(req.gateway);
    if (gw.length !== dst.address.length) throw new RangeError(`gateway ${req.gateway} is not of the family of ${req.dst}`);
    attrs.push(bytes(RTA_GATEWAY, gw));
  }
  if (req.oif !== undefined) attrs.push(u32(RTA_OIF, req.oif));
  if (req.priority !== undefined) attrs.push(u32(RTA_PRIORITY, req.priority));
  if (req.prefsrc !== undefined) attrs.push(bytes(RTA_PREFSRC, parseIp(req.prefsrc)));
  if (table > 255) attrs.push(u32(RTA_TABLE, table));
  const add = op === 'add';
  const scope =
    req.scope ?? (add ? (req.gateway === undefined && req.oif !== undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE) : RT_SCOPE_NOWHERE);
  const header = rtmsg(
    dst.family,
    dst.prefixlen,
    0,
    0,
    table > 255 ? 0 : table,
    req.protocol ?? (add ? RTPROT_BOOT : RTPROT_UNSPEC),
    scope,
    req.routeType ?? (add ? RTN_UNICAST : RTN_UNSPEC),
    0,
  );
  return Buffer.concat([header, ...attrs]);
}

/** Payload of an RTM_GETROUTE dump (family 0 = IPv4 and IPv6). */
export function routeDumpRequest(family = 0): Buffer {
  return rtmsg(family, 0, 0, 0, 0, 0, 0, 0, 0);
}

export function isRouteMessage(m: NetlinkMessage): boolean {
  return m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE;
}

export function decodeRouteMessage(m: NetlinkMessage): RouteMessage {
  if (!isRouteMessage(m)) throw new NetlinkDecodeError(`message type ${m.type} is not RTM_NEWROUTE/RTM_DELROUTE`);
  const p = m.payload;
  if (p.length < RTMSG_LEN) throw new NetlinkDecodeError(`rtmsg truncated: ${p.length} bytes`);
  const attrs = AttrMap.decode(p, RTMSG_LEN);
  const family = p.readUInt8(0);
  const dstLen = p.readUInt8(1);
  const srcLen = p.readUInt8(2);
  const ip = (type: number): string | undefined => {
    const d = attrs.get(type);
    return d && (d.length === 4 || d.length === 16) ? formatIp(d) : undefined;
  };
  const dstAddr = ip(RTA_DST) ?? (family === AF_INET6 ? '::' : family === AF_INET ? '0.0.0.0' : undefined);
  const out: RouteMessage = {
    type: m.type === RTM_NEWROUTE ? 'new' : 'del',
    family,
    dst: dstLen === 0 ? 'default' : `${dstAddr ?? '?'}/${dstLen}`,
    dstLen,
    srcLen,
    tos: p.readUInt8(3),
    table: attrs.u32(RTA_TABLE) ?? p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    routeType: p.readUInt8(7),
    flags: p.readUInt32LE(8),
    attrs,
  };
  const src = ip(RTA_SRC);
  if (src !== undefined) out.src = `${src}/${srcLen}`;
  const gateway = ip(RTA_GATEWAY);
  if (gateway !== undefined) out.gateway = gateway;
  const oif = attrs.u32(RTA_OIF);
  if (oif !== undefined) out.oif = oif;
  const priority = attrs.u32(RTA_PRIORITY);
  if (priority !== undefined) out.priority = priority;
  const prefsrc = ip(RTA_PREFSRC);
  if (prefsrc !== undefined) out.prefsrc = prefsrc;
  return out;
}
