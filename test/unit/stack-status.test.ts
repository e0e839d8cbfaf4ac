/**
 * The stack in status: stackView() from one observation, and the tree `bondctl status` prints
 * (bond → VLANs → bridge, addresses, DHCP lease, carrier).
 */
import { describe, expect, it } from 'vitest';
import { renderStack } from '../../src/cli/render.js';
import type { DhcpClientStatus } from '../../src/dhcp/supervisor.js';
import { emptyHost, type ObservedHost } from '../../src/plan/observed.js';
import { renderMetrics } from '../../src/metrics/prometheus.js';
import { stackLayers, stackView } from '../../src/plan/stack-status.js';

function host(): ObservedHost {
  const h = emptyHost();
  h.interfaces = [
    { name: 'bond0', index: 10, permMac: null, master: null, up: true, kind: 'bond', mtu: 9000, carrier: true },
    { name: 'bond0.30', index: 13, permMac: null, master: null, up: true, kind: 'vlan', mtu: 1500, carrier: true, vlan: { id: 30, link: 'bond0' }, alias: 'bondd:bond0' },
    { name: 'bond0.10', index: 11, permMac: null, master: null, up: true, kind: 'vlan', mtu: 9000, carrier: true, vlan: { id: 10, link: 'bond0' }, alias: 'bondd:bond0' },
    { name: 'bond0.20', index: 12, permMac: null, master: 'br20', up: true, kind: 'vlan', mtu: 9000, carrier: false, vlan: { id: 20, link: 'bond0' } },
    { name: 'br20', index: 14, permMac: null, master: null, up: true, kind: 'bridge', mtu: 9000, carrier: false, bridge: { stp: false, forwardDelay: 0 }, alias: 'bondd:bond0' },
    { name: 'tap7', index: 15, permMac: null, master: 'br20', up: true, kind: 'tun' },
    { name: 'bond1.5', index: 16, permMac: null, master: null, up: true, kind: 'vlan', vlan: { id: 5, link: 'bond1' } },
  ];
  h.addresses.set('bond0.10', ['192.0.2.10/25']);
  h.addresses.set('br20', ['198.51.100.10/24']);
  h.leases = new Map([['bond0.30', ['203.0.113.145/25', '2001:db8:30::5/64']]]);
  return h;
}

const dhcp: DhcpClientStatus[] = [{ bond: 'bond0', device: 'bond0.30', family: 4, pid: 321, state: 'running', adopted: true, restarts: 1, lease: ['203.0.113.145/25'] }];

describe('the stack in status', () => {
  it('stackView: VLANs of this bond by id, the bridge with every port, leases apart from static addresses', () => {
    const v = stackView(host(), 'bond0');
    expect(v.bridge).toBeNull();
    expect(v.vlans.map((x) => [x.name, x.id, x.managed, x.carrier])).toEqual([
      ['bond0.10', 10, true, true],
      ['bond0.20', 20, false, false],
      ['bond0.30', 30, true, true],
    ]);
    expect(v.vlans[1]!.bridge).toMatchObject({ name: 'br20', stp: false, forwardDelay: 0, ports: ['bond0.20', 'tap7'], addresses: ['198.51.100.10/24'], managed: true });
    expect(v.vlans[2]!.lease).toEqual(['203.0.113.145/25', '2001:db8:30::5/64']);
  });

  it('renders bond → VLANs → bridge with addresses, DHCP lease and carrier', () => {
    expect(renderStack(stackView(host(), 'bond0'), dhcp)).toBe(
      [
        '  stack:',
        '    ├─ bond0.10 (VLAN 10): up, carrier up, mtu 9000',
        '    │    addresses: 192.0.2.10/25',
        '    ├─ bond0.20 (VLAN 20): up, carrier down, mtu 9000, not created by bondd',
        '    │    └─ br20 (bridge, stp off, forward delay 0 s): up, carrier down, mtu 9000; ports bond0.20, tap7',
        '    │         addresses: 198.51.100.10/24',
        '    ├─ bond0.30 (VLAN 30): up, carrier up, mtu 1500',
        '    │    dhcp ipv4 (dhcpcd pid 321, adopted, 1 restart(s)): lease 203.0.113.145/25',
        '    │    dynamic: 2001:db8:30::5/64 (SLAAC or another client)',
        '',
      ].join('\n'),
    );
    expect(renderStack(stackView(host(), 'bond9'), [])).toBe('');
  });
});

describe('the stack in metrics', () => {
  it('one series per VLAN and bridge: up, carrier, lease addresses', () => {
    const layers = stackLayers(stackView(host(), 'bond0'), 'bond0');
    const text = renderMetrics({ bonds: [], failovers: new Map(), drift: new Map(), now: 0, layers });
    const lines = text.split('\n').filter((l) => l.startsWith('bondd_layer_'));
    expect(lines).toEqual([
      'bondd_layer_up{bond="bond0",layer="bond0.10",kind="vlan"} 1',
      'bondd_layer_up{bond="bond0",layer="bond0.20",kind="vlan"} 1',
      'bondd_layer_up{bond="bond0",layer="br20",kind="bridge"} 1',
      'bondd_layer_up{bond="bond0",layer="bond0.30",kind="vlan"} 1',
      'bondd_layer_carrier{bond="bond0",layer="bond0.10",kind="vlan"} 1',
      'bondd_layer_carrier{bond="bond0",layer="bond0.20",kind="vlan"} 0',
      'bondd_layer_carrier{bond="bond0",layer="br20",kind="bridge"} 0',
      'bondd_layer_carrier{bond="bond0",layer="bond0.30",kind="vlan"} 1',
      'bondd_layer_lease_addresses{bond="bond0",layer="bond0.10"} 0',
      'bondd_layer_lease_addresses{bond="bond0",layer="bond0.20"} 0',
      'bondd_layer_lease_addresses{bond="bond0",layer="br20"} 0',
      'bondd_layer_lease_addresses{bond="bond0",layer="bond0.30"} 2',
    ]);
  });
});
