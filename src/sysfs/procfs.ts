/**
 * Parser for /proc/net/bonding/<bond> (drivers/net/bonding/bond_procfs.c).
 *
 * The file is the only place that shows per-port LACP partner details (system MAC, key, port
 * number and priority), and the format operators know. Lines depend on the mode and on the
 * reader's CAP_NET_ADMIN (the 802.3ad system and LACPDU details), so every field is optional
 * apart from the header. Unknown lines are kept in `extra` rather than dropped.
 */
import { readFile } from 'node:fs/promises';
import { validateIfname } from '../bond/names.js';

export interface LacpPduDetails {
  systemPriority?: number;
  systemMac?: string;
  /** "port key" on the actor side, "oper key" on the partner side. */
  key?: number;
  portPriority?: number;
  portNumber?: number;
  portState?: number;
}

export interface ProcSlave {
  name: string;
  miiStatus: string;
  speed: string;
  duplex: string;
  linkFailureCount: number;
  permanentHwAddr: string;
  queueId?: number;
  aggregatorId?: number | null;
  actorChurnState?: string;
  partnerChurnState?: string;
  actorChurnedCount?: number;
  partnerChurnedCount?: number;
  actor?: LacpPduDetails;
  partner?: LacpPduDetails;
  extra: Record<string, string>;
}

export interface ProcBond {
  driverVersion: string;
  /** Human mode name as printed, e.g. "fault-tolerance (active-backup)". */
  modeText: string;
  failOverMac?: string;
  transmitHashPolicy?: string;
  primarySlave?: string | null;
  primaryReselect?: string;
  currentlyActiveSlave?: string | null;
  miiStatus: string;
  miiPollingIntervalMs?: number;
  upDelayMs?: number;
  downDelayMs?: number;
  peerNotificationDelayMs?: number;
  arpPollingIntervalMs?: number;
  arpMissedMax?: number;
  arpIpTargets?: string[];
  nsIp6Targets?: string[];
  ad?: {
    lacpActive?: string;
    lacpRate?: string;
    minLinks?: number;
    aggregatorSelection?: string;
    systemPriority?: number;
    systemMac?: string;
    activeAggregator?: {
      aggregatorId: number;
      numberOfPorts: number;
      actorKey: number;
      partnerKey: number;
      partnerMac: string;
    } | null;
  };
  slaves: ProcSlave[];
  extra: Record<string, string>;
}

/** Maps the /proc mode text to the option-table mode name. */
export const PROC_MODE_NAMES: Readonly<Record<string, string>> = {
  'load balancing (round-robin)': 'balance-rr',
  'fault-tolerance (active-backup)': 'active-backup',
  'load balancing (xor)': 'balance-xor',
  'fault-tolerance (broadcast)': 'broadcast',
  'IEEE 802.3ad Dynamic link aggregation': '802.3ad',
  'transmit load balancing': 'balance-tlb',
  'adaptive load balancing': 'balance-alb',
};

function splitKeyValue(line: string): [string, string] | null {
  const i = line.indexOf(':');
  if (i < 0) return null;
  return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
}

function int(text: string): number {
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : NaN;
}

function listOf(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function parsePduLine(target: LacpPduDetails, key: string, value: string): boolean {
  switch (key) {
    case 'system priority':
      target.systemPriority = int(value);
      return true;
    case 'system mac address':
      target.systemMac = value.toLowerCase();
      return true;
    case 'port key':
    case 'oper key':
      target.key = int(value);
      return true;
    case 'port priority':
      target.portPriority = int(value);
      return true;
    case 'port number':
      target.portNumber = int(value);
      return true;
    case 'port state':
      target.portState = int(value);
      return true;
    default:
      return false;
  }
}

/** Parses the text of /proc/net/bonding/<bond>. Throws SyntaxError when it is not that file. */
export function parseProcBonding(text: string): ProcBond {
  const lines = text.split('\n');
  const header = lines[0]?.match(/^Ethernet Channel Bonding Driver: (.*)$/);
  if (!header) throw new SyntaxError('Cannot parse /proc/net/bonding text: missing "Ethernet Channel Bonding Driver" header');
  const bond: ProcBond = { driverVersion: header[1]!.trim(), modeText: '', miiStatus: '', slaves: [], extra: {} };
  let slave: ProcSlave | null = null;
  let section: 'master' | 'ad' | 'aggregator' | 'slave' = 'master';
  let pdu: LacpPduDetails | null = null;

  for (const raw of lines.slice(1)) {
    if (raw.trim() === '') continue;
    const line = raw.trimEnd();
    if (line === '802.3ad info') {
      section = 'ad';
      bond.ad = {};
      continue;
    }
    const noAggregator = line.match(/^bond \S+ has no active aggregator$/);
    if (noAggregator && bond.ad) {
      bond.ad.activeAggregator = null;
      continue;
    }
    if (line === 'details actor lacp pdu:' && slave) {
      pdu = slave.actor = {};
      continue;
    }
    if (line === 'details partner lacp pdu:' && slave) {
      pdu = slave.partner = {};
      continue;
    }
    const kv = splitKeyValue(line);
    if (!kv) {
      (slave ?? bond).extra[line.trim()] = '';
      continue;
    }
    const [key, value] = kv;
    if (key === 'Slave Interface') {
      slave = { name: value, miiStatus: '', speed: '', duplex: '', linkFailureCount: 0, permanentHwAddr: '', extra: {} };
      bond.slaves.push(slave);
      section = 'slave';
      pdu = null;
      continue;
    }
    if (pdu && /^\s/.test(raw) && parsePduLine(pdu, key, value)) continue;
    pdu = null;

    if (section === 'slave' && slave) slaveLine(slave, key, value);
    else if (section === 'ad' || section === 'aggregator') section = adLine(bond, section, key, value);
    else masterLine(bond, key, value);
  }
  return bond;
}

/** A `key: value` line of a slave's block. */
function slaveLine(slave: ProcSlave, key: string, value: string): void {
  switch (key) {
    case 'MII Status': slave.miiStatus = value; break;
    case 'Speed': slave.speed = value; break;
    case 'Duplex': slave.duplex = value; break;
    case 'Link Failure Count': slave.linkFailureCount = int(value); break;
    case 'Permanent HW addr': slave.permanentHwAddr = value.toLowerCase(); break;
    case 'Slave queue ID': slave.queueId = int(value); break;
    case 'Aggregator ID': slave.aggregatorId = value === 'N/A' ? null : int(value); break;
    case 'Actor Churn State': slave.actorChurnState = value; break;
    case 'Partner Churn State': slave.partnerChurnState = value; break;
    case 'Actor Churned Count': slave.actorChurnedCount = int(value); break;
    case 'Partner Churned Count': slave.partnerChurnedCount = int(value); break;
    default: slave.extra[key] = value;
  }
}

/** A line of the "802.3ad info" block (and its active aggregator); returns the section it leaves. */
function adLine(bond: ProcBond, section: 'ad' | 'aggregator', key: string, value: string): 'ad' | 'aggregator' {
  const ad = bond.ad!;
  if (key === 'Active Aggregator Info') {
    ad.activeAggregator = { aggregatorId: NaN, numberOfPorts: NaN, actorKey: NaN, partnerKey: NaN, partnerMac: '' };
    return 'aggregator';
  }
  const agg = section === 'aggregator' ? ad.activeAggregator : null;
  switch (key) {
    case 'LACP active': ad.lacpActive = value; return section;
    case 'LACP rate': ad.lacpRate = value; return section;
    case 'Min links': ad.minLinks = int(value); return section;
    case 'Aggregator selection policy (ad_select)': ad.aggregatorSelection = value; return section;
    case 'System priority': ad.systemPriority = int(value); return section;
    case 'System MAC address': ad.systemMac = value.toLowerCase(); return section;
  }
  if (agg) {
    switch (key) {
      case 'Aggregator ID': agg.aggregatorId = int(value); return section;
      case 'Number of ports': agg.numberOfPorts = int(value); return section;
      case 'Actor Key': agg.actorKey = int(value); return section;
      case 'Partner Key': agg.partnerKey = int(value); return section;
      case 'Partner Mac Address': agg.partnerMac = value.toLowerCase(); return section;
    }
  }
  bond.extra[key] = value;
  return section;
}

/** A `key: value` line of the bond's own block at the top. */
function masterLine(bond: ProcBond, key: string, value: string): void {
  switch (key) {
    case 'Bonding Mode': {
      const m = value.match(/^(.*?)(?: \(fail_over_mac (\w+)\))?$/);
      bond.modeText = m?.[1] ?? value;
      if (m?.[2]) bond.failOverMac = m[2];
      break;
    }
    case 'Transmit Hash Policy': bond.transmitHashPolicy = value.replace(/\s*\(\d+\)$/, ''); break;
    case 'Primary Slave': {
      const m = value.match(/^(\S+)(?: \(primary_reselect (\w+)\))?$/);
      bond.primarySlave = m?.[1] === 'None' ? null : (m?.[1] ?? value);
      if (m?.[2]) bond.primaryReselect = m[2];
      break;
    }
    case 'Currently Active Slave': bond.currentlyActiveSlave = value === 'None' ? null : value; break;
    case 'MII Status': bond.miiStatus = value; break;
    case 'MII Polling Interval (ms)': bond.miiPollingIntervalMs = int(value); break;
    case 'Up Delay (ms)': bond.upDelayMs = int(value); break;
    case 'Down Delay (ms)': bond.downDelayMs = int(value); break;
    case 'Peer Notification Delay (ms)': bond.peerNotificationDelayMs = int(value); break;
    case 'ARP Polling Interval (ms)': bond.arpPollingIntervalMs = int(value); break;
    case 'ARP Missed Max': bond.arpMissedMax = int(value); break;
    case 'ARP IP target/s (n.n.n.n form)': bond.arpIpTargets = listOf(value); break;
    case 'NS IPv6 target/s (xx::xx form)': bond.nsIp6Targets = listOf(value); break;
    default: bond.extra[key] = value;
  }
}

/** Mode name from the option table for a parsed file, or undefined for an unknown text. */
export function procModeName(bond: ProcBond): string | undefined {
  return PROC_MODE_NAMES[bond.modeText];
}

/** Reads and parses /proc/net/bonding/<bond> (in the caller's network namespace). */
export async function readProcBonding(bondName: string): Promise<ProcBond> {
  const name = validateIfname(bondName);
  return parseProcBonding(await readFile(`/proc/net/bonding/${name}`, 'utf8'));
}
