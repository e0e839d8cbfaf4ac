/**
 * Metrics rendered from what the netlink backend reads out of RTM_NEWLINK messages captured from
 * the real bonding driver (test/fixtures/netlink/real-*.hex), so the bits and states the renderer
 * decodes are the kernel's, not hand-made ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { observeBond } from '../../src/backend/netlink-backend.js';
import { decodeLinkMessage, type LinkMessage } from '../../src/netlink/link.js';
import { parseMessages } from '../../src/netlink/socket.js';
import { renderMetrics } from '../../src/metrics/prometheus.js';
import { find, parseExposition, metricValue } from './metrics-parser.js';

function one(name: string): LinkMessage {
  const text = readFileSync(new URL(`../fixtures/netlink/${name}.hex`, import.meta.url), 'utf8');
  return parseMessages(Buffer.from(text.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex')).map(decodeLinkMessage)[0]!;
}

const render = (bond: ReturnType<typeof observeBond>) => parseExposition(renderMetrics({ bonds: [bond], failovers: new Map(), drift: new Map(), now: 0 }));

describe('metrics from real driver captures', () => {
  it('802.3ad negotiated with a partner: port in sync, collecting and distributing, in the active aggregator', () => {
    const bond = observeBond(one('real-bond-8023ad-master'), [one('real-bond-8023ad-slave')]);
    const f = render(bond);
    const s = { bond: bond.name, slave: bond.slaves[0]!.name };
    expect(metricValue(f, 'node_bonding_slaves', { master: bond.name })).toBe(1);
    expect(metricValue(f, 'node_bonding_active', { master: bond.name })).toBe(1);
    expect(f.get('bondd_active_slave_info')).toBeUndefined();
    expect(metricValue(f, 'bondd_lacp_port_in_sync', s)).toBe(1);
    expect(metricValue(f, 'bondd_lacp_port_collecting_distributing', s)).toBe(1);
    expect(metricValue(f, 'bondd_lacp_partner_port_in_sync', s)).toBe(1);
    expect(metricValue(f, 'bondd_lacp_actor_oper_port_state', s)).toBe(63);
    expect(metricValue(f, 'bondd_lacp_aggregator_id', s)).toBe(bond.ad!.aggregatorId);
    expect(metricValue(f, 'bondd_lacp_aggregator_mismatch', { bond: bond.name })).toBe(0);
    expect(metricValue(f, 'bondd_lacp_active_aggregator_ports', { bond: bond.name })).toBe(2);
    const info = f.get('bondd_lacp_active_aggregator_info')!.samples[0]!;
    expect(info.labels['partner_mac']).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(info.labels['partner_mac']).not.toBe('00:00:00:00:00:00');
    // Churn machine still monitoring right after negotiation: not churned.
    expect(metricValue(f, 'bondd_lacp_churned', { ...s, side: 'actor' })).toBe(0);
  });

  it('active-backup after a failover: the slave that lost its carrier is down, one failure, not active', () => {
    const bond = observeBond(one('real-bond-master-ab-failover'), [one('real-bond-slave-ab-down')], { names: new Map([[3, 'eth1']]) });
    const f = render(bond);
    expect(metricValue(f, 'node_bonding_slaves', { master: bond.name })).toBe(1);
    expect(metricValue(f, 'node_bonding_active', { master: bond.name })).toBe(0);
    expect(metricValue(f, 'bondd_active_slave_info', { bond: bond.name, slave: 'eth1' })).toBe(1);
    const s = { bond: bond.name, slave: 'eth0' };
    expect(metricValue(f, 'bondd_slave_mii_up', s)).toBe(0);
    expect(metricValue(f, 'bondd_slave_mii_status', { ...s, status: 'down' })).toBe(1);
    expect(metricValue(f, 'bondd_slave_active', s)).toBe(0);
    expect(metricValue(f, 'bondd_slave_carrier', s)).toBe(0);
    expect(metricValue(f, 'bondd_slave_link_failures_total', s)).toBe(1);
    expect(metricValue(f, 'bondd_bond_miimon_interval_seconds', { bond: bond.name })).toBe(0.1);
    expect(find(f, 'bondd_lacp_port_in_sync', s)).toBeUndefined();
  });
});
