/**
 * The netlink backend: manages bonds with RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK over an rtnetlink
 * socket, in the process's own network namespace or in any other one (`netnsPath`, e.g.
 * /run/netns/NAME): the socket is opened inside that namespace, so everything here works
 * in-process for any namespace.
 *
 * Kernel behaviour it relies on (docs/kernel-notes.md §1, §2, §3, §6):
 * - Create is ONE RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL, IFLA_IFNAME and
 *   IFLA_LINKINFO{KIND "bond", DATA{mode + every option}}. bond_newlink() runs bond_changelink()
 *   before register_netdevice(), so the bond is down and slave-less while the options are applied
 *   (IFDOWN/NOSLAVES options are always accepted) and a refusal creates nothing.
 * - bond_changelink() applies attributes in its own fixed order (mode first, then the table's
 *   order) and stops at the first error without rolling back. setOptions() therefore sends ONE
 *   attribute per message, in the order given: a refusal names its option, and every option before
 *   it is known to be applied, as with sysfs writes. Changes must still carry IFLA_INFO_KIND
 *   "bond" (otherwise EOPNOTSUPP: ops != dev->rtnl_link_ops).
 * - Attributes above IFLA_BOND_MAX are silently ignored by the kernel (liberal parsing):
 *   verifyOptions() re-reads and reports what did not stick.
 * - updelay, downdelay and peer_notif_delay are refused with EPERM whenever miimon is 0, even
 *   for the value 0; they read back as 0 then anyway, so a 0 is not sent while miimon is 0.
 * - primary and active_slave travel as ifindexes. A name is resolved here (ENODEV when it does
 *   not exist); '' becomes 0, which clears either (for primary the kernel finds no device for
 *   ifindex 0 and stores "", for active_slave 0 means "let the kernel choose").
 * - Enslaving is one RTM_NEWLINK on the slave with ifi_change=IFF_UP, ifi_flags=0 and
 *   IFLA_MASTER: do_setlink() applies the flags (down) before do_set_master().
 * - Up/down is one RTM_NEWLINK selecting the bond by IFLA_IFNAME with KIND "bond" and an empty
 *   INFO_DATA: the kernel refuses another kind (EOPNOTSUPP) before it touches the flags, so no
 *   lookup is needed first. Enslave, release and slave options look the bond and the slave up in
 *   parallel (their current master decides what is allowed), then send one message. Those
 *   lookups are what separates the backend from `ip -batch` (scripts/bench-apply: about 1.8x on
 *   a quiet host): RTM_GETLINK takes the RTNL lock, iproute2 resolves names with SIOCGIFINDEX
 *   under RCU. Nothing is cached, so a bond deleted, recreated or renamed behind bondd's back is
 *   never mistaken for another.
 * - Slave options are IFLA_LINKINFO{SLAVE_KIND "bond", SLAVE_DATA{...}} on the slave. The kernel
 *   finds the handler through the slave's current master (SLAVE_KIND is informational; iproute2
 *   sends it too); a device that is not enslaved gives EOPNOTSUPP.
 *
 * Reading: RTM_GETLINK of the bond, then a dump filtered by IFLA_MASTER for its slaves.
 * - Slave order: the kernel's slave list (what /sys/class/net/<bond>/bonding/slaves shows) has no
 *   netlink representation; the dump comes in ifindex order. When a sysfs of this namespace is at
 *   hand (the process's own namespace, or `sysfs` given) its `slaves` file gives the order;
 *   otherwise slaves are listed by ifindex, which is the enslave order whenever the NICs were
 *   enslaved in the order they were created.
 * - Speed and duplex exist only in sysfs (and ethtool): null without a sysfs of this namespace.
 * - `carrier` of the bond and of slaves is IFLA_CARRIER of a device that is up, as
 *   /sys/class/net/<dev>/carrier (which fails for a device that is down) reports it.
 * - Options: every IFLA_BOND_* attribute the table knows (optionByIfla), decoded by the row's
 *   netlink encoding. The kernel leaves out IFLA_BOND_ACTIVE_SLAVE / PRIMARY when there is none
 *   and the target nests when they are empty: those read as '' and [] (as sysfs shows them), so
 *   both backends report the same keys. ad_actor_* appear only in 802.3ad (CAP_NET_ADMIN).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import type { AggregatorInfo, BondBackend, ObservedBond, ObservedSlave } from '../bond/backend.js';
import { BondError, explainKernelError, type BondOperation, type KernelErrorContext } from '../bond/errors.js';
import { InvalidNameError, sysClassNetPath, validateIfname } from '../bond/names.js';
import type { BondMode, BondOption, OptionValue } from '../bond/option-types.js';
import {
  afterSetting,
  BOND_OPTIONS,
  enumName,
  enumNumber,
  findOption,
  findSlaveOption,
  isBondMode,
  MII_STATES,
  miimonOf,
  MODE_OPTION,
  modeName,
  namedSlaves,
  optionByIfla,
  OptionValueError,
  parseOptionValue,
  resolveOption,
  sameOptionValue,
  SLAVE_STATES,
  slaveOptionByIfla,
  UnknownOptionError,
  type BondSettings,
} from '../bond/options.js';
import { AttrMap, formatMac, nested, parseMac, readUint, s32, str, u16, u32, u8, bytes, encodeAttr } from '../netlink/attributes.js';
import { formatIp, parseIp } from '../netlink/address.js';
import {
  AF_UNSPEC,
  IFF_UP,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_LINKINFO,
  IFLA_MASTER,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTEXT_FILTER_SKIP_STATS,
} from '../netlink/constants.js';
import { decodeLinkMessage, ifinfomsg, isLinkMessage, linkRequest, type BondSlaveInfo, type LinkMessage } from '../netlink/link.js';
import { Rtnl } from '../netlink/rtnl.js';
import { NetlinkError, type NetlinkMessage } from '../netlink/socket.js';
import { ensureBondingLoaded } from '../sysfs/module.js';

/** What the backend needs of an Rtnl; tests substitute a fake kernel. */
export type BackendRtnl = Pick<Rtnl, 'dump' | 'request' | 'close'>;

/** Read access to a sysfs of the backend's namespace (src/sysfs/files.ts SysfsIO fits). */
export interface SysfsReader {
  read(path: string): Promise<string>;
}

export interface NetlinkBackendOptions {
  /** Network namespace to work in (/run/netns/NAME); the process's own by default. */
  netnsPath?: string;
  /** Request timeout in ms (default 10 s). */
  timeoutMs?: number;
  /** The rtnetlink connection; tests pass a fake. Default: Rtnl.open({ netnsPath }). */
  rtnl?: BackendRtnl;
  /**
   * Sysfs of the same namespace, for slave order, speed and duplex. Default: the real /sys when
   * the backend works in the process's own namespace, none otherwise (pass
   * src/sysfs/files.ts netnsSysfsIO(netnsPath) to have them for another namespace).
   */
  sysfs?: SysfsReader | null;
  /** Run before the first create. Default: ensureBondingLoaded() (modprobe with max_bonds=0). */
  loadModule?: () => Promise<void>;
}

/** An option the kernel does not hold as wanted (see verifyOptions()). */
export interface OptionMismatch {
  option: string;
  wanted: OptionValue;
  /** What the kernel reports; undefined when it does not report the option at all. */
  actual: OptionValue | undefined;
}

interface CheckedOption {
  option: BondOption;
  value: OptionValue;
}


/* ---------------------------------------------------------------------------------------------- */
/* Pure helpers: encoding and decoding of option values                                            */

function ipList(option: BondOption, data: Buffer, size: 4 | 16): string[] {
  const out: string[] = [];
  for (const attr of AttrMap.decode(data).list) {
    if (attr.data.length !== size) continue;
    const text = formatIp(attr.data);
    out.push(normaliseAddress(option, text));
  }
  return out;
}

function normaliseAddress(option: BondOption, text: string): string {
  try {
    return (parseOptionValue(option, [text]) as string[])[0] ?? text;
  } catch {
    return text; // a value the kernel holds is reported even when bondd would refuse it
  }
}

/**
 * Decodes one IFLA_BOND_* / IFLA_BOND_SLAVE_* payload by the row's netlink encoding. Enums come
 * back by name (`unknown(n)` for a number the table does not know), ifindexes through `nameOf`.
 */
export function decodeOptionValue(option: BondOption, data: Buffer, nameOf: (index: number) => string | undefined): OptionValue {
  switch (option.netlink) {
    case 'u8':
    case 'u16':
    case 'u32': {
      const n = readUint(data);
      return option.kind === 'enum' ? enumName(option, n) : n;
    }
    case 's32':
      return data.length === 4 ? data.readInt32LE(0) : readUint(data);
    case 'ifindex': {
      const index = readUint(data);
      return index === 0 ? '' : (nameOf(index) ?? `ifindex:${index}`);
    }
    case 'mac':
      return formatMac(data);
    case 'ipv4-list':
      return ipList(option, data, 4);
    case 'ipv6-list':
      return ipList(option, data, 16);
    case null:
      throw new TypeError(`${option.name} has no netlink attribute`);
  }
}

/**
 * One IFLA_BOND_* / IFLA_BOND_SLAVE_* attribute for a canonical value. Ifname options need the
 * ifindex resolved by the caller (0 for '').
 */
export function encodeOptionValue(option: BondOption, value: OptionValue, ifindex?: number): Buffer {
  const type = option.ifla;
  if (type === null || option.netlink === null) throw new TypeError(`${option.name} has no netlink attribute`);
  const number = (): number => (option.kind === 'enum' ? enumNumber(option, value as string) : (value as number));
  switch (option.netlink) {
    case 'u8':
      return u8(type, number());
    case 'u16':
      return u16(type, number());
    case 'u32':
      return u32(type, number());
    case 's32':
      return s32(type, number());
    case 'ifindex':
      if (ifindex === undefined) throw new TypeError(`${option.name}: the ifindex of ${JSON.stringify(value)} is needed`);
      return u32(type, ifindex);
    case 'mac':
      return bytes(type, parseMac(value as string));
    case 'ipv4-list':
    case 'ipv6-list':
      // Children are typed by slot (0..15) and hold the raw address; the kernel clears the list
      // and adds them in order, so an empty nest clears it.
      return nested(
        type,
        (value as string[]).map((address, slot) => encodeAttr(slot, parseIp(address))),
      );
  }
}

/** The raw IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA attributes of a link message. */
function linkInfoData(link: LinkMessage, which: typeof IFLA_INFO_DATA | typeof IFLA_INFO_SLAVE_DATA): AttrMap | undefined {
  const data = link.attrs.nested(IFLA_LINKINFO)?.get(which);
  return data === undefined ? undefined : AttrMap.decode(data);
}

/**
 * The bond options a bond's RTM_NEWLINK reports, canonical names in table order (mode excluded).
 * Absent primary / active_slave read as '' and absent target lists as [].
 */
export function bondOptionsFromLink(link: LinkMessage, nameOf: (index: number) => string | undefined): Record<string, OptionValue> {
  const data = linkInfoData(link, IFLA_INFO_DATA);
  const found = new Map<BondOption, OptionValue>();
  for (const attr of data?.list ?? []) {
    const option = optionByIfla(attr.type);
    if (!option || option === MODE_OPTION || found.has(option)) continue;
    found.set(option, decodeOptionValue(option, attr.data, nameOf));
  }
  const options: Record<string, OptionValue> = {};
  for (const option of BOND_OPTIONS) {
    if (option === MODE_OPTION) continue;
    const value = found.get(option);
    if (value !== undefined) options[option.name] = value;
    else if (option.kind === 'ifname') options[option.name] = '';
    else if (option.kind === 'ipv4-list' || option.kind === 'ipv6-list') options[option.name] = [];
  }
  return options;
}

/** Per-slave options (queue_id, prio, actor_port_prio) a slave's RTM_NEWLINK reports. */
export function slaveOptionsFromLink(link: LinkMessage): Record<string, OptionValue> {
  const data = linkInfoData(link, IFLA_INFO_SLAVE_DATA);
  const options: Record<string, OptionValue> = {};
  for (const attr of data?.list ?? []) {
    const option = slaveOptionByIfla(attr.type);
    if (option && !(option.name in options)) options[option.name] = decodeOptionValue(option, attr.data, () => undefined);
  }
  return options;
}

export interface SlaveFacts {
  speedMbps: number | null;
  duplex: 'full' | 'half' | null;
}

/**
 * ObservedBond from the bond's RTM_NEWLINK and its slaves' (pure). `order` is the kernel's
 * slave order by name (sysfs `slaves`) when known; slaves it does not list follow by ifindex.
 */
export function observeBond(
  bond: LinkMessage,
  slaveLinks: readonly LinkMessage[],
  extra: { order?: readonly string[]; facts?: ReadonlyMap<string, SlaveFacts>; names?: ReadonlyMap<number, string> } = {},
): ObservedBond {
  const modeNumber = bond.bond?.mode;
  const mode = modeNumber === undefined ? undefined : modeName(modeNumber);
  if (!mode) throw new BondError(`${bond.name}: the kernel reports an unknown bonding mode ${String(modeNumber)}`, {
    bond: bond.name,
    code: 'EPROTO',
    hint: 'update bondd for this kernel',
    op: 'read',
  });
  const rank = (name: string): number => {
    const i = extra.order?.indexOf(name) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const ordered = [...slaveLinks].sort((a, b) => rank(a.name) - rank(b.name) || a.index - b.index);
  const names = new Map<number, string>(extra.names ?? []);
  for (const s of ordered) names.set(s.index, s.name);
  const nameOf = (index: number): string | undefined => names.get(index);
  const options = bondOptionsFromLink(bond, nameOf);
  const slaves = ordered.map((link) => observeSlave(link, mode, extra.facts?.get(link.name)));
  const ad = bond.bond?.adInfo;
  let aggregator: AggregatorInfo | null = null;
  if (
    mode === '802.3ad' &&
    ad?.aggregator !== undefined &&
    ad.aggregator !== 0 &&
    ad.numPorts !== undefined &&
    ad.actorKey !== undefined &&
    ad.partnerKey !== undefined &&
    ad.partnerMac !== undefined
  ) {
    aggregator = {
      aggregatorId: ad.aggregator,
      numPorts: ad.numPorts,
      actorKey: ad.actorKey,
      partnerKey: ad.partnerKey,
      partnerMac: ad.partnerMac,
    };
  }
  const { activeSlave, primary } = namedSlaves(options);
  return {
    name: bond.name,
    index: bond.index,
    up: bond.up,
    carrier: bond.up && bond.carrier === 1,
    mtu: bond.mtu,
    mac: bond.address ?? '',
    mode,
    options,
    slaves,
    activeSlave,
    primary,
    ad: aggregator,
  };
}

function observeSlave(link: LinkMessage, mode: BondMode, facts: SlaveFacts | undefined): ObservedSlave {
  const info: BondSlaveInfo = link.bondSlave ?? { unknown: new Map() };
  const slave: ObservedSlave = {
    name: link.name,
    index: link.index,
    permMac: info.permHwaddr ?? null,
    state: SLAVE_STATES[info.state ?? 1] ?? 'backup',
    mii: MII_STATES[info.miiStatus ?? 2] ?? 'down',
    linkFailureCount: info.linkFailureCount ?? 0,
    options: slaveOptionsFromLink(link),
    speedMbps: facts?.speedMbps ?? null,
    duplex: facts?.duplex ?? null,
    carrier: link.up && link.carrier === 1,
  };
  if (mode === '802.3ad') {
    slave.ad = {
      aggregatorId: info.adAggregatorId ?? null,
      actorOperPortState: info.adActorOperPortState ?? null,
      partnerOperPortState: info.adPartnerOperPortState ?? null,
      actorChurnState: info.adChurnActorState ?? null,
      partnerChurnState: info.adChurnPartnerState ?? null,
    };
  }
  return slave;
}

/** True when `netnsPath` is (a bind mount of) the calling process's own network namespace. */
export function isOwnNamespace(netnsPath: string | undefined): boolean {
  if (netnsPath === undefined) return true;
  try {
    const theirs = statSync(netnsPath, { bigint: true });
    const ours = statSync('/proc/self/ns/net', { bigint: true });
    return theirs.ino === ours.ino && theirs.dev === ours.dev;
  } catch {
    return false;
  }
}

const realSysfs: SysfsReader = { read: (path) => readFile(path, 'utf8') };

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

function inputError(bond: string, op: BondOperation, error: Error, option?: string): BondError {
  const hint = 'correct it; nothing was sent to the kernel';
  const text = error instanceof InvalidNameError || bond === '' ? error.message : `${bond}: ${error.message}`;
  return new BondError(`${text}; ${hint}`, { bond, code: 'EINVAL', hint, op, option, cause: error });
}

function noSuchBond(bond: string, op: BondOperation): BondError {
  const hint = 'check the name, or create the bond first';
  return new BondError(`${bond}: ${bond} does not exist or is not a bond; ${hint}`, { bond, code: 'ENODEV', hint, op });
}

function notOurSlave(bond: string, slave: string, master: string | null, op: BondOperation): BondError {
  const hint = master ? `release it from ${master} first, or use ${master}` : `enslave ${slave} to ${bond} first`;
  const where = master ? `its master is ${master}` : 'it has no master';
  return new BondError(`${bond}: ${slave} is not a slave of ${bond} (${where}); ${hint}`, {
    bond,
    code: 'ENOTSLAVE',
    hint,
    op,
    slave,
  });
}

/** The UnknownOptionError for `name`, with the table's "did you mean" suggestion. */
function unknownOption(name: string): Error {
  try {
    resolveOption(name);
  } catch (error) {
    return error as Error;
  }
  return new UnknownOptionError(name);
}

function isNetlinkErrno(error: unknown, code: string): boolean {
  return error instanceof NetlinkError && error.code === code;
}

/* ---------------------------------------------------------------------------------------------- */
/* The backend                                                                                     */

export class NetlinkBackend implements BondBackend {
  readonly name = 'netlink' as const;
  readonly netnsPath: string | undefined;
  private readonly rtnl: BackendRtnl;
  private readonly sysfs: SysfsReader | null;
  private readonly loadModule: () => Promise<void>;
  private moduleLoaded = false;
  private closed = false;

  constructor(options: NetlinkBackendOptions = {}) {
    this.netnsPath = options.netnsPath;
    this.rtnl = options.rtnl ?? Rtnl.open({ netnsPath: options.netnsPath, timeoutMs: options.timeoutMs ?? 10_000 });
    this.sysfs = options.sysfs !== undefined ? options.sysfs : isOwnNamespace(options.netnsPath) ? realSysfs : null;
    this.loadModule = options.loadModule ?? (() => ensureBondingLoaded());
  }

  /** A backend on a new rtnetlink socket in `netnsPath` (the process's own namespace by default). */
  static open(options: Omit<NetlinkBackendOptions, 'rtnl'> = {}): NetlinkBackend {
    return new NetlinkBackend(options);
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Reading                                                                                     */

  async listBonds(): Promise<string[]> {
    this.checkOpen();
    // The kernel filters a dump by IFLA_LINKINFO{KIND}; without the driver it does not know the
    // kind and sends every link, hence the check here as well.
    const kindFilter = nested(IFLA_LINKINFO, [str(IFLA_INFO_KIND, 'bond')]);
    const links = await this.dumpLinks(Buffer.concat([ifinfomsg(AF_UNSPEC, 0, 0, 0), kindFilter]));
    return links
      .filter((l) => l.kind === 'bond')
      .sort((a, b) => a.index - b.index)
      .map((l) => l.name);
  }

  async readBond(name: string): Promise<ObservedBond | null> {
    this.checkOpen();
    const bond = this.validName(name, 'read');
    const link = await this.findLink(bond);
    if (!link || link.kind !== 'bond') return null;
    const slaves = await this.slaveLinks(link.index);
    // active_slave and primary are always slaves in practice; look up any other index.
    const names = new Map<number, string>();
    for (const index of [link.bond?.activeSlave, link.bond?.primary]) {
      if (index === undefined || index === 0 || slaves.some((s) => s.index === index)) continue;
      const other = await this.findLink(index);
      if (other) names.set(index, other.name);
    }
    const [order, facts] = await Promise.all([this.sysfsSlaveOrder(bond), this.sysfsFacts(slaves.map((s) => s.name))]);
    return observeBond(link, slaves, { order, facts, names });
  }

  /**
   * Re-reads the bond and returns the options the kernel does not hold as wanted (empty when all
   * stuck). The kernel ignores attributes it does not know and rounds delays down to a multiple
   * of miimon; both show up here. `mode`, `primary` and `active_slave` are compared too.
   */
  async verifyOptions(name: string, wanted: Record<string, OptionValue>): Promise<OptionMismatch[]> {
    const bond = this.validName(name, 'read');
    const checked = this.checkOptions(bond, 'read', wanted);
    const observed = await this.readBond(bond);
    if (!observed) throw noSuchBond(bond, 'read');
    const mismatches: OptionMismatch[] = [];
    for (const { option, value } of checked) {
      // ObservedBond.options holds primary and active_slave too ('' for none), mode apart.
      const actual = option === MODE_OPTION ? observed.mode : observed.options[option.name];
      if (actual === undefined || !sameOptionValue(option, value, actual)) mismatches.push({ option: option.name, wanted: value, actual });
    }
    return mismatches;
  }

  /** verifyOptions() for per-slave options. */
  async verifySlaveOptions(bondName: string, slaveName: string, wanted: Record<string, OptionValue>): Promise<OptionMismatch[]> {
    const bond = this.validName(bondName, 'read');
    const slave = this.validName(slaveName, 'read', bond);
    const checked = this.checkSlaveOptions(bond, 'read', wanted);
    const observed = await this.readBond(bond);
    if (!observed) throw noSuchBond(bond, 'read');
    const found = observed.slaves.find((s) => s.name === slave);
    if (!found) throw notOurSlave(bond, slave, null, 'read');
    return checked
      .filter(({ option, value }) => found.options[option.name] === undefined || !sameOptionValue(option, value, found.options[option.name]!))
      .map(({ option, value }) => ({ option: option.name, wanted: value, actual: found.options[option.name] }));
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Bonds                                                                                       */

  async createBond(name: string, mode: BondMode, options: Record<string, OptionValue> = {}): Promise<void> {
    this.checkOpen();
    const bond = this.validName(name, 'create');
    if (!isBondMode(mode)) {
      throw inputError(bond, 'create', new OptionValueError(MODE_OPTION.name, mode, `mode: ${JSON.stringify(mode)} is not a bonding mode`), MODE_OPTION.name);
    }
    const checked = this.checkOptions(bond, 'create', options).filter((c) => {
      if (c.option !== MODE_OPTION) return true;
      if (c.value === mode) return false;
      const message = `mode is ${String(c.value)} in the options but ${mode} was asked for`;
      throw inputError(bond, 'create', new OptionValueError(MODE_OPTION.name, c.value, message), MODE_OPTION.name);
    });
    // The kernel applies one request in table order (bond_changelink): mode first, with its side
    // effect on miimon, then miimon; the delays are checked against the miimon in force when
    // their turn comes. A new bond starts with miimon 0.
    const inOrder = [{ option: MODE_OPTION, value: mode as OptionValue }, ...checked].sort(
      (a, b) => BOND_OPTIONS.indexOf(a.option) - BOND_OPTIONS.indexOf(b.option),
    );
    const firstDelay = inOrder.findIndex((c) => c.option.needsMiimon);
    const beforeDelays = firstDelay < 0 ? inOrder : inOrder.slice(0, firstDelay);
    const miimon = miimonOf(beforeDelays.reduce((s, c) => afterSetting(s, c.option, c.value), { mode, options: {} } as BondSettings).options);
    // A nonzero delay without miimon makes the kernel refuse the whole create (EPERM): say so
    // without sending it.
    const delay = checked.find((c) => c.option.needsMiimon && c.value !== 0);
    if (delay && miimon === 0) {
      const e = explainKernelError({ bond, op: 'set', errno: 'EPERM', option: delay.option.name, value: delay.value, mode });
      throw new BondError(e.message, { bond, code: e.code, hint: e.hint, op: 'create', option: e.option, errno: e.errno });
    }
    const sent = inOrder.filter((c) => !(c.option.needsMiimon && c.value === 0 && miimon === 0));
    const attrs: Buffer[] = [];
    for (const c of sent) attrs.push(await this.encode(bond, 'create', c, mode));

    if (!this.moduleLoaded) {
      await this.loadModule();
      this.moduleLoaded = true;
    }
    const name0 = str(IFLA_IFNAME, bond);
    const kind = str(IFLA_INFO_KIND, 'bond');
    const payload = linkRequest({ name: bond, kind: 'bond', infoData: attrs });
    try {
      await this.rtnl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, payload);
    } catch (error) {
      // Which option failed: the kernel points its extack at the attribute (NL_SET_ERR_MSG_ATTR
      // in __bond_opt_set); map the offset back to the attribute we encoded there.
      // Layout: nlmsghdr(16) ifinfomsg(16) IFNAME LINKINFO{hdr(4) KIND DATA{hdr(4) attrs...}}.
      let culprit: CheckedOption | undefined;
      if (error instanceof NetlinkError && error.extackOffset !== undefined) {
        let offset = 16 + 16 + name0.length + 4 + kind.length + 4;
        for (let i = 0; i < attrs.length; i++) {
          const end = offset + attrs[i]!.length;
          if (error.extackOffset >= offset && error.extackOffset < end) culprit = sent[i];
          offset = end;
        }
      }
      throw this.kernelError(error, { bond, op: 'create', mode, option: culprit?.option.name, value: culprit?.value });
    }
  }

  async deleteBond(name: string): Promise<void> {
    this.checkOpen();
    const bond = this.validName(name, 'delete');
    const link = await this.bondLink(bond, 'delete');
    try {
      // unregister_netdevice() releases every slave first (each slave is closed).
      await this.rtnl.request(RTM_DELLINK, 0, linkRequest({ index: link.index }));
    } catch (error) {
      if (isNetlinkErrno(error, 'ENODEV')) throw noSuchBond(bond, 'delete');
      throw this.kernelError(error, { bond, op: 'delete' });
    }
  }

  async setOptions(name: string, options: Record<string, OptionValue>): Promise<void> {
    this.checkOpen();
    const bond = this.validName(name, 'set');
    const checked = this.checkOptions(bond, 'set', options);
    if (checked.length === 0) return;
    const link = await this.bondLink(bond, 'set');
    let settings: BondSettings = { mode: modeName(link.bond?.mode ?? -1)!, options: { miimon: link.bond?.miimon ?? 0 } };
    for (const c of checked) {
      const mode = settings.mode;
      // A 0 delay while miimon is 0 is refused (EPERM) and reads back as 0 anyway.
      if (c.option.needsMiimon && c.value === 0 && miimonOf(settings.options) === 0) continue;
      const attr = await this.encode(bond, 'set', c, mode);
      try {
        await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ index: link.index, kind: 'bond', infoData: [attr] }));
      } catch (error) {
        if (isNetlinkErrno(error, 'ENODEV') && !(await this.findLink(link.index))) throw noSuchBond(bond, 'set');
        throw this.kernelError(error, { bond, op: 'set', option: c.option.name, value: c.value, mode });
      }
      // Follow the kernel's side effects on miimon, which decide whether delays are accepted.
      settings = afterSetting(settings, c.option, c.value);
    }
  }

  async setUp(name: string, up: boolean): Promise<void> {
    this.checkOpen();
    const op: BondOperation = up ? 'up' : 'down';
    const bond = this.validName(name, op);
    try {
      // One message, the bond selected by name: KIND "bond" with an (empty) INFO_DATA makes the
      // kernel check that the device is a bond (EOPNOTSUPP otherwise, ENODEV when missing)
      // before do_setlink() applies the flag.
      await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ name: bond, kind: 'bond', infoData: [], flags: up ? IFF_UP : 0, change: IFF_UP }));
    } catch (error) {
      if (isNetlinkErrno(error, 'ENODEV') || isNetlinkErrno(error, 'EOPNOTSUPP')) throw noSuchBond(bond, op);
      throw this.kernelError(error, { bond, op });
    }
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Slaves                                                                                      */

  async enslave(bondName: string, slaveName: string): Promise<void> {
    this.checkOpen();
    const bond = this.validName(bondName, 'enslave');
    const slave = this.validName(slaveName, 'enslave', bond);
    const [bondLink, slaveLink] = await Promise.all([this.bondLink(bond, 'enslave'), this.findLink(slave)]);
    if (!slaveLink) throw explainKernelError({ bond, op: 'enslave', errno: 'ENODEV', slave });
    if (slaveLink.master === bondLink.index) return;
    // do_set_master() would silently take the device from its current master (bond, bridge,
    // team) after downing it; refuse instead, as the kernel does for sysfs (EBUSY).
    if (slaveLink.master !== undefined && slaveLink.master !== 0) {
      throw explainKernelError({ bond, op: 'enslave', errno: 'EBUSY', slave });
    }
    try {
      // bond_enslave() refuses a device that is up (EPERM) and does not down it itself:
      // ifi_change=IFF_UP with ifi_flags=0 downs it in do_setlink() before do_set_master().
      await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ index: slaveLink.index, flags: 0, change: IFF_UP, master: bondLink.index }));
    } catch (error) {
      // Leave the device as we found it.
      if (slaveLink.up) {
        await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ index: slaveLink.index, flags: IFF_UP, change: IFF_UP })).catch(() => undefined);
      }
      throw this.kernelError(error, { bond, op: 'enslave', slave, mode: modeName(bondLink.bond?.mode ?? -1) });
    }
  }

  async release(bondName: string, slaveName: string): Promise<void> {
    this.checkOpen();
    const bond = this.validName(bondName, 'release');
    const slave = this.validName(slaveName, 'release', bond);
    const [bondLink, slaveLink] = await Promise.all([this.bondLink(bond, 'release'), this.findLink(slave)]);
    if (!slaveLink) throw explainKernelError({ bond, op: 'release', errno: 'ENODEV', slave });
    if (slaveLink.master !== bondLink.index) throw notOurSlave(bond, slave, await this.masterName(slaveLink), 'release');
    try {
      // IFLA_MASTER 0: ndo_del_slave of the current master. The kernel closes the released
      // device (it ends up down) and restores its MAC and MTU.
      await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ index: slaveLink.index, master: 0 }));
    } catch (error) {
      throw this.kernelError(error, { bond, op: 'release', slave });
    }
  }

  async setSlaveOptions(bondName: string, slaveName: string, options: Record<string, OptionValue>): Promise<void> {
    this.checkOpen();
    const bond = this.validName(bondName, 'set-slave');
    const slave = this.validName(slaveName, 'set-slave', bond);
    const checked = this.checkSlaveOptions(bond, 'set-slave', options);
    if (checked.length === 0) return;
    const [bondLink, slaveLink] = await Promise.all([this.bondLink(bond, 'set-slave'), this.findLink(slave)]);
    if (!slaveLink) throw explainKernelError({ bond, op: 'set-slave', errno: 'ENODEV', slave });
    if (slaveLink.master !== bondLink.index) {
      throw explainKernelError({ bond, op: 'set-slave', errno: 'EOPNOTSUPP', slave, option: checked[0]!.option.name });
    }
    const mode = modeName(bondLink.bond?.mode ?? -1);
    for (const c of checked) {
      const attr = encodeOptionValue(c.option, c.value);
      try {
        await this.rtnl.request(RTM_NEWLINK, 0, linkRequest({ index: slaveLink.index, slaveKind: 'bond', slaveData: [attr] }));
      } catch (error) {
        throw this.kernelError(error, { bond, op: 'set-slave', slave, option: c.option.name, value: c.value, mode });
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rtnl.close();
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Helpers                                                                                     */

  private checkOpen(): void {
    if (this.closed) throw new Error('the netlink backend is closed');
  }

  private validName(name: string, op: BondOperation, bond?: string): string {
    try {
      return validateIfname(name);
    } catch (error) {
      throw inputError(bond ?? (typeof name === 'string' ? name : ''), op, error as Error);
    }
  }

  private parse(bond: string, op: BondOperation, option: BondOption, raw: OptionValue): OptionValue {
    try {
      return parseOptionValue(option, raw);
    } catch (error) {
      if (error instanceof OptionValueError || error instanceof UnknownOptionError) throw inputError(bond, op, error, option.name);
      throw error;
    }
  }

  /** Table lookup and value parsing of bond options, in the order given, before any I/O. */
  private checkOptions(bond: string, op: BondOperation, options: Record<string, OptionValue>): CheckedOption[] {
    const seen = new Set<BondOption>();
    return Object.entries(options).map(([key, raw]) => {
      const option = findOption(key);
      if (!option) {
        const slaveOption = findSlaveOption(key);
        const error = slaveOption
          ? new OptionValueError(slaveOption.name, raw, `${slaveOption.name} is a per-slave option; set it with setSlaveOptions()`)
          : unknownOption(key);
        throw inputError(bond, op, error, key);
      }
      if (option.ifla === null) throw explainKernelError({ bond, op, errno: 'ENOENT', option: option.name });
      if (seen.has(option)) throw inputError(bond, op, new OptionValueError(option.name, raw, `${option.name} is given twice (${key})`), option.name);
      seen.add(option);
      return { option, value: this.parse(bond, op, option, raw) };
    });
  }

  private checkSlaveOptions(bond: string, op: BondOperation, options: Record<string, OptionValue>): CheckedOption[] {
    return Object.entries(options).map(([key, raw]) => {
      const option = findSlaveOption(key);
      if (!option) {
        const bondOption = findOption(key);
        const error = bondOption
          ? new OptionValueError(bondOption.name, raw, `${bondOption.name} is a bond option, not a slave option; set it with setOptions()`)
          : unknownOption(key);
        throw inputError(bond, op, error, key);
      }
      return { option, value: this.parse(bond, op, option, raw) };
    });
  }

  /** The attribute for one checked option; ifnames are resolved to ifindexes here. */
  private async encode(bond: string, op: BondOperation, c: CheckedOption, mode: BondMode | undefined): Promise<Buffer> {
    if (c.option.netlink !== 'ifindex') return encodeOptionValue(c.option, c.value);
    const name = c.value as string;
    if (name === '') return encodeOptionValue(c.option, c.value, 0);
    const link = await this.findLink(name);
    // Netlink needs an existing device: an unknown ifindex would silently clear primary.
    if (!link) throw explainKernelError({ bond, op, errno: 'ENODEV', option: c.option.name, value: name, mode });
    return encodeOptionValue(c.option, c.value, link.index);
  }

  /**
   * The link called `name` (or with that ifindex), or null when there is none. RTM_GETLINK runs
   * under the RTNL lock and fills the whole device description; RTEXT_FILTER_SKIP_STATS leaves
   * out the counters (IFLA_STATS64, the IPv6 statistics), a good part of the kernel's work and
   * of the reply, none of which the backend reads.
   */
  private async findLink(nameOrIndex: string | number): Promise<LinkMessage | null> {
    const select =
      typeof nameOrIndex === 'number' ? [ifinfomsg(AF_UNSPEC, nameOrIndex, 0, 0)] : [ifinfomsg(AF_UNSPEC, 0, 0, 0), str(IFLA_IFNAME, nameOrIndex)];
    try {
      const replies = await this.rtnl.request(RTM_GETLINK, 0, Buffer.concat([...select, u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)]));
      const reply = replies.find(isLinkMessage);
      return reply ? decodeLinkMessage(reply) : null;
    } catch (error) {
      if (isNetlinkErrno(error, 'ENODEV')) return null;
      throw error;
    }
  }

  private async bondLink(bond: string, op: BondOperation): Promise<LinkMessage> {
    const link = await this.findLink(bond);
    if (!link || link.kind !== 'bond') throw noSuchBond(bond, op);
    return link;
  }

  private async masterName(link: LinkMessage): Promise<string | null> {
    if (link.master === undefined || link.master === 0) return null;
    return (await this.findLink(link.master))?.name ?? null;
  }

  private async dumpLinks(payload: Buffer): Promise<LinkMessage[]> {
    const messages: NetlinkMessage[] = await this.rtnl.dump(RTM_GETLINK, payload);
    return messages
      .filter(isLinkMessage)
      .map(decodeLinkMessage)
      .filter((l) => l.family === AF_UNSPEC && l.type === 'new');
  }

  /** The bond's slaves, from a dump the kernel filters by IFLA_MASTER. */
  private async slaveLinks(bondIndex: number): Promise<LinkMessage[]> {
    const links = await this.dumpLinks(Buffer.concat([ifinfomsg(AF_UNSPEC, 0, 0, 0), u32(IFLA_MASTER, bondIndex)]));
    return links.filter((l) => l.master === bondIndex);
  }

  private async sysfsSlaveOrder(bond: string): Promise<string[] | undefined> {
    if (!this.sysfs) return undefined;
    try {
      return (await this.sysfs.read(sysClassNetPath(bond, 'bonding', 'slaves'))).split(/\s+/).filter((s) => s !== '');
    } catch {
      return undefined;
    }
  }

  private async sysfsFacts(names: readonly string[]): Promise<Map<string, SlaveFacts> | undefined> {
    const sysfs = this.sysfs;
    if (!sysfs) return undefined;
    const read = (name: string, file: string): Promise<string | null> =>
      sysfs.read(sysClassNetPath(name, file)).then(
        (text) => text.trim(),
        () => null, // EINVAL for a link that is down or a driver that does not know
      );
    const entries = await Promise.all(
      names.map(async (name): Promise<[string, SlaveFacts]> => {
        const [speed, duplex] = await Promise.all([read(name, 'speed'), read(name, 'duplex')]);
        const mbps = speed === null ? NaN : Number.parseInt(speed, 10);
        return [
          name,
          {
            speedMbps: Number.isFinite(mbps) && mbps > 0 ? mbps : null,
            duplex: duplex === 'full' || duplex === 'half' ? duplex : null,
          },
        ];
      }),
    );
    return new Map(entries);
  }

  /** A NetlinkError becomes an explained BondError (with the extack text); others pass unchanged. */
  private kernelError(error: unknown, context: Omit<KernelErrorContext, 'errno'>): unknown {
    if (!(error instanceof NetlinkError)) return error;
    return explainKernelError({ ...context, errno: error.errno, extack: error.extack, cause: error });
  }
}
