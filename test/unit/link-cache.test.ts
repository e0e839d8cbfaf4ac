import { describe, expect, it } from 'vitest';
import { LinkCache } from '../../src/state/link-cache.js';
import type { LinkMessage } from '../../src/netlink/link.js';

function link(index: number, name: string, extra: Partial<LinkMessage> = {}): LinkMessage {
  return {
    type: 'new', family: 0, index, ifType: 1, name, flags: 0x1, change: 0, up: true, lowerUp: true, running: true,
    operstate: 'up', carrier: 1, mtu: 1500, altNames: [], attrs: undefined as never, ...extra,
  } as LinkMessage;
}
const bond = (active: number | undefined, extra: Partial<LinkMessage> = {}) =>
  link(7, 'bond0', { kind: 'bond', bond: { mode: 1, activeSlave: active, arpIpTargets: [], nsIp6Targets: [], unknown: new Map() }, ...extra });
const slave = (index: number, name: string, state: number, mii: number, extra: Partial<LinkMessage> = {}) =>
  link(index, name, { kind: 'veth', master: 7, slaveKind: 'bond', bondSlave: { state, miiStatus: mii, linkFailureCount: mii === 2 ? 1 : 0, unknown: new Map() }, ...extra });

function seeded(): LinkCache {
  const cache = new LinkCache();
  cache.resync([bond(4), slave(4, 'eth0', 0, 0), slave(6, 'eth1', 1, 0)]);
  return cache;
}

describe('link cache and bond events', () => {
  it('reports nothing on the first load', () => {
    const cache = new LinkCache();
    expect(cache.resync([bond(4), slave(4, 'eth0', 0, 0)])).toEqual([]);
    expect(cache.byName('eth0')?.master).toBe(7);
  });

  it('turns the kernel failover sequence into carrier, mii, state and failover events', () => {
    const cache = seeded();
    const t0 = 1_000_000;
    const events = [
      ...cache.update(slave(4, 'eth0', 0, 0, { carrier: 0, lowerUp: false }), t0),
      ...cache.update(slave(4, 'eth0', 0, 2, { carrier: 0, lowerUp: false }), t0 + 70),
      ...cache.update(slave(4, 'eth0', 1, 2, { carrier: 0, lowerUp: false }), t0 + 70),
      ...cache.update(slave(6, 'eth1', 0, 0), t0 + 70),
      ...cache.update(bond(6, { event: 'failover' }), t0 + 70),
      ...cache.update(bond(6, { event: 'notify-peers' }), t0 + 71),
    ];
    expect(events.map((e) => e.kind)).toEqual(['carrier', 'slave-mii', 'slave-state', 'slave-state', 'failover']);
    const failover = events.at(-1)!;
    expect(failover.bond).toBe('bond0');
    expect(failover.data).toMatchObject({ from: 'eth0', to: 'eth1', cause: 'link failure on eth0', event: true });
  });

  it('detects an active slave change without the failover event (balance-tlb/alb)', () => {
    const cache = seeded();
    const events = cache.update(bond(6));
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ from: 'eth0', to: 'eth1', event: false });
    expect(events[0]!.data!['cause']).toMatch(/reselection/);
  });

  it('ignores duplicates', () => {
    const cache = seeded();
    expect(cache.update(slave(4, 'eth0', 0, 0))).toEqual([]);
    expect(cache.update(bond(4, { event: 'failover' }))).toEqual([]);
  });

  it('reports losing every slave as no active slave', () => {
    const cache = seeded();
    const events = cache.update(bond(undefined, { carrier: 0, lowerUp: false }));
    expect(events.map((e) => e.kind)).toEqual(['carrier', 'no-active-slave']);
  });

  it('reports slaves joining, leaving and disappearing, and new interfaces', () => {
    const cache = seeded();
    expect(cache.update(link(9, 'eth2', { kind: 'veth' })).map((e) => e.kind)).toEqual(['interface-appeared']);
    expect(cache.update(slave(9, 'eth2', 1, 0)).map((e) => e.kind)).toEqual(['slave-added']);
    expect(cache.update(link(9, 'eth2', { kind: 'veth' })).map((e) => e.kind)).toEqual(['slave-removed']);
    const gone = cache.update({ ...slave(6, 'eth1', 1, 0), type: 'del' });
    expect(gone.map((e) => [e.kind, e.bond ?? null, e.slave])).toEqual([['slave-removed', 'bond0', 'eth1'], ['interface-removed', null, 'eth1']]);
  });

  it('recovers the net effect of dropped notifications on resync', () => {
    const cache = seeded();
    const events = cache.resync([bond(6), slave(6, 'eth1', 0, 0)]);
    expect(events.map((e) => e.kind).sort()).toEqual(['failover', 'interface-removed', 'slave-removed', 'slave-state'].sort());
  });

  it('records an option change made behind bondd\'s back', () => {
    const cache = seeded();
    expect(cache.update(bond(4, { event: 'bonding-options' })).map((e) => e.kind)).toEqual(['options-changed']);
  });
});
