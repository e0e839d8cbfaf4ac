/**
 * RTM_NEWADDR / RTM_DELADDR: struct ifaddrmsg (8 bytes: u8 family, u8 prefixlen, u8 flags,
 * u8 scope, u32 index) followed by IFA_* attributes. Also the IP text <-> bytes helpers the
 * other codecs use.
 */
import { AttrMap, bytes, str, u32 } from './attributes.js';
import {
  AF_INET,
  AF_INET6,
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  RTM_DELADDR,
  RTM_NEWADDR,
  RT_SCOPE_UNIVERSE,
} from './constants.js';
import { NetlinkDecodeError } from './attributes.js';
import type { NetlinkMessage } from './socket.js';

// --- IP addresses --------------------------------------------------------------------------

/** 4 or 16 bytes of an IPv4 or IPv6 address in text form. Throws RangeError if invalid. */
export function parseIp(text: string): Buffer {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (v6) return v6;
  throw new RangeError(`invalid IP address '${text}'`);
}

/** AF_INET or AF_INET6 for an address in text form. */
export function ipFamily(text: string): number {
  return parseIp(text).length === 4 ? AF_INET : AF_INET6;
}

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Buffer | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Text form of a 4- or 16-byte address; IPv6 in RFC 5952 form (as inet_ntop and `ip` print it). */
export function formatIp(data: Uint8Array): string {
  if (data.length === 4) return Array.from(data).join('.');
  if (data.length !== 16) throw new NetlinkDecodeError(`IP address of ${data.length} bytes`);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // IPv4-mapped ::ffff:a.b.c.d
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${Array.from(data.subarray(12)).join('.')}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** 'a.b.c.d/len' or 'x::/len' (a bare address means a host prefix); 'default' is 0/0 of `family`. */
export function parsePrefix(text: string, family?: number): { address: Buffer; prefixlen: number; family: number } {
  if (text === 'default' || text === 'any') {
    const fam = family ?? AF_INET;
    return { address: Buffer.alloc(fam === AF_INET6 ? 16 : 4), prefixlen: 0, family: fam };
  }
  const slash = text.indexOf('/');
  const address = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  const max = address.length * 8;
  const prefixlen = slash >= 0 ? Number(text.slice(slash + 1)) : max;
  if (slash >= 0 && !/^\d{1,3}$/.test(text.slice(slash + 1))) throw new RangeError(`invalid prefix length in '${text}'`);
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > max) throw new RangeError(`invalid prefix length in '${text}'`);
  const fam = address.length === 4 ? AF_INET : AF_INET6;
  if (family !== undefined && family !== fam) throw new RangeError(`'${text}' is not of address family ${family}`);
  return { address, prefixlen, family: fam };
}

// --- RTM_NEWADDR / RTM_DELADDR ------------------------------------------------------------

export interface AddressMessage {
  type: 'new' | 'del';
  /** AF_INET or AF_INET6. */
  family: number;
  prefixlen: number;
  /** ifa_flags, widened by IFA_FLAGS (u32) when present. */
  flags: number;
  scope: number;
  index: number;
  /** IFA_ADDRESS (for IPv4 the peer on point-to-point links, otherwise the same as local). */
  address?: string;
  /** IFA_LOCAL (IPv4). */
  local?: string;
  broadcast?: string;
  label?: string;
  attrs: AttrMap;
}

export interface AddressRequest {
  index: number;
  /** 'a.b.c.d' / 'x::y', optionally with '/len' (which then sets prefixlen). */
  address: string;
  prefixlen?: number;
  /** IFA_LOCAL when it differs from IFA_ADDRESS (point-to-point peers); defaults to address for IPv4. */
  local?: string;
  broadcast?: string;
  label?: string;
  /** IFA_F_* flags (sent as IFA_FLAGS, low 8 bits also in the header). */
  flags?: number;
  scope?: number;
}

export function ifaddrmsg(family: number, prefixlen: number, flags: number, scope: number, index: number): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixlen, 1);
  b.writeUInt8(flags & 0xff, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

/** Payload of an RTM_NEWADDR / RTM_DELADDR request. */
export function addressRequest(req: AddressRequest): Buffer {
  const { address, prefixlen: parsedLen, family } = parsePrefix(req.address);
  const prefixlen = req.address.includes('/') ? parsedLen : (req.prefixlen ?? parsedLen);
  if (prefixlen < 0 || prefixlen > address.length * 8) throw new RangeError(`prefix length ${prefixlen} invalid for ${req.address}`);
  const attrs: Buffer[] = [];
  // iproute2 sends IFA_LOCAL and IFA_ADDRESS for IPv4 (IFA_LOCAL is the interface's address, and
  // the kernel treats IFA_ADDRESS alone as the local one too); for IPv6 IFA_ADDRESS is enough.
  const local = req.local !== undefined ? parseIp(req.local) : family === AF_INET ? address : undefined;
  if (local) attrs.push(bytes(IFA_LOCAL, local));
  attrs.push(bytes(IFA_ADDRESS, address));
  if (req.broadcast !== undefined) attrs.push(bytes(IFA_BROADCAST, parseIp(req.broadcast)));
  if (req.label !== undefined) attrs.push(str(IFA_LABEL, req.label));
  if (req.flags !== undefined && req.flags > 0xff) attrs.push(u32(IFA_FLAGS, req.flags));
  return Buffer.concat([ifaddrmsg(family, prefixlen, req.flags ?? 0, req.scope ?? RT_SCOPE_UNIVERSE, req.index), ...attrs]);
}

/** Payload of an RTM_GETADDR dump; index 0 = all (the kernel filters by index with strict checking). */
export function addressDumpRequest(family = 0, index = 0): Buffer {
  return ifaddrmsg(family, 0, 0, 0, index);
}

export function isAddressMessage(m: NetlinkMessage): boolean {
  return m.type === RTM_NEWADDR || m.type === RTM_DELADDR;
}

export function decodeAddressMessage(m: NetlinkMessage): AddressMessage {
  if (!isAddressMessage(m)) throw new NetlinkDecodeError(`message type ${m.type} is not RTM_NEWADDR/RTM_DELADDR`);
  const p = m.payload;
  if (p.length < IFADDRMSG_LEN) throw new NetlinkDecodeError(`ifaddrmsg truncated: ${p.length} bytes`);
  const attrs = AttrMap.decode(p, IFADDRMSG_LEN);
  const out: AddressMessage = {
    type: m.type === RTM_NEWADDR ? 'new' : 'del',
    family: p.readUInt8(0),
    prefixlen: p.readUInt8(1),
    flags: attrs.u32(IFA_FLAGS) ?? p.readUInt8(2),
    scope: p.readUInt8(3),
    index: p.readUInt32LE(4),
    attrs,
  };
  const ip = (type: number): string | undefined => {
    const d = attrs.get(type);
    return d && (d.length === 4 || d.length === 16) ? formatIp(d) : undefined;
  };
  const address = ip(IFA_ADDRESS);
  if (address !== undefined) out.address = address;
  const local = ip(IFA_LOCAL);
  if (local !== undefined) out.local = local;
  const broadcast = ip(IFA_BROADCAST);
  if (broadcast !== undefined) out.broadcast = broadcast;
  const label = attrs.str(IFA_LABEL);
  if (label !== undefined) out.label = label;
  return out;
}
