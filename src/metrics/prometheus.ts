/**
 * Prometheus text exposition format 0.0.4 for the bonds bondd sees. Pure: the caller supplies the
 * kernel view and the daemon's counters, this module only formats them.
 *
 * node_exporter's two bonding metrics are kept with their meaning, so existing dashboards work:
 * `node_bonding_slaves{master}` counts slaves and `node_bonding_active{master}` counts slaves whose
 * MII status is "up" (bonding_slave/mii_status, node_exporter PR #1124) — not the active slave.
 * Everything else is `bondd_*`; docs/metrics.md lists every metric.
 *
 * Format rules followed (exposition_formats.md, 0.0.4): one HELP and one TYPE line per family,
 * all samples of a family together, label values with `\`, `"` and newline escaped, HELP text
 * with `\` and newline escaped, no client-side timestamps (node_exporter's textfile collector
 * rejects them).
 */
import type { ObservedBond, ObservedSlave } from '../bond/backend.js';
import { ARP_INTERVAL_OPTION, CHURN_STATES, MII_STATES, MIIMON_OPTION, lacpBit } from '../bond/options.js';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsSnapshot {
  /** Kernel view of every bond in the namespace. */
  bonds: readonly ObservedBond[];
  /** Failovers the daemon recorded per bond since it started. */
  failovers: ReadonlyMap<string, number>;
  /** Per configured bond: true when the kernel differs from the configuration. */
  drift: ReadonlyMap<string, boolean>;
  /** Milliseconds since the epoch. */
  now: number;
  /** The VLANs and bridges of the bonds' stacks (absent: none reported). */
  layers?: readonly LayerMetrics[];
}

/** One VLAN or bridge above a bond. */
export interface LayerMetrics {
  bond: string;
  layer: string;
  kind: 'vlan' | 'bridge';
  up: boolean;
  carrier: boolean;
  /** Addresses with a lifetime (DHCP lease, SLAAC) on the layer. */
  leaseAddresses: number;
}

export interface RenderOptions {
  /**
   * Include node_bonding_slaves / node_bonding_active (default true). Leave them out of a file for
   * node_exporter's textfile collector: its own bonding collector already exports these names,
   * and the same series from two collectors fails the scrape.
   */
  nodeExporterCompat?: boolean;
}

export type MetricType = 'gauge' | 'counter';

export interface MetricDef {
  name: string;
  type: MetricType;
  labels: readonly string[];
  help: string;
}


/** IFLA_BOND_SLAVE_AD_CHURN_*_STATE number of "churned". */
const AD_CHURN = CHURN_STATES.indexOf('churned');

const def = (name: string, type: MetricType, labels: readonly string[], help: string): MetricDef => ({ name, type, labels, help });

/** Every family this module can emit, in output order. docs/metrics.md documents each one. */
export const METRICS = {
  nodeSlaves: def('node_bonding_slaves', 'gauge', ['master'], 'Number of configured slaves per bonding interface.'),
  nodeActive: def('node_bonding_active', 'gauge', ['master'], 'Number of slaves whose MII status is up, per bonding interface (node_exporter meaning: not the active slave).'),
  bondInfo: def('bondd_bond_info', 'gauge', ['bond', 'mode'], 'Bond present in the kernel, with its mode; always 1.'),
  bondUp: def('bondd_bond_up', 'gauge', ['bond'], '1 when the bond is administratively up (IFF_UP).'),
  bondCarrier: def('bondd_bond_carrier', 'gauge', ['bond'], '1 when the bond has carrier (MII Status up in /proc/net/bonding).'),
  bondSlaves: def('bondd_bond_slaves', 'gauge', ['bond'], 'Number of slaves enslaved to the bond.'),
  bondSlavesMiiUp: def('bondd_bond_slaves_mii_up', 'gauge', ['bond'], 'Number of slaves whose MII status is up.'),
  miimon: def('bondd_bond_miimon_interval_seconds', 'gauge', ['bond'], 'MII link monitoring interval (miimon); 0 when MII monitoring is off.'),
  arpInterval: def('bondd_bond_arp_interval_seconds', 'gauge', ['bond'], 'ARP link monitoring interval (arp_interval); 0 when ARP monitoring is off.'),
  activeSlave: def('bondd_active_slave_info', 'gauge', ['bond', 'slave'], 'The bond\'s current active slave; always 1, absent when the bond has none.'),
  failovers: def('bondd_failovers_total', 'counter', ['bond'], 'Active slave changes bondd recorded since it started (the failover entries of bondctl events).'),
  drift: def('bondd_drift', 'gauge', ['bond'], '1 when a configured bond differs from the configuration, 0 when it matches.'),
  lacpAggInfo: def('bondd_lacp_active_aggregator_info', 'gauge', ['bond', 'aggregator_id', 'actor_key', 'partner_key', 'partner_mac'], '802.3ad active aggregator of the bond; always 1. partner_mac 00:00:00:00:00:00 means no LACP partner.'),
  lacpAggPorts: def('bondd_lacp_active_aggregator_ports', 'gauge', ['bond'], 'Number of ports in the bond\'s 802.3ad active aggregator.'),
  lacpMismatch: def('bondd_lacp_aggregator_mismatch', 'gauge', ['bond'], 'Number of slaves with MII up that are not in the bond\'s 802.3ad active aggregator; 0 when all are.'),
  slaveInfo: def('bondd_slave_info', 'gauge', ['bond', 'slave', 'perm_mac'], 'Slave of the bond, with its permanent MAC address; always 1.'),
  slaveMiiUp: def('bondd_slave_mii_up', 'gauge', ['bond', 'slave'], '1 when the slave\'s MII status is up.'),
  slaveMiiStatus: def('bondd_slave_mii_status', 'gauge', ['bond', 'slave', 'status'], 'Slave MII status as a state set: 1 for the current status (up, going-down, down, going-back), 0 for the others.'),
  slaveActive: def('bondd_slave_active', 'gauge', ['bond', 'slave'], '1 when the kernel reports the slave state active, 0 when backup.'),
  slaveCarrier: def('bondd_slave_carrier', 'gauge', ['bond', 'slave'], '1 when the slave interface has carrier.'),
  slaveLinkFailures: def('bondd_slave_link_failures_total', 'counter', ['bond', 'slave'], 'Link failures the bonding driver counted for the slave since it was enslaved (link_failure_count).'),
  slaveSpeed: def('bondd_slave_speed_bytes', 'gauge', ['bond', 'slave'], 'Slave link speed in bytes per second; absent when the driver does not know it.'),
  slaveDuplex: def('bondd_slave_full_duplex', 'gauge', ['bond', 'slave'], '1 for full duplex, 0 for half; absent when the driver does not know it.'),
  lacpAggId: def('bondd_lacp_aggregator_id', 'gauge', ['bond', 'slave'], '802.3ad aggregator the slave belongs to.'),
  lacpInSync: def('bondd_lacp_port_in_sync', 'gauge', ['bond', 'slave'], '1 when the actor oper port state has synchronization (0x08) set.'),
  lacpCollDist: def('bondd_lacp_port_collecting_distributing', 'gauge', ['bond', 'slave'], '1 when the actor oper port state has both collecting (0x10) and distributing (0x20) set.'),
  lacpPartnerInSync: def('bondd_lacp_partner_port_in_sync', 'gauge', ['bond', 'slave'], '1 when the partner oper port state has synchronization (0x08) set.'),
  lacpActorState: def('bondd_lacp_actor_oper_port_state', 'gauge', ['bond', 'slave'], 'Actor oper port state byte (0x01 activity, 0x02 short timeout, 0x04 aggregation, 0x08 sync, 0x10 collecting, 0x20 distributing, 0x40 defaulted, 0x80 expired).'),
  lacpPartnerState: def('bondd_lacp_partner_oper_port_state', 'gauge', ['bond', 'slave'], 'Partner oper port state byte, same bits as the actor state.'),
  lacpChurned: def('bondd_lacp_churned', 'gauge', ['bond', 'slave', 'side'], '1 when the churn detection machine of the actor or partner side is in the churned state; absent when the kernel does not report churn.'),
  layerUp: def('bondd_layer_up', 'gauge', ['bond', 'layer', 'kind'], '1 when a VLAN or bridge of the bond\'s stack is administratively up.'),
  layerCarrier: def('bondd_layer_carrier', 'gauge', ['bond', 'layer', 'kind'], '1 when a VLAN or bridge of the bond\'s stack has carrier.'),
  layerLease: def('bondd_layer_lease_addresses', 'gauge', ['bond', 'layer'], 'Addresses with a lifetime (DHCP lease, SLAAC) on a VLAN or bridge of the bond\'s stack; 0 when a DHCP layer has no lease.'),
  generated: def('bondd_metrics_generated_timestamp_seconds', 'gauge', [], 'When this exposition was generated, in seconds since the epoch.'),
} as const satisfies Record<string, MetricDef>;

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Escapes HELP text: backslash and line feed (double quotes stay as they are). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Sample value as Go's ParseFloat reads it: NaN, +Inf, -Inf, or a JavaScript number. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

type Labels = Record<string, string>;

class Family {
  readonly samples: string[] = [];
  constructor(readonly def: MetricDef) {}

  add(labels: Labels, value: number): void {
    const pairs = this.def.labels.map((name) => {
      const v = labels[name];
      if (v === undefined) throw new Error(`${this.def.name}: label ${name} missing`);
      return `${name}="${escapeLabelValue(v)}"`;
    });
    this.samples.push(`${this.def.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }

  render(out: string[]): void {
    if (!this.samples.length) return;
    out.push(`# HELP ${this.def.name} ${escapeHelp(this.def.help)}`, `# TYPE ${this.def.name} ${this.def.type}`, ...this.samples);
  }
}

const bit = (state: number, mask: number): number => ((state & mask) === mask ? 1 : 0);

/** Integer option value in milliseconds → seconds, or undefined when absent. */
function msOption(bond: ObservedBond, name: string): number | undefined {
  const v = bond.options[name];
  return typeof v === 'number' && Number.isFinite(v) ? v / 1000 : undefined;
}

/** The whole exposition, ending with a line feed. */
export function renderMetrics(snapshot: MetricsSnapshot, options: RenderOptions = {}): string {
  const families = Object.fromEntries(Object.entries(METRICS).map(([k, d]) => [k, new Family(d)])) as { [K in keyof typeof METRICS]: Family };
  const f = families;
  const compat = options.nodeExporterCompat ?? true;
  const bonds = [...snapshot.bonds].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();

  for (const bond of bonds) {
    seen.add(bond.name);
    const b = { bond: bond.name };
    const miiUp = bond.slaves.filter((s) => s.mii === 'up').length;
    if (compat) {
      f.nodeSlaves.add({ master: bond.name }, bond.slaves.length);
      f.nodeActive.add({ master: bond.name }, miiUp);
    }
    f.bondInfo.add({ ...b, mode: bond.mode }, 1);
    f.bondUp.add(b, bond.up ? 1 : 0);
    f.bondCarrier.add(b, bond.carrier ? 1 : 0);
    f.bondSlaves.add(b, bond.slaves.length);
    f.bondSlavesMiiUp.add(b, miiUp);
    const miimon = msOption(bond, MIIMON_OPTION.name);
    if (miimon !== undefined) f.miimon.add(b, miimon);
    const arp = msOption(bond, ARP_INTERVAL_OPTION.name);
    if (arp !== undefined) f.arpInterval.add(b, arp);
    if (bond.activeSlave) f.activeSlave.add({ ...b, slave: bond.activeSlave }, 1);
    f.failovers.add(b, snapshot.failovers.get(bond.name) ?? 0);
    const drift = snapshot.drift.get(bond.name);
    if (drift !== undefined) f.drift.add(b, drift ? 1 : 0);
    if (bond.ad) {
      f.lacpAggInfo.add(
        {
          ...b,
          aggregator_id: String(bond.ad.aggregatorId),
          actor_key: String(bond.ad.actorKey),
          partner_key: String(bond.ad.partnerKey),
          partner_mac: bond.ad.partnerMac,
        },
        1,
      );
      f.lacpAggPorts.add(b, bond.ad.numPorts);
      const active = bond.ad.aggregatorId;
      f.lacpMismatch.add(b, bond.slaves.filter((s) => s.mii === 'up' && s.ad && s.ad.aggregatorId !== active).length);
    }
    for (const slave of bond.slaves) renderSlave(f, bond, slave);
  }

  // A bond that is gone keeps its counter and drift state: a series that vanishes and comes back
  // at 0 would read as a counter reset, and a configured bond missing from the kernel is drift.
  for (const name of [...new Set([...snapshot.failovers.keys(), ...snapshot.drift.keys()])].sort()) {
    if (seen.has(name)) continue;
    const b = { bond: name };
    const failovers = snapshot.failovers.get(name);
    if (failovers !== undefined) f.failovers.add(b, failovers);
    const drift = snapshot.drift.get(name);
    if (drift !== undefined) f.drift.add(b, drift ? 1 : 0);
  }

  for (const l of snapshot.layers ?? []) {
    f.layerUp.add({ bond: l.bond, layer: l.layer, kind: l.kind }, l.up ? 1 : 0);
    f.layerCarrier.add({ bond: l.bond, layer: l.layer, kind: l.kind }, l.carrier ? 1 : 0);
    f.layerLease.add({ bond: l.bond, layer: l.layer }, l.leaseAddresses);
  }

  f.generated.add({}, snapshot.now / 1000);

  const out: string[] = [];
  for (const family of Object.values(families)) family.render(out);
  return out.join('\n') + '\n';
}

function renderSlave(f: { [K in keyof typeof METRICS]: Family }, bond: ObservedBond, slave: ObservedSlave): void {
  const s = { bond: bond.name, slave: slave.name };
  f.slaveInfo.add({ ...s, perm_mac: slave.permMac ?? '' }, 1);
  f.slaveMiiUp.add(s, slave.mii === 'up' ? 1 : 0);
  for (const status of MII_STATES) f.slaveMiiStatus.add({ ...s, status }, slave.mii === status ? 1 : 0);
  f.slaveActive.add(s, slave.state === 'active' ? 1 : 0);
  f.slaveCarrier.add(s, slave.carrier ? 1 : 0);
  f.slaveLinkFailures.add(s, slave.linkFailureCount);
  // Mbit/s → bytes/s, as node_exporter's node_network_speed_bytes.
  if (slave.speedMbps !== null && slave.speedMbps > 0) f.slaveSpeed.add(s, (slave.speedMbps * 1_000_000) / 8);
  if (slave.duplex !== null) f.slaveDuplex.add(s, slave.duplex === 'full' ? 1 : 0);
  const ad = slave.ad;
  if (!ad) return;
  if (ad.aggregatorId !== null) f.lacpAggId.add(s, ad.aggregatorId);
  if (ad.actorOperPortState !== null) {
    f.lacpInSync.add(s, bit(ad.actorOperPortState, lacpBit('in_sync')));
    f.lacpCollDist.add(s, bit(ad.actorOperPortState, lacpBit('collecting') | lacpBit('distributing')));
    f.lacpActorState.add(s, ad.actorOperPortState);
  }
  if (ad.partnerOperPortState !== null) {
    f.lacpPartnerInSync.add(s, bit(ad.partnerOperPortState, lacpBit('in_sync')));
    f.lacpPartnerState.add(s, ad.partnerOperPortState);
  }
  if (ad.actorChurnState !== undefined && ad.actorChurnState !== null) f.lacpChurned.add({ ...s, side: 'actor' }, ad.actorChurnState === AD_CHURN ? 1 : 0);
  if (ad.partnerChurnState !== undefined && ad.partnerChurnState !== null) f.lacpChurned.add({ ...s, side: 'partner' }, ad.partnerChurnState === AD_CHURN ? 1 : 0);
}
