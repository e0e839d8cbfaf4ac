import { describe, expect, it } from 'vitest';
import { plan, describeStep } from '../../src/plan/planner.js';
import type { ObservedBond, ObservedSlave } from '../../src/bond/backend.js';
import type { DesiredBond } from '../../src/config/types.js';
import { emptyHost, type ObservedHost, type ObservedInterface } from '../../src/plan/observed.js';

function desired(overrides: Partial<DesiredBond> = {}): DesiredBond {
  return {
    name: 'bond0', mode: 'active-backup', options: { miimon: 100 },
    slaves: [{ name: 'eth0', options: {} }, { name: 'eth1', options: {} }],
    addresses: ['192.0.2.10/24'], routes: [], backend: 'sysfs', drift: 'alert', up: true,
    origin: { file: 'test.yaml', line: 1 }, ...overrides,
  };
}

function nic(name: string, index: number, master: string | null = null, permMac = `52:54:00:00:00:0${index}`): ObservedInterface {
  return { name, index, permMac, master, up: master !== null, kind: 'veth' };
}

function slave(name: string, index: number, state: 'active' | 'backup', options = {}): ObservedSlave {
  return { name, index, permMac: `52:54:00:00:00:0${index}`, state, mii: 'up', linkFailureCount: 0, options: { queue_id: 0, prio: 0, ...options }, speedMbps: 10000, duplex: 'full', carrier: true };
}

function observedBond(overrides: Partial<ObservedBond> = {}): ObservedBond {
  return {
    name: 'bond0', index: 10, up: true, carrier: true, mtu: 1500, mac: '52:54:00:00:00:02', mode: 'active-backup',
    options: { miimon: 100, updelay: 0, downdelay: 0, lacp_rate: 'slow', fail_over_mac: 'none' },
    slaves: [slave('eth0', 2, 'active'), slave('eth1', 3, 'backup')], activeSlave: 'eth0', primary: null, ad: null, ...overrides,
  };
}

function host(bond?: ObservedBond, extra: ObservedInterface[] = []): ObservedHost {
  const h = emptyHost();
  const master = bond ? bond.name : null;
  h.interfaces = [nic('eth0', 2, master), nic('eth1', 3, master), ...extra];
  if (bond) {
    h.bonds.set(bond.name, bond);
    h.interfaces.push({ name: bond.name, index: bond.index, permMac: null, master: null, up: bond.up, kind: 'bond' });
    h.addresses.set(bond.name, ['192.0.2.10/24']);
  }
  return h;
}

const ops = (p: ReturnType<typeof plan>) => p.steps.map((s) => describeStep(s));

describe('planner', () => {
  it('a change that takes an up bond down puts back the routes and IPv6 addresses the kernel drops then, configured or not', () => {
    const d = desired({
      mode: '802.3ad',
      options: { miimon: 100, lacp_rate: 'fast' },
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      gateway: { v4: '192.0.2.1' },
      routes: [{ to: '198.51.100.0/24', via: '192.0.2.1' }],
    });
    const h = host(observedBond({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'slow' }, activeSlave: null }));
    // A VIP and a route some other tool added, next to what bondd configured.
    h.addresses.set('bond0', ['192.0.2.10/24', '2001:db8::10/64', '2001:db8::99/64']);
    h.routes.set('bond0', [{ to: '0.0.0.0/0', via: '192.0.2.1' }, { to: '198.51.100.0/24', via: '192.0.2.1' }, { to: '203.0.113.0/24', via: '192.0.2.254', metric: 50 }]);
    const p = plan({ bonds: [d] }, h);
    expect(ops(p)).toEqual([
      'set bond0 down',
      'set bond0 lacp_rate=fast',
      'set bond0 up',
      'add address 2001:db8::10/64 to bond0',
      'add address 2001:db8::99/64 to bond0',
      'add route 0.0.0.0/0 via 192.0.2.1 dev bond0',
      'add route 198.51.100.0/24 via 192.0.2.1 dev bond0',
      'add route 203.0.113.0/24 via 192.0.2.254 metric 50 dev bond0',
    ]);
    expect(p.steps.slice(3).every((s) => s.impact === 'none' && s.reason.endsWith('(the kernel drops it while bond0 is down)'))).toBe(true);

    // Without the down cycle nothing is re-added, and a bond configured down is simply taken down.
    h.bonds.set('bond0', observedBond({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast' }, activeSlave: null }));
    expect(ops(plan({ bonds: [d] }, h))).toEqual([]);
    h.bonds.set('bond0', observedBond({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'slow' }, activeSlave: null }));
    expect(ops(plan({ bonds: [{ ...d, up: false }] }, h))).toEqual(['set bond0 down', 'set bond0 lacp_rate=fast']);
  });

  it('builds a new bond in kernel order: create with options, enslave, up, address, gateway', () => {
    const p = plan({ bonds: [desired({ gateway: { v4: '192.0.2.1' }, primary: 'eth0' })] }, host());
    expect(ops(p)).toEqual([
      'create bond0 mode active-backup miimon=100',
      'enslave eth0 to bond0',
      'enslave eth1 to bond0',
      'set bond0 primary=eth0',
      'set bond0 up',
      'add address 192.0.2.10/24 to bond0',
      'add route 0.0.0.0/0 via 192.0.2.1 dev bond0',
    ]);
    expect(p.impact).toBe('brief');
    expect(p.pending).toEqual([]);
  });

  it('plans nothing when the kernel already matches: re-applying never flaps', () => {
    const p = plan({ bonds: [desired()] }, host(observedBond()));
    expect(p.steps).toEqual([]);
    expect(p.impact).toBe('none');
  });

  it('re-applies the delays when miimon changes, without taking the bond down', () => {
    const p = plan({ bonds: [desired({ options: { miimon: 50, updelay: 200 } })] }, host(observedBond({ options: { miimon: 100, updelay: 200 } })));
    expect(ops(p)).toEqual(['set bond0 miimon=50 updelay=200']);
    expect(p.impact).toBe('none');
  });

  it('takes the bond down only for needs-down options and brings it back up', () => {
    const d = desired({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' } });
    const o = observedBond({ mode: '802.3ad', options: { miimon: 100, lacp_rate: 'slow', xmit_hash_policy: 'layer2' }, activeSlave: null });
    const p = plan({ bonds: [d] }, host(o));
    expect(ops(p)).toEqual(['set bond0 down', 'set bond0 xmit_hash_policy=layer3+4 lacp_rate=fast', 'set bond0 up']);
    expect(p.impact).toBe('outage');
    expect(p.steps[0]!.reason).toContain('lacp_rate');
  });

  it('never takes the bond down for xmit_hash_policy or min_links alone', () => {
    const d = desired({ mode: 'balance-xor', options: { miimon: 100, xmit_hash_policy: 'layer2+3', min_links: 1 } });
    const o = observedBond({ mode: 'balance-xor', options: { miimon: 100, xmit_hash_policy: 'layer2', min_links: 0 }, activeSlave: null });
    const p = plan({ bonds: [d] }, host(o));
    expect(p.steps.map((s) => s.op)).toEqual(['set-options']);
  });

  it('changes mode with the full dance: down, release all, mode, options, re-enslave, up', () => {
    const d = desired({ mode: 'balance-rr', options: { miimon: 100 } });
    const p = plan({ bonds: [d] }, host(observedBond()));
    expect(ops(p)).toEqual([
      'set bond0 down', 'release eth0 from bond0', 'release eth1 from bond0', 'set bond0 mode balance-rr',
      'set bond0 miimon=100', 'enslave eth0 to bond0', 'enslave eth1 to bond0', 'set bond0 up',
    ]);
    expect(p.impact).toBe('outage');
  });

  it('finds a renamed NIC by its permanent MAC', () => {
    const d = desired({ slaves: [{ permMac: '52:54:00:00:00:07', options: {} }] });
    const p = plan({ bonds: [d] }, host(undefined, [nic('enp7s0', 7)]));
    expect(ops(p)).toContain('enslave enp7s0 to bond0');
  });

  it('leaves a missing slave pending and an occupied one alone', () => {
    const d = desired({ slaves: [{ name: 'eth0', options: {} }, { name: 'eth9', options: {} }, { name: 'eth5', options: {} }] });
    const h = host(undefined, [nic('eth5', 5, 'br0')]);
    const p = plan({ bonds: [d] }, h);
    expect(p.pending.map((x) => x.slave.name)).toEqual(['eth9']);
    expect(p.problems.map((x) => x.message)).toEqual(['bond0: eth5 is enslaved to br0, which bondd does not manage; release it there first']);
    expect(ops(p)).toContain('enslave eth0 to bond0');
    expect(ops(p).join('\n')).not.toContain('eth5');
  });

  it('releases a NIC from one bond before enslaving it to another', () => {
    const b0 = desired({ slaves: [{ name: 'eth0', options: {} }] });
    const b1 = desired({ name: 'bond1', slaves: [{ name: 'eth1', options: {} }], addresses: [] });
    const p = plan({ bonds: [b1, b0] }, host(observedBond()));
    const lines = ops(p);
    expect(lines.indexOf('release eth1 from bond0')).toBeLessThan(lines.indexOf('enslave eth1 to bond1'));
    expect(p.steps.find((s) => s.op === 'release')!.impact).toBe('none');
  });

  it('labels releasing the active slave as a brief interruption', () => {
    const p = plan({ bonds: [desired({ slaves: [{ name: 'eth1', options: {} }] })] }, host(observedBond()));
    expect(ops(p)).toEqual(['release eth0 from bond0']);
    expect(p.impact).toBe('brief');
  });

  it('sets per-slave options only where they differ', () => {
    const d = desired({ slaves: [{ name: 'eth0', options: { queue_id: 1 } }, { name: 'eth1', options: { prio: 0 } }] });
    const p = plan({ bonds: [d] }, host(observedBond()));
    expect(ops(p)).toEqual(['set eth0 queue_id=1']);
  });

  it('loads the driver first when it is missing', () => {
    const h = host();
    h.bondingAvailable = false;
    expect(plan({ bonds: [desired()] }, h).steps[0]!.op).toBe('load-module');
  });
});

describe('planner: MAC policy first-slave is verified', () => {
  it("a bond whose MAC is none of its slaves' (udev's persistent MAC won the race) gets its first slave's", () => {
    const p = plan({ bonds: [desired()] }, host(observedBond({ mac: '7a:11:22:33:44:55' })));
    expect(ops(p)).toEqual(['set bond0 address 52:54:00:00:00:02']);
    expect(p.steps[0]!.reason).toMatch(/MAC 7a:11:22:33:44:55 is not the first slave's \(eth0 52:54:00:00:00:02/);
  });

  it("the first slave's MAC, or a MAC from a slave being released, is left alone", () => {
    expect(ops(plan({ bonds: [desired()] }, host(observedBond())))).toEqual([]);
    const onlyEth1 = desired({ slaves: [{ name: 'eth1', options: {} }] });
    expect(ops(plan({ bonds: [onlyEth1] }, host(observedBond())))).toEqual(['release eth0 from bond0']);
  });

  it("a MAC from a NIC released earlier (a rollback midway) is the kernel's doing and stays", () => {
    // eth0 (52:54:00:00:00:02) was released; the bond kept its MAC; eth1 is still enslaved.
    const h = host(observedBond({ slaves: [slave('eth1', 3, 'active')], activeSlave: 'eth1' }));
    h.interfaces.find((i) => i.name === 'eth0')!.master = null;
    expect(ops(plan({ bonds: [desired({ slaves: [{ name: 'eth1', options: {} }] })] }, h))).toEqual([]);
  });

  it('not with fail_over_mac active (the MAC follows the active slave) nor with an explicit MAC policy', () => {
    const active = observedBond({ mac: '7a:11:22:33:44:55', options: { miimon: 100, updelay: 0, downdelay: 0, lacp_rate: 'slow', fail_over_mac: 'active' } });
    expect(ops(plan({ bonds: [desired()] }, host(active)))).toEqual([]);
    expect(ops(plan({ bonds: [desired({ macAddress: 'random' })] }, host(observedBond({ mac: '7a:11:22:33:44:55' }))))).toEqual([]);
  });
});
