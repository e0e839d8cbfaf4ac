/**
 * Adding a configured route never takes over one bondd did not make: the default route another
 * interface has (DHCP on eth0) stays, and the error says what to do; `replace: true` on the route
 * takes it over; a route to the same destination on the same device (a changed gateway) is
 * replaced as before. Real kernel, own namespace; a bridge stands in for the bond (the host
 * kernel has no bonding driver; KernelHost.addRoute only needs the device).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KernelHost } from '../../src/plan/host.js';
import { useNamespace, type Namespace } from '../netns/index.js';

describe('KernelHost.addRoute', () => {
  let ns: Namespace;
  let host: KernelHost;
  beforeAll(async () => {
    ns = await useNamespace('route');
    await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    await ns.ip('link', 'add', 'bond0', 'type', 'bridge');
    for (const l of ['eth0', 'eth0p', 'bond0']) await ns.ip('link', 'set', l, 'up');
    await ns.ip('addr', 'add', '198.51.100.2/24', 'dev', 'eth0');
    await ns.ip('addr', 'add', '192.0.2.10/24', 'dev', 'bond0');
    await ns.ip('route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth0');
    host = KernelHost.open({ netnsPath: ns.path });
  });
  afterAll(async () => {
    await host?.close();
  });

  const defaults = async () => (await ns.ipJson<Array<{ gateway?: string; dev: string }>>('route', 'show', 'default')).map((r) => `${r.gateway} ${r.dev}`);

  it("refuses to replace the default route of another interface, naming the way out", async () => {
    await expect(host.addRoute('bond0', { to: '0.0.0.0/0', via: '192.0.2.1' })).rejects.toThrow(
      /bond0: route 0\.0\.0\.0\/0 via 192\.0\.2\.1: a route to 0\.0\.0\.0\/0 with this metric already exists and bondd did not make it; .*replace: true/,
    );
    expect(await defaults()).toEqual(['198.51.100.1 eth0']);
  });

  it('a route with another metric is simply added', async () => {
    await host.addRoute('bond0', { to: '0.0.0.0/0', via: '192.0.2.1', metric: 100 });
    expect(await defaults()).toEqual(['198.51.100.1 eth0', '192.0.2.1 bond0']);
    await ns.ip('route', 'del', 'default', 'via', '192.0.2.1', 'dev', 'bond0', 'metric', '100');
  });

  it('replace: true takes it over; a new gateway on the same device replaces bondd\'s own route', async () => {
    await host.addRoute('bond0', { to: '0.0.0.0/0', via: '192.0.2.1', replace: true });
    expect(await defaults()).toEqual(['192.0.2.1 bond0']);
    await host.addRoute('bond0', { to: '0.0.0.0/0', via: '192.0.2.2' });
    expect(await defaults()).toEqual(['192.0.2.2 bond0']);
  });
});
