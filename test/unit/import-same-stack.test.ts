/**
 * ifcfg and interfaces files describing the same stack (an 802.3ad bond; a VLAN with a static
 * address, an alias address, the default gateway and a route; a VLAN bridged with the address on
 * the bridge; a VLAN on DHCP for both families) import to the same configuration.
 */
import { describe, expect, it } from 'vitest';
import { importIfcfg } from '../../src/config/ifcfg.js';
import { importInterfaces } from '../../src/config/interfaces.js';
import type { DesiredConfig } from '../../src/config/types.js';

/** The configuration without where it came from. */
function model(c: DesiredConfig): unknown {
  return JSON.parse(JSON.stringify(c.bonds, (k, v) => (k === 'origin' ? undefined : v)));
}

describe('the same stack from ifcfg and from interfaces', () => {
  it('imports to the same bonds, VLANs, bridge, addresses, routes and DHCP', async () => {
    const fromIfcfg = await importIfcfg('test/fixtures/import/ifcfg/rhel-lacp-vlans-bridge');
    const fromEni = await importInterfaces('test/fixtures/import/interfaces/same-stack-as-rhel-ifcfg');
    expect(model(fromEni.config)).toEqual(model(fromIfcfg.config));
    const b = fromIfcfg.config.bonds[0]!;
    expect(b).toMatchObject({ name: 'bond0', mode: '802.3ad', options: { miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' }, addresses: [] });
    expect(b.vlans).toMatchObject([
      { id: 100, name: 'bond0.100', addresses: ['192.0.2.80/24', '192.0.2.81/24'], gateway: { v4: '192.0.2.1' }, routes: [{ to: '198.51.100.0/24', via: '192.0.2.254', metric: 50 }] },
      { id: 200, name: 'bond0.200', addresses: [], bridge: { name: 'br200', stp: false, forwardDelay: 0, addresses: ['203.0.113.80/24'] } },
      { id: 300, name: 'vlan300', dhcp: 'both', acceptRa: true },
    ]);
    // Both name the NIC they leave alone.
    expect(fromIfcfg.notImported.map((n) => n.name)).toEqual(['eno3']);
    expect(fromEni.notImported.map((n) => n.name)).toEqual(['eno3']);
  });
});
