/**
 * A fake rtnetlink for the netlink backend's unit tests: links described by a few fields are
 * served as real RTM_NEWLINK payloads (encoded with linkRequest(), decoded by the real decoder),
 * and every request is recorded as bytes so that tests check the wire format.
 */
import type { BackendRtnl } from '../../src/backend/netlink-backend.js';
import { AttrMap, u8 } from '../../src/netlink/attributes.js';
import {
  ENODEV,
  IFF_UP,
  IFLA_CARRIER,
  IFLA_EXT_MASK,
  IFLA_INFO_DATA,
  IFLA_INFO_SLAVE_DATA,
  IFLA_LINKINFO,
  NLM_F_MULTI,
  RTM_GETLINK,
  RTM_NEWLINK,
} from '../../src/netlink/constants.js';
import { decodeLinkPayload, linkRequest, type LinkMessage } from '../../src/netlink/link.js';
import { NetlinkError, type NetlinkMessage } from '../../src/netlink/socket.js';

export interface FakeLink {
  index: number;
  name: string;
  up?: boolean;
  carrier?: boolean;
  master?: number;
  kind?: string;
  address?: string;
  /** Encoded IFLA_BOND_* attributes (kind bond). */
  bondData?: Buffer[];
  /** Encoded IFLA_BOND_SLAVE_* attributes (enslaved to a bond). */
  slaveData?: Buffer[];
}

export interface SentRequest {
  type: number;
  flags: number;
  payload: Buffer;
}

/** The request as the kernel would parse it. */
export interface DecodedRequest {
  link: LinkMessage;
  /** IFLA_INFO_DATA children, or undefined. */
  data?: AttrMap;
  /** IFLA_INFO_SLAVE_DATA children, or undefined. */
  slaveData?: AttrMap;
}

export function decodeRequest(payload: Buffer): DecodedRequest {
  const link = decodeLinkPayload(payload);
  const info = link.attrs.nested(IFLA_LINKINFO);
  const data = info?.get(IFLA_INFO_DATA);
  const slaveData = info?.get(IFLA_INFO_SLAVE_DATA);
  return {
    link,
    ...(data ? { data: AttrMap.decode(data) } : {}),
    ...(slaveData ? { slaveData: AttrMap.decode(slaveData) } : {}),
  };
}

export function linkPayload(l: FakeLink): Buffer {
  return linkRequest({
    index: l.index,
    name: l.name,
    flags: l.up ? IFF_UP : 0,
    change: 0,
    mtu: 1500,
    ...(l.address ? { address: l.address } : {}),
    ...(l.master !== undefined ? { master: l.master } : {}),
    ...(l.kind ? { kind: l.kind } : {}),
    ...(l.bondData ? { infoData: l.bondData } : {}),
    ...(l.slaveData ? { slaveKind: 'bond', slaveData: l.slaveData } : {}),
    extra: l.carrier !== undefined ? [u8(IFLA_CARRIER, l.carrier ? 1 : 0)] : [],
  });
}

export class FakeRtnl implements BackendRtnl {
  links: FakeLink[];
  readonly sent: SentRequest[] = [];
  readonly dumps: Buffer[] = [];
  /** Decides the answer to a request: an error to throw, or undefined for an ACK. */
  fail: (request: SentRequest, n: number) => NetlinkError | undefined = () => undefined;
  closed = false;

  constructor(links: FakeLink[] = []) {
    this.links = links;
  }

  /** RTM_GETLINK lookups seen (name or ifindex), with their IFLA_EXT_MASK. */
  readonly lookups: Array<{ key: string | number; extMask?: number }> = [];

  getLink(nameOrIndex: string | number): LinkMessage {
    const link = this.links.find((l) => l.name === nameOrIndex || l.index === nameOrIndex);
    if (!link) throw new NetlinkError(ENODEV, { requestType: RTM_GETLINK });
    return decodeLinkPayload(linkPayload(link));
  }

  async dump(_type: number, payload: Buffer): Promise<NetlinkMessage[]> {
    this.dumps.push(payload);
    // Like a kernel that ignores the filter: the backend must filter itself.
    return this.links.map((l) => ({ type: RTM_NEWLINK, flags: NLM_F_MULTI, seq: 1, pid: 1, payload: linkPayload(l) }));
  }

  async request(type: number, flags: number, payload: Buffer): Promise<NetlinkMessage[]> {
    if (type === RTM_GETLINK) {
      // A lookup by ifindex, or by IFLA_IFNAME with ifindex 0: answered from the links.
      const asked = decodeLinkPayload(payload);
      const key = asked.index !== 0 ? asked.index : asked.name;
      this.lookups.push({ key, extMask: asked.attrs.u32(IFLA_EXT_MASK) });
      const link = this.getLink(key);
      return [{ type: RTM_NEWLINK, flags: 0, seq: 1, pid: 1, payload: linkPayload(this.links.find((l) => l.index === link.index)!) }];
    }
    const request = { type, flags, payload };
    this.sent.push(request);
    const error = this.fail(request, this.sent.length - 1);
    if (error) throw error;
    return [];
  }

  close(): void {
    this.closed = true;
  }

  /** The recorded requests, decoded. */
  decoded(): DecodedRequest[] {
    return this.sent.map((r) => decodeRequest(r.payload));
  }
}
