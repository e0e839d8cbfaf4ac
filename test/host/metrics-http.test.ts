/**
 * The /metrics endpoint over real HTTP on the host's loopback: a synthetic kernel view goes in,
 * fetch() scrapes it, and a strict parser of the text format checks names, labels and values.
 */
import { request, Agent } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ObservedBond } from '../../src/bond/backend.js';
import { renderMetrics } from '../../src/metrics/prometheus.js';
import { MetricsServer } from '../../src/metrics/server.js';
import { activeBackup, lacp, slave } from '../unit/metrics-fixtures.js';
import { parseExposition, metricValue } from '../unit/metrics-parser.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

interface Source {
  bonds: ObservedBond[];
  failovers: Map<string, number>;
  renders: number;
  fail?: Error;
  delayMs?: number;
}

async function start(source: Source, listen = '127.0.0.1:0', logs: string[] = []): Promise<MetricsServer> {
  const server = await MetricsServer.listen({
    listen,
    log: (m) => logs.push(m),
    render: async () => {
      source.renders++;
      if (source.delayMs) await new Promise((r) => setTimeout(r, source.delayMs));
      if (source.fail) throw source.fail;
      return renderMetrics({ bonds: source.bonds, failovers: source.failovers, drift: new Map([['bond0', false]]), now: Date.now() });
    },
  });
  servers.push(server);
  return server;
}

function base(server: MetricsServer): string {
  return server.address.url.replace(/\/metrics$/, '');
}

describe('metrics endpoint over HTTP', () => {
  it('serves the exposition with the 0.0.4 content type, and each scrape reads afresh', async () => {
    const source: Source = { bonds: [activeBackup(), lacp()], failovers: new Map([['bond0', 1]]), renders: 0 };
    const server = await start(source);
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);

    const res = await fetch(server.address.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(body));
    const f = parseExposition(body);
    expect(f.get('node_bonding_slaves')?.type).toBe('gauge');
    expect(metricValue(f, 'node_bonding_slaves', { master: 'bond0' })).toBe(2);
    expect(metricValue(f, 'node_bonding_active', { master: 'bond0' })).toBe(1);
    expect(metricValue(f, 'node_bonding_active', { master: 'lacp0' })).toBe(2);
    expect(metricValue(f, 'bondd_active_slave_info', { bond: 'bond0', slave: 'eth0' })).toBe(1);
    expect(f.get('bondd_failovers_total')?.type).toBe('counter');
    expect(metricValue(f, 'bondd_failovers_total', { bond: 'bond0' })).toBe(1);
    expect(metricValue(f, 'bondd_slave_link_failures_total', { bond: 'bond0', slave: 'eth1' })).toBe(3);
    expect(metricValue(f, 'bondd_lacp_port_in_sync', { bond: 'lacp0', slave: 'eth2' })).toBe(1);
    expect(metricValue(f, 'bondd_lacp_port_collecting_distributing', { bond: 'lacp0', slave: 'eth3' })).toBe(0);
    expect(metricValue(f, 'bondd_lacp_aggregator_id', { bond: 'lacp0', slave: 'eth3' })).toBe(2);
    const generated = metricValue(f, 'bondd_metrics_generated_timestamp_seconds');
    expect(Math.abs(generated - Date.now() / 1000)).toBeLessThan(60);

    // A failover happens between two scrapes.
    source.bonds = [activeBackup({ activeSlave: 'eth1', slaves: [slave('eth0', { mii: 'down', carrier: false, linkFailureCount: 1 }), slave('eth1', { state: 'active' })] })];
    source.failovers.set('bond0', 2);
    const g = parseExposition(await (await fetch(server.address.url)).text());
    expect(metricValue(g, 'bondd_active_slave_info', { bond: 'bond0', slave: 'eth1' })).toBe(1);
    expect(g.get('bondd_active_slave_info')!.samples).toHaveLength(1);
    expect(metricValue(g, 'bondd_failovers_total', { bond: 'bond0' })).toBe(2);
    expect(metricValue(g, 'bondd_slave_mii_up', { bond: 'bond0', slave: 'eth0' })).toBe(0);
    expect(metricValue(g, 'bondd_slave_mii_status', { bond: 'bond0', slave: 'eth0', status: 'down' })).toBe(1);
    expect(g.has('bondd_lacp_port_in_sync')).toBe(false);
    expect(source.renders).toBe(2);
  });

  it('answers HEAD without a body, ignores the query string, 404 elsewhere, 405 for other methods', async () => {
    const source: Source = { bonds: [activeBackup()], failovers: new Map(), renders: 0 };
    const server = await start(source);
    const head = await fetch(server.address.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('version=0.0.4');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');

    expect((await fetch(`${server.address.url}?name[]=node_bonding_active`)).status).toBe(200);
    for (const path of ['/', '/metrics/', '/metricsx', '/favicon.ico', '/api/v1/metrics']) {
      const res = await fetch(`${base(server)}${path}`);
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(server.address.url, { method, body: method === 'DELETE' ? null : 'x' });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      await res.arrayBuffer();
    }
  });

  it('answers 500 and logs when the kernel cannot be read, then recovers', async () => {
    const logs: string[] = [];
    const source: Source = { bonds: [activeBackup()], failovers: new Map(), renders: 0, fail: new Error('netlink socket closed') };
    const server = await start(source, '127.0.0.1:0', logs);
    const res = await fetch(server.address.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('netlink socket closed');
    expect(logs).toEqual([expect.stringContaining('netlink socket closed')]);
    delete source.fail;
    expect((await fetch(server.address.url)).status).toBe(200);
  });

  it('concurrent scrapes share one reading of the kernel', async () => {
    const source: Source = { bonds: [activeBackup()], failovers: new Map(), renders: 0, delayMs: 100 };
    const server = await start(source);
    const bodies = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(server.address.url)).text()));
    expect(new Set(bodies).size).toBe(1);
    expect(source.renders).toBe(1);
    await fetch(server.address.url).then((r) => r.text());
    expect(source.renders).toBe(2);
  });

  it('listens on IPv6 loopback', async () => {
    const source: Source = { bonds: [activeBackup()], failovers: new Map(), renders: 0 };
    let server: MetricsServer;
    try {
      server = await start(source, '[::1]:0');
    } catch (error) {
      // A host without IPv6 on lo: nothing to test here.
      if (/EADDRNOTAVAIL|EAFNOSUPPORT/.test((error as Error).message)) return;
      throw error;
    }
    expect(server.address.host).toBe('::1');
    expect(server.address.url).toMatch(/^http:\/\/\[::1\]:\d+\/metrics$/);
    const f = parseExposition(await (await fetch(server.address.url)).text());
    expect(metricValue(f, 'node_bonding_slaves', { master: 'bond0' })).toBe(2);
  });

  it('refuses a non-loopback address unless allowed, and reports an address in use', async () => {
    const render = async () => '';
    await expect(MetricsServer.listen({ listen: '0.0.0.0:0', render })).rejects.toThrow(/not a loopback address/);
    const open = await MetricsServer.listen({ listen: '0.0.0.0:0', allowNonLoopback: true, render });
    servers.push(open);
    expect(open.address.host).toBe('0.0.0.0');

    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(MetricsServer.listen({ listen: `127.0.0.1:${port}`, render })).rejects.toThrow(`metrics: cannot listen on 127.0.0.1:${port}: the address is in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('close() does not wait for idle keep-alive connections, and the port is free afterwards', async () => {
    const source: Source = { bonds: [activeBackup()], failovers: new Map(), renders: 0 };
    const server = await start(source);
    servers.splice(servers.indexOf(server), 1);
    const agent = new Agent({ keepAlive: true });
    const { port } = server.address;
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    agent.destroy();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    const again = await start(source, `127.0.0.1:${port}`);
    expect(again.address.port).toBe(port);
  });
});
