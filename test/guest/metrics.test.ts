/**
 * Metrics on the real bonding driver.
 *
 * 1. Rendered from the netlink backend's readBond() of an active-backup bond built through sysfs
 *    (no bondd in the way): node_bonding_slaves / node_bonding_active must equal what
 *    node_exporter computes from sysfs (bonding/slaves, bonding_slave/mii_status == "up") and what
 *    /proc/net/bonding says, before and after a failover.
 * 2. bondd itself managing a bond in a namespace: scrape /metrics over HTTP, fail the active NIC,
 *    and see the new active slave, the failover counter and the textfile follow.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/backend/open-backend.js';
import { Daemon, type Logger } from '../../src/daemon/daemon.js';
import { renderMetrics } from '../../src/metrics/prometheus.js';
import { parseProcBonding } from '../../src/sysfs/procfs.js';
import { useTopology, waitFor, type Namespace } from '../netns/index.js';
import { find, parseExposition, metricValue, type Family } from '../unit/metrics-parser.js';

/** waitFor, typed without the falsy values it never returns. */
async function until<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs: number, stepMs?: number): Promise<T> {
  return (await waitFor(check, what, timeoutMs, stepMs)) as T;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** What node_exporter's bonding collector reports, computed the way it does (from sysfs). */
async function nodeExporterView(ns: Namespace, bond: string): Promise<{ slaves: number; active: number }> {
  const out = await ns.exec('sh', ['-c', `s=$(cat /sys/class/net/${bond}/bonding/slaves); echo "$s"; for i in $s; do echo "$i $(cat /sys/class/net/${bond}/lower_$i/bonding_slave/mii_status)"; done`]);
  const [names = '', ...rest] = out.stdout.trim().split('\n');
  const slaves = names.trim() ? names.trim().split(/\s+/) : [];
  return { slaves: slaves.length, active: rest.filter((l) => l.split(' ')[1] === 'up').length };
}

describe('metrics from readBond() on the real driver', () => {
  it('node_bonding_* match node_exporter (sysfs) and /proc/net/bonding before and after a failover', async () => {
    const topo = await useTopology({ nics: 2 });
    const ns = topo.host;
    const sh = (script: string) => ns.exec('sh', ['-c', script]);
    await ns.exec('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
    await sh('echo +bond0 > /sys/class/net/bonding_masters');
    await sh('echo active-backup > /sys/class/net/bond0/bonding/mode && echo 100 > /sys/class/net/bond0/bonding/miimon');
    await sh('echo +eth0 > /sys/class/net/bond0/bonding/slaves && echo +eth1 > /sys/class/net/bond0/bonding/slaves');
    await ns.ip('link', 'set', 'bond0', 'up');

    const proc = async () => parseProcBonding((await ns.exec('cat', ['/proc/net/bonding/bond0'])).stdout);
    const backend = openBackend('netlink', { netnsPath: ns.path });
    const scrape = async () => {
      const bond = await backend.readBond('bond0');
      expect(bond).not.toBeNull();
      return parseExposition(renderMetrics({ bonds: [bond!], failovers: new Map(), drift: new Map(), now: Date.now() }));
    };
    const check = async (f: Map<string, Family>, p: Awaited<ReturnType<typeof proc>>) => {
      const nx = await nodeExporterView(ns, 'bond0');
      expect(metricValue(f, 'node_bonding_slaves', { master: 'bond0' })).toBe(nx.slaves);
      expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(nx.active);
      expect(metricValue(f, 'node_bonding_slaves', { master: 'bond0' })).toBe(p.slaves.length);
      expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(p.slaves.filter((s) => s.miiStatus === 'up').length);
      for (const s of p.slaves) {
        expect(metricValue(f, 'bondd_slave_link_failures_total', { bond: 'bond0', slave: s.name }), s.name).toBe(s.linkFailureCount);
        expect(metricValue(f, 'bondd_slave_mii_up', { bond: 'bond0', slave: s.name }), s.name).toBe(s.miiStatus === 'up' ? 1 : 0);
      }
      expect(f.get('bondd_active_slave_info')?.samples.map((s) => s.labels['slave'])).toEqual([p.currentlyActiveSlave]);
    };
    try {
      const first = await until(async () => {
        const p = await proc();
        return p.currentlyActiveSlave && p.slaves.every((s) => s.miiStatus === 'up') ? p : null;
      }, 'bond0 to have an active slave with both slaves up', 10_000);
      const before = await scrape();
      await check(before, first);
      expect(metricValue(before, 'node_bonding_active', { master: 'bond0' })).toBe(2);
      expect(metricValue(before, 'bondd_bond_info', { bond: 'bond0', mode: 'active-backup' })).toBe(1);
      expect(metricValue(before, 'bondd_bond_miimon_interval_seconds', { bond: 'bond0' })).toBe(0.1);

      const active = first.currentlyActiveSlave!;
      const other = active === 'eth0' ? 'eth1' : 'eth0';
      await topo.cutCarrier(active);
      const after = await until(async () => {
        const p = await proc();
        return p.currentlyActiveSlave === other && p.slaves.find((s) => s.name === active)?.miiStatus === 'down' ? p : null;
      }, `bond0 to fail over to ${other}`, 10_000);
      const f = await scrape();
      await check(f, after);
      // One slave still up: node_bonding_active counts it although it was the backup before.
      expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(1);
      expect(metricValue(f, 'bondd_slave_mii_status', { bond: 'bond0', slave: active, status: 'down' })).toBe(1);
      expect(metricValue(f, 'bondd_slave_link_failures_total', { bond: 'bond0', slave: active })).toBeGreaterThanOrEqual(1);
      expect(metricValue(f, 'bondd_slave_active', { bond: 'bond0', slave: other })).toBe(1);
    } finally {
      await backend.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('bondd serving metrics for a bond it manages', () => {
  it('scrape, fail over, scrape: new active slave, failover counted, textfile follows; stop removes the textfile', async () => {
    const topo = await useTopology({ nics: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'bondd-metrics-guest-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, 'bondd.yaml'),
      ['version: 1', 'bonds:', '  bond0:', '    mode: active-backup', '    backend: netlink', '    options:', '      miimon: 100', '    slaves: [eth0, eth1]', ''].join('\n'),
    );
    const lines: string[] = [];
    const log: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const port = await freePort();
    const textfile = join(dir, 'bondd.prom');
    const daemon = await Daemon.start({
      load: { configFile: join(dir, 'bondd.yaml') },
      stateDir: join(dir, 'state'),
      socketPath: join(dir, 'control.sock'),
      netnsPath: topo.host.path,
      log,
      metricsListen: `127.0.0.1:${port}`,
      metricsTextfile: textfile,
    });
    const url = `http://127.0.0.1:${port}/metrics`;
    const scrape = async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    try {
      const ready = await until(async () => {
        const f = await scrape();
        return find(f, 'node_bonding_active', { master: 'bond0' })?.value === 2 && f.get('bondd_active_slave_info') ? f : null;
      }, 'bond0 up with both slaves and an active one, seen through /metrics', 20_000, 100);
      expect(metricValue(ready, 'bondd_drift', { bond: 'bond0' })).toBe(0);
      expect(metricValue(ready, 'bondd_bond_carrier', { bond: 'bond0' })).toBe(1);
      expect(metricValue(ready, 'node_bonding_slaves', { master: 'bond0' })).toBe(2);
      const active = ready.get('bondd_active_slave_info')!.samples[0]!.labels['slave']!;
      const other = active === 'eth0' ? 'eth1' : 'eth0';
      const failoversBefore = metricValue(ready, 'bondd_failovers_total', { bond: 'bond0' });

      // The textfile: written at start and after the bond events of the apply; no node_bonding_*.
      const tf = await until(() => {
        const f = existsSync(textfile) ? parseExposition(readFileSync(textfile, 'utf8')) : null;
        return f && find(f, 'bondd_active_slave_info', { bond: 'bond0', slave: active }) ? f : null;
      }, 'the textfile to name the active slave', 10_000, 50);
      expect(tf.has('node_bonding_active')).toBe(false);
      expect(metricValue(tf, 'bondd_bond_slaves', { bond: 'bond0' })).toBe(2);

      await topo.cutCarrier(active);
      const after = await until(async () => {
        const f = await scrape();
        return find(f, 'bondd_active_slave_info', { bond: 'bond0', slave: other }) ? f : null;
      }, `/metrics to show ${other} active`, 10_000, 50);
      const counted = await until(async () => {
        const f = await scrape();
        return metricValue(f, 'bondd_failovers_total', { bond: 'bond0' }) === failoversBefore + 1 ? f : null;
      }, 'bondd_failovers_total to count the failover', 5_000, 50);
      expect(metricValue(counted, 'node_bonding_active', { master: 'bond0' })).toBe(1);
      expect(metricValue(after, 'bondd_slave_link_failures_total', { bond: 'bond0', slave: active })).toBeGreaterThanOrEqual(1);
      expect(metricValue(after, 'bondd_slave_mii_up', { bond: 'bond0', slave: active })).toBe(0);
      await waitFor(() => {
        const f = parseExposition(readFileSync(textfile, 'utf8'));
        return find(f, 'bondd_active_slave_info', { bond: 'bond0', slave: other }) && metricValue(f, 'bondd_failovers_total', { bond: 'bond0' }) === failoversBefore + 1;
      }, 'the textfile to follow the failover', 5_000, 50);
    } finally {
      await daemon.stop();
    }
    expect(existsSync(textfile)).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
  });
});
