/**
 * Decodes every test/fixtures/netlink/*.hex datagram and compares it with the sibling .json
 * (format: test/fixtures/netlink/README.md). Also checks that damaged copies of each fixture
 * fail only with NetlinkDecodeError, never with an out-of-bounds read.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeAddressMessage, isAddressMessage } from '../../src/netlink/address.js';
import { AttrMap, NetlinkDecodeError } from '../../src/netlink/attributes.js';
import { NLMSG_DONE, NLMSG_ERROR, errnoName } from '../../src/netlink/constants.js';
import { decodeLinkMessage, isLinkMessage } from '../../src/netlink/link.js';
import { decodeRouteMessage, isRouteMessage } from '../../src/netlink/route.js';
import { type NetlinkMessage, parseDonePayload, parseErrorPayload, parseMessages } from '../../src/netlink/socket.js';

const dir = fileURLToPath(new URL('../fixtures/netlink/', import.meta.url));

/** Bytes of a .hex fixture: '#' comments and whitespace are ignored. */
export function parseHexFixture(text: string, name = 'fixture'): Buffer {
  const hex = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`${name}: not an even sequence of hex digits`);
  return Buffer.from(hex, 'hex');
}

/** JSON-friendly copy: Maps -> objects, Buffers -> hex, AttrMap -> list of types. */
function plain(value: unknown): unknown {
  if (value instanceof AttrMap) return value.list.map((a) => a.type);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'attrs') out.attrTypes = plain(v);
      else if (v !== undefined) out[k] = plain(v);
    }
    return out;
  }
  return value;
}

function decodeForFixture(m: NetlinkMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { header: { type: m.type, flags: m.flags, seq: m.seq, pid: m.pid } };
  if (isLinkMessage(m)) out.link = plain(decodeLinkMessage(m));
  else if (isAddressMessage(m)) out.address = plain(decodeAddressMessage(m));
  else if (isRouteMessage(m)) out.route = plain(decodeRouteMessage(m));
  else if (m.type === NLMSG_ERROR) {
    const info = parseErrorPayload(m.payload, m.flags);
    out.error = plain({ ...info, code: info.errno === 0 ? undefined : errnoName(info.errno) });
  } else if (m.type === NLMSG_DONE) out.done = plain(parseDonePayload(m.payload, m.flags));
  else out.payload = m.payload.toString('hex');
  return out;
}

function decodeDatagram(data: Buffer): Array<Record<string, unknown>> {
  return parseMessages(data).map(decodeForFixture);
}

const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.hex'))
  .sort();

describe('netlink byte fixtures', () => {
  it('has fixtures to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of fixtures) {
    const name = basename(file, '.hex');
    it(`${name} decodes as ${name}.json says`, () => {
      const data = parseHexFixture(readFileSync(join(dir, file), 'utf8'), file);
      const actual = decodeDatagram(data);
      const jsonPath = join(dir, `${name}.json`);
      if (!existsSync(jsonPath)) {
        const text = `${JSON.stringify({ description: 'TODO', messages: actual }, null, 2)}\n`;
        if (process.env.NETLINK_FIXTURES_WRITE) writeFileSync(join(dir, `${name}.actual.json`), text);
        expect.fail(`${name}.json is missing; decoded:\n${text}`);
      }
      const expected = JSON.parse(readFileSync(jsonPath, 'utf8')) as { messages: Array<Record<string, unknown>> };
      expect(actual).toHaveLength(expected.messages.length);
      expect(actual).toMatchObject(expected.messages);
    });

    it(`${name}: truncated or corrupted copies fail cleanly`, () => {
      const data = parseHexFixture(readFileSync(join(dir, file), 'utf8'), file);
      const check = (buf: Buffer): void => {
        try {
          decodeDatagram(buf);
        } catch (error) {
          if (!(error instanceof NetlinkDecodeError)) throw error;
        }
      };
      // Every prefix of the datagram as it is (nlmsg_len then disagrees with the size) ...
      for (let cut = 0; cut < data.length; cut++) check(data.subarray(0, cut));
      // ... and every prefix of each message's payload with nlmsg_len fixed up, which drives
      // the attribute decoders into every possible truncation.
      for (const m of parseMessages(data)) {
        for (let cut = 0; cut < m.payload.length; cut++) {
          const copy = Buffer.alloc(16 + cut);
          copy.writeUInt32LE(16 + cut, 0);
          copy.writeUInt16LE(m.type, 4);
          copy.writeUInt16LE(m.flags, 6);
          m.payload.copy(copy, 16, 0, cut);
          check(copy);
        }
      }
      // Deterministic byte flips.
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let i = 0; i < 300; i++) {
        const copy = Buffer.from(data);
        for (let j = 0; j < 3; j++) copy[rand(copy.length)] = rand(256);
        check(copy);
      }
    });
  }
});

describe('parseHexFixture', () => {
  it('ignores comments and whitespace and rejects odd digits', () => {
    expect(parseHexFixture('# c\n0a 0b\n0c0d # tail\n')).toEqual(Buffer.from([10, 11, 12, 13]));
    expect(() => parseHexFixture('0a0')).toThrow(/hex digits/);
    expect(() => parseHexFixture('zz')).toThrow(/hex digits/);
  });
});
