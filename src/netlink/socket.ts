/**
 * NetlinkSocket: request/response over one AF_NETLINK socket.
 *
 * - Every request carries NLM_F_REQUEST | NLM_F_ACK, so a non-dump request always ends with an
 *   NLMSG_ERROR (error 0 = ACK) and a dump ends with NLMSG_DONE (or NLMSG_ERROR when the dump
 *   could not start). Replies are matched by sequence number and our port id.
 * - The kernel runs one dump per socket at a time (a second one gets EBUSY), so dumps are queued
 *   here; other requests may be in flight at the same time, also during a dump.
 * - Multicast notifications (and anything not addressed to a pending request) are emitted as
 *   'message'. When the kernel drops messages because the receive queue is full, recvmsg()
 *   returns ENOBUFS once: that is emitted as 'overrun'; the socket stays usable and the consumer
 *   resyncs with a dump.
 * - Errors are NetlinkError with errno, code ('EBUSY') and the kernel's extended-ack text.
 *
 * Lifetime: a socket with a pending request or a multicast membership stays alive while open,
 * like a Node server socket. An idle request socket that becomes unreachable is garbage collected
 * and the addon closes its file descriptor; call close() to release it promptly.
 */
import { EventEmitter } from 'node:events';
import { getSystemErrorMap } from 'node:util';
import { AttrMap, NetlinkDecodeError } from './attributes.js';
import {
  ECANCELED,
  ENOBUFS,
  EACCES,
  EPERM,
  ETIMEDOUT,
  NETLINK_ADD_MEMBERSHIP,
  NETLINK_CAP_ACK,
  NETLINK_DROP_MEMBERSHIP,
  NETLINK_EXT_ACK,
  NETLINK_GET_STRICT_CHK,
  NETLINK_ROUTE,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLA_TYPE_MASK,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  errnoName,
} from './constants.js';
import { type NativeError, type NativeTarget, type NlsockAddon, loadNative } from './native.js';

/** The part of the addon a NetlinkSocket uses. */
export type NetlinkSocketAddon = Pick<NlsockAddon, 'open' | 'send' | 'drain' | 'setsockoptInt' | 'getsockoptInt' | 'portid' | 'close'>;

/** One netlink message (struct nlmsghdr + payload). */
export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Bytes after the 16-byte header (a view into the received datagram). */
  payload: Buffer;
}

export interface NetlinkSocketOptions {
  /** Netlink protocol, NETLINK_ROUTE by default. */
  protocol?: number;
  /** Create the socket inside this network namespace (e.g. /run/netns/NAME). */
  netnsPath?: string;
  /** Multicast groups to join (group numbers such as RTNLGRP_LINK, not bitmasks). */
  groups?: readonly number[];
  /** Receive buffer in bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF). Default 4 MiB. */
  rcvbuf?: number;
  /**
   * NETLINK_GET_STRICT_CHK: the kernel validates dump request headers and honours their filters
   * (e.g. ifa_index for address dumps). Default true.
   */
  strictCheck?: boolean;
  /** Default request timeout in ms (0 = none). For dumps it is an inactivity timeout. Default 5000. */
  timeoutMs?: number;
  /** The addon to use; tests pass a fake one. Default: build/Release/nlsock.node. */
  native?: NetlinkSocketAddon;
}

export interface RequestOptions {
  timeoutMs?: number;
}

/** A failed netlink request. */
export class NetlinkError extends Error {
  /** Positive errno (19 for ENODEV). */
  readonly errno: number;
  /** errno name: 'ENODEV', 'EOPNOTSUPP', ... */
  readonly code: string;
  /** The kernel's extended-ack message (NLMSGERR_ATTR_MSG), e.g. 'Unknown device type'. */
  readonly extack?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute within the request. */
  readonly extackOffset?: number;
  /** Type of the attribute at extackOffset in our request, when it could be located. */
  readonly extackAttrType?: number;
  /** NLMSGERR_ATTR_MISS_TYPE: a required attribute that was missing. */
  readonly missingAttrType?: number;
  /** nlmsg_type of the failed request. */
  readonly requestType?: number;

  constructor(
    errno: number,
    details: {
      extack?: string;
      extackOffset?: number;
      extackAttrType?: number;
      missingAttrType?: number;
      requestType?: number;
      message?: string;
    } = {},
  ) {
    const code = errnoName(errno);
    const what = details.message ?? `${requestName(details.requestType)} failed`;
    super(`${what}: ${code} (${details.extack ?? describeErrno(errno)})`);
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    if (details.extack !== undefined) this.extack = details.extack;
    if (details.extackOffset !== undefined) this.extackOffset = details.extackOffset;
    if (details.extackAttrType !== undefined) this.extackAttrType = details.extackAttrType;
    if (details.missingAttrType !== undefined) this.missingAttrType = details.missingAttrType;
    if (details.requestType !== undefined) this.requestType = details.requestType;
  }
}

const RTM_NAMES: Record<number, string> = {
  16: 'RTM_NEWLINK',
  17: 'RTM_DELLINK',
  18: 'RTM_GETLINK',
  19: 'RTM_SETLINK',
  20: 'RTM_NEWADDR',
  21: 'RTM_DELADDR',
  22: 'RTM_GETADDR',
  24: 'RTM_NEWROUTE',
  25: 'RTM_DELROUTE',
  26: 'RTM_GETROUTE',
};

function requestName(type: number | undefined): string {
  if (type === undefined) return 'netlink request';
  return RTM_NAMES[type] ?? `netlink request type ${type}`;
}

let systemErrors: Map<number, [string, string]> | undefined;
function describeErrno(errno: number): string {
  systemErrors ??= getSystemErrorMap();
  return systemErrors.get(-errno)?.[1] ?? `errno ${errno}`;
}

// --- wire format ---------------------------------------------------------------------------

export function encodeMessage(type: number, flags: number, seq: number, pid: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(pid >>> 0, 12);
  payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/** The messages of one datagram. Throws NetlinkDecodeError on a malformed header. */
export function parseMessages(datagram: Buffer): NetlinkMessage[] {
  const { messages, error } = parseMessagesPartial(datagram);
  if (error) throw error;
  return messages;
}

/** The messages of one datagram up to the first malformed header, and the error found there. */
export function parseMessagesPartial(datagram: Buffer): { messages: NetlinkMessage[]; error?: NetlinkDecodeError } {
  const messages: NetlinkMessage[] = [];
  let off = 0;
  while (off < datagram.length) {
    if (datagram.length - off < NLMSG_HDRLEN) {
      return { messages, error: new NetlinkDecodeError(`truncated netlink header: ${datagram.length - off} bytes at offset ${off}`, off) };
    }
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || len > datagram.length - off) {
      return {
        messages,
        error: new NetlinkDecodeError(`netlink message at offset ${off} has nlmsg_len ${len} (datagram ${datagram.length} bytes)`, off),
      };
    }
    messages.push({
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      pid: datagram.readUInt32LE(off + 12),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += (len + 3) & ~3;
  }
  return { messages };
}

export interface NetlinkErrorInfo {
  /** Positive errno; 0 for an ACK. */
  errno: number;
  /** The echoed request header. */
  request?: { len: number; type: number; flags: number; seq: number; pid: number };
  extack?: string;
  extackOffset?: number;
  missingAttrType?: number;
}

/**
 * Decodes an NLMSG_ERROR payload: s32 error, the echoed request header, the request payload
 * unless NLM_F_CAPPED, then (NLM_F_ACK_TLVS) the extended-ack attributes.
 */
export function parseErrorPayload(payload: Buffer, flags: number): NetlinkErrorInfo {
  if (payload.length < 4) throw new NetlinkDecodeError(`NLMSG_ERROR payload of ${payload.length} bytes`);
  const info: NetlinkErrorInfo = { errno: -payload.readInt32LE(0) || 0 };
  if (payload.length < 4 + NLMSG_HDRLEN) return info;
  const len = payload.readUInt32LE(4);
  info.request = {
    len,
    type: payload.readUInt16LE(8),
    flags: payload.readUInt16LE(10),
    seq: payload.readUInt32LE(12),
    pid: payload.readUInt32LE(16),
  };
  if (!(flags & NLM_F_ACK_TLVS)) return info;
  const tlvStart = 4 + (flags & NLM_F_CAPPED ? NLMSG_HDRLEN : (Math.max(len, NLMSG_HDRLEN) + 3) & ~3);
  if (tlvStart >= payload.length) return info;
  parseExtack(payload.subarray(tlvStart), info);
  return info;
}

/** The payload of NLMSG_DONE: s32 error, then extack attributes when NLM_F_ACK_TLVS is set. */
export function parseDonePayload(payload: Buffer, flags: number): NetlinkErrorInfo {
  const info: NetlinkErrorInfo = { errno: payload.length >= 4 ? -payload.readInt32LE(0) || 0 : 0 };
  if (flags & NLM_F_ACK_TLVS && payload.length > 4) parseExtack(payload.subarray(4), info);
  return info;
}

function parseExtack(tlvs: Buffer, info: NetlinkErrorInfo): void {
  let attrs: AttrMap;
  try {
    attrs = AttrMap.decode(tlvs);
  } catch {
    return; // a damaged extack must not hide the errno
  }
  const msg = attrs.str(NLMSGERR_ATTR_MSG);
  if (msg !== undefined) info.extack = msg;
  const offs = attrs.get(NLMSGERR_ATTR_OFFS);
  if (offs && offs.length >= 4) info.extackOffset = offs.readUInt32LE(0);
  const miss = attrs.get(NLMSGERR_ATTR_MISS_TYPE);
  if (miss && miss.length >= 4) info.missingAttrType = miss.readUInt32LE(0);
}

/** The attribute type found at `offset` of an encoded request, when that is an attribute header. */
function attrTypeAt(request: Buffer, offset: number): number | undefined {
  if (offset < NLMSG_HDRLEN || offset + 4 > request.length) return undefined;
  return request.readUInt16LE(offset + 2) & NLA_TYPE_MASK;
}

// --- socket --------------------------------------------------------------------------------

interface Pending {
  seq: number;
  type: number;
  dump: boolean;
  request: Buffer;
  messages: NetlinkMessage[];
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  /** Timed out: swallow the rest of its replies until they end (dumps). */
  abandoned: boolean;
  resolve(messages: NetlinkMessage[]): void;
  reject(error: Error): void;
}

interface QueuedDump {
  start(): void;
  reject(error: Error): void;
}

export interface NetlinkSocketEvents {
  /** A message not addressed to one of our pending requests (multicast notifications). */
  message: [message: NetlinkMessage];
  /** The kernel dropped messages (ENOBUFS); the argument is the total count of overruns so far. */
  overrun: [count: number];
  /** A malformed datagram or an unexpected receive error; never thrown. */
  invalid: [error: Error, datagram?: Buffer];
  close: [];
}

/** Sockets that must stay reachable: pending requests or multicast memberships. */
const live = new Set<NetlinkSocket>();

const DEFAULT_RCVBUF = 4 << 20;
const DEFAULT_TIMEOUT_MS = 5000;

export class NetlinkSocket extends EventEmitter<NetlinkSocketEvents> {
  readonly protocol: number;
  readonly netnsPath: string | undefined;
  /** Port id the kernel assigned to this socket. */
  readonly portid: number;
  readonly #native: NetlinkSocketAddon;
  readonly #target: NativeTarget;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #dumpQueue: QueuedDump[] = [];
  readonly #groups = new Set<number>();
  #dumpActive = false;
  #seq: number;
  #closed = false;
  #overruns = 0;
  #drainQueued = false;

  private constructor(options: NetlinkSocketOptions) {
    super();
    this.protocol = options.protocol ?? NETLINK_ROUTE;
    this.netnsPath = options.netnsPath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#native = options.native ?? loadNative();
    // The addon wraps this small object and holds it weakly; it is reachable only through the
    // socket, so the fd is released when the socket itself is collected.
    this.#target = { onDatagram: (errno, datagram) => this.#onDatagram(errno, datagram) };
    try {
      if (options.netnsPath !== undefined) this.#native.open(this.#target, this.protocol, options.netnsPath);
      else this.#native.open(this.#target, this.protocol);
    } catch (error) {
      throw asNetlinkError(error, `netlink socket${options.netnsPath ? ` in ${options.netnsPath}` : ''}`);
    }
    try {
      this.portid = this.#native.portid(this.#target);
      this.#setRcvbuf(options.rcvbuf ?? DEFAULT_RCVBUF);
      // Optional features: an older kernel without them still works, with less detail.
      this.#trySetsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      this.#trySetsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      if (options.strictCheck ?? true) this.#trySetsockopt(SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
      for (const group of options.groups ?? []) this.join(group);
    } catch (error) {
      this.#native.close(this.#target);
      throw asNetlinkError(error, 'netlink socket setup');
    }
    this.#seq = 1 + Math.floor(Math.random() * 0x7fffffff);
  }

  static open(options: NetlinkSocketOptions = {}): NetlinkSocket {
    return new NetlinkSocket(options);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** ENOBUFS overruns seen so far. */
  get overruns(): number {
    return this.#overruns;
  }

  /** Requests (including queued dumps) not finished yet. */
  get pendingCount(): number {
    let n = this.#dumpQueue.length;
    for (const p of this.#pending.values()) if (!p.abandoned) n++;
    return n;
  }

  /** The receive buffer as the kernel reports it (twice the requested size). */
  get rcvbuf(): number {
    return this.#native.getsockoptInt(this.#target, SOL_SOCKET, SO_RCVBUF);
  }

  /** Joins a multicast group (RTNLGRP_*); NetlinkError on failure. */
  join(group: number): void {
    this.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
    this.#groups.add(group);
    this.#updateLive();
  }

  leave(group: number): void {
    this.setsockopt(SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
    this.#groups.delete(group);
    this.#updateLive();
  }

  setsockopt(level: number, name: number, value: number): void {
    this.#assertOpen();
    try {
      this.#native.setsockoptInt(this.#target, level, name, value);
    } catch (error) {
      throw asNetlinkError(error, `setsockopt(${level}, ${name})`);
    }
  }

  getsockopt(level: number, name: number): number {
    this.#assertOpen();
    try {
      return this.#native.getsockoptInt(this.#target, level, name);
    } catch (error) {
      throw asNetlinkError(error, `getsockopt(${level}, ${name})`);
    }
  }

  /**
   * Sends one request (NLM_F_REQUEST and NLM_F_ACK are added) and resolves with the reply
   * messages, without the final ACK or DONE. Rejects with NetlinkError: the kernel's error,
   * ETIMEDOUT, or ECANCELED when the socket is closed first.
   */
  request(type: number, flags: number, payload: Buffer, options: RequestOptions = {}): Promise<NetlinkMessage[]> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    if (this.#closed) return Promise.reject(closedError(type));
    if (!dump) return new Promise((resolve, reject) => this.#send(type, flags, payload, timeoutMs, false, resolve, reject));
    return new Promise((resolve, reject) => {
      const start = (): void => {
        this.#dumpActive = true;
        this.#send(type, flags, payload, timeoutMs, true, resolve, reject);
      };
      if (this.#dumpActive) {
        this.#dumpQueue.push({ start, reject });
        this.#updateLive();
      } else start();
    });
  }

  /** Idempotent. Pending and queued requests are rejected with ECANCELED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close(this.#target);
    const pending = [...this.#pending.values()];
    const queued = this.#dumpQueue.splice(0);
    this.#pending.clear();
    this.#dumpActive = false;
    live.delete(this);
    for (const p of pending) {
      clearTimeout(p.timer);
      if (!p.abandoned) p.reject(closedError(p.type));
    }
    for (const q of queued) q.reject(closedError());
    this.emit('close');
  }

  #send(
    type: number,
    flags: number,
    payload: Buffer,
    timeoutMs: number,
    dump: boolean,
    resolve: (m: NetlinkMessage[]) => void,
    reject: (e: Error) => void,
  ): void {
    if (this.#closed) {
      reject(closedError(type));
      return;
    }
    const seq = this.#nextSeq();
    const request = encodeMessage(type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, this.portid, payload);
    const p: Pending = { seq, type, dump, request, messages: [], timeoutMs, abandoned: false, resolve, reject };
    this.#pending.set(seq, p);
    this.#updateLive();
    if (timeoutMs > 0) p.timer = setTimeout(() => this.#onTimeout(p), timeoutMs);
    try {
      this.#native.send(this.#target, request);
    } catch (error) {
      this.#finish(p);
      reject(asNetlinkError(error, `${requestName(type)} send`));
      return;
    }
    this.#queueDrain();
  }

  /**
   * The kernel has queued the reply by the time send() returns (rtnetlink runs the request inside
   * sendmsg). Read it once the current synchronous code is done, instead of one event-loop
   * iteration later: a chain of dependent requests then costs no loop turns. Requests sent in the
   * same tick share one drain; whatever is not there yet arrives through the poll as before.
   */
  #queueDrain(): void {
    if (this.#drainQueued || !this.#native.drain) return;
    this.#drainQueued = true;
    queueMicrotask(() => {
      this.#drainQueued = false;
      if (!this.#closed) this.#native.drain!(this.#target);
    });
  }

  #nextSeq(): number {
    do this.#seq = (this.#seq + 1) >>> 0 || 1;
    while (this.#pending.has(this.#seq));
    return this.#seq;
  }

  #onTimeout(p: Pending): void {
    if (p.abandoned) {
      // Its reply never came even after a second period: stop waiting for it.
      this.#finish(p);
      return;
    }
    p.reject(new NetlinkError(ETIMEDOUT, { requestType: p.type, message: `${requestName(p.type)}: no reply within ${p.timeoutMs} ms` }));
    // Keep the sequence number reserved for one more period so that a late reply is swallowed
    // instead of surfacing as a 'message'. For a dump this also keeps the dump slot: the kernel
    // keeps producing the dump as we read, and starting another one now would get EBUSY.
    p.abandoned = true;
    p.timer = setTimeout(() => this.#onTimeout(p), Math.max(p.timeoutMs, 1000));
  }

  /** Forgets a request and, for a dump, starts the next queued one. */
  #finish(p: Pending): void {
    clearTimeout(p.timer);
    if (this.#pending.get(p.seq) === p) this.#pending.delete(p.seq);
    if (p.dump) {
      this.#dumpActive = false;
      const next = this.#dumpQueue.shift();
      if (next && !this.#closed) next.start();
    }
    this.#updateLive();
  }

  #onDatagram(errno: number, datagram: Buffer | undefined): void {
    if (this.#closed) return;
    if (errno !== 0) {
      if (errno === ENOBUFS) {
        this.#overruns++;
        this.emit('overrun', this.#overruns);
      } else {
        this.#emitInvalid(new NetlinkError(errno, { message: 'netlink receive' }));
      }
      return;
    }
    if (!datagram) return;
    const { messages, error } = parseMessagesPartial(datagram);
    for (const m of messages) {
      const p = m.pid === this.portid ? this.#pending.get(m.seq) : undefined;
      if (!p) {
        if (m.type !== NLMSG_NOOP && m.type !== NLMSG_OVERRUN) this.emit('message', m);
        continue;
      }
      this.#onReply(p, m);
      if (this.#closed) return;
    }
    if (error) this.#emitInvalid(error, datagram);
  }

  #onReply(p: Pending, m: NetlinkMessage): void {
    if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
      this.#finish(p);
      if (p.abandoned) return;
      let info: NetlinkErrorInfo;
      try {
        info = m.type === NLMSG_ERROR ? parseErrorPayload(m.payload, m.flags) : parseDonePayload(m.payload, m.flags);
      } catch (error) {
        p.reject(error as Error);
        return;
      }
      if (info.errno === 0) p.resolve(p.messages);
      else p.reject(errorFromInfo(info, p));
      return;
    }
    if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return;
    // Dumps: the timeout measures silence, not total duration.
    if (p.dump) p.timer?.refresh();
    if (!p.abandoned) p.messages.push(m);
  }

  #emitInvalid(error: Error, datagram?: Buffer): void {
    if (this.listenerCount('invalid') > 0) this.emit('invalid', error, datagram);
  }

  #setRcvbuf(bytes: number): void {
    try {
      // SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN.
      this.#native.setsockoptInt(this.#target, SOL_SOCKET, SO_RCVBUFFORCE, bytes);
    } catch (error) {
      const errno = (error as NativeError).errno;
      if (errno !== EPERM && errno !== EACCES) throw error;
      this.#native.setsockoptInt(this.#target, SOL_SOCKET, SO_RCVBUF, bytes);
    }
  }

  #trySetsockopt(level: number, name: number, value: number): void {
    try {
      this.#native.setsockoptInt(this.#target, level, name, value);
    } catch {
      // ENOPROTOOPT on kernels without the option
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  #updateLive(): void {
    if (!this.#closed && (this.#groups.size > 0 || this.#pending.size > 0 || this.#dumpQueue.length > 0)) live.add(this);
    else live.delete(this);
  }
}

function closedError(type?: number): NetlinkError {
  return new NetlinkError(ECANCELED, {
    requestType: type,
    message: type === undefined ? 'netlink socket is closed' : `${requestName(type)}: netlink socket closed`,
  });
}

function errorFromInfo(info: NetlinkErrorInfo, p: Pending): NetlinkError {
  return new NetlinkError(info.errno, {
    extack: info.extack,
    extackOffset: info.extackOffset,
    extackAttrType: info.extackOffset === undefined ? undefined : attrTypeAt(p.request, info.extackOffset),
    missingAttrType: info.missingAttrType,
    requestType: p.type,
  });
}

/** Wraps an addon exception (which carries errno) as a NetlinkError. */
function asNetlinkError(error: unknown, what: string): Error {
  if (error instanceof NetlinkError) return error;
  const errno = (error as NativeError | undefined)?.errno;
  if (typeof errno === 'number' && errno > 0) {
    const syscall = (error as NativeError).syscall;
    return new NetlinkError(errno, { message: `${what}${syscall ? `: ${syscall}` : ''}` });
  }
  return error as Error;
}
