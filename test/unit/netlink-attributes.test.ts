import { describe, expect, it } from 'vitest';
import {
  AttrMap,
  NetlinkDecodeError,
  align4,
  bytes,
  decodeAttrs,
  encodeAttr,
  flag,
  formatMac,
  nested,
  parseMac,
  readStr,
  readUint,
  s32,
  str,
  u16,
  u32,
  u64,
  u8,
} from '../../src/netlink/attributes.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('attribute encoding', () => {
  it('writes nla_len without padding and pads the buffer to 4 bytes', () => {
    expect(hex(u8(1, 4))).toBe('0500010004000000');
    expect(hex(u16(2, 0x1234))).toBe('0600020034120000');
    expect(hex(u32(3, 100))).toBe('0800030064000000');
    expect(hex(s32(9, -5))).toBe('08000900fbffffff');
    expect(hex(u64(7, 2n ** 40n))).toBe('0c0007000000000000010000');
    expect(hex(str(3, 'bond0'))).toBe('0a000300626f6e6430000000');
    expect(hex(str(3, 'abc'))).toBe('0800030061626300');
    expect(hex(bytes(1, Buffer.from([1, 2, 3, 4, 5, 6])))).toBe('0a000100010203040506' + '0000');
    expect(hex(flag(5))).toBe('04000500');
    expect(hex(encodeAttr(6))).toBe('04000600');
  });

  it('sets NLA_F_NESTED on nests and concatenates the children', () => {
    const n = nested(18, [str(1, 'bond'), nested(2, [u8(1, 1), u32(3, 100)])]);
    // 18 | 0x8000 = 0x8012; inner IFLA_INFO_DATA 2 | 0x8000 = 0x8002
    expect(hex(n)).toBe('24001280' + '0900010062' + '6f6e6400000000' + '14000280' + '0500010001000000' + '0800030064000000');
    const [outer] = decodeAttrs(n);
    expect(outer).toMatchObject({ type: 18, nested: true, netByteOrder: false });
    const inner = AttrMap.decode(outer!.data);
    expect(inner.str(1)).toBe('bond');
    const data = inner.nested(2)!;
    expect(data.u8(1)).toBe(1);
    expect(data.u32(3)).toBe(100);
  });

  it('rejects values that do not fit', () => {
    expect(() => u8(1, 256)).toThrow(RangeError);
    expect(() => u16(1, -1)).toThrow(RangeError);
    expect(() => u32(1, 2 ** 32)).toThrow(RangeError);
    expect(() => s32(1, 2 ** 31)).toThrow(RangeError);
    expect(() => encodeAttr(1, Buffer.alloc(0x10000))).toThrow(/does not fit/);
    expect(() => encodeAttr(0x10000)).toThrow(RangeError);
  });

  it('align4', () => {
    expect([0, 1, 2, 3, 4, 5, 8].map(align4)).toEqual([0, 4, 4, 4, 4, 8, 8]);
  });
});

describe('attribute decoding', () => {
  it('round-trips every helper', () => {
    const buf = Buffer.concat([u8(1, 200), u16(2, 65535), u32(3, 4294967295), s32(4, -2), u64(5, 12345678901234n), str(6, 'héllo'), bytes(7, Buffer.from('abcde')), flag(8)]);
    const m = AttrMap.decode(buf);
    expect(m.u8(1)).toBe(200);
    expect(m.u16(2)).toBe(65535);
    expect(m.u32(3)).toBe(4294967295);
    expect(m.s32(4)).toBe(-2);
    expect(m.u64(5)).toBe(12345678901234n);
    expect(m.str(6)).toBe('héllo');
    expect(m.get(7)?.toString()).toBe('abcde');
    expect(m.has(8)).toBe(true);
    expect(m.get(8)?.length).toBe(0);
    expect(m.types()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(m.get(99)).toBeUndefined();
    expect(m.u32(99)).toBeUndefined();
  });

  it('keeps order and duplicates; get() returns the first like nla_find', () => {
    const m = AttrMap.decode(Buffer.concat([u32(3, 1), u8(1, 9), u32(3, 2), u32(3, 3)]));
    expect(m.list.map((a) => a.type)).toEqual([3, 1, 3, 3]);
    expect(m.getAll(3).map((d) => d.readUInt32LE(0))).toEqual([1, 2, 3]);
    expect(m.u32(3)).toBe(1);
  });

  it('masks the flag bits off the type and reports them', () => {
    const raw = Buffer.concat([encodeAttr(0x4000 | 5, Buffer.from([1, 2, 3, 4])), encodeAttr(0x8000 | 0x3fff)]);
    const [a, b] = decodeAttrs(raw);
    expect(a).toMatchObject({ type: 5, netByteOrder: true, nested: false });
    expect(b).toMatchObject({ type: 0x3fff, nested: true });
  });

  it('keeps unknown attribute types as raw bytes', () => {
    const m = AttrMap.decode(Buffer.concat([u32(1000, 0xdeadbeef), bytes(77, Buffer.from([9, 8, 7]))]));
    expect(hex(m.get(1000)!)).toBe('efbeadde');
    expect(hex(m.get(77)!)).toBe('090807');
  });

  it('accepts a last attribute without its padding', () => {
    const raw = Buffer.from('0500010007', 'hex'); // u8 7, no padding
    expect(AttrMap.decode(raw).u8(1)).toBe(7);
  });

  it('decodes a sub-range', () => {
    const raw = Buffer.concat([Buffer.alloc(16, 0xff), u32(4, 1500)]);
    expect(AttrMap.decode(raw, 16).u32(4)).toBe(1500);
    expect(() => decodeAttrs(raw, 16, raw.length + 1)).toThrow(NetlinkDecodeError);
    expect(() => decodeAttrs(raw, 20, 16)).toThrow(NetlinkDecodeError);
  });

  it('throws NetlinkDecodeError on truncated input and never reads out of bounds', () => {
    const good = Buffer.concat([str(3, 'eth0'), nested(18, [str(1, 'veth')]), u32(4, 1500)]);
    for (let cut = 1; cut < good.length; cut++) {
      const part = good.subarray(0, cut);
      try {
        decodeAttrs(part);
      } catch (error) {
        expect(error).toBeInstanceOf(NetlinkDecodeError);
      }
    }
    expect(() => decodeAttrs(Buffer.from('0800', 'hex'))).toThrow(/truncated attribute header/);
    expect(() => decodeAttrs(Buffer.from('08000400dc05', 'hex'))).toThrow(/truncated: nla_len 8, 6 bytes left/);
    expect(() => decodeAttrs(Buffer.from('02000400', 'hex'))).toThrow(/nla_len 2 < 4/);
  });

  it('typed readers check the payload size', () => {
    const m = AttrMap.decode(Buffer.concat([u8(1, 1), u16(2, 2)]));
    expect(() => m.u32(1)).toThrow(NetlinkDecodeError);
    expect(() => m.u16(1)).toThrow(/u16: payload of 1 bytes, need 2/);
    expect(() => m.u64(2)).toThrow(NetlinkDecodeError);
  });

  it('readUint reads by payload length', () => {
    expect(readUint(Buffer.from([0x3d]))).toBe(61);
    expect(readUint(Buffer.from([0x3d, 0]))).toBe(61);
    expect(readUint(Buffer.from([1, 0, 0, 0]))).toBe(1);
    expect(readUint(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]))).toBe(1);
    expect(() => readUint(Buffer.from([1, 2, 3]))).toThrow(NetlinkDecodeError);
    expect(() => readUint(Buffer.alloc(8, 0xff))).toThrow(/does not fit/);
  });

  it('readStr stops at the first NUL and tolerates a missing one', () => {
    expect(readStr(Buffer.from('abc\0def'))).toBe('abc');
    expect(readStr(Buffer.from('abc'))).toBe('abc');
    expect(readStr(Buffer.alloc(0))).toBe('');
  });
});

describe('AttrMap helpers', () => {
  it('fromList re-encodes decoded attributes, flags included', () => {
    const list = decodeAttrs(Buffer.concat([u32(1, 5), nested(2, [u8(1, 1)]), encodeAttr(0x4000 | 3, Buffer.from([9]))]));
    const m = AttrMap.fromList(list);
    expect(m.list).toEqual(list);
    expect(m.size).toBe(3);
  });

  it('above() returns the attributes newer than a table, first occurrence each', () => {
    const m = AttrMap.decode(Buffer.concat([u8(32, 1), u8(33, 2), u32(40, 3), u8(33, 4)]));
    expect([...m.above(32)].map(([t, d]) => [t, hex(d)])).toEqual([
      [33, '02'],
      [40, '03000000'],
    ]);
    expect(m.above(40).size).toBe(0);
  });

  it('mac() formats hardware addresses and ignores empty ones', () => {
    const m = AttrMap.decode(Buffer.concat([bytes(1, Buffer.from([0, 0x1b, 0x21, 0xa, 0xb, 0xc])), bytes(2, Buffer.alloc(0)), bytes(3, Buffer.from([0xff]))]));
    expect(m.mac(1)).toBe('00:1b:21:0a:0b:0c');
    expect(m.mac(2)).toBeUndefined();
    expect(m.mac(3)).toBe('ff');
    expect(m.mac(4)).toBeUndefined();
  });

  it('uint() and str() read in place from a sub-range without leaking past it', () => {
    // A string without its NUL followed by another attribute whose payload starts with a NUL.
    const raw = Buffer.concat([Buffer.alloc(8, 0xaa), encodeAttr(3, Buffer.from('ab')), u16(4, 7)]);
    const m = AttrMap.decode(raw, 8);
    expect(m.str(3)).toBe('ab');
    expect(m.uint(4)).toBe(7);
    expect(m.types()).toEqual([3, 4]);
  });
});

describe('MAC helpers', () => {
  it('format and parse', () => {
    expect(formatMac(Buffer.from([0xae, 0x95, 0xe0, 0x4a, 0x54, 0x0f]))).toBe('ae:95:e0:4a:54:0f');
    expect(hex(parseMac('AE-95-E0-4A-54-0F'))).toBe('ae95e04a540f');
    expect(() => parseMac('ae:95:zz')).toThrow(RangeError);
    expect(() => parseMac('')).toThrow(RangeError);
  });
});
