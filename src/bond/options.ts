/**
 * THE bond option table for the target kernel (Debian 6.1.192; docs/kernel-notes.md), and the
 * small generic functions that read it. Everything that needs to know about options (backends,
 * netlink attribute numbers, config parsers, planner order, CLI help and views, the drill's
 * report) reads these rows; a new option is one new row.
 *
 * Conventions:
 * - The table is data: one row per option the kernel accepts, mirroring the kernel's bond_opts[]
 *   (drivers/net/bonding/bond_options.c) and bond_policy[] / bond_slave_policy[]
 *   (bond_netlink.c). Functions below are generic over the row's `kind`; the few places where the
 *   kernel itself special-cases an option (mode side effects, miimon-based delays, monitor
 *   exclusivity) are written out with a comment saying so.
 * - BOND_OPTIONS is in the order bond_changelink() applies netlink attributes; a later option in
 *   the same request is checked against the state the earlier ones left (mode first).
 * - `applyOrder` is the order in which options are written one at a time (sysfs, the planner's
 *   steps): mode first, then the kernel's netlink order with Debian ifenslave's adjustments for
 *   sysfs: ARP targets before arp_interval (the ARP monitor starts probing as soon as the
 *   interval is set), arp_interval before arp_validate (a nonzero arp_interval turns miimon off,
 *   which arp_validate requires), miimon before the delays stored as multiples of it; the
 *   options that name a slave (primary, active_slave) last, once the slaves are enslaved.
 * - Canonical values (OptionValue): enums by name, integers as numbers in the kernel's unit,
 *   ifnames as strings ('' = none), MACs lower case, address lists as normalised strings.
 * - No I/O except detectKernelOptions(), a thin readdir() wrapper.
 */

import { readdir } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';

import {
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
  IFLA_BOND_SLAVE_MII_STATUS,
  IFLA_BOND_SLAVE_PERM_HWADDR,
  IFLA_BOND_SLAVE_PRIO,
  IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_BOND_SLAVE_STATE,
  IFLA_BOND_TLB_DYNAMIC_LB,
  IFLA_BOND_UPDELAY,
  IFLA_BOND_USE_CARRIER,
  IFLA_BOND_XMIT_HASH_POLICY,
} from './ifla.js';
import { InvalidNameError, validateIfname } from './names.js';
import type { BondMode, BondOption, DisplayLine, NamedValue, NetlinkEncoding, OptionProblem, OptionValue } from './option-types.js';

export type { BondMode, BondOption, DisplayLine, NamedValue, OptionProblem, OptionValue } from './option-types.js';

/** Bond modes; the index is the kernel's number (IFLA_BOND_MODE, sysfs `mode` "balance-rr 0"). */
export const MODES: readonly BondMode[] = Object.freeze([
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
] as const);

/** miimon the kernel sets when a bond enters a mode without ARP monitoring (BOND_DEFAULT_MIIMON). */
export const DEFAULT_MIIMON = 100;

const INT_MAX = 2 ** 31 - 1;

/** Raw input accepted by parseOptionValue(): config values, CLI strings, sysfs text. */
export type RawOptionValue = string | number | boolean | readonly string[];

/* ---------------------------------------------------------------------------------------------- */
/* Errors                                                                                          */

/** A value the kernel would refuse for an option; the message says what is valid. */
export class OptionValueError extends RangeError {
  override name = 'OptionValueError';
  /** Canonical option name. */
  readonly option: string;
  /** The value as given. */
  readonly value: unknown;

  constructor(option: string, value: unknown, message: string) {
    super(message);
    this.option = option;
    this.value = value;
  }
}

/** An option name that is in neither table. */
export class UnknownOptionError extends RangeError {
  override name = 'UnknownOptionError';
  readonly option: string;

  constructor(option: string, suggestion?: string) {
    super(
      `${JSON.stringify(option)} is not a bond option` + (suggestion ? ` (did you mean ${suggestion}?)` : ''),
    );
    this.option = option;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* The table                                                                                       */

const ALL_MODES = MODES;
const AB_TLB_ALB: readonly BondMode[] = ['active-backup', 'balance-tlb', 'balance-alb'];
const LACP: readonly BondMode[] = ['802.3ad'];
const TLB_ALB: readonly BondMode[] = ['balance-tlb', 'balance-alb'];
/** bond_mode_uses_arp(): every mode except 802.3ad, tlb and alb. */
const ARP_MODES: readonly BondMode[] = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast'];

function named(...names: string[]): readonly NamedValue[] {
  return Object.freeze(names.map((name, value) => Object.freeze({ name, value })));
}

/** The kernel's boolean value tables (bond_use_carrier_tbl, bond_lacp_active, ...). */
const OFF_ON = named('off', 'on');

type OptionSpec = Pick<BondOption, 'name' | 'ifla' | 'netlink' | 'kind' | 'default' | 'description'> &
  Partial<BondOption>;

function define(perSlave: boolean, spec: OptionSpec): BondOption {
  return Object.freeze({
    aliases: [],
    sysfs: perSlave ? null : spec.name,
    modes: ALL_MODES,
    needsDown: false,
    needsNoSlaves: false,
    needsMiimon: false,
    ...spec,
    perSlave,
  });
}

/** A bond option row must say where it goes in the apply order (a new row cannot be forgotten). */
const bondOption = (spec: OptionSpec & Required<Pick<BondOption, 'applyOrder'>>): BondOption => define(false, spec);
const slaveOption = (spec: OptionSpec): BondOption => define(true, spec);

/**
 * Every bond option 6.1.192 accepts, in bond_changelink() order. Not in the table: `slaves`
 * (membership, not an option) and `broadcast_neighbor` (in bond_opts[] of this kernel but with
 * neither a sysfs file nor a netlink attribute, so unreachable).
 */
export const BOND_OPTIONS: readonly BondOption[] = Object.freeze([
  bondOption({
    name: 'mode',
    spellings: { networkd: 'Mode' },
    applyOrder: 0,
    ifla: IFLA_BOND_MODE,
    netlink: 'u8',
    kind: 'enum',
    values: named(...MODES),
    default: 'balance-rr',
    // Entering 802.3ad/tlb/alb zeroes arp_interval and sets miimon 100 if it was 0; alb forces
    // tlb_dynamic_lb on; every mode change resets arp_validate to none (bond_option_mode_set).
    needsDown: true,
    needsNoSlaves: true,
    description: 'Bonding policy: how slaves share traffic and take over from each other',
  }),
  bondOption({
    name: 'active_slave',
    applyOrder: 29,
    display: { line: 'failover', order: 0 },
    ifla: IFLA_BOND_ACTIVE_SLAVE,
    netlink: 'ifindex',
    kind: 'ifname',
    default: null,
    modes: AB_TLB_ALB,
    // Netlink ifindex 0 and a sysfs "\n" clear it and let the kernel choose. Setting a slave
    // fails with EINVAL when it (or its link) is down, and also when no slave is active yet.
    description: 'Slave that carries the traffic; empty lets the kernel choose',
  }),
  bondOption({
    name: 'miimon',
    spellings: { netplan: ['mii-monitor-interval'], networkd: 'MIIMonitorSec' },
    applyOrder: 1,
    display: { line: 'mii-monitor', order: 0 },
    shapesFailover: true,
    ifla: IFLA_BOND_MIIMON,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: INT_MAX,
    unit: 'ms',
    default: 0,
    // A nonzero value silently zeroes arp_interval (and arp_validate with it).
    description: 'MII (carrier) link monitoring interval; 0 disables it',
  }),
  bondOption({
    name: 'updelay',
    spellings: { netplan: ['up-delay'], networkd: 'UpDelaySec' },
    applyOrder: 8,
    display: { line: 'mii-monitor', order: 1 },
    shapesFailover: true,
    ifla: IFLA_BOND_UPDELAY,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: INT_MAX,
    unit: 'ms',
    default: 0,
    needsMiimon: true,
    description: 'Time a recovered link must stay up before the bond uses it',
  }),
  bondOption({
    name: 'downdelay',
    spellings: { netplan: ['down-delay'], networkd: 'DownDelaySec' },
    applyOrder: 9,
    display: { line: 'mii-monitor', order: 2 },
    shapesFailover: true,
    ifla: IFLA_BOND_DOWNDELAY,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: INT_MAX,
    unit: 'ms',
    default: 0,
    needsMiimon: true,
    description: 'Time a failed link must stay down before the bond stops using it',
  }),
  bondOption({
    name: 'peer_notif_delay',
    spellings: { networkd: 'PeerNotifyDelaySec' },
    applyOrder: 10,
    display: { line: 'mii-monitor', order: 3 },
    aliases: ['peer_notify_delay'],
    ifla: IFLA_BOND_PEER_NOTIF_DELAY,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    // Netlink policy range; above it the request fails with ERANGE "integer out of range".
    max: 300000,
    unit: 'ms',
    default: 0,
    // Needs miimon even when the ARP monitor is the one in use.
    needsMiimon: true,
    effectiveModes: ['active-backup'],
    description: 'Delay between the peer notifications sent after a failover',
  }),
  bondOption({
    name: 'use_carrier',
    applyOrder: 11,
    display: { line: 'mii-monitor', order: 4 },
    ifla: IFLA_BOND_USE_CARRIER,
    netlink: 'u8',
    kind: 'enum',
    values: OFF_ON,
    default: 'on',
    description: 'miimon reads netif_carrier_ok() (on) instead of MII/ethtool ioctls (off)',
  }),
  bondOption({
    name: 'arp_interval',
    spellings: { networkd: 'ARPIntervalSec' },
    applyOrder: 4,
    display: { line: 'arp-monitor', order: 0 },
    ifla: IFLA_BOND_ARP_INTERVAL,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: INT_MAX,
    unit: 'ms',
    default: 0,
    modes: ARP_MODES,
    // A nonzero value silently zeroes miimon.
    description: 'ARP/NS link monitoring interval; 0 disables it',
  }),
  bondOption({
    name: 'arp_ip_target',
    spellings: { netplan: ['arp-ip-targets'], networkd: 'ARPIPTargets' },
    applyOrder: 2,
    display: { line: 'arp-monitor', order: 1 },
    ifla: IFLA_BOND_ARP_IP_TARGET,
    netlink: 'ipv4-list',
    kind: 'ipv4-list',
    maxItems: 16,
    default: null,
    // Sysfs takes one "+addr" or "-addr" per write; netlink replaces the whole list.
    description: 'IPv4 addresses the ARP monitor probes',
  }),
  bondOption({
    name: 'ns_ip6_target',
    applyOrder: 3,
    display: { line: 'arp-monitor', order: 2 },
    ifla: IFLA_BOND_NS_IP6_TARGET,
    netlink: 'ipv6-list',
    kind: 'ipv6-list',
    sysfs: null,
    maxItems: 16,
    default: null,
    description: 'IPv6 addresses the ARP monitor probes with neighbour solicitations (netlink only)',
  }),
  bondOption({
    name: 'arp_validate',
    spellings: { networkd: 'ARPValidate' },
    applyOrder: 6,
    display: { line: 'arp-monitor', order: 3 },
    ifla: IFLA_BOND_ARP_VALIDATE,
    netlink: 'u32',
    kind: 'enum',
    values: named('none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'),
    default: 'none',
    modes: ARP_MODES,
    description: 'Which slaves check that ARP replies come from the targets',
  }),
  bondOption({
    name: 'arp_all_targets',
    spellings: { networkd: 'ARPAllTargets' },
    applyOrder: 7,
    display: { line: 'arp-monitor', order: 4 },
    ifla: IFLA_BOND_ARP_ALL_TARGETS,
    netlink: 'u32',
    kind: 'enum',
    values: named('any', 'all'),
    default: 'any',
    effectiveModes: ARP_MODES,
    description: 'A slave is up when any (or all) ARP targets answer',
  }),
  bondOption({
    name: 'primary',
    applyOrder: 30,
    display: { line: 'failover', order: 1 },
    shapesFailover: true,
    ifla: IFLA_BOND_PRIMARY,
    netlink: 'ifindex',
    kind: 'ifname',
    default: null,
    modes: AB_TLB_ALB,
    // Sysfs records a name that is not enslaved yet (and reads back empty until it is); netlink
    // needs an existing ifindex and silently clears primary for an unknown one.
    description: 'Slave preferred as the active one whenever it is up',
  }),
  bondOption({
    name: 'primary_reselect',
    spellings: { netplan: ['primary-reselect-policy'], networkd: 'PrimaryReselectPolicy' },
    applyOrder: 14,
    display: { line: 'failover', order: 2 },
    shapesFailover: true,
    ifla: IFLA_BOND_PRIMARY_RESELECT,
    netlink: 'u8',
    kind: 'enum',
    values: named('always', 'better', 'failure'),
    default: 'always',
    effectiveModes: AB_TLB_ALB,
    description: 'When a recovered primary takes over again',
  }),
  bondOption({
    name: 'fail_over_mac',
    spellings: { netplan: ['fail-over-mac-policy'], networkd: 'FailOverMACPolicy' },
    applyOrder: 12,
    display: { line: 'failover', order: 3 },
    shapesFailover: true,
    ifla: IFLA_BOND_FAIL_OVER_MAC,
    netlink: 'u8',
    kind: 'enum',
    values: named('none', 'active', 'follow'),
    default: 'none',
    needsNoSlaves: true,
    effectiveModes: ['active-backup'],
    description: 'How MAC addresses move on failover in active-backup',
  }),
  bondOption({
    name: 'xmit_hash_policy',
    spellings: { netplan: ['transmit-hash-policy'], networkd: 'TransmitHashPolicy' },
    applyOrder: 13,
    display: { line: 'hash', order: 0 },
    shapesFailover: true,
    ifla: IFLA_BOND_XMIT_HASH_POLICY,
    netlink: 'u8',
    kind: 'enum',
    values: named('layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'),
    default: 'layer2',
    // tlb/alb only hash when tlb_dynamic_lb is off.
    effectiveModes: ['balance-xor', '802.3ad', 'balance-tlb', 'balance-alb'],
    description: 'Header fields hashed to pick the transmit slave',
  }),
  bondOption({
    name: 'resend_igmp',
    spellings: { networkd: 'ResendIGMP' },
    applyOrder: 15,
    ifla: IFLA_BOND_RESEND_IGMP,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: 255,
    default: 1,
    description: 'IGMP membership reports sent after a failover',
  }),
  bondOption({
    // Both sysfs files exist (BOND_OPT_NUM_PEER_NOTIF "num_unsol_na" and its alias); num_grat_arp
    // is the name iproute2 prints and accepts and the one the kernel selftests use.
    name: 'num_grat_arp',
    spellings: { netplan: ['gratuitous-arp', 'gratuitious-arp'], networkd: 'GratuitousARP' },
    applyOrder: 16,
    shapesFailover: true,
    aliases: ['num_unsol_na', 'num_peer_notif'],
    ifla: IFLA_BOND_NUM_PEER_NOTIF,
    netlink: 'u8',
    kind: 'int',
    min: 0,
    max: 255,
    default: 1,
    effectiveModes: ['active-backup'],
    description: 'Gratuitous ARPs and unsolicited NAs sent after a failover',
  }),
  bondOption({
    name: 'all_slaves_active',
    spellings: { netplan: ['all-members-active', 'all-slaves-active'], networkd: 'AllSlavesActive' },
    applyOrder: 17,
    shapesFailover: true,
    ifla: IFLA_BOND_ALL_SLAVES_ACTIVE,
    netlink: 'u8',
    kind: 'enum',
    values: OFF_ON,
    default: 'off',
    description: 'Deliver frames received on inactive slaves instead of dropping them',
  }),
  bondOption({
    name: 'min_links',
    spellings: { networkd: 'MinLinks' },
    applyOrder: 18,
    display: { line: 'lacp', order: 2 },
    ifla: IFLA_BOND_MIN_LINKS,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: INT_MAX,
    default: 0,
    effectiveModes: LACP,
    description: 'Slaves that must be up before the bond reports carrier',
  }),
  bondOption({
    name: 'lp_interval',
    spellings: { netplan: ['learn-packet-interval'], networkd: 'LearnPacketIntervalSec' },
    applyOrder: 19,
    ifla: IFLA_BOND_LP_INTERVAL,
    netlink: 'u32',
    kind: 'int',
    min: 1,
    max: INT_MAX,
    unit: 's',
    default: 1,
    effectiveModes: TLB_ALB,
    description: 'Interval between learning packets sent to the switch',
  }),
  bondOption({
    name: 'packets_per_slave',
    spellings: { netplan: ['packets-per-member', 'packets-per-slave'], networkd: 'PacketsPerSlave' },
    applyOrder: 20,
    ifla: IFLA_BOND_PACKETS_PER_SLAVE,
    netlink: 'u32',
    kind: 'int',
    min: 0,
    max: 65535,
    default: 1,
    modes: ['balance-rr'],
    description: 'Packets sent through a slave before moving to the next; 0 picks at random',
  }),
  bondOption({
    name: 'lacp_active',
    applyOrder: 21,
    display: { line: 'lacp', order: 0 },
    aliases: ['ad_lacp_active'],
    ifla: IFLA_BOND_AD_LACP_ACTIVE,
    netlink: 'u8',
    kind: 'enum',
    values: OFF_ON,
    default: 'on',
    modes: LACP,
    needsDown: true,
    description: 'Send LACPDUs periodically (on) or only after the partner speaks (off)',
  }),
  bondOption({
    name: 'lacp_rate',
    spellings: { networkd: 'LACPTransmitRate' },
    applyOrder: 22,
    display: { line: 'lacp', order: 1 },
    shapesFailover: true,
    aliases: ['ad_lacp_rate'],
    ifla: IFLA_BOND_AD_LACP_RATE,
    netlink: 'u8',
    kind: 'enum',
    values: named('slow', 'fast'),
    default: 'slow',
    modes: LACP,
    needsDown: true,
    description: 'LACPDU rate asked of the partner: every 30 s (slow) or every second (fast)',
  }),
  bondOption({
    name: 'ad_select',
    spellings: { networkd: 'AdSelect' },
    applyOrder: 23,
    display: { line: 'lacp', order: 3 },
    shapesFailover: true,
    ifla: IFLA_BOND_AD_SELECT,
    netlink: 'u8',
    kind: 'enum',
    // No actor_port_prio (3) on this kernel, although the slave option exists.
    values: named('stable', 'bandwidth', 'count'),
    default: 'stable',
    needsDown: true,
    effectiveModes: LACP,
    description: '802.3ad aggregator selection policy',
  }),
  bondOption({
    name: 'ad_actor_sys_prio',
    spellings: { networkd: 'AdActorSystemPriority' },
    applyOrder: 24,
    ifla: IFLA_BOND_AD_ACTOR_SYS_PRIO,
    netlink: 'u16',
    kind: 'int',
    min: 1,
    max: 65535,
    default: 65535,
    modes: LACP,
    description: 'LACP system priority',
  }),
  bondOption({
    name: 'ad_user_port_key',
    spellings: { networkd: 'AdUserPortKey' },
    applyOrder: 25,
    ifla: IFLA_BOND_AD_USER_PORT_KEY,
    netlink: 'u16',
    kind: 'int',
    min: 0,
    max: 1023,
    default: 0,
    modes: LACP,
    needsDown: true,
    description: 'Upper 10 bits of the LACP port key',
  }),
  bondOption({
    name: 'ad_actor_system',
    spellings: { networkd: 'AdActorSystem' },
    applyOrder: 26,
    ifla: IFLA_BOND_AD_ACTOR_SYSTEM,
    netlink: 'mac',
    kind: 'mac',
    default: '00:00:00:00:00:00',
    modes: LACP,
    description: "LACP system MAC address; 00:00:00:00:00:00 uses the bond's MAC",
  }),
  bondOption({
    name: 'tlb_dynamic_lb',
    spellings: { networkd: 'DynamicTransmitLoadBalancing' },
    applyOrder: 27,
    ifla: IFLA_BOND_TLB_DYNAMIC_LB,
    netlink: 'u8',
    kind: 'enum',
    values: OFF_ON,
    default: 'on',
    modes: TLB_ALB,
    needsDown: true,
    description: 'Balance flows by load (on) or by xmit_hash_policy (off)',
  }),
  bondOption({
    name: 'arp_missed_max',
    spellings: { networkd: 'ARPMissedMax' },
    applyOrder: 5,
    display: { line: 'arp-monitor', order: 5 },
    aliases: ['missed_max'],
    ifla: IFLA_BOND_MISSED_MAX,
    netlink: 'u8',
    kind: 'int',
    min: 1,
    max: 255,
    default: 2,
    modes: ARP_MODES,
    description: 'ARP intervals without a reply before a slave is considered down',
  }),
  bondOption({
    name: 'coupled_control',
    applyOrder: 28,
    ifla: IFLA_BOND_COUPLED_CONTROL,
    netlink: 'u8',
    kind: 'enum',
    values: OFF_ON,
    default: 'on',
    sysfs: null,
    modes: LACP,
    needsDown: true,
    description: 'Couple the 802.3ad collecting and distributing states (netlink only)',
  }),
]);

/**
 * Per-slave options: IFLA_BOND_SLAVE_* in IFLA_INFO_SLAVE_DATA of an RTM_NEWLINK on the slave,
 * sent after enslaving (an unenslaved device gives EOPNOTSUPP).
 */
export const SLAVE_OPTIONS: readonly BondOption[] = Object.freeze([
  slaveOption({
    name: 'queue_id',
    ifla: IFLA_BOND_SLAVE_QUEUE_ID,
    netlink: 'u16',
    kind: 'int',
    min: 0,
    // The type's range. The kernel also wants qid <= the bond's tx queues (module parameter
    // tx_queues, 16 by default) and a nonzero qid unique among slaves; otherwise EPERM.
    max: 65535,
    default: 0,
    // Written through the bond's queue_id file as "ifname:qid"; read per slave from
    // /sys/class/net/<slave>/bonding_slave/queue_id.
    sysfs: 'queue_id',
    description: 'Transmit queue a slave is mapped to (with tc multiq filters)',
  }),
  slaveOption({
    name: 'prio',
    ifla: IFLA_BOND_SLAVE_PRIO,
    netlink: 's32',
    kind: 'int',
    min: -(2 ** 31),
    max: INT_MAX,
    default: 0,
    modes: AB_TLB_ALB,
    description: 'Reselection priority; the up slave with the highest value wins unless primary is set',
  }),
  slaveOption({
    name: 'actor_port_prio',
    ifla: IFLA_BOND_SLAVE_ACTOR_PORT_PRIO,
    netlink: 'u16',
    kind: 'int',
    // RAWVAL in the kernel: no range check beyond the u16 (the documentation says 1 to 65535).
    min: 0,
    max: 65535,
    default: 255,
    modes: LACP,
    description: 'LACP port priority (needs iproute2 6.18 to show)',
  }),
]);

/* ---------------------------------------------------------------------------------------------- */
/* Read-only netlink attributes, for decoding state                                               */

/** A read-only attribute: its number, its payload and, for small enums, its value names. */
export interface StateAttribute {
  name: string;
  ifla: number;
  netlink: NetlinkEncoding;
  values?: readonly string[];
}

/** IFLA_BOND_AD_INFO: nested, present in 802.3ad only while an active aggregator exists. */
export { IFLA_BOND_AD_INFO };

/** Children of IFLA_BOND_AD_INFO (IFLA_BOND_AD_INFO_*). */
export const AD_INFO_ATTRS: readonly StateAttribute[] = Object.freeze([
  { name: 'aggregator', ifla: IFLA_BOND_AD_INFO_AGGREGATOR, netlink: 'u16' },
  { name: 'num_ports', ifla: IFLA_BOND_AD_INFO_NUM_PORTS, netlink: 'u16' },
  { name: 'actor_key', ifla: IFLA_BOND_AD_INFO_ACTOR_KEY, netlink: 'u16' },
  { name: 'partner_key', ifla: IFLA_BOND_AD_INFO_PARTNER_KEY, netlink: 'u16' },
  { name: 'partner_mac', ifla: IFLA_BOND_AD_INFO_PARTNER_MAC, netlink: 'mac' },
]);

/**
 * A slave's MII state by kernel number (BOND_LINK_UP, _FAIL, _DOWN, _BACK). sysfs and
 * /proc/net/bonding print the transient ones with a space ("going down"); parseMiiStatus()
 * reads either spelling. The transient states exist only during updelay/downdelay.
 */
export const MII_STATES = ['up', 'going-down', 'down', 'going-back'] as const;

/** A slave's state by kernel number (BOND_STATE_ACTIVE 0, BOND_STATE_BACKUP 1), as sysfs prints it. */
export const SLAVE_STATES = ['active', 'backup'] as const;

/** 802.3ad churn states of IFLA_BOND_SLAVE_AD_CHURN_* by kernel number (AD_CHURN_MONITOR, AD_CHURN, AD_NO_CHURN). */
export const CHURN_STATES = ['monitoring', 'churned', 'none'] as const;

/** "going down" (sysfs, /proc) or 'going-down' → 'going-down'; undefined for anything else. */
export function parseMiiStatus(text: string): (typeof MII_STATES)[number] | undefined {
  const hyphenated = text.trim().replaceAll(' ', '-');
  return MII_STATES.find((s) => s === hyphenated);
}

/** Read-only IFLA_BOND_SLAVE_* attributes, with the value names above. */
export const SLAVE_STATE_ATTRS: readonly StateAttribute[] = Object.freeze([
  { name: 'state', ifla: IFLA_BOND_SLAVE_STATE, netlink: 'u8', values: SLAVE_STATES },
  { name: 'mii_status', ifla: IFLA_BOND_SLAVE_MII_STATUS, netlink: 'u8', values: MII_STATES },
  { name: 'link_failure_count', ifla: IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, netlink: 'u32' },
  { name: 'perm_hwaddr', ifla: IFLA_BOND_SLAVE_PERM_HWADDR, netlink: 'mac' },
  { name: 'ad_aggregator_id', ifla: IFLA_BOND_SLAVE_AD_AGGREGATOR_ID, netlink: 'u16' },
  { name: 'ad_actor_oper_port_state', ifla: IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE, netlink: 'u8' },
  // The kernel sends a u16 payload although the value fits in 8 bits.
  { name: 'ad_partner_oper_port_state', ifla: IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE, netlink: 'u16' },
  { name: 'ad_churn_actor_state', ifla: IFLA_BOND_SLAVE_AD_CHURN_ACTOR_STATE, netlink: 'u8', values: CHURN_STATES },
  { name: 'ad_churn_partner_state', ifla: IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE, netlink: 'u8', values: CHURN_STATES },
]);

/** LACP port state bits (if_bonding.h), named as iproute2 prints them. */
const LACP_BIT_NAMES = ['active', 'short_timeout', 'aggregating', 'in_sync', 'collecting', 'distributing', 'defaulted', 'expired'] as const;
export type LacpBit = (typeof LACP_BIT_NAMES)[number];
export const LACP_PORT_STATE_BITS: readonly NamedValue[] = Object.freeze(LACP_BIT_NAMES.map((name, bit) => ({ name, value: 1 << bit })));

/** The mask of one LACP port state bit: lacpBit('in_sync') is 0x08. */
export function lacpBit(name: LacpBit): number {
  return 1 << LACP_BIT_NAMES.indexOf(name);
}

/** Read-only files in /sys/class/net/<bond>/bonding/ that are state, not options. */
export const BOND_SYSFS_STATE_FILES: readonly string[] = Object.freeze([
  'mii_status',
  'ad_aggregator',
  'ad_num_ports',
  'ad_actor_key',
  'ad_partner_key',
  'ad_partner_mac',
  'slaves',
]);

/* ---------------------------------------------------------------------------------------------- */
/* Lookup                                                                                          */

/* ---------------------------------------------------------------------------------------------- */
/* Functions over the rows: what used to be separate lists of option names                        */

/** Bond option names, aliases included, in applyOrder (see the header). */
export function applyOrderNames(): string[] {
  return [...BOND_OPTIONS]
    .sort((a, b) => a.applyOrder! - b.applyOrder!)
    .flatMap((o) => [o.name, ...o.aliases]);
}

/** Options stored as multiples of miimon: re-applied whenever miimon changes (needsMiimon). */
export function miimonMultiples(): BondOption[] {
  return BOND_OPTIONS.filter((o) => o.needsMiimon);
}

/** The option's value names a slave (primary, active_slave): set only once it is enslaved. */
export function namesASlave(option: BondOption): boolean {
  return option.kind === 'ifname';
}

/** The option has an effect in the mode (effectiveModes, else the modes that accept it). */
export function effectiveIn(option: BondOption, mode: BondMode): boolean {
  return (option.effectiveModes ?? option.modes).includes(mode);
}

/** The bond options shown in a summary line of the bond view, in their order there. */
export function displayLine(line: DisplayLine): BondOption[] {
  return BOND_OPTIONS.filter((o) => o.display?.line === line).sort((a, b) => a.display!.order - b.display!.order);
}

/** The options that shape failover (shapesFailover): reported by the drill. */
export function failoverOptions(): BondOption[] {
  return BOND_OPTIONS.filter((o) => o.shapesFailover);
}

/** '-' and '_' are equivalent in option names (lacp-rate = lacp_rate); case matters. */
function nameKey(name: string): string {
  return name.replaceAll('-', '_');
}

function indexByName(options: readonly BondOption[]): ReadonlyMap<string, BondOption> {
  const map = new Map<string, BondOption>();
  for (const option of options) {
    for (const name of [option.name, ...option.aliases]) map.set(nameKey(name), option);
  }
  return map;
}

const BOND_BY_NAME = indexByName(BOND_OPTIONS);
const SLAVE_BY_NAME = indexByName(SLAVE_OPTIONS);
/*
 * Rows the kernel itself treats apart, by name once (bond_options.c):
 * - mode is set first, only on an empty bond, and changes other options (afterSetting());
 * - miimon and arp_interval are the two link monitors, each switching the other off;
 * - active_slave can only name a slave that is up, once the bond has an active one.
 */
export const MODE_OPTION = BOND_BY_NAME.get('mode')!;
export const MIIMON_OPTION = BOND_BY_NAME.get('miimon')!;
export const ARP_INTERVAL_OPTION = BOND_BY_NAME.get('arp_interval')!;
export const ACTIVE_SLAVE_OPTION = BOND_BY_NAME.get('active_slave')!;
/** primary names a slave, and the formats give it apart from the other options. */
export const PRIMARY_OPTION = BOND_BY_NAME.get('primary')!;
/** The planner checks the first-slave MAC policy only where the bond's MAC does not follow the active slave. */
export const FAIL_OVER_MAC_OPTION = BOND_BY_NAME.get('fail_over_mac')!;
const MIIMON = MIIMON_OPTION;
const ARP_INTERVAL = ARP_INTERVAL_OPTION;

/** The bond's miimon in a set of canonical options (0 when absent). */
export function miimonOf(options: Readonly<Record<string, OptionValue>>): number {
  return Number(options[MIIMON.name] ?? 0);
}

/** A bond's mode and options, as the kernel holds them. */
export interface BondSettings {
  mode: BondMode;
  options: Record<string, OptionValue>;
}

/**
 * The settings after the kernel accepted `option` = `value`, with the side effects it applies
 * besides the option itself (bond_option_mode_set, bond_option_miimon_set,
 * bond_option_arp_interval_set):
 * - mode: entering a mode without ARP monitoring (802.3ad, tlb, alb) zeroes arp_interval and sets
 *   miimon to 100 if it was 0;
 * - miimon nonzero zeroes arp_interval; arp_interval nonzero zeroes miimon (one link monitor).
 * Only the two monitor intervals are followed: they decide whether delays are accepted.
 */
export function afterSetting(before: BondSettings, option: BondOption, value: OptionValue): BondSettings {
  const after: BondSettings = { mode: before.mode, options: { ...before.options } };
  if (option === MODE_OPTION) {
    after.mode = value as BondMode;
    if (!modeUsesArp(after.mode)) {
      after.options[ARP_INTERVAL.name] = 0;
      if (miimonOf(after.options) === 0) after.options[MIIMON.name] = DEFAULT_MIIMON;
    }
    return after;
  }
  after.options[option.name] = value;
  if (option === MIIMON && Number(value) > 0) after.options[ARP_INTERVAL.name] = 0;
  if (option === ARP_INTERVAL && Number(value) > 0) after.options[MIIMON.name] = 0;
  return after;
}

/** The slaves the bond's options name, as ObservedBond carries them (null: none). */
export function namedSlaves(options: Readonly<Record<string, OptionValue>>): { activeSlave: string | null; primary: string | null } {
  const name = (o: string): string | null => (typeof options[o] === 'string' && options[o] !== '' ? (options[o] as string) : null);
  return { activeSlave: name('active_slave'), primary: name('primary') };
}

/** The bond option called `name` (canonical name or alias), or undefined. */
export function findOption(name: string): BondOption | undefined {
  return BOND_BY_NAME.get(nameKey(name));
}

/**
 * The bond option a netplan `parameters:` key or a systemd-networkd `[Bond]` key sets (the rows'
 * `spellings`; a netplan key without one is the option's name with '-' for '_'), or undefined.
 */
export function optionBySpelling(format: 'netplan' | 'networkd', key: string): BondOption | undefined {
  return BOND_OPTIONS.find((o) =>
    format === 'networkd' ? o.spellings?.networkd === key : (o.spellings?.netplan ?? [o.name.replaceAll('_', '-')]).includes(key),
  );
}

/** Every key a format spells bond options with, for "did you mean". */
export function spellingsOf(format: 'netplan' | 'networkd'): string[] {
  return BOND_OPTIONS.flatMap((o) => (format === 'networkd' ? (o.spellings?.networkd ? [o.spellings.networkd] : []) : [...(o.spellings?.netplan ?? [o.name.replaceAll('_', '-')])]));
}

/** The per-slave option called `name`, or undefined. */
export function findSlaveOption(name: string): BondOption | undefined {
  return SLAVE_BY_NAME.get(nameKey(name));
}

/** The bond option carried in IFLA_BOND_<n>, or undefined (also for read-only AD_INFO). */
export function optionByIfla(n: number): BondOption | undefined {
  return BOND_OPTIONS.find((option) => option.ifla === n);
}

/** The per-slave option carried in IFLA_BOND_SLAVE_<n>, or undefined. */
export function slaveOptionByIfla(n: number): BondOption | undefined {
  return SLAVE_OPTIONS.find((option) => option.ifla === n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

function suggest(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const key of [...BOND_BY_NAME.keys(), ...SLAVE_BY_NAME.keys()]) {
    const distance = editDistance(nameKey(name).toLowerCase(), key);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: key, distance };
  }
  return best?.name;
}

/**
 * The option itself, or the bond (then slave) option with that name.
 * @throws {UnknownOptionError} naming the closest known option when there is one
 */
export function resolveOption(option: BondOption | string): BondOption {
  if (typeof option !== 'string') return option;
  const found = findOption(option) ?? findSlaveOption(option);
  if (!found) throw new UnknownOptionError(option, suggest(option));
  return found;
}

/* ---------------------------------------------------------------------------------------------- */
/* Modes                                                                                           */

/** True for the seven mode names. */
export function isBondMode(name: unknown): name is BondMode {
  return typeof name === 'string' && (MODES as readonly string[]).includes(name);
}

/** The kernel's number for a mode (IFLA_BOND_MODE). */
export function modeNumber(mode: BondMode): number {
  const n = MODES.indexOf(mode);
  if (n < 0) throw new OptionValueError('mode', mode, `mode: ${show(mode)} is not ${describeValues(MODE_OPTION)}`);
  return n;
}

/** The mode with kernel number `n`, or undefined for a number this table does not know. */
export function modeName(n: number): BondMode | undefined {
  return MODES[n];
}

/**
 * bond_mode_uses_arp(): false for 802.3ad, balance-tlb and balance-alb, which refuse
 * arp_interval and get miimon 100 when entered with miimon 0.
 */
export function modeUsesArp(mode: BondMode): boolean {
  return ARP_MODES.includes(mode);
}

/** True when the kernel accepts `option` while the bond is in `mode` (else EACCES). */
export function isOptionSupported(option: BondOption | string, mode: BondMode): boolean {
  return resolveOption(option).modes.includes(mode);
}

/** The bond options the kernel accepts in `mode`, in table order. */
export function optionsForMode(mode: BondMode): BondOption[] {
  return BOND_OPTIONS.filter((option) => option.modes.includes(mode));
}

/**
 * What a new bond in `mode` reads back, for the options accepted in that mode (canonical names;
 * '' and [] where the table has no default). Assumes no module parameters changed the defaults.
 *
 * bond_option_mode_set() is the only place the kernel makes defaults depend on the mode: entering
 * 802.3ad, tlb or alb sets miimon to 100 when it is 0, and alb forces tlb_dynamic_lb on (already
 * the default). A miimon given in the same create request is applied after mode and wins.
 */
export function effectiveDefaults(mode: BondMode): Record<string, OptionValue> {
  const defaults: Record<string, OptionValue> = {};
  for (const option of optionsForMode(mode)) defaults[option.name] = option.default ?? emptyValue(option);
  defaults['mode'] = mode;
  if (!modeUsesArp(mode)) defaults['miimon'] = DEFAULT_MIIMON;
  if (mode === 'balance-alb') defaults['tlb_dynamic_lb'] = 'on';
  return defaults;
}

function emptyValue(option: BondOption): OptionValue {
  return isListOption(option) ? [] : '';
}

/* ---------------------------------------------------------------------------------------------- */
/* Parsing and validation of single values                                                        */

/** arp_ip_target and ns_ip6_target: address lists, changed in sysfs one "+addr"/"-addr" at a time. */
export function isListOption(option: BondOption): boolean {
  return option.kind === 'ipv4-list' || option.kind === 'ipv6-list';
}

function isOffOn(option: BondOption): boolean {
  return option.values === OFF_ON;
}

function show(raw: unknown): string {
  return typeof raw === 'string' || Array.isArray(raw) ? JSON.stringify(raw) : String(raw);
}

const UNIT_WORDS = { ms: 'milliseconds', s: 'seconds' } as const;

/**
 * What the option accepts, as a phrase that completes "is not ...": used by error messages, CLI
 * help and docs.
 */
export function describeValues(option: BondOption | string): string {
  const o = resolveOption(option);
  switch (o.kind) {
    case 'enum':
      return `one of ${o.values!.map((v) => `${v.name} (${v.value})`).join(', ')}`;
    case 'int':
      return `a whole number${o.unit ? ` of ${UNIT_WORDS[o.unit]}` : ''} from ${o.min} to ${o.max}`;
    case 'ifname':
      return 'an interface name (1 to 15 bytes without "/", ":", "%" or whitespace), or "" for none';
    case 'mac':
      return "a unicast MAC address such as 02:00:00:00:00:01 (00:00:00:00:00:00 uses the bond's MAC)";
    case 'ipv4-list':
      return `a list of up to ${o.maxItems} distinct unicast IPv4 addresses`;
    case 'ipv6-list':
      return `a list of up to ${o.maxItems} distinct unicast IPv6 addresses`;
  }
}

function invalid(option: BondOption, raw: unknown, detail?: string): OptionValueError {
  return new OptionValueError(
    option.name,
    raw,
    `${option.name}: ${detail ?? `${show(raw)} is not ${describeValues(option)}`}`,
  );
}

function findNamed(option: BondOption, raw: RawOptionValue): NamedValue | undefined {
  const values = option.values!;
  if (typeof raw === 'boolean') return isOffOn(option) ? values[raw ? 1 : 0] : undefined;
  if (typeof raw === 'number') return values.find((v) => v.value === raw);
  if (typeof raw !== 'string') return undefined;
  // Like bond_opt_parse(): a name from the table, or a number that is in it.
  const text = raw.trim();
  return values.find((v) => v.name === text) ?? (/^\d+$/.test(text) ? values.find((v) => v.value === Number(text)) : undefined);
}

function parseEnum(option: BondOption, raw: RawOptionValue): string {
  const found = findNamed(option, raw);
  if (!found) throw invalid(option, raw);
  return found.name;
}

function parseInteger(option: BondOption, raw: RawOptionValue): number {
  let n: number | undefined;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^-?\d+$/.test(raw.trim())) n = Number(raw.trim());
  if (n === undefined || !Number.isSafeInteger(n) || n < option.min! || n > option.max!) throw invalid(option, raw);
  return n === 0 ? 0 : n; // no -0
}

function parseIfname(option: BondOption, raw: RawOptionValue): string {
  if (typeof raw !== 'string') throw invalid(option, raw);
  const name = raw.trim();
  if (name === '') return '';
  try {
    return validateIfname(name);
  } catch (error) {
    if (error instanceof InvalidNameError) throw invalid(option, raw, error.message);
    throw error;
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function parseMac(option: BondOption, raw: RawOptionValue): string {
  const mac = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  // mac_pton() wants exactly six colon-separated hex pairs.
  if (!MAC.test(mac)) throw invalid(option, raw);
  // is_multicast_ether_addr(): the I/G bit of the first octet (covers ff:ff:ff:ff:ff:ff).
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    throw invalid(option, raw, `${show(raw)} is a multicast MAC address; ${option.name} must be unicast`);
  }
  return mac;
}

/** Kernel bond_is_ip_target_ok() refuses 0.0.0.0/8 and 255.255.255.255; ARP can not probe multicast. */
function ipv4Problem(address: string): string | undefined {
  if (!isIPv4(address)) return 'is not an IPv4 address in dotted-quad form';
  const first = Number(address.split('.')[0]);
  if (first === 0) return 'is in 0.0.0.0/8 ("this network"), which the kernel refuses as a target';
  if (address === '255.255.255.255') return 'is the broadcast address, which the kernel refuses as a target';
  if (first >= 224 && first <= 239) return 'is a multicast address; the ARP monitor needs a unicast target';
  return undefined;
}

/** RFC 5952 form through the WHATWG URL host parser (lower case, longest zero run compressed). */
function normaliseIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** Kernel bond_is_ip6_target_ok() refuses ::, ::1 and multicast. */
function ipv6Problem(address: string): string | undefined {
  if (address.includes('%') || !isIPv6(address)) return 'is not an IPv6 address (zone ids are not accepted)';
  const normal = normaliseIPv6(address);
  if (normal === '::') return 'is the unspecified address, which the kernel refuses as a target';
  if (normal === '::1') return 'is the loopback address, which the kernel refuses as a target';
  if (/^ff[0-9a-f]{2}:/.test(normal)) return 'is a multicast address, which the kernel refuses as a target';
  return undefined;
}

function listItems(option: BondOption, raw: RawOptionValue): string[] {
  if (typeof raw === 'string') return raw.split(/[\s,]+/).filter((item) => item !== '');
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string')) {
    return raw.map((item: string) => item.trim()).filter((item) => item !== '');
  }
  throw invalid(option, raw);
}

function parseAddressList(option: BondOption, raw: RawOptionValue): string[] {
  const v6 = option.kind === 'ipv6-list';
  const out: string[] = [];
  for (const item of listItems(option, raw)) {
    const problem = v6 ? ipv6Problem(item) : ipv4Problem(item);
    if (problem) throw invalid(option, raw, `${show(item)} ${problem}`);
    const address = v6 ? normaliseIPv6(item) : item;
    if (out.includes(address)) throw invalid(option, raw, `${show(address)} is listed twice; the kernel refuses duplicates`);
    out.push(address);
  }
  if (out.length > option.maxItems!) {
    throw invalid(option, raw, `${out.length} targets given; the kernel holds at most ${option.maxItems}`);
  }
  return out;
}

const PARSERS: Record<BondOption['kind'], (option: BondOption, raw: RawOptionValue) => OptionValue> = {
  enum: parseEnum,
  int: parseInteger,
  ifname: parseIfname,
  mac: parseMac,
  'ipv4-list': parseAddressList,
  'ipv6-list': parseAddressList,
};

/**
 * Checks `raw` against the option and returns its canonical value.
 *
 * Enums take the name or the kernel number (as the kernel does), and off/on options also take
 * booleans; integers take numbers or decimal strings inside the kernel's range; lists take arrays
 * or comma/space separated strings. Nothing here knows the bond's state: mode, miimon and other
 * cross-option rules are validateOptionSet()'s job.
 *
 * @throws {OptionValueError} whose message says what is valid
 * @throws {UnknownOptionError} for an unknown option name
 * @example
 * parseOptionValue('mode', 1); // 'active-backup'
 * parseOptionValue('miimon', 'abc'); // throws: miimon: "abc" is not a whole number of milliseconds from 0 to 2147483647
 */
export function parseOptionValue(option: BondOption | string, raw: RawOptionValue): OptionValue {
  const o = resolveOption(option);
  if (raw === null || raw === undefined) throw invalid(o, raw);
  return PARSERS[o.kind](o, raw);
}

/**
 * True when two canonical values mean the same kernel state. Address lists compare as sets: the
 * kernel fills the first free slot on add and compacts on removal, and probes every target alike.
 */
export function sameOptionValue(option: BondOption | string, a: OptionValue, b: OptionValue): boolean {
  if (isListOption(resolveOption(option))) {
    const [x, y] = [a as string[], b as string[]];
    return x.length === y.length && x.every((item) => y.includes(item));
  }
  return a === b;
}

/* ---------------------------------------------------------------------------------------------- */
/* Netlink                                                                                         */

/**
 * The kernel number of an enum value (name, number or boolean as parseOptionValue() accepts).
 * @throws {OptionValueError} when the value is not in the option's table
 */
export function enumNumber(option: BondOption | string, value: RawOptionValue): number {
  const o = resolveOption(option);
  if (o.kind !== 'enum') throw new TypeError(`${o.name} is not an enumerated option`);
  const found = findNamed(o, value);
  if (!found) throw invalid(o, value);
  return found.value;
}

/**
 * The name of kernel number `n`, or `unknown(n)` when a newer kernel sends a value this table
 * does not know (decoding state must not throw).
 */
export function enumName(option: BondOption | string, n: number): string {
  const o = resolveOption(option);
  if (o.kind !== 'enum') throw new TypeError(`${o.name} is not an enumerated option`);
  return o.values!.find((v) => v.value === n)?.name ?? `unknown(${n})`;
}

/* ---------------------------------------------------------------------------------------------- */
/* Sysfs                                                                                           */

function sysfsFile(option: BondOption): string {
  if (option.sysfs === null) {
    throw new TypeError(`${option.name} has no sysfs file on this kernel; set it over netlink`);
  }
  return option.sysfs;
}

/**
 * The string to write to the option's sysfs file.
 *
 * - Enums by name, integers in decimal, MACs as given.
 * - An empty ifname (clear primary / active_slave) is written as "\n": sysfs drops zero-length
 *   writes without calling the kernel's store function, and the kernel strips the newline.
 * - queue_id goes to the bond's queue_id file as "ifname:qid", so it needs `slave`.
 * - Address lists are changed one "+addr"/"-addr" write at a time: use sysfsListOps().
 *
 * @throws {TypeError} for netlink-only options, lists, and queue_id without a slave
 * @throws {OptionValueError} when the value is invalid
 */
export function formatSysfsValue(option: BondOption | string, value: RawOptionValue, slave?: string): string {
  const o = resolveOption(option);
  sysfsFile(o);
  if (isListOption(o)) throw new TypeError(`${o.name} is written one "+addr" or "-addr" at a time; use sysfsListOps()`);
  const canonical = parseOptionValue(o, value);
  if (o.perSlave) {
    if (slave === undefined) throw new TypeError(`${o.name} is written as "ifname:value"; give the slave's name`);
    return `${validateIfname(slave)}:${canonical}`;
  }
  return canonical === '' ? '\n' : String(canonical);
}

/**
 * The writes that turn list `from` into list `to` through sysfs: removals first (the table holds
 * 16 entries and a full table refuses additions), then additions in `to` order.
 * @example
 * sysfsListOps('arp_ip_target', ['192.0.2.1'], ['192.0.2.9']); // ['-192.0.2.1', '+192.0.2.9']
 */
export function sysfsListOps(option: BondOption | string, from: readonly string[], to: readonly string[]): string[] {
  const o = resolveOption(option);
  sysfsFile(o);
  if (!isListOption(o)) throw new TypeError(`${o.name} is not a list option`);
  // `from` is what the kernel reports; only the new list must be valid.
  const current = from.map((item) => item.trim()).filter((item) => item !== '');
  const wanted = parseOptionValue(o, to) as string[];
  return [
    ...current.filter((item) => !wanted.includes(item)).map((item) => `-${item}`),
    ...wanted.filter((item) => !current.includes(item)).map((item) => `+${item}`),
  ];
}

/**
 * Parses what reading the option's sysfs file returns: "active-backup 1\n", "layer2 0", "100\n",
 * "" (no primary), "192.0.2.1 192.0.2.2\n".
 *
 * Returns undefined when the kernel printed nothing for a value that always has one: the
 * ad_actor_* and ad_user_port_key files are empty outside 802.3ad and without CAP_NET_ADMIN.
 * Enum names or numbers the table does not know come back as the name or `unknown(n)`.
 *
 * @throws {OptionValueError} when an integer file holds something that is not an integer
 */
export function parseSysfsValue(option: BondOption | string, text: string): OptionValue | undefined {
  const o = resolveOption(option);
  const trimmed = text.trim();
  if (isListOption(o)) return trimmed === '' ? [] : trimmed.split(/\s+/);
  if (o.kind === 'ifname') return trimmed;
  if (trimmed === '') return undefined;
  switch (o.kind) {
    case 'enum': {
      const [name, number] = trimmed.split(/\s+/) as [string, string | undefined];
      const found = findNamed(o, name) ?? (number !== undefined ? findNamed(o, number) : undefined);
      return found?.name ?? (/^\d+$/.test(name) ? `unknown(${name})` : name);
    }
    case 'int': {
      if (!/^-?\d+$/.test(trimmed)) throw invalid(o, text, `sysfs holds ${show(text)}, which is not an integer`);
      return Number(trimmed);
    }
    default:
      return trimmed.toLowerCase();
  }
}

/** Parses the bond's queue_id file ("eth0:3 eth1:0\n") into slave name → queue id. */
export function parseSysfsQueueIds(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const entry of text.split(/\s+/)) {
    const colon = entry.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(entry.slice(colon + 1))) ids.set(entry.slice(0, colon), Number(entry.slice(colon + 1)));
  }
  return ids;
}

/** Which option files a bond's sysfs directory has (see kernelOptionsFromListing()). */
export interface KernelOptionSupport {
  /** Canonical names of table options whose sysfs file (or an alias file) exists. */
  present: Set<string>;
  /** Canonical names of options with a sysfs file in the table but not in the listing. */
  missing: string[];
  /** Files that are neither table options nor known state files: options of a newer kernel. */
  unknown: string[];
}

/**
 * Compares a listing of /sys/class/net/<bond>/bonding/ with the table, so that options the
 * running kernel lacks are reported rather than written and failing with ENOENT. Netlink-only
 * options (ns_ip6_target, coupled_control, prio, actor_port_prio) have no file and are never
 * reported missing; their support shows only by reading them back after a netlink set.
 */
export function kernelOptionsFromListing(files: Iterable<string>): KernelOptionSupport {
  const listed = new Set(files);
  const present = new Set<string>();
  const missing: string[] = [];
  const known = new Set(BOND_SYSFS_STATE_FILES);
  for (const option of [...BOND_OPTIONS, ...SLAVE_OPTIONS]) {
    if (option.sysfs === null) continue;
    const names = [option.sysfs, ...option.aliases];
    names.forEach((name) => known.add(name));
    if (names.some((name) => listed.has(name))) present.add(option.name);
    else missing.push(option.name);
  }
  return { present, missing, unknown: [...listed].filter((file) => !known.has(file)).sort() };
}

/** kernelOptionsFromListing() over the entries of `bondingDir` (/sys/class/net/<bond>/bonding). */
export async function detectKernelOptions(bondingDir: string): Promise<KernelOptionSupport> {
  return kernelOptionsFromListing(await readdir(bondingDir));
}

/* ---------------------------------------------------------------------------------------------- */
/* Cross-option validation                                                                         */

interface OptionSet {
  mode: BondMode;
  /** Options given, canonical name → canonical value, in table order. */
  given: Map<BondOption, OptionValue>;
  /** What the bond would hold: the mode's effective defaults overlaid with `given`. */
  effective: Record<string, OptionValue>;
}

type Rule = (set: OptionSet) => OptionProblem[];

const error = (option: string, message: string): OptionProblem => ({ option, message, severity: 'error' });
const warning = (option: string, message: string): OptionProblem => ({ option, message, severity: 'warning' });

function num(set: OptionSet, name: string): number {
  return (set.effective[name] as number | undefined) ?? 0;
}

const RULES: readonly Rule[] = [
  // bond_opt_check_deps(): unsuppmodes → EACCES.
  ({ mode, given }) =>
    [...given.keys()]
      .filter((o) => !o.modes.includes(mode))
      .map((o) => error(o.name, `${o.name} is not supported in mode ${mode} (supported in: ${o.modes.join(', ')})`)),

  // Accepted, but read by no code path in this mode.
  ({ mode, given }) =>
    [...given]
      .filter(([o]) => o.modes.includes(mode) && o.effectiveModes && !o.effectiveModes.includes(mode))
      .filter(([o, v]) => !sameOptionValue(o, v, o.default ?? emptyValue(o)))
      .map(([o]) => warning(o.name, `${o.name} has no effect in mode ${mode} (used in: ${o.effectiveModes!.join(', ')})`)),

  // Setting either monitor silently zeroes the other; in one netlink request both nonzero is EINVAL.
  (set) =>
    num(set, 'miimon') > 0 && num(set, 'arp_interval') > 0
      ? [
          error(
            'arp_interval',
            `miimon (${num(set, 'miimon')}) and arp_interval (${num(set, 'arp_interval')}) can not both be on: ` +
              'the kernel keeps only one link monitor; set the other to 0',
          ),
        ]
      : [],

  // _bond_option_delay_set(): EPERM without miimon, otherwise stored as a count of miimon ticks.
  (set) =>
    [...set.given]
      .filter(([o, v]) => o.needsMiimon && (v as number) > 0)
      .flatMap(([o, v]) => {
        const miimon = num(set, 'miimon');
        const value = v as number;
        if (miimon === 0) {
          return [error(o.name, `${o.name} (${value}) needs miimon, which is 0: the kernel refuses it (EPERM)`)];
        }
        if (value % miimon !== 0) {
          const rounded = Math.floor(value / miimon) * miimon;
          return [
            error(
              o.name,
              `${o.name} (${value}) is not a multiple of miimon (${miimon}): the kernel would round it down to ${rounded}`,
            ),
          ];
        }
        return [];
      }),

  // Netlink refuses arp_validate with miimon (EINVAL); sysfs miimon silently resets it to none.
  (set) =>
    set.given.has(findOption('arp_validate')!) &&
    set.effective['arp_validate'] !== 'none' &&
    modeUsesArp(set.mode) &&
    num(set, 'miimon') > 0
      ? [
          error(
            'arp_validate',
            `arp_validate (${set.effective['arp_validate']}) can not be used with miimon (${num(set, 'miimon')}): ` +
              'it validates ARP monitor replies; use arp_interval instead of miimon',
          ),
        ]
      : [],

  (set) => {
    const targets = [...((set.effective['arp_ip_target'] as string[]) ?? []), ...((set.effective['ns_ip6_target'] as string[]) ?? [])];
    return num(set, 'arp_interval') > 0 && targets.length === 0
      ? [
          warning(
            'arp_interval',
            `arp_interval is ${num(set, 'arp_interval')} but no arp_ip_target or ns_ip6_target is set: the ARP monitor has nothing to probe`,
          ),
        ]
      : [];
  },

  (set) =>
    num(set, 'miimon') === 0 && num(set, 'arp_interval') === 0
      ? [warning('miimon', 'neither miimon nor arp_interval is set: the bond can not detect link failures')]
      : [],
];

/**
 * Cross-option problems of a bond configuration in `mode`: options the mode refuses, monitor
 * conflicts, delays the kernel would refuse or round, options without effect. `options` maps
 * option names (aliases allowed) to raw or canonical values; values that do not parse and
 * unknown or per-slave names are reported as errors too. Name and value errors come first, then
 * each rule's problems in table order.
 */
export function validateOptionSet(mode: BondMode, options: Record<string, RawOptionValue>): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const given = new Map<BondOption, OptionValue>();
  for (const [name, raw] of Object.entries(options)) {
    const option = findOption(name);
    if (!option) {
      const slave = findSlaveOption(name);
      problems.push(
        error(name, slave ? `${slave.name} is a per-slave option; set it on the slave` : new UnknownOptionError(name, suggest(name)).message),
      );
      continue;
    }
    try {
      given.set(option, parseOptionValue(option, raw));
    } catch (e) {
      if (!(e instanceof OptionValueError)) throw e;
      problems.push(error(option.name, e.message));
    }
  }
  const modeValue = given.get(MODE_OPTION);
  if (modeValue !== undefined && modeValue !== mode) {
    problems.push(error('mode', `mode is ${modeValue} in the options but ${mode} was asked for`));
  }
  given.delete(MODE_OPTION);
  const ordered = new Map([...given].sort(([a], [b]) => BOND_OPTIONS.indexOf(a) - BOND_OPTIONS.indexOf(b)));
  // Options the mode refuses never reach the bond, so they do not feed the other rules.
  const effective = effectiveDefaults(mode);
  for (const [option, value] of ordered) if (option.modes.includes(mode)) effective[option.name] = value;
  const set: OptionSet = { mode, given: ordered, effective };
  return [...problems, ...RULES.flatMap((rule) => rule(set))];
}
