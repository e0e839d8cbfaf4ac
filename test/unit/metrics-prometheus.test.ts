import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lacpBit } from '../../src/bond/options.js';
import { CONTENT_TYPE, escapeHelp, escapeLabelValue, formatValue, METRICS, renderMetrics, type MetricsSnapshot } from '../../src/metrics/prometheus.js';
import { activeBackup, lacp, slave } from './metrics-fixtures.js';
import { find, parseExposition, metricValue } from './metrics-parser.js';

const NOW = 1_800_000_000_123;

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return { bonds: [activeBackup(), lacp()], failovers: new Map([['bond0', 4]]), drift: new Map([['bond0', true], ['lacp0', false]]), now: NOW, ...over };
}

describe('escaping', () => {
  it('escapes backslash, double quote and line feed in label values, nothing else', () => {
    expect(escapeLabelValue('plain-name.10')).toBe('plain-name.10');
    expect(escapeLabelValue('a\\b')).toBe('a\\\\b');
    expect(escapeLabelValue('say "hi"')).toBe('say \\"hi\\"');
    expect(escapeLabelValue('two\nlines')).toBe('two\\nlines');
    expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    expect(escapeLabelValue('tab\there é')).toBe('tab\there é');
  });

  it('escapes backslash and line feed in HELP but keeps double quotes', () => {
    expect(escapeHelp('a "b" c\\d\ne')).toBe('a "b" c\\\\d\\ne');
  });

  it('formats special float values as Prometheus reads them', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(0.1)).toBe('0.1');
    expect(formatValue(1250000000)).toBe('1250000000');
    expect(formatValue(-3)).toBe('-3');
  });

  it('uses the 0.0.4 content type', () => {
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('renderMetrics', () => {
  const text = renderMetrics(snapshot());
  const fam = parseExposition(text);

  it('is valid exposition: one HELP and TYPE per family, families contiguous, no timestamps', () => {
    expect(text.endsWith('\n')).toBe(true);
    for (const f of fam.values()) {
      expect(f.help, f.name).toBeTruthy();
      expect(['gauge', 'counter']).toContain(f.type);
      for (const s of f.samples) expect(s.timestamp, `${f.name} carries no timestamp`).toBeUndefined();
    }
    const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);
  });

  it('emits only families declared in METRICS, with their declared type and labels', () => {
    const defs = new Map(Object.values(METRICS).map((d) => [d.name, d]));
    for (const f of fam.values()) {
      const d = defs.get(f.name);
      expect(d, `${f.name} is declared`).toBeDefined();
      expect(f.type).toBe(d!.type);
      for (const s of f.samples) expect(Object.keys(s.labels).sort()).toEqual([...d!.labels].sort());
      if (d!.type === 'counter') expect(f.name.endsWith('_total')).toBe(true);
    }
  });

  it('keeps node_exporter semantics: slaves counted, "active" = slaves with MII up', () => {
    expect(metricValue(fam, 'node_bonding_slaves', { master: 'bond0' })).toBe(2);
    expect(metricValue(fam, 'node_bonding_active', { master: 'bond0' })).toBe(1);
    // 802.3ad has no active slave at all, yet two slaves have MII up.
    expect(metricValue(fam, 'node_bonding_slaves', { master: 'lacp0' })).toBe(3);
    expect(metricValue(fam, 'node_bonding_active', { master: 'lacp0' })).toBe(2);
    expect(fam.get('node_bonding_active')!.type).toBe('gauge');
    expect(fam.get('node_bonding_slaves')!.type).toBe('gauge');
  });

  it('node_bonding_active is not the active slave: two backups up count as 2', () => {
    const bond = activeBackup({ slaves: [slave('a', { state: 'active', mii: 'down' }), slave('b'), slave('c')], activeSlave: 'b', carrier: true });
    const f = parseExposition(renderMetrics(snapshot({ bonds: [bond] })));
    expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(2);
    expect(metricValue(f, 'bondd_bond_slaves_mii_up', { bond: 'bond0' })).toBe(2);
    expect(metricValue(f, 'bondd_active_slave_info', { bond: 'bond0', slave: 'b' })).toBe(1);
  });

  it('counts only "up" as MII up (going-down and going-back are not)', () => {
    const bond = activeBackup({ slaves: [slave('a', { mii: 'going-down' }), slave('b', { mii: 'going-back' }), slave('c', { mii: 'up' })] });
    const f = parseExposition(renderMetrics(snapshot({ bonds: [bond] })));
    expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(1);
    for (const [name, status] of [['a', 'going-down'], ['b', 'going-back'], ['c', 'up']] as const) {
      const set = f.get('bondd_slave_mii_status')!.samples.filter((s) => s.labels['slave'] === name);
      expect(set).toHaveLength(4);
      expect(set.filter((s) => s.value === 1).map((s) => s.labels['status'])).toEqual([status]);
    }
  });

  it('describes the bond: mode, admin state, carrier, monitoring intervals in seconds', () => {
    expect(metricValue(fam, 'bondd_bond_info', { bond: 'bond0', mode: 'active-backup' })).toBe(1);
    expect(metricValue(fam, 'bondd_bond_info', { bond: 'lacp0', mode: '802.3ad' })).toBe(1);
    expect(metricValue(fam, 'bondd_bond_up', { bond: 'bond0' })).toBe(1);
    expect(metricValue(fam, 'bondd_bond_carrier', { bond: 'bond0' })).toBe(1);
    expect(metricValue(fam, 'bondd_bond_slaves', { bond: 'bond0' })).toBe(2);
    expect(metricValue(fam, 'bondd_bond_miimon_interval_seconds', { bond: 'bond0' })).toBe(0.1);
    expect(metricValue(fam, 'bondd_bond_arp_interval_seconds', { bond: 'bond0' })).toBe(0);
    // lacp0 reports no arp_interval option: no sample rather than a made-up 0.
    expect(find(fam, 'bondd_bond_arp_interval_seconds', { bond: 'lacp0' })).toBeUndefined();
  });

  it('names the active slave only when there is one', () => {
    expect(fam.get('bondd_active_slave_info')!.samples).toEqual([{ name: 'bondd_active_slave_info', labels: { bond: 'bond0', slave: 'eth0' }, value: 1 }]);
    const down = parseExposition(renderMetrics(snapshot({ bonds: [activeBackup({ activeSlave: null, carrier: false })] })));
    expect(down.get('bondd_active_slave_info')).toBeUndefined();
    expect(metricValue(down, 'bondd_bond_carrier', { bond: 'bond0' })).toBe(0);
  });

  it('exports failovers as a counter, 0 for bonds without any', () => {
    expect(fam.get('bondd_failovers_total')!.type).toBe('counter');
    expect(metricValue(fam, 'bondd_failovers_total', { bond: 'bond0' })).toBe(4);
    expect(metricValue(fam, 'bondd_failovers_total', { bond: 'lacp0' })).toBe(0);
  });

  it('exports drift for configured bonds only', () => {
    expect(metricValue(fam, 'bondd_drift', { bond: 'bond0' })).toBe(1);
    expect(metricValue(fam, 'bondd_drift', { bond: 'lacp0' })).toBe(0);
    const f = parseExposition(renderMetrics(snapshot({ drift: new Map() })));
    expect(f.get('bondd_drift')).toBeUndefined();
  });

  it('keeps the counter and drift of a bond that left the kernel', () => {
    const f = parseExposition(renderMetrics(snapshot({ bonds: [lacp()], failovers: new Map([['bond0', 4]]), drift: new Map([['bond0', true], ['gone1', true]]) })));
    expect(metricValue(f, 'bondd_failovers_total', { bond: 'bond0' })).toBe(4);
    expect(metricValue(f, 'bondd_drift', { bond: 'bond0' })).toBe(1);
    expect(metricValue(f, 'bondd_drift', { bond: 'gone1' })).toBe(1);
    expect(find(f, 'node_bonding_slaves', { master: 'bond0' })).toBeUndefined();
    expect(find(f, 'bondd_bond_info', { bond: 'bond0', mode: 'active-backup' })).toBeUndefined();
  });

  it('exports per-slave state, failures, speed in bytes/s and duplex', () => {
    expect(metricValue(fam, 'bondd_slave_info', { bond: 'bond0', slave: 'eth1', perm_mac: '02:00:00:00:00:02' })).toBe(1);
    expect(metricValue(fam, 'bondd_slave_mii_up', { bond: 'bond0', slave: 'eth0' })).toBe(1);
    expect(metricValue(fam, 'bondd_slave_mii_up', { bond: 'bond0', slave: 'eth1' })).toBe(0);
    expect(metricValue(fam, 'bondd_slave_active', { bond: 'bond0', slave: 'eth0' })).toBe(1);
    expect(metricValue(fam, 'bondd_slave_active', { bond: 'bond0', slave: 'eth1' })).toBe(0);
    expect(metricValue(fam, 'bondd_slave_carrier', { bond: 'bond0', slave: 'eth1' })).toBe(0);
    expect(metricValue(fam, 'bondd_slave_link_failures_total', { bond: 'bond0', slave: 'eth1' })).toBe(3);
    expect(fam.get('bondd_slave_link_failures_total')!.type).toBe('counter');
    expect(metricValue(fam, 'bondd_slave_speed_bytes', { bond: 'bond0', slave: 'eth0' })).toBe(1_250_000_000);
    expect(metricValue(fam, 'bondd_slave_full_duplex', { bond: 'bond0', slave: 'eth0' })).toBe(1);
    // Unknown speed and duplex: no sample.
    expect(find(fam, 'bondd_slave_speed_bytes', { bond: 'bond0', slave: 'eth1' })).toBeUndefined();
    expect(find(fam, 'bondd_slave_full_duplex', { bond: 'bond0', slave: 'eth1' })).toBeUndefined();
    const half = parseExposition(renderMetrics(snapshot({ bonds: [activeBackup({ slaves: [slave('x', { duplex: 'half', speedMbps: 100, permMac: null })] })] })));
    expect(metricValue(half, 'bondd_slave_full_duplex', { bond: 'bond0', slave: 'x' })).toBe(0);
    expect(metricValue(half, 'bondd_slave_speed_bytes', { bond: 'bond0', slave: 'x' })).toBe(12_500_000);
    expect(metricValue(half, 'bondd_slave_info', { bond: 'bond0', slave: 'x', perm_mac: '' })).toBe(1);
  });

  it('keeps slaves in kernel order and bonds sorted by name', () => {
    const order = fam.get('bondd_slave_mii_up')!.samples.map((s) => `${s.labels['bond']}/${s.labels['slave']}`);
    expect(order).toEqual(['bond0/eth0', 'bond0/eth1', 'lacp0/eth2', 'lacp0/eth3', 'lacp0/eth4']);
    const reversed = renderMetrics(snapshot({ bonds: [lacp(), activeBackup()] }));
    expect(reversed).toBe(text);
  });

  it('decodes LACP port state bits per slave', () => {
    const s = (slave: string) => ({ bond: 'lacp0', slave });
    expect(lacpBit('in_sync')).toBe(0x08);
    // 63 = activity|timeout|aggregation|sync|collecting|distributing
    expect(metricValue(fam, 'bondd_lacp_port_in_sync', s('eth2'))).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_port_collecting_distributing', s('eth2'))).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_partner_port_in_sync', s('eth2'))).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_actor_oper_port_state', s('eth2'))).toBe(63);
    expect(metricValue(fam, 'bondd_lacp_partner_oper_port_state', s('eth2'))).toBe(63);
    // 69 = activity|aggregation|defaulted: no sync, no collecting/distributing.
    expect(metricValue(fam, 'bondd_lacp_port_in_sync', s('eth3'))).toBe(0);
    expect(metricValue(fam, 'bondd_lacp_port_collecting_distributing', s('eth3'))).toBe(0);
    expect(metricValue(fam, 'bondd_lacp_partner_port_in_sync', s('eth3'))).toBe(0);
    // 15 = sync set but neither collecting nor distributing.
    expect(metricValue(fam, 'bondd_lacp_port_in_sync', s('eth4'))).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_port_collecting_distributing', s('eth4'))).toBe(0);
    // Collecting without distributing is not enough.
    const half = parseExposition(renderMetrics(snapshot({ bonds: [lacp({ slaves: [slave('eth9', { ad: { aggregatorId: 1, actorOperPortState: 0x08 | 0x10, partnerOperPortState: 0 } })] })] })));
    expect(metricValue(half, 'bondd_lacp_port_collecting_distributing', { bond: 'lacp0', slave: 'eth9' })).toBe(0);
    // Unknown partner state: no partner samples for eth4.
    expect(find(fam, 'bondd_lacp_partner_port_in_sync', s('eth4'))).toBeUndefined();
    expect(find(fam, 'bondd_lacp_partner_oper_port_state', s('eth4'))).toBeUndefined();
    expect(metricValue(fam, 'bondd_lacp_aggregator_id', s('eth3'))).toBe(2);
  });

  it('reports churn per side only where the kernel reports it', () => {
    expect(metricValue(fam, 'bondd_lacp_churned', { bond: 'lacp0', slave: 'eth2', side: 'actor' })).toBe(0);
    expect(metricValue(fam, 'bondd_lacp_churned', { bond: 'lacp0', slave: 'eth3', side: 'actor' })).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_churned', { bond: 'lacp0', slave: 'eth3', side: 'partner' })).toBe(0);
    expect(find(fam, 'bondd_lacp_churned', { bond: 'lacp0', slave: 'eth4', side: 'actor' })).toBeUndefined();
  });

  it('describes the active aggregator and counts MII-up slaves outside it', () => {
    expect(metricValue(fam, 'bondd_lacp_active_aggregator_info', { bond: 'lacp0', aggregator_id: '1', actor_key: '15', partner_key: '32', partner_mac: '00:11:22:33:44:55' })).toBe(1);
    expect(metricValue(fam, 'bondd_lacp_active_aggregator_ports', { bond: 'lacp0' })).toBe(1);
    // eth3 is up in aggregator 2; eth4 is in aggregator 3 but down, which is not a mismatch.
    expect(metricValue(fam, 'bondd_lacp_aggregator_mismatch', { bond: 'lacp0' })).toBe(1);
    expect(find(fam, 'bondd_lacp_aggregator_mismatch', { bond: 'bond0' })).toBeUndefined();
    expect(find(fam, 'bondd_lacp_port_in_sync', { bond: 'bond0', slave: 'eth0' })).toBeUndefined();
  });

  it('stamps the generation time in seconds, as a sample (not a timestamp)', () => {
    expect(metricValue(fam, 'bondd_metrics_generated_timestamp_seconds')).toBe(NOW / 1000);
  });

  it('leaves out the node_bonding_* names on request (textfile next to node_exporter\'s bonding collector)', () => {
    const f = parseExposition(renderMetrics(snapshot(), { nodeExporterCompat: false }));
    expect(f.has('node_bonding_slaves')).toBe(false);
    expect(f.has('node_bonding_active')).toBe(false);
    expect(metricValue(f, 'bondd_bond_slaves', { bond: 'bond0' })).toBe(2);
    expect(metricValue(f, 'bondd_bond_slaves_mii_up', { bond: 'bond0' })).toBe(1);
  });

  it('escapes awkward interface names in labels and the parser gets them back', () => {
    const name = 'b"o\\n\nd';
    const f = parseExposition(renderMetrics(snapshot({ bonds: [activeBackup({ name, activeSlave: 'e"1', slaves: [slave('e"1', { state: 'active' })] })], failovers: new Map(), drift: new Map() })));
    expect(metricValue(f, 'node_bonding_slaves', { master: name })).toBe(1);
    expect(metricValue(f, 'bondd_active_slave_info', { bond: name, slave: 'e"1' })).toBe(1);
    expect(renderMetrics(snapshot({ bonds: [activeBackup({ name })] }))).toContain('node_bonding_slaves{master="b\\"o\\\\n\\nd"} 2');
  });

  it('renders only the generation time when there are no bonds', () => {
    const f = parseExposition(renderMetrics({ bonds: [], failovers: new Map(), drift: new Map(), now: NOW }));
    expect([...f.keys()]).toEqual(['bondd_metrics_generated_timestamp_seconds']);
  });
});

describe('docs/metrics.md', () => {
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  it('documents every metric with its type and labels', () => {
    for (const d of Object.values(METRICS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${d.name}\``));
      expect(row, `a table row for ${d.name}`).toBeDefined();
      expect(row).toContain(`| ${d.type} |`);
      for (const label of d.labels) expect(row, `${d.name} documents label ${label}`).toContain(label);
    }
  });
});
