import { describe, expect, it } from 'vitest';
import type { ObservedInterface } from '../../src/plan/observed.js';
import { describeSlave, expandMatches, mayMatch } from '../../src/plan/planner.js';

const nic = (name: string, extra: Partial<ObservedInterface> = {}): ObservedInterface => ({ name, index: 1, permMac: null, master: null, up: true, kind: null, ...extra });

describe('slaves matched by hardware (netplan match:, networkd [Match])', () => {
  const host = [
    nic('ens2f1', { driver: 'ixgbe' }),
    nic('ens2f0', { driver: 'ixgbe' }),
    nic('eno1', { driver: 'e1000e' }),
    nic('ens2f0.100', { kind: 'vlan' }),
    nic('bond0', { kind: 'bond' }),
  ];

  it('a name glob becomes one slave per matching NIC, in name order, keeping the per-slave options', () => {
    expect(expandMatches([{ match: { name: 'ens2f*' }, options: { queue_id: 0 } }], host)).toEqual([
      { match: { name: 'ens2f*' }, name: 'ens2f0', options: { queue_id: 0 } },
      { match: { name: 'ens2f*' }, name: 'ens2f1', options: { queue_id: 0 } },
    ]);
  });

  it('a driver match, alone or with a name glob; VLANs and bonds never match', () => {
    expect(expandMatches([{ match: { driver: 'e1000*' }, options: {} }], host).map((s) => s.name)).toEqual(['eno1']);
    expect(expandMatches([{ match: { name: 'ens2f[!1]*', driver: 'ixgbe' }, options: {} }], host).map((s) => s.name)).toEqual(['ens2f0']);
    expect(expandMatches([{ match: { name: '*' }, options: {} }], host).map((s) => s.name)).toEqual(['eno1', 'ens2f0', 'ens2f1']);
  });

  it('no match yet: the spec stays as it is (pending, re-resolved when NICs appear); named specs are untouched', () => {
    const spec = { match: { driver: 'mlx5_core' }, options: {} };
    expect(expandMatches([spec, { name: 'eth9', options: {} }], host)).toEqual([spec, { name: 'eth9', options: {} }]);
  });

  it('a NIC that appears is re-resolved when a match may select it; pending matches are described by their match', () => {
    const glob = { match: { name: 'ens*' }, options: {} };
    expect(mayMatch(glob, 'ens5f0')).toBe(true);
    expect(mayMatch(glob, 'eth0')).toBe(false);
    expect(mayMatch({ match: { driver: 'ixgbe' }, options: {} }, 'anything')).toBe(true);
    expect(mayMatch({ name: 'eth0', options: {} }, 'eth0')).toBe(false);
    expect(describeSlave({ match: { name: 'ens*', driver: 'ixgbe' }, options: {} })).toBe('a NIC matching name ens* and driver ixgbe');
  });
});
