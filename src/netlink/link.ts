/**
 * RTM_NEWLINK / RTM_DELLINK: struct ifinfomsg (16 bytes: u8 family, u8 pad, u16 type, s32 index,
 * u32 flags, u32 change) followed by IFLA_* attributes.
 *
 * Every RTM_NEWLINK the kernel sends is a full description of the device (rtnl_fill_ifinfo),
 * including IFLA_LINKINFO with the bond data (IFLA_INFO_DATA, kind "bond") or the bond slave data
 * (IFLA_INFO_SLAVE_DATA, slave kind "bond"). Bridge ports also produce AF_BRIDGE copies of link
 * messages without IFLA_CARRIER: only family AF_UNSPEC messages describe link state.
 */
import { AttrMap, NetlinkDecodeError, bytes, nested, parseMac, readUint, str, u32 } from './attributes.js';
import { formatIp } from './address.js';
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_ALT_IFNAME,
  IFLA_BOND_ACTIVE_SLAVE,
  IFLA_BOND_AD_ACTOR_SYSTEM,
  IFLA_BOND_AD_ACTOR_SYS_PRIO,
  IFLA_BOND_AD_INFO,
  IFLA_BOND_AD_INFO_ACTOR_KEY,
  IFLA_BOND_AD_INFO_AGGREGATOR,
  IFLA_BOND_AD_INFO_NUM_PORTS,
  IFLA_BOND_AD_INFO_PARTNER_KEY,
  IFLA_BOND_AD_INFO_PARTNER_MAC,
  IFLA_BOND_AD_LACP_ACTIVE,
  IFLA_BOND_AD_LACP_RATE,
  IFLA_BOND_AD_SELECT,
  IFLA_BOND_AD_USER_PORT_KEY,
  IFLA_BOND_ALL_SLAVES_ACTIVE,
  IFLA_BOND_ARP_ALL_TARGETS,
  IFLA_BOND_ARP_INTERVAL,
  IFLA_BOND_ARP_IP_TARGET,
  IFLA_BOND_ARP_VALIDATE,
  IFLA_BOND_COUPLED_CONTROL,
  IFLA_BOND_DOWNDELAY,
  IFLA_BOND_FAIL_OVER_MAC,
  IFLA_BOND_LP_INTERVAL,
  IFLA_BOND_MAX,
  IFLA_BOND_MIIMON,
  IFLA_BOND_MIN_LINKS,
  IFLA_BOND_MISSED_MAX,
  IFLA_BOND_MODE,
  IFLA_BOND_NS_IP6_TARGET,
  IFLA_BOND_NUM_PEER_NOTIF,
  IFLA_BOND_PACKETS_PER_SLAVE,
  IFLA_BOND_PEER_NOTIF_DELAY,
  IFLA_BOND_PRIMARY,
  IFLA_BOND_PRIMARY_RESELECT,
  IFLA_BOND_RESEND_IGMP,
  IFLA_BOND_SLAVE_ACTOR_PORT_PRIO,
  IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE,
  IFLA_BOND_SLAVE_AD_AGGREGATOR_ID,
  IFLA_BOND_SLAVE_AD_CHURN_ACTOR_STATE,
  IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE,
  IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE,
  IFLA_BOND_SLAVE_LINK_FAILURE_COUNT,
  IFLA_BOND_SLAVE_MAX,
  IFLA_BOND_SLAVE_MII_STATUS,
  IFLA_BOND_SLAVE_PERM_HWADDR,
  IFLA_BOND_SLAVE_PRIO,
  IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_BOND_SLAVE_STATE,
  IFLA_BOND_TLB_DYNAMIC_LB,
  IFLA_BOND_UPDELAY,
  IFLA_BOND_USE_CARRIER,
  IFLA_BOND_XMIT_HASH_POLICY,
  IFLA_BROADCAST,
  IFLA_CARRIER,
  IFLA_CARRIER_CHANGES,
  IFLA_CARRIER_DOWN_COUNT,
  IFLA_CARRIER_UP_COUNT,
  IFLA_EVENT,
  IFLA_EXT_MASK,
  IFLA_AF_SPEC,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_PERM_ADDRESS,
  IFLA_PROP_LIST,
  IFLA_TXQLEN,
  LINK_EVENT_NAMES,
  OPERSTATE_NAMES,
  RTM_DELLINK,
  RTM_NEWLINK,
  VETH_INFO_PEER,
  type OperState,
} from './constants.js';
import type { NetlinkMessage } from './socket.js';
import { type BridgeInfo, decodeBridgeInfo, decodeInet6Conf, decodeVlanInfo, type Inet6Conf, type VlanInfo } from './stack.js';

export type LinkEvent = Exclude<(typeof LINK_EVENT_NAMES)[number], 'none'> | `event-${number}`;

/** 802.3ad aggregator info (IFLA_BOND_AD_INFO), present only when an active aggregator exists. */
export interface BondAdInfo {
  aggregator?: number;
  numPorts?: number;
  actorKey?: number;
  partnerKey?: number;
  partnerMac?: string;
}

/**
 * IFLA_BOND_* of a bond master, numbers as the kernel sends them (names for enum values live in
 * the option table, src/bond/options.ts). Absent attributes are undefined: the kernel omits some
 * depending on mode, state and the requester's capabilities.
 */
export interface BondInfo {
  mode?: number;
  /** ifindex of the active slave; absent when there is none. */
  activeSlave?: number;
  miimon?: number;
  updelay?: number;
  downdelay?: number;
  useCarrier?: number;
  arpInterval?: number;
  /** IFLA_BOND_ARP_IP_TARGET, in kernel order; [] when absent. */
  arpIpTargets: string[];
  arpValidate?: number;
  arpAllTargets?: number;
  /** ifindex of the primary slave. */
  primary?: number;
  primaryReselect?: number;
  failOverMac?: number;
  xmitHashPolicy?: number;
  resendIgmp?: number;
  numPeerNotif?: number;
  allSlavesActive?: number;
  minLinks?: number;
  lpInterval?: number;
  packetsPerSlave?: number;
  adLacpRate?: number;
  adSelect?: number;
  adInfo?: BondAdInfo;
  adActorSysPrio?: number;
  adUserPortKey?: number;
  /** 'aa:bb:cc:dd:ee:ff' */
  adActorSystem?: string;
  tlbDynamicLb?: number;
  peerNotifDelay?: number;
  adLacpActive?: number;
  missedMax?: number;
  /** IFLA_BOND_NS_IP6_TARGET, in kernel order; [] when absent. */
  nsIp6Targets: string[];
  coupledControl?: number;
  /** Attributes above IFLA_BOND_MAX (newer kernels), raw. */
  unknown: Map<number, Buffer>;
}

/** IFLA_BOND_SLAVE_* of a bond slave. */
export interface BondSlaveInfo {
  /** 0 active, 1 backup. */
  state?: number;
  /** 0 up, 1 going down (fail), 2 down, 3 going back. */
  miiStatus?: number;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
  adAggregatorId?: number;
  adActorOperPortState?: number;
  /** The kernel sends this u8 value as a u16; read by length. */
  adPartnerOperPortState?: number;
  prio?: number;
  actorPortPrio?: number;
  /** 0 monitoring, 1 churned, 2 no churn. */
  adChurnActorState?: number;
  adChurnPartnerState?: number;
  unknown: Map<number, Buffer>;
}

export interface LinkMessage {
  type: 'new' | 'del';
  /** ifi_family: AF_UNSPEC (0) for real link state, AF_BRIDGE (7) for bridge port copies. */
  family: number;
  index: number;
  /** ifi_type (ARPHRD_*: 1 ethernet, 772 loopback). */
  ifType: number;
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** ifi_change: which flags changed (0 for state notifications). */
  change: number;
  up: boolean;
  lowerUp: boolean;
  running: boolean;
  operstate: OperState;
  carrier?: number;
  carrierChanges?: number;
  carrierUpCount?: number;
  carrierDownCount?: number;
  /** ifindex of the master (bond, bridge). */
  master?: number;
  /** IFLA_LINK: the peer's ifindex for veth (may be in another namespace). */
  link?: number;
  mtu: number;
  txqlen?: number;
  address?: string;
  broadcast?: string;
  permAddress?: string;
  altNames: string[];
  kind?: string;
  slaveKind?: string;
  bond?: BondInfo;
  bondSlave?: BondSlaveInfo;
  /** IFLA_EVENT: why the kernel sent this notification (bonding failover, ...). */
  event?: LinkEvent;
  /** Kind "vlan": the 802.1Q id (the lower device is `link`). */
  vlan?: VlanInfo;
  /** Kind "bridge": STP and forward delay. */
  bridge?: BridgeInfo;
  /** IFLA_IFALIAS (`ip link set DEV alias TEXT`). */
  ifalias?: string;
  /** IPv6 device settings (accept_ra, autoconf, disable_ipv6), when the device has IPv6 state. */
  inet6?: Inet6Conf;
  /** All attributes of the message, raw. */
  attrs: AttrMap;
}

export function isLinkMessage(m: NetlinkMessage): boolean {
  return m.type === RTM_NEWLINK || m.type === RTM_DELLINK;
}

export function decodeLinkMessage(m: NetlinkMessage): LinkMessage {
  if (!isLinkMessage(m)) throw new NetlinkDecodeError(`message type ${m.type} is not RTM_NEWLINK/RTM_DELLINK`);
  return decodeLinkPayload(m.payload, m.type === RTM_DELLINK ? 'del' : 'new');
}

/** Decodes ifinfomsg + attributes. */
export function decodeLinkPayload(p: Buffer, type: 'new' | 'del' = 'new'): LinkMessage {
  if (p.length < IFINFOMSG_LEN) throw new NetlinkDecodeError(`ifinfomsg truncated: ${p.length} bytes`);
  const attrs = AttrMap.decode(p, IFINFOMSG_LEN);
  const flags = p.readUInt32LE(8);
  const operstate = attrs.u8(IFLA_OPERSTATE);
  const out: LinkMessage = {
    type,
    family: p.readUInt8(0),
    index: p.readInt32LE(4),
    ifType: p.readUInt16LE(2),
    name: attrs.str(IFLA_IFNAME) ?? '',
    flags,
    change: p.readUInt32LE(12),
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    running: (flags & IFF_RUNNING) !== 0,
    operstate: (operstate !== undefined ? OPERSTATE_NAMES[operstate] : undefined) ?? 'UNKNOWN',
    mtu: attrs.u32(IFLA_MTU) ?? 0,
    altNames: [],
    attrs,
  };
  setIf(out, 'carrier', attrs.u8(IFLA_CARRIER));
  setIf(out, 'carrierChanges', attrs.u32(IFLA_CARRIER_CHANGES));
  setIf(out, 'carrierUpCount', attrs.u32(IFLA_CARRIER_UP_COUNT));
  setIf(out, 'carrierDownCount', attrs.u32(IFLA_CARRIER_DOWN_COUNT));
  setIf(out, 'master', attrs.u32(IFLA_MASTER));
  setIf(out, 'link', attrs.u32(IFLA_LINK));
  setIf(out, 'txqlen', attrs.u32(IFLA_TXQLEN));
  setIf(out, 'address', attrs.mac(IFLA_ADDRESS));
  setIf(out, 'broadcast', attrs.mac(IFLA_BROADCAST));
  setIf(out, 'permAddress', attrs.mac(IFLA_PERM_ADDRESS));
  const props = attrs.nested(IFLA_PROP_LIST);
  if (props) out.altNames = props.getAll(IFLA_ALT_IFNAME).map((d) => d.toString('utf8').replace(/\0.*$/s, ''));
  const event = attrs.u32(IFLA_EVENT);
  if (event !== undefined && event !== 0) out.event = (LINK_EVENT_NAMES[event] as LinkEvent | undefined) ?? `event-${event}`;

  const info = attrs.nested(IFLA_LINKINFO);
  if (info) {
    const kind = info.str(IFLA_INFO_KIND);
    const slaveKind = info.str(IFLA_INFO_SLAVE_KIND);
    setIf(out, 'kind', kind);
    setIf(out, 'slaveKind', slaveKind);
    const data = kind === 'bond' ? info.nested(IFLA_INFO_DATA) : undefined;
    if (data) out.bond = decodeBondInfo(data);
    const slaveData = slaveKind === 'bond' ? info.nested(IFLA_INFO_SLAVE_DATA) : undefined;
    if (slaveData) out.bondSlave = decodeBondSlaveInfo(slaveData);
    const stackData = kind === 'vlan' || kind === 'bridge' ? info.nested(IFLA_INFO_DATA) : undefined;
    if (stackData && kind === 'vlan') setIf(out, 'vlan', decodeVlanInfo(stackData));
    if (stackData && kind === 'bridge') setIf(out, 'bridge', decodeBridgeInfo(stackData));
  }
  setIf(out, 'ifalias', attrs.str(IFLA_IFALIAS));
  setIf(out, 'inet6', decodeInet6Conf(attrs.nested(IFLA_AF_SPEC)));
  return out;
}

function setIf<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** IFLA_INFO_DATA of kind "bond". Integers are read by payload length (robust to width changes). */
export function decodeBondInfo(a: AttrMap): BondInfo {
  const b: BondInfo = { arpIpTargets: [], nsIp6Targets: [], unknown: new Map() };
  const n = (type: number): number | undefined => a.uint(type);
  setIf(b, 'mode', n(IFLA_BOND_MODE));
  setIf(b, 'activeSlave', n(IFLA_BOND_ACTIVE_SLAVE));
  setIf(b, 'miimon', n(IFLA_BOND_MIIMON));
  setIf(b, 'updelay', n(IFLA_BOND_UPDELAY));
  setIf(b, 'downdelay', n(IFLA_BOND_DOWNDELAY));
  setIf(b, 'useCarrier', n(IFLA_BOND_USE_CARRIER));
  setIf(b, 'arpInterval', n(IFLA_BOND_ARP_INTERVAL));
  setIf(b, 'arpValidate', n(IFLA_BOND_ARP_VALIDATE));
  setIf(b, 'arpAllTargets', n(IFLA_BOND_ARP_ALL_TARGETS));
  setIf(b, 'primary', n(IFLA_BOND_PRIMARY));
  setIf(b, 'primaryReselect', n(IFLA_BOND_PRIMARY_RESELECT));
  setIf(b, 'failOverMac', n(IFLA_BOND_FAIL_OVER_MAC));
  setIf(b, 'xmitHashPolicy', n(IFLA_BOND_XMIT_HASH_POLICY));
  setIf(b, 'resendIgmp', n(IFLA_BOND_RESEND_IGMP));
  setIf(b, 'numPeerNotif', n(IFLA_BOND_NUM_PEER_NOTIF));
  setIf(b, 'allSlavesActive', n(IFLA_BOND_ALL_SLAVES_ACTIVE));
  setIf(b, 'minLinks', n(IFLA_BOND_MIN_LINKS));
  setIf(b, 'lpInterval', n(IFLA_BOND_LP_INTERVAL));
  setIf(b, 'packetsPerSlave', n(IFLA_BOND_PACKETS_PER_SLAVE));
  setIf(b, 'adLacpRate', n(IFLA_BOND_AD_LACP_RATE));
  setIf(b, 'adSelect', n(IFLA_BOND_AD_SELECT));
  setIf(b, 'adActorSysPrio', n(IFLA_BOND_AD_ACTOR_SYS_PRIO));
  setIf(b, 'adUserPortKey', n(IFLA_BOND_AD_USER_PORT_KEY));
  setIf(b, 'tlbDynamicLb', n(IFLA_BOND_TLB_DYNAMIC_LB));
  setIf(b, 'peerNotifDelay', n(IFLA_BOND_PEER_NOTIF_DELAY));
  setIf(b, 'adLacpActive', n(IFLA_BOND_AD_LACP_ACTIVE));
  setIf(b, 'missedMax', n(IFLA_BOND_MISSED_MAX));
  setIf(b, 'coupledControl', n(IFLA_BOND_COUPLED_CONTROL));
  setIf(b, 'adActorSystem', a.mac(IFLA_BOND_AD_ACTOR_SYSTEM));
  // Targets are nests whose children are typed by slot number (0..15), each an address.
  const targets = a.nested(IFLA_BOND_ARP_IP_TARGET);
  if (targets) b.arpIpTargets = targets.list.filter((t) => t.data.length === 4).map((t) => formatIp(t.data));
  const targets6 = a.nested(IFLA_BOND_NS_IP6_TARGET);
  if (targets6) b.nsIp6Targets = targets6.list.filter((t) => t.data.length === 16).map((t) => formatIp(t.data));
  const ad = a.nested(IFLA_BOND_AD_INFO);
  if (ad) {
    const info: BondAdInfo = {};
    setIf(info, 'aggregator', ad.uint(IFLA_BOND_AD_INFO_AGGREGATOR));
    setIf(info, 'numPorts', ad.uint(IFLA_BOND_AD_INFO_NUM_PORTS));
    setIf(info, 'actorKey', ad.uint(IFLA_BOND_AD_INFO_ACTOR_KEY));
    setIf(info, 'partnerKey', ad.uint(IFLA_BOND_AD_INFO_PARTNER_KEY));
    setIf(info, 'partnerMac', ad.mac(IFLA_BOND_AD_INFO_PARTNER_MAC));
    b.adInfo = info;
  }
  b.unknown = a.above(IFLA_BOND_MAX);
  return b;
}

/** IFLA_INFO_SLAVE_DATA of slave kind "bond". */
export function decodeBondSlaveInfo(a: AttrMap): BondSlaveInfo {
  const s: BondSlaveInfo = { unknown: new Map() };
  const n = (type: number): number | undefined => a.uint(type);
  setIf(s, 'state', n(IFLA_BOND_SLAVE_STATE));
  setIf(s, 'miiStatus', n(IFLA_BOND_SLAVE_MII_STATUS));
  setIf(s, 'linkFailureCount', n(IFLA_BOND_SLAVE_LINK_FAILURE_COUNT));
  setIf(s, 'permHwaddr', a.mac(IFLA_BOND_SLAVE_PERM_HWADDR));
  setIf(s, 'queueId', n(IFLA_BOND_SLAVE_QUEUE_ID));
  setIf(s, 'adAggregatorId', n(IFLA_BOND_SLAVE_AD_AGGREGATOR_ID));
  setIf(s, 'adActorOperPortState', n(IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE));
  setIf(s, 'adPartnerOperPortState', n(IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE));
  const prio = a.get(IFLA_BOND_SLAVE_PRIO);
  if (prio) s.prio = prio.length === 4 ? prio.readInt32LE(0) : readUint(prio);
  setIf(s, 'actorPortPrio', n(IFLA_BOND_SLAVE_ACTOR_PORT_PRIO));
  setIf(s, 'adChurnActorState', n(IFLA_BOND_SLAVE_AD_CHURN_ACTOR_STATE));
  setIf(s, 'adChurnPartnerState', n(IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE));
  s.unknown = a.above(IFLA_BOND_SLAVE_MAX);
  return s;
}

// --- requests ------------------------------------------------------------------------------

export interface LinkRequest {
  family?: number;
  index?: number;
  /** IFLA_IFNAME: the new name when creating (or renaming with index), or selects the link. */
  name?: string;
  /** IFF_* flag values; only the bits in `change` are applied (change defaults to `flags`). */
  flags?: number;
  change?: number;
  /** Convenience: set (true) or clear (false) IFF_UP. */
  up?: boolean;
  mtu?: number;
  /** 'aa:bb:..' or raw bytes. */
  address?: string | Uint8Array;
  /** ifindex of the new master; 0 releases from the current master. */
  master?: number;
  txqlen?: number;
  /** IFLA_INFO_KIND ('bond', 'veth', 'bridge'). */
  kind?: string;
  /** Encoded attributes for IFLA_INFO_DATA. */
  infoData?: Buffer[];
  /** IFLA_INFO_SLAVE_KIND (informational for the kernel; the master's kind decides). */
  slaveKind?: string;
  /** Encoded attributes for IFLA_INFO_SLAVE_DATA (e.g. IFLA_BOND_SLAVE_QUEUE_ID). */
  slaveData?: Buffer[];
  /** More encoded top-level attributes. */
  extra?: Buffer[];
}

export function ifinfomsg(family: number, index: number, flags: number, change: number, type = 0): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt16LE(type, 2);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags >>> 0, 8);
  b.writeUInt32LE(change >>> 0, 12);
  return b;
}

/** Payload (ifinfomsg + attributes) of an RTM_NEWLINK / RTM_SETLINK / RTM_DELLINK / RTM_GETLINK request. */
export function linkRequest(req: LinkRequest): Buffer {
  let flags = req.flags ?? 0;
  let change = req.change ?? flags;
  if (req.up !== undefined) {
    flags = req.up ? flags | IFF_UP : flags & ~IFF_UP;
    change |= IFF_UP;
  }
  const attrs: Buffer[] = [];
  if (req.name !== undefined) attrs.push(str(IFLA_IFNAME, req.name));
  if (req.mtu !== undefined) attrs.push(u32(IFLA_MTU, req.mtu));
  if (req.address !== undefined) attrs.push(bytes(IFLA_ADDRESS, typeof req.address === 'string' ? parseMac(req.address) : req.address));
  if (req.master !== undefined) attrs.push(u32(IFLA_MASTER, req.master));
  if (req.txqlen !== undefined) attrs.push(u32(IFLA_TXQLEN, req.txqlen));
  const info: Buffer[] = [];
  if (req.kind !== undefined) info.push(str(IFLA_INFO_KIND, req.kind));
  if (req.infoData !== undefined) info.push(nested(IFLA_INFO_DATA, req.infoData));
  if (req.slaveKind !== undefined) info.push(str(IFLA_INFO_SLAVE_KIND, req.slaveKind));
  if (req.slaveData !== undefined) info.push(nested(IFLA_INFO_SLAVE_DATA, req.slaveData));
  if (info.length > 0) attrs.push(nested(IFLA_LINKINFO, info));
  if (req.extra) attrs.push(...req.extra);
  return Buffer.concat([ifinfomsg(req.family ?? AF_UNSPEC, req.index ?? 0, flags, change), ...attrs]);
}

/** Payload of an RTM_GETLINK dump (optionally with an IFLA_EXT_MASK). */
export function linkDumpRequest(extMask?: number): Buffer {
  const attrs = extMask !== undefined ? [u32(IFLA_EXT_MASK, extMask)] : [];
  return Buffer.concat([ifinfomsg(AF_UNSPEC, 0, 0, 0), ...attrs]);
}

/** IFLA_INFO_DATA for kind "veth": the peer's ifinfomsg and name (VETH_INFO_PEER). */
export function vethInfoData(peerName: string, peer: Omit<LinkRequest, 'kind' | 'infoData'> = {}): Buffer[] {
  return [nested(VETH_INFO_PEER, [linkRequest({ ...peer, name: peerName })])];
}
