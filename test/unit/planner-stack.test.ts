/**
 * The planner on a bond's stack: build order, no-op on an unchanged stack, removal of only what
 * bondd created, re-creation of a VLAN with the wrong id, restore of what the kernel drops on the
 * VLANs when the bond is cycled, snapshot for rollback.
 */
import { describe, expect, it } from 'vitest';
import type { ObservedBond } from '../../src/bond/backend.js';
import type { DesiredBond } from '../../src/config/types.js';
import { snapshotConfig } from '../../src/plan/executor.js';
import { emptyHost, type ObservedHost, type ObservedInterface } from '../../src/plan/observed.js';
import { describeStep, plan } from '../../src/plan/planner.js';

function desired(overrides: Partial<DesiredBond> = {}): DesiredBond {
  return {
    name: 'bond0', mode: '802.3ad', options: { miimon: 100, lacp_rate: 'slow' },
    slaves: [{ name: 'eth0', options: {} }, { name: 'eth1', options: {} }],
    addresses: [], routes: [], backend: 'netlink', drift: 'alert', up: true,
    origin: { file: 'test.yaml', line: 1 },
    vlans: [
      { id: 10, name: 'bond0.10', addresses: ['192.0.2.10/24', '2001:db8:10::10/64'], gateway: { v4: '192.0.2.1' }, routes: [], acceptRa: false },
      { id: 20, name: 'bond0.20', addresses: [], routes: [], bridge: { name: 'br20', stp: false, forwardDelay: 0, addresses: ['198.51.100.10/24'], routes: [{ to: '203.0.113.0/24', via: '198.51.100.254' }] } },
    ],
    ...overrides,
  };
}

function observedBond(overrides: Partial<ObservedBond> = {}): ObservedBond {
  return {
    name: 'bond0', index: 10, up: true, carrier: true, mtu: 1500, mac: '52:54:00:00:00:02', mode: '802.3ad',
    options: { miimon: 100, lacp_rate: 'slow' }, slaves: [
      { name: 'eth0', index: 2, permMac: '52:54:00:00:00:02', state: 'active', mii: 'up', linkFailureCount: 0, options: {}, speedMbps: 1000, duplex: 'full', carrier: true },
      { name: 'eth1', index: 3, permMac: '52:54:00:00:00:03', state: 'active', mii: 'up', linkFailureCount: 0, options: {}, speedMbps: 1000, duplex: 'full', carrier: true },
    ],
    activeSlave: null, primary: null, ad: null, ...overrides,
  };
}

const inet6 = (acceptRa = 1, disableIpv6 = 0) => ({ acceptRa, disableIpv6 });

/** The host after a complete apply of desired(). */
function builtHost(): ObservedHost {
  const h = emptyHost();
  const link = (i: ObservedInterface) => h.interfaces.push(i);
  link({ name: 'eth0', index: 2, permMac: '52:54:00:00:00:02', master: 'bond0', up: true, kind: 'veth' });
  link({ name: 'eth1', index: 3, permMac: '52:54:00:00:00:03', master: 'bond0', up: true, kind: 'veth' });
  link({ name: 'bond0', index: 10, permMac: null, master: null, up: true, kind: 'bond', mtu: 1500, inet6: inet6() });
  link({ name: 'bond0.10', index: 11, permMac: null, master: null, up: true, kind: 'vlan', mtu: 1500, vlan: { id: 10, link: 'bond0' }, alias: 'bondd:bond0', inet6: inet6(0) });
  link({ name: 'bond0.20', index: 12, permMac: null, master: 'br20', up: true, kind: 'vlan', mtu: 1500, vlan: { id: 20, link: 'bond0' }, alias: 'bondd:bond0', inet6: inet6(1, 1) });
  link({ name: 'br20', index: 13, permMac: null, master: null, up: true, kind: 'bridge', mtu: 1500, bridge: { stp: false, forwardDelay: 0 }, alias: 'bondd:bond0', inet6: inet6() });
  h.bonds.set('bond0', observedBond());
  h.addresses.set('bond0', []);
  h.addresses.set('bond0.10', ['192.0.2.10/24', '2001:db8:10::10/64']);
  h.routes.set('bond0.10', [{ to: '0.0.0.0/0', via: '192.0.2.1' }]);
  h.addresses.set('bond0.20', []);
  h.addresses.set('br20', ['198.51.100.10/24']);
  h.routes.set('br20', [{ to: '203.0.113.0/24', via: '198.51.100.254' }]);
  return h;
}

const ops = (p: ReturnType<typeof plan>) => p.steps.map((s) => describeStep(s));

describe('planner: the bond stack', () => {
  it('builds bond → VLANs → bridges → settings → up → addresses → routes', () => {
    const h = emptyHost();
    h.interfaces = [
      { name: 'eth0', index: 2, permMac: '52:54:00:00:00:02', master: null, up: false, kind: 'veth' },
      { name: 'eth1', index: 3, permMac: '52:54:00:00:00:03', master: null, up: false, kind: 'veth' },
    ];
    expect(ops(plan({ bonds: [desired()] }, h))).toEqual([
      'create bond0 mode 802.3ad miimon=100 lacp_rate=slow',
      'enslave eth0 to bond0',
      'enslave eth1 to bond0',
      'set bond0 up',
      'create VLAN bond0.10 id 10 on bond0',
      'create VLAN bond0.20 id 20 on bond0',
      'create bridge br20 stp off forward_delay 0',
      'add bond0.20 to bridge br20',
      'set bond0.20 disable_ipv6=1',
      'set bond0.10 accept_ra=0',
      'set bond0.10 up',
      'set bond0.20 up',
      'set br20 up',
      'add address 192.0.2.10/24 to bond0.10',
      'add address 2001:db8:10::10/64 to bond0.10',
      'add address 198.51.100.10/24 to br20',
      'add route 0.0.0.0/0 via 192.0.2.1 dev bond0.10',
      'add route 203.0.113.0/24 via 198.51.100.254 dev br20',
    ]);
  });

  it('an unchanged stack is an empty plan; DHCP leases and foreign addresses are not drift', () => {
    const h = builtHost();
    h.leases = new Map([['bond0.10', ['203.0.113.50/24']]]);
    h.addresses.set('br20', ['198.51.100.10/24', '198.51.100.99/24']);
    expect(ops(plan({ bonds: [desired()] }, h))).toEqual([]);
  });

  it('detects drift on every layer', () => {
    const h = builtHost();
    h.addresses.set('bond0.10', ['192.0.2.10/24']);
    h.interfaces.find((i) => i.name === 'bond0.20')!.master = null;
    h.interfaces.find((i) => i.name === 'br20')!.bridge = { stp: true, forwardDelay: 15 };
    h.interfaces.find((i) => i.name === 'bond0.10')!.inet6 = inet6(1);
    const p = plan({ bonds: [desired()] }, h);
    expect(ops(p)).toEqual([
      'set bridge br20 stp off forward_delay 0',
      'add bond0.20 to bridge br20',
      'set bond0.10 accept_ra=0',
      'add address 2001:db8:10::10/64 to bond0.10',
    ]);
    expect(p.steps.every((s) => s.bond === 'bond0')).toBe(true);
  });

  it('removing a VLAN from the configuration deletes only that VLAN (bridge first), never one bondd did not create', () => {
    const h = builtHost();
    // A VLAN some other tool made on the same bond: not bondd's to remove.
    h.interfaces.push({ name: 'bond0.99', index: 20, permMac: null, master: null, up: true, kind: 'vlan', vlan: { id: 99, link: 'bond0' } });
    const d = desired();
    d.vlans = d.vlans!.slice(0, 1);
    expect(ops(plan({ bonds: [d] }, h))).toEqual(['delete br20', 'delete bond0.20']);
  });

  it('a VLAN with the configured name but another id is re-created', () => {
    const h = builtHost();
    h.interfaces.find((i) => i.name === 'bond0.10')!.vlan = { id: 11, link: 'bond0' };
    const p = ops(plan({ bonds: [desired()] }, h));
    expect(p).toEqual([
      'delete bond0.10',
      'create VLAN bond0.10 id 10 on bond0',
      'set bond0.10 accept_ra=0',
      'set bond0.10 up',
      'add address 192.0.2.10/24 to bond0.10',
      'add address 2001:db8:10::10/64 to bond0.10',
      'add route 0.0.0.0/0 via 192.0.2.1 dev bond0.10',
    ]);
  });

  it('a device of another kind with a configured name is a problem, not replaced', () => {
    const h = builtHost();
    h.interfaces.find((i) => i.name === 'br20')!.kind = 'dummy';
    const p = plan({ bonds: [desired()] }, h);
    expect(p.problems.map((x) => x.message)).toEqual(['bond0: br20 exists as a dummy device, not a bridge; bondd does not replace it']);
    expect(ops(p).some((s) => s.includes('br20'))).toBe(false);
  });

  it('a change that takes the bond down restores what the kernel drops on its VLANs (configured or not), not on the bridge', () => {
    const h = builtHost();
    h.addresses.set('bond0.10', ['192.0.2.10/24', '2001:db8:10::10/64', '192.0.2.99/24']);
    h.routes.set('bond0.10', [{ to: '0.0.0.0/0', via: '192.0.2.1' }, { to: '198.51.100.0/25', via: '192.0.2.254' }]);
    const p = plan({ bonds: [desired({ options: { miimon: 100, lacp_rate: 'fast' } })] }, h);
    expect(ops(p)).toEqual([
      'set bond0 down',
      'set bond0 lacp_rate=fast',
      'set bond0 up',
      'add address 2001:db8:10::10/64 to bond0.10',
      'add route 0.0.0.0/0 via 192.0.2.1 dev bond0.10',
      'add route 198.51.100.0/25 via 192.0.2.254 dev bond0.10',
    ]);
    expect(p.steps.slice(3).every((s) => s.reason.endsWith('(the kernel drops it while bond0.10 is down with its bond)'))).toBe(true);
  });

  it('the bond as a bridge port: the bridge carries the address', () => {
    const h = builtHost();
    const d = desired({ vlans: undefined, bridge: { name: 'vmbr0', addresses: ['203.0.113.20/24'], gateway: { v4: '203.0.113.1' }, routes: [] } });
    expect(ops(plan({ bonds: [d] }, h))).toEqual([
      'delete br20',
      'delete bond0.10',
      'delete bond0.20',
      'create bridge vmbr0',
      'add bond0 to bridge vmbr0',
      'set bond0 disable_ipv6=1',
      'set vmbr0 up',
      'add address 203.0.113.20/24 to vmbr0',
      'add route 0.0.0.0/0 via 203.0.113.1 dev vmbr0',
    ]);
  });

  it('the rollback snapshot reproduces the observed stack (planning towards it is empty)', () => {
    const h = builtHost();
    const snap = snapshotConfig(h, ['bond0'], new Map([['bond0', 'netlink']]));
    expect(snap.bonds[0]!.vlans!.map((v) => [v.name, v.id, v.bridge?.name ?? null])).toEqual([
      ['bond0.10', 10, null],
      ['bond0.20', 20, 'br20'],
    ]);
    expect(ops(plan(snap, h))).toEqual([]);
  });

  it('sets accept_ra on a bond the same plan creates (a new device starts with the default, 1)', () => {
    const h = emptyHost();
    h.interfaces = [
      { name: 'eth0', index: 2, permMac: '52:54:00:00:00:02', master: null, up: false, kind: 'veth' },
      { name: 'eth1', index: 3, permMac: '52:54:00:00:00:03', master: null, up: false, kind: 'veth' },
    ];
    const steps = ops(plan({ bonds: [desired({ vlans: [], acceptRa: false, addresses: ['192.0.2.10/24'] })] }, h));
    expect(steps).toContain('set bond0 accept_ra=0');
    expect(steps.indexOf('set bond0 accept_ra=0')).toBeGreaterThan(steps.indexOf('create bond0 mode 802.3ad miimon=100 lacp_rate=slow'));
  });
});
