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
  return [...AttrMap.decode(buf, offset, end).list];
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
 *
 * Decoding records offsets only: payload views (`get`, `list`) are created on demand and the
 * typed readers read the datagram in place, because creating a Buffer view per attribute is
 * what dominates the cost of decoding a link message with ~50 attributes.
 */
export class AttrMap {
  readonly #buf: Buffer;
  /** Per attribute: raw nla_type (flags included), payload start, payload end. */
  readonly #raw: number[];
  readonly #start: number[];
  readonly #end: number[];
  /** Index of the first attribute of each (masked) type (a holey array: cheaper than a Map). */
  readonly #first: number[] = [];
  #list?: Attr[];

  private constructor(buf: Buffer, raw: number[], start: number[], end: number[]) {
    this.#buf = buf;
    this.#raw = raw;
    this.#start = start;
    this.#end = end;
    for (let i = 0; i < raw.length; i++) {
      const type = raw[i]! & NLA_TYPE_MASK;
      if (this.#first[type] === undefined) this.#first[type] = i;
    }
  }

  /** Attributes in buf[offset, end); throws NetlinkDecodeError on malformed input. */
  static decode(buf: Buffer, offset = 0, end = buf.length): AttrMap {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new NetlinkDecodeError(`attribute range [${offset}, ${end}) outside a buffer of ${buf.length} bytes`, offset);
    }
    const raw: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
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
      raw.push(rawType);
      starts.push(off + NLA_HDRLEN);
      ends.push(off + len);
      // The last attribute of a message built by user space may lack its padding.
      off = Math.min(off + align4(len), end);
    }
    return new AttrMap(buf, raw, starts, ends);
  }

  /** A map over attributes decoded elsewhere (their payloads need not share a buffer). */
  static fromList(list: readonly Attr[]): AttrMap {
    const parts: Buffer[] = [];
    for (const a of list) {
      const type = a.type | (a.nested ? NLA_F_NESTED : 0) | (a.netByteOrder ? NLA_F_NET_BYTEORDER : 0);
      parts.push(encodeAttr(type, a.data));
    }
    return AttrMap.decode(Buffer.concat(parts));
  }

  /** Every attribute in order, duplicates included. */
  get list(): readonly Attr[] {
    if (!this.#list) {
      this.#list = this.#raw.map((rawType, i) => ({
        type: rawType & NLA_TYPE_MASK,
        nested: (rawType & NLA_F_NESTED) !== 0,
        netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
        data: this.#buf.subarray(this.#start[i], this.#end[i]),
      }));
    }
    return this.#list;
  }

  get size(): number {
    return this.#raw.length;
  }

  has(type: number): boolean {
    return this.#first[type] !== undefined;
  }

  get(type: number): Buffer | undefined {
    const i = this.#first[type];
    return i === undefined ? undefined : this.#buf.subarray(this.#start[i], this.#end[i]);
  }

  getAll(type: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.#raw.length; i++) {
      if ((this.#raw[i]! & NLA_TYPE_MASK) === type) out.push(this.#buf.subarray(this.#start[i], this.#end[i]));
    }
    return out;
  }

  /** Types in order of first appearance. */
  types(): number[] {
    const out: number[] = [];
    this.#raw.forEach((rawType, i) => {
      if (this.#first[rawType & NLA_TYPE_MASK] === i) out.push(rawType & NLA_TYPE_MASK);
    });
    return out;
  }

  /** Attributes whose type is above `max` (newer than our tables), first occurrence of each. */
  above(max: number): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    for (let i = 0; i < this.#raw.length; i++) {
      const type = this.#raw[i]! & NLA_TYPE_MASK;
      if (type > max && !out.has(type)) out.set(type, this.#buf.subarray(this.#start[i], this.#end[i]));
    }
    return out;
  }

  /** The payload of `type` decoded as a nest. */
  nested(type: number): AttrMap | undefined {
    const i = this.#first[type];
    return i === undefined ? undefined : AttrMap.decode(this.#buf, this.#start[i], this.#end[i]);
  }

  /** [start, end) of the first `type` payload, after checking it holds `size` bytes. */
  #span(type: number, size: number, what: string): number | undefined {
    const i = this.#first[type];
    if (i === undefined) return undefined;
    const len = this.#end[i]! - this.#start[i]!;
    if (len < size) throw new NetlinkDecodeError(`${what}: payload of ${len} bytes, need ${size} (attribute type ${type})`);
    return i;
  }

  u8(type: number): number | undefined {
    const i = this.#span(type, 1, 'u8');
    return i === undefined ? undefined : this.#buf.readUInt8(this.#start[i]!);
  }

  u16(type: number): number | undefined {
    const i = this.#span(type, 2, 'u16');
    return i === undefined ? undefined : this.#buf.readUInt16LE(this.#start[i]!);
  }

  u32(type: number): number | undefined {
    const i = this.#span(type, 4, 'u32');
    return i === undefined ? undefined : this.#buf.readUInt32LE(this.#start[i]!);
  }

  s32(type: number): number | undefined {
    const i = this.#span(type, 4, 's32');
    return i === undefined ? undefined : this.#buf.readInt32LE(this.#start[i]!);
  }

  u64(type: number): bigint | undefined {
    const i = this.#span(type, 8, 'u64');
    return i === undefined ? undefined : this.#buf.readBigUInt64LE(this.#start[i]!);
  }

  /** An unsigned integer whose width is the payload length (see readUint). */
  uint(type: number): number | undefined {
    const i = this.#first[type];
    if (i === undefined) return undefined;
    const start = this.#start[i]!;
    switch (this.#end[i]! - start) {
      case 1:
        return this.#buf.readUInt8(start);
      case 2:
        return this.#buf.readUInt16LE(start);
      case 4:
        return this.#buf.readUInt32LE(start);
      default:
        return readUint(this.#buf.subarray(start, this.#end[i]));
    }
  }

  str(type: number): string | undefined {
    const i = this.#first[type];
    if (i === undefined) return undefined;
    const start = this.#start[i]!;
    const end = this.#end[i]!;
    const nul = this.#buf.indexOf(0, start);
    return this.#buf.toString('utf8', start, nul >= 0 && nul < end ? nul : end);
  }

  /** A hardware address payload as 'aa:bb:..'; undefined when absent or empty. */
  mac(type: number): string | undefined {
    const i = this.#first[type];
    if (i === undefined || this.#end[i] === this.#start[i]) return undefined;
    return hexColon(this.#buf, this.#start[i]!, this.#end[i]!);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexColon(buf: Uint8Array, start: number, end: number): string {
  let out = HEX[buf[start]!]!;
  for (let i = start + 1; i < end; i++) out += `:${HEX[buf[i]!]!}`;
  return out;
}

/** 'aa:bb:cc:dd:ee:ff' (any length, lower-case hex). */
export function formatMac(data: Uint8Array): string {
  return data.length === 0 ? '' : hexColon(data, 0, data.length);
}

/** Bytes of 'aa:bb:cc:dd:ee:ff' (also accepts '-' separators). */
export function parseMac(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length < 1 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`invalid hardware address '${text}'`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
