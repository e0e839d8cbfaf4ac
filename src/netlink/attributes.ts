/**
 * Netlink attribute (struct nlattr) codec.
 *
 * Layout: u16 nla_len (header + payload, without padding), u16 nla_type, payload, then padding to
 * a 4-byte boundary. The top two bits of nla_type are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER);
 * the kernel ignores them when matching types, so decoding masks them off and keeps them aside.
 * Decoding never reads outside the given buffer: malformed input raises NetlinkDecodeError.
 */
import { NLA_ALIGNTO, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_TYPE_MASK } from './constants.js';

export interface Attr {
  /** nla_type with the flag bits masked off. */
  type: number;
  /** NLA_F_NESTED was set. Older kernel code sends nests without it, so don't rely on it. */
  nested: boolean;
  netByteOrder: boolean;
  /** The payload (a view into the received datagram; padding excluded). */
  data: Buffer;
}

/** Malformed netlink data: truncated header, bad length, payload too short for its type. */
export class NetlinkDecodeError extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'NetlinkDecodeError';
  }
}

export function align4(n: number): number {
  return (n + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}

// --- encoding ------------------------------------------------------------------------------

/** One attribute with its padding. `type` may carry NLA_F_* flags. */
export function encodeAttr(type: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const len = NLA_HDRLEN + payload.length;
  if (len > 0xffff) throw new RangeError(`netlink attribute ${type & NLA_TYPE_MASK}: payload of ${payload.length} bytes does not fit nla_len`);
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new RangeError(`netlink attribute type ${type} out of range`);
  const out = Buffer.alloc(align4(len));
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.set(payload, NLA_HDRLEN);
  return out;
}

export function u8(type: number, value: number): Buffer {
  const b = Buffer.alloc(1);
  b.writeUInt8(value);
  return encodeAttr(type, b);
}

export function u16(type: number, value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return encodeAttr(type, b);
}

export function u32(type: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return encodeAttr(type, b);
}

export function s32(type: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return encodeAttr(type, b);
}

export function u64(type: number, value: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return encodeAttr(type, b);
}

/** NUL-terminated string (NLA_STRING / NLA_NUL_STRING both accept it). */
export function str(type: number, value: string): Buffer {
  return encodeAttr(type, Buffer.from(`${value}\0`, 'utf8'));
}

export function bytes(type: number, value: Uint8Array): Buffer {
  return encodeAttr(type, value);
}

/** A flag attribute: present with an empty payload. */
export function flag(type: number): Buffer {
  return encodeAttr(type);
}

/** A nest holding already encoded attributes; NLA_F_NESTED is set as strict kernel policies want. */
export function nested(type: number, children: readonly Buffer[]): Buffer {
  return encodeAttr(type | NLA_F_NESTED, Buffer.concat(children));
}

// --- decoding ------------------------------------------------------------------------------

/**
 * All attributes in buf[offset, end), in order, duplicates kept. Unknown types are returned like
 * any other (their payload is raw bytes anyway).
 */
export function decodeAttrs(buf: Buffer, offset = 0, end = buf.length): Attr[] {
  if (offset < 0 || end > buf.length || offset > end) {
    throw new NetlinkDecodeError(`attribute range [${offset}, ${end}) outside a buffer of ${buf.length} bytes`, offset);
  }
  const out: Attr[] = [];
  let off = offset;
  while (off < end) {
    if (end - off < NLA_HDRLEN) {
      throw new NetlinkDecodeError(`truncated attribute header: ${end - off} bytes left at offset ${off}`, off);
    }
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN) throw new NetlinkDecodeError(`attribute type ${rawType & NLA_TYPE_MASK} at offset ${off} has nla_len ${len} < 4`, off);
    if (len > end - off) {
      throw new NetlinkDecodeError(
        `attribute type ${rawType & NLA_TYPE_MASK} at offset ${off} is truncated: nla_len ${len}, ${end - off} bytes left`,
        off,
      );
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      data: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    // The last attribute of a message built by user space may lack its padding.
    off = Math.min(off + align4(len), end);
  }
  return out;
}

function need(data: Buffer, size: number, what: string): void {
  if (data.length < size) throw new NetlinkDecodeError(`${what}: payload of ${data.length} bytes, need ${size}`);
}

export function readU8(data: Buffer): number {
  need(data, 1, 'u8');
  return data.readUInt8(0);
}

export function readU16(data: Buffer): number {
  need(data, 2, 'u16');
  return data.readUInt16LE(0);
}

export function readU32(data: Buffer): number {
  need(data, 4, 'u32');
  return data.readUInt32LE(0);
}

export function readS32(data: Buffer): number {
  need(data, 4, 's32');
  return data.readInt32LE(0);
}

export function readU64(data: Buffer): bigint {
  need(data, 8, 'u64');
  return data.readBigUInt64LE(0);
}

/**
 * An unsigned integer whose width is the payload length (1, 2, 4 or 8 bytes). For attributes
 * whose kernel width differs from what the policy suggests (IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE
 * is a u8 value sent as u16) or may change between versions.
 */
export function readUint(data: Buffer): number {
  switch (data.length) {
    case 1:
      return data.readUInt8(0);
    case 2:
      return data.readUInt16LE(0);
    case 4:
      return data.readUInt32LE(0);
    case 8: {
      const v = data.readBigUInt64LE(0);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NetlinkDecodeError(`u64 ${v} does not fit a JavaScript number`);
      return Number(v);
    }
    default:
      throw new NetlinkDecodeError(`integer payload of ${data.length} bytes`);
  }
}

/** A string payload up to its first NUL (the kernel includes the NUL; tolerate its absence). */
export function readStr(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul >= 0 ? nul : data.length);
}

/**
 * Attributes by type, keeping order and duplicates. `get` returns the first occurrence, as the
 * kernel's nla_find does.
 */
export class AttrMap {
  readonly list: readonly Attr[];
  readonly #byType = new Map<number, Attr[]>();

  constructor(list: readonly Attr[]) {
    this.list = list;
    for (const a of list) {
      const same = this.#byType.get(a.type);
      if (same) same.push(a);
      else this.#byType.set(a.type, [a]);
    }
  }

  static decode(buf: Buffer, offset = 0, end = buf.length): AttrMap {
    return new AttrMap(decodeAttrs(buf, offset, end));
  }

  has(type: number): boolean {
    return this.#byType.has(type);
  }

  get(type: number): Buffer | undefined {
    return this.#byType.get(type)?.[0]?.data;
  }

  getAll(type: number): Buffer[] {
    return (this.#byType.get(type) ?? []).map((a) => a.data);
  }

  types(): number[] {
    return [...this.#byType.keys()];
  }

  /** The payload of `type` decoded as a nest. */
  nested(type: number): AttrMap | undefined {
    const data = this.get(type);
    return data === undefined ? undefined : AttrMap.decode(data);
  }

  u8(type: number): number | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readU8(d);
  }

  u16(type: number): number | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readU16(d);
  }

  u32(type: number): number | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readU32(d);
  }

  s32(type: number): number | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readS32(d);
  }

  u64(type: number): bigint | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readU64(d);
  }

  uint(type: number): number | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readUint(d);
  }

  str(type: number): string | undefined {
    const d = this.get(type);
    return d === undefined ? undefined : readStr(d);
  }
}

/** 'aa:bb:cc:dd:ee:ff' (any length, lower-case hex). */
export function formatMac(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Bytes of 'aa:bb:cc:dd:ee:ff' (also accepts '-' separators). */
export function parseMac(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length < 1 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`invalid hardware address '${text}'`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
