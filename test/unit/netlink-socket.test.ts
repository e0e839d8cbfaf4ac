/**
 * NetlinkSocket's protocol logic against a fake addon (no kernel): sequence matching, ACK/DONE,
 * extended acks, dump serialisation, multicast, overruns, close and timeouts. Also the wire
 * helpers (parseMessages, parseErrorPayload, encodeMessage).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetlinkDecodeError, str, u16, u32 } from '../../src/netlink/attributes.js';
import {
  ECANCELED,
  ENOBUFS,
  NETLINK_ADD_MEMBERSHIP,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTNLGRP_LINK,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  errnoName,
} from '../../src/netlink/constants.js';
import type { NativeTarget } from '../../src/netlink/native.js';
import {
  NetlinkError,
  type NetlinkMessage,
  NetlinkSocket,
  type NetlinkSocketAddon,
  encodeMessage,
  parseErrorPayload,
  parseMessages,
} from '../../src/netlink/socket.js';

const PORTID = 4242;

class FakeAddon implements NetlinkSocketAddon {
  target?: NativeTarget;
  sent: NetlinkMessage[] = [];
  options: Array<[number, number, number]> = [];
  closed = 0;
  denyRcvbufForce = false;
  sendError?: Error;

  open(target: NativeTarget): void {
    this.target = target;
  }
  send(_target: NativeTarget, datagram: Buffer): number {
    if (this.sendError) throw this.sendError;
    this.sent.push(...parseMessages(Buffer.from(datagram)));
    return datagram.length;
  }
  setsockoptInt(_t: NativeTarget, level: number, name: number, value: number): void {
    if (this.denyRcvbufForce && level === SOL_SOCKET && name === SO_RCVBUFFORCE) throw Object.assign(new Error('EPERM'), { errno: 1 });
    this.options.push([level, name, value]);
  }
  getsockoptInt(): number {
    return 0;
  }
  portid(): number {
    return PORTID;
  }
  close(): void {
    this.closed++;
  }

  /** The kernel sends a datagram made of these messages. */
  deliver(...messages: Buffer[]): void {
    this.target!.onDatagram(0, Buffer.concat(messages));
  }
  overrun(): void {
    this.target!.onDatagram(ENOBUFS, undefined);
  }
}

/** One message as the kernel sends it: padded to 4 bytes, so that several can share a datagram. */
function msg(type: number, flags: number, seq: number, payload: Buffer = Buffer.alloc(0), pid = PORTID): Buffer {
  const m = encodeMessage(type, flags, seq, pid, payload);
  return Buffer.concat([m, Buffer.alloc(((m.length + 3) & ~3) - m.length)]);
}

function ack(request: NetlinkMessage, errno = 0, extack?: Buffer[]): Buffer {
  const body = Buffer.alloc(20);
  body.writeInt32LE(-errno, 0);
  body.writeUInt32LE(16 + request.payload.length, 4);
  body.writeUInt16LE(request.type, 8);
  body.writeUInt16LE(request.flags, 10);
  body.writeUInt32LE(request.seq, 12);
  body.writeUInt32LE(request.pid, 16);
  const flags = NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0);
  return msg(NLMSG_ERROR, flags, request.seq, Buffer.concat([body, ...(extack ?? [])]));
}

function done(seq: number, error = 0): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(-error, 0);
  return msg(NLMSG_DONE, NLM_F_MULTI, seq, b);
}

function open(options: Parameters<typeof NetlinkSocket.open>[0] = {}): { s: NetlinkSocket; k: FakeAddon } {
  const k = new FakeAddon();
  const s = NetlinkSocket.open({ ...options, native: k });
  return { s, k };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('NetlinkSocket setup', () => {
  it('enables extended acks, capped acks, strict checking, a 4 MiB buffer and joins groups', () => {
    const { s, k } = open({ groups: [RTNLGRP_LINK] });
    expect(k.options).toEqual([
      [SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20],
      [SOL_NETLINK, NETLINK_EXT_ACK, 1],
      [SOL_NETLINK, NETLINK_CAP_ACK, 1],
      [SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1],
      [SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_LINK],
    ]);
    expect(s.portid).toBe(PORTID);
    s.close();
  });

  it('falls back to SO_RCVBUF without CAP_NET_ADMIN, and can skip strict checking', () => {
    const k = new FakeAddon();
    k.denyRcvbufForce = true;
    const s = NetlinkSocket.open({ native: k, rcvbuf: 65536, strictCheck: false });
    expect(k.options).toContainEqual([SOL_SOCKET, SO_RCVBUF, 65536]);
    expect(k.options.some(([, name]) => name === NETLINK_GET_STRICT_CHK)).toBe(false);
    s.close();
  });
});

describe('requests', () => {
  it('adds NLM_F_REQUEST | NLM_F_ACK, numbers requests and resolves replies at the ACK', async () => {
    const { s, k } = open();
    const p1 = s.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, Buffer.alloc(16));
    const p2 = s.request(RTM_GETLINK, 0, Buffer.alloc(16));
    const [r1, r2] = k.sent;
    expect(r1!.flags).toBe(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    expect(r1!.pid).toBe(PORTID);
    expect(r2!.seq).toBe((r1!.seq + 1) >>> 0 || 1);
    // Replies out of order: matched by sequence number.
    k.deliver(msg(RTM_NEWLINK, 0, r2!.seq, Buffer.from('reply2')));
    k.deliver(ack(r2!));
    k.deliver(ack(r1!));
    expect(await p1).toEqual([]);
    const replies = await p2;
    expect(replies).toHaveLength(1);
    expect(replies[0]!.payload.toString()).toBe('reply2');
    expect(s.pendingCount).toBe(0);
  });

  it('turns an error into NetlinkError with errno, code, extack text and offending attribute', async () => {
    const { s, k } = open();
    const payload = Buffer.concat([Buffer.alloc(16), str(3, 'nlva'), u16(4, 1400)]);
    const p = s.request(RTM_NEWLINK, 0, payload);
    const [r] = k.sent;
    k.deliver(ack(r!, 34, [str(1, 'Attribute failed policy validation'), u32(2, 44), u32(5, 7)]));
    const err = (await p.catch((e: unknown) => e)) as NetlinkError;
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({
      errno: 34,
      code: 'ERANGE',
      extack: 'Attribute failed policy validation',
      extackOffset: 44,
      extackAttrType: 4,
      missingAttrType: 7,
      requestType: RTM_NEWLINK,
    });
    expect(err.message).toBe('RTM_NEWLINK failed: ERANGE (Attribute failed policy validation)');
  });

  it('an error without extack says what the errno means', async () => {
    const { s, k } = open();
    const p = s.request(RTM_GETLINK, 0, Buffer.alloc(16));
    k.deliver(ack(k.sent[0]!, 19));
    const err = (await p.catch((e: unknown) => e)) as NetlinkError;
    expect(err.code).toBe('ENODEV');
    expect(err.extack).toBeUndefined();
    expect(err.message).toMatch(/^RTM_GETLINK failed: ENODEV \(.+\)$/);
  });

  it('rejects with a decode error when the NLMSG_ERROR payload is damaged', async () => {
    const { s, k } = open();
    const p = s.request(RTM_GETLINK, 0, Buffer.alloc(16));
    k.deliver(msg(NLMSG_ERROR, 0, k.sent[0]!.seq, Buffer.from([1, 2])));
    await expect(p).rejects.toBeInstanceOf(NetlinkDecodeError);
  });

  it('a send failure rejects with the errno', async () => {
    const { s, k } = open();
    k.sendError = Object.assign(new Error('sendto failed'), { errno: 90, syscall: 'sendto' });
    await expect(s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16))).rejects.toMatchObject({ code: 'EMSGSIZE' });
    k.sendError = undefined;
    // the dump slot was released
    const p = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    expect(k.sent).toHaveLength(1);
    k.deliver(done(k.sent[0]!.seq));
    await expect(p).resolves.toEqual([]);
  });
});

describe('dumps', () => {
  it('runs one dump at a time while other requests go out immediately', async () => {
    const { s, k } = open();
    const d1 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    const d2 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    const g = s.request(RTM_GETLINK, 0, Buffer.alloc(16));
    expect(k.sent.map((m) => m.flags & NLM_F_DUMP)).toEqual([NLM_F_DUMP, 0]);
    expect(s.pendingCount).toBe(3);
    const [dump1, get] = k.sent;
    k.deliver(msg(RTM_NEWLINK, NLM_F_MULTI, dump1!.seq, Buffer.from('a')), msg(RTM_NEWLINK, NLM_F_MULTI, dump1!.seq, Buffer.from('b')));
    k.deliver(msg(RTM_NEWLINK, 0, get!.seq, Buffer.from('g')), ack(get!));
    expect((await g).map((m) => m.payload.toString())).toEqual(['g']);
    expect(k.sent).toHaveLength(2);
    k.deliver(done(dump1!.seq));
    expect((await d1).map((m) => m.payload.toString())).toEqual(['a', 'b']);
    expect(k.sent).toHaveLength(3); // the second dump starts only now
    const dump2 = k.sent[2]!;
    k.deliver(msg(RTM_NEWLINK, NLM_F_MULTI, dump2.seq, Buffer.from('c')), done(dump2.seq));
    expect((await d2).map((m) => m.payload.toString())).toEqual(['c']);
  });

  it('a dump that fails to start or ends with an error rejects and frees the slot', async () => {
    const { s, k } = open();
    const d1 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    const d2 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    k.deliver(ack(k.sent[0]!, 16));
    await expect(d1).rejects.toMatchObject({ code: 'EBUSY' });
    await tick();
    k.deliver(done(k.sent[1]!.seq, 90));
    await expect(d2).rejects.toMatchObject({ code: 'EMSGSIZE' });
  });
});

describe('events', () => {
  it('emits multicast and unmatched messages as message events', () => {
    const { s, k } = open({ groups: [RTNLGRP_LINK] });
    const seen: NetlinkMessage[] = [];
    s.on('message', (m) => seen.push(m));
    k.deliver(msg(RTM_NEWLINK, 0, 0, Buffer.from('event'), 0), msg(RTM_NEWLINK, 0, 99, Buffer.from('other'), 777));
    k.deliver(msg(RTM_NEWLINK, 0, 12345, Buffer.from('stale'), PORTID));
    expect(seen.map((m) => m.payload.toString())).toEqual(['event', 'other', 'stale']);
    s.close();
  });

  it('reports ENOBUFS as overrun and keeps working', async () => {
    const { s, k } = open({ groups: [RTNLGRP_LINK] });
    const overruns: number[] = [];
    s.on('overrun', (n) => overruns.push(n));
    k.overrun();
    k.overrun();
    expect(overruns).toEqual([1, 2]);
    expect(s.overruns).toBe(2);
    const p = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    k.deliver(done(k.sent[0]!.seq));
    await expect(p).resolves.toEqual([]);
    s.close();
  });

  it('delivers the good messages before a malformed one', () => {
    const { s, k } = open();
    const seen: string[] = [];
    const invalid: Error[] = [];
    s.on('message', (m) => seen.push(m.payload.toString()));
    s.on('invalid', (e) => invalid.push(e));
    k.deliver(msg(RTM_NEWLINK, 0, 0, Buffer.from('ok'), 0), Buffer.from('ff000000ff', 'hex'));
    expect(seen).toEqual(['ok']);
    expect(invalid).toHaveLength(1);
    s.close();
  });

  it('reports a malformed datagram as invalid instead of throwing', () => {
    const { s, k } = open();
    const invalid: Error[] = [];
    expect(() => k.target!.onDatagram(0, Buffer.from([1, 2, 3]))).not.toThrow();
    s.on('invalid', (e) => invalid.push(e));
    k.target!.onDatagram(0, Buffer.from('ff000000', 'hex'));
    k.target!.onDatagram(5, undefined);
    expect(invalid).toHaveLength(2);
    expect(invalid[0]).toBeInstanceOf(NetlinkDecodeError);
    expect(invalid[1]).toMatchObject({ code: 'EIO' });
  });
});

describe('close', () => {
  it('rejects pending and queued requests with ECANCELED, once', async () => {
    const { s, k } = open();
    const closes: number[] = [];
    s.on('close', () => closes.push(1));
    const p = [
      s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16)),
      s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16)),
      s.request(RTM_GETLINK, 0, Buffer.alloc(16)),
    ];
    s.close();
    s.close();
    for (const r of p) await expect(r).rejects.toMatchObject({ errno: ECANCELED, code: 'ECANCELED' });
    expect(k.closed).toBe(1);
    expect(closes).toEqual([1]);
    expect(s.closed).toBe(true);
    await expect(s.request(RTM_GETLINK, 0, Buffer.alloc(16))).rejects.toMatchObject({ code: 'ECANCELED' });
    expect(() => s.join(RTNLGRP_LINK)).toThrow(NetlinkError);
    // Datagrams still in flight after close are ignored.
    expect(() => k.deliver(msg(RTM_NEWLINK, 0, 0, Buffer.alloc(0), 0))).not.toThrow();
  });
});

describe('timeouts', () => {
  it('rejects with ETIMEDOUT and swallows the late reply', async () => {
    vi.useFakeTimers();
    const { s, k } = open({ timeoutMs: 100 });
    const seen: NetlinkMessage[] = [];
    s.on('message', (m) => seen.push(m));
    const p = s.request(RTM_GETLINK, 0, Buffer.alloc(16));
    const caught = p.catch((e: unknown) => e);
    vi.advanceTimersByTime(100);
    expect(await caught).toMatchObject({ code: 'ETIMEDOUT' });
    k.deliver(msg(RTM_NEWLINK, 0, k.sent[0]!.seq, Buffer.alloc(0)), ack(k.sent[0]!));
    expect(seen).toEqual([]);
    s.close();
  });

  it('measures silence for dumps and keeps a timed-out dump’s slot until it ends', async () => {
    vi.useFakeTimers();
    const { s, k } = open({ timeoutMs: 100 });
    const d1 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    const seq = k.sent[0]!.seq;
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(80);
      k.deliver(msg(RTM_NEWLINK, NLM_F_MULTI, seq, Buffer.from([i])));
    }
    k.deliver(done(seq));
    expect(await d1).toHaveLength(5); // 400 ms in total, but never 100 ms of silence

    const d2 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    const caught = d2.catch((e: unknown) => e);
    vi.advanceTimersByTime(100);
    expect(await caught).toMatchObject({ code: 'ETIMEDOUT' });
    const d3 = s.request(RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(16));
    expect(k.sent).toHaveLength(2); // d3 waits: the kernel is still producing d2
    k.deliver(msg(RTM_NEWLINK, NLM_F_MULTI, k.sent[1]!.seq, Buffer.alloc(0)), done(k.sent[1]!.seq));
    expect(k.sent).toHaveLength(3);
    k.deliver(done(k.sent[2]!.seq));
    await expect(d3).resolves.toEqual([]);
    s.close();
  });
});

describe('wire helpers', () => {
  it('parseMessages splits a datagram at 4-byte boundaries', () => {
    const a = encodeMessage(RTM_NEWLINK, NLM_F_MULTI, 7, 9, Buffer.from([1, 2, 3])); // len 19 -> next at 20
    const b = encodeMessage(NLMSG_DONE, NLM_F_MULTI, 7, 9, Buffer.alloc(4));
    const dgram = Buffer.concat([a, Buffer.alloc(1), b]);
    const msgs = parseMessages(dgram);
    expect(msgs.map((m) => [m.type, m.flags, m.seq, m.pid, m.payload.length])).toEqual([
      [RTM_NEWLINK, NLM_F_MULTI, 7, 9, 3],
      [NLMSG_DONE, NLM_F_MULTI, 7, 9, 4],
    ]);
    expect(() => parseMessages(Buffer.alloc(8))).toThrow(/truncated netlink header/);
    expect(() => parseMessages(a.subarray(0, 18))).toThrow(/nlmsg_len 19/);
  });

  it('parseErrorPayload finds extack after an uncapped echo of the request', () => {
    const request = encodeMessage(RTM_NEWLINK, 5, 3, 9, Buffer.alloc(18)); // len 34, padded to 36
    const head = Buffer.alloc(4);
    head.writeInt32LE(-22);
    const payload = Buffer.concat([head, request, Buffer.alloc(2), str(1, 'bad thing'), u32(2, 20)]);
    expect(parseErrorPayload(payload, NLM_F_ACK_TLVS)).toEqual({
      errno: 22,
      request: { len: 34, type: RTM_NEWLINK, flags: 5, seq: 3, pid: 9 },
      extack: 'bad thing',
      extackOffset: 20,
    });
    // Without NLM_F_ACK_TLVS the tail is not interpreted.
    expect(parseErrorPayload(payload, 0).extack).toBeUndefined();
    expect(() => parseErrorPayload(Buffer.alloc(2), 0)).toThrow(NetlinkDecodeError);
    expect(parseErrorPayload(Buffer.alloc(4), 0)).toEqual({ errno: 0 });
  });

  it('errnoName prefers the kernel spellings', () => {
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(105)).toBe('ENOBUFS');
    expect(errnoName(16)).toBe('EBUSY');
    expect(errnoName(9999)).toBe('E9999');
  });
});
