/**
 * High-level rtnetlink calls over a NetlinkSocket, and LinkWatcher for RTNLGRP_LINK events.
 *
 * Requests and events use separate sockets: replies never queue behind a storm of notifications,
 * and an event-queue overrun (ENOBUFS) cannot swallow a reply.
 */
import { EventEmitter } from 'node:events';
import { str } from './attributes.js';
import { type AddressMessage, type AddressRequest, addressDumpRequest, addressRequest, decodeAddressMessage, isAddressMessage } from './address.js';
import {
  AF_UNSPEC,
  IFLA_IFNAME,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTNLGRP_LINK,
  RT_TABLE_MAIN,
} from './constants.js';
import { type LinkMessage, type LinkRequest, decodeLinkMessage, ifinfomsg, isLinkMessage, linkDumpRequest, linkRequest } from './link.js';
import { type RouteMessage, type RouteRequest, decodeRouteMessage, isRouteMessage, routeDumpRequest, routeRequest } from './route.js';
import { type NetlinkMessage, NetlinkSocket, type RequestOptions } from './socket.js';

export interface RtnlOptions {
  /** Network namespace to work in (e.g. /run/netns/NAME); the caller's own by default. */
  netnsPath?: string;
  /** Default request timeout in ms (0 = none). */
  timeoutMs?: number;
  rcvbuf?: number;
}

/** A dump is retried this often when the kernel flags it inconsistent (NLM_F_DUMP_INTR). */
const DUMP_ATTEMPTS = 3;

export class Rtnl {
  readonly socket: NetlinkSocket;
  readonly netnsPath: string | undefined;

  private constructor(options: RtnlOptions) {
    this.netnsPath = options.netnsPath;
    this.socket = NetlinkSocket.open({ netnsPath: options.netnsPath, timeoutMs: options.timeoutMs, rcvbuf: options.rcvbuf });
  }

  static open(options: RtnlOptions = {}): Rtnl {
    return new Rtnl(options);
  }

  /** Raw request (NLM_F_REQUEST | NLM_F_ACK are added). */
  request(type: number, flags: number, payload: Buffer, options?: RequestOptions): Promise<NetlinkMessage[]> {
    return this.socket.request(type, flags, payload, options);
  }

  /**
   * A dump. When the kernel reports that the data changed while it was dumped (NLM_F_DUMP_INTR),
   * the dump is repeated (up to 3 times; the last result is returned regardless).
   */
  async dump(type: number, payload: Buffer, options?: RequestOptions): Promise<NetlinkMessage[]> {
    let messages: NetlinkMessage[] = [];
    for (let attempt = 0; attempt < DUMP_ATTEMPTS; attempt++) {
      messages = await this.socket.request(type, NLM_F_DUMP, payload, options);
      if (!messages.some((m) => m.flags & NLM_F_DUMP_INTR)) break;
    }
    return messages;
  }

  /** All links (AF_UNSPEC messages only). */
  async getLinks(): Promise<LinkMessage[]> {
    const messages = await this.dump(RTM_GETLINK, linkDumpRequest());
    return messages.filter(isLinkMessage).map(decodeLinkMessage).filter((l) => l.family === AF_UNSPEC);
  }

  /** One link by name or ifindex; NetlinkError ENODEV when it does not exist. */
  async getLink(nameOrIndex: string | number): Promise<LinkMessage> {
    const payload =
      typeof nameOrIndex === 'number'
        ? ifinfomsg(AF_UNSPEC, nameOrIndex, 0, 0)
        : Buffer.concat([ifinfomsg(AF_UNSPEC, 0, 0, 0), str(IFLA_IFNAME, nameOrIndex)]);
    const messages = await this.socket.request(RTM_GETLINK, 0, payload);
    const link = messages.find(isLinkMessage);
    if (!link) throw new Error(`RTM_GETLINK ${nameOrIndex}: the kernel sent no link message`);
    return decodeLinkMessage(link);
  }

  /** RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL (EEXIST when the name is taken). */
  async createLink(req: LinkRequest & { name: string; kind: string }): Promise<void> {
    await this.socket.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, linkRequest(req));
  }

  /**
   * Changes an existing link: RTM_NEWLINK without NLM_F_CREATE, which (unlike RTM_SETLINK) also
   * applies IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA. Selects the link by index, or by name when
   * no index is given (with an index, name renames).
   */
  async setLink(req: LinkRequest): Promise<void> {
    if (req.index === undefined && req.name === undefined) throw new TypeError('setLink: index or name is required');
    await this.socket.request(RTM_NEWLINK, 0, linkRequest(req));
  }

  async deleteLink(indexOrName: number | string): Promise<void> {
    const req = typeof indexOrName === 'number' ? { index: indexOrName } : { name: indexOrName };
    await this.socket.request(RTM_DELLINK, 0, linkRequest(req));
  }

  /** Addresses, optionally of one interface and/or one family. */
  async getAddresses(index?: number, family = 0): Promise<AddressMessage[]> {
    const messages = await this.dump(RTM_GETADDR, addressDumpRequest(family, index ?? 0));
    const all = messages.filter(isAddressMessage).map(decodeAddressMessage);
    // The kernel filters by index only with strict checking; filter here too.
    return all.filter((a) => (index === undefined || a.index === index) && (family === 0 || a.family === family));
  }

  async addAddress(req: AddressRequest, options: { replace?: boolean } = {}): Promise<void> {
    await this.socket.request(RTM_NEWADDR, NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL), addressRequest(req));
  }

  async deleteAddress(req: AddressRequest): Promise<void> {
    await this.socket.request(RTM_DELADDR, 0, addressRequest(req));
  }

  /** Routes of one table (main by default; 'all' for every table). */
  async getRoutes(options: { family?: number; table?: number | 'all' } = {}): Promise<RouteMessage[]> {
    const table = options.table ?? RT_TABLE_MAIN;
    const messages = await this.dump(RTM_GETROUTE, routeDumpRequest(options.family ?? 0));
    return messages
      .filter(isRouteMessage)
      .map(decodeRouteMessage)
      .filter((r) => table === 'all' || r.table === table);
  }

  async addRoute(req: RouteRequest, options: { replace?: boolean } = {}): Promise<void> {
    await this.socket.request(RTM_NEWROUTE, NLM_F_CREATE | (options.replace ? NLM_F_REPLACE : NLM_F_EXCL), routeRequest(req, 'add'));
  }

  async deleteRoute(req: RouteRequest): Promise<void> {
    await this.socket.request(RTM_DELROUTE, 0, routeRequest(req, 'del'));
  }

  /** A LinkWatcher on its own socket in the same namespace. */
  subscribeLinks(options: Omit<LinkWatcherOptions, 'netnsPath'> = {}): LinkWatcher {
    return new LinkWatcher({ ...options, netnsPath: this.netnsPath });
  }

  /** Idempotent; pending requests are rejected. */
  close(): void {
    this.socket.close();
  }
}

// --- link events ---------------------------------------------------------------------------

export interface LinkWatcherOptions {
  netnsPath?: string;
  /** Receive buffer; default 4 MiB. Small values overrun sooner (tests). */
  rcvbuf?: number;
  /** Also deliver AF_BRIDGE (and other family) copies; default false: AF_UNSPEC only. */
  allFamilies?: boolean;
}

export interface LinkWatcherEvents {
  link: [link: LinkMessage];
  /** The kernel dropped notifications: resync with Rtnl.getLinks(). Argument: total overruns. */
  overrun: [count: number];
  /** A message that could not be decoded; never thrown. */
  invalid: [error: Error, data?: Buffer];
  close: [];
}

/** RTNLGRP_LINK subscriber emitting decoded link messages. */
export class LinkWatcher extends EventEmitter<LinkWatcherEvents> {
  readonly socket: NetlinkSocket;
  readonly #allFamilies: boolean;
  #received = 0;
  #delivered = 0;

  constructor(options: LinkWatcherOptions = {}) {
    super();
    this.#allFamilies = options.allFamilies ?? false;
    this.socket = NetlinkSocket.open({ netnsPath: options.netnsPath, rcvbuf: options.rcvbuf, groups: [RTNLGRP_LINK] });
    this.socket.on('message', (m) => this.#onMessage(m));
    this.socket.on('overrun', (count) => this.emit('overrun', count));
    this.socket.on('invalid', (error, data) => this.#invalid(error, data));
    this.socket.on('close', () => this.emit('close'));
  }

  get overruns(): number {
    return this.socket.overruns;
  }

  /** Link messages received / delivered (after the family filter). */
  get stats(): { received: number; delivered: number; overruns: number } {
    return { received: this.#received, delivered: this.#delivered, overruns: this.socket.overruns };
  }

  close(): void {
    this.socket.close();
  }

  #onMessage(m: NetlinkMessage): void {
    if (!isLinkMessage(m)) return;
    this.#received++;
    // Cheap family check before the full decode: AF_BRIDGE copies are frequent on bridge ports.
    if (!this.#allFamilies && m.payload.length > 0 && m.payload[0] !== AF_UNSPEC) return;
    let link: LinkMessage;
    try {
      link = decodeLinkMessage(m);
    } catch (error) {
      this.#invalid(error as Error, m.payload);
      return;
    }
    this.#delivered++;
    this.emit('link', link);
  }

  #invalid(error: Error, data?: Buffer): void {
    if (this.listenerCount('invalid') > 0) this.emit('invalid', error, data);
  }
}

export function subscribeLinks(options: LinkWatcherOptions = {}): LinkWatcher {
  return new LinkWatcher(options);
}
