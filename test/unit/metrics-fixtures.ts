/** Synthetic kernel views for the metrics tests. */
import type { ObservedBond, ObservedSlave } from '../../src/bond/backend.js';

export function slave(name: string, over: Partial<ObservedSlave> = {}): ObservedSlave {
  return {
    name,
    index: 10,
    permMac: '02:00:00:00:00:01',
    state: 'backup',
    mii: 'up',
    linkFailureCount: 0,
    options: {},
    speedMbps: 10_000,
    duplex: 'full',
    carrier: true,
    ...over,
  };
}

/** bond0: active-backup, miimon 100, eth0 active, eth1 down after 3 failures. */
export function activeBackup(over: Partial<ObservedBond> = {}): ObservedBond {
  return {
    name: 'bond0',
    index: 5,
    up: true,
    carrier: true,
    mtu: 1500,
    mac: '02:00:00:00:00:01',
    mode: 'active-backup',
    options: { miimon: 100, arp_interval: 0, updelay: 0 },
    slaves: [
      slave('eth0', { state: 'active', permMac: '02:00:00:00:00:01' }),
      slave('eth1', { mii: 'down', carrier: false, linkFailureCount: 3, permMac: '02:00:00:00:00:02', speedMbps: null, duplex: null }),
    ],
    activeSlave: 'eth0',
    primary: null,
    ad: null,
    ...over,
  };
}

/** lacp0: 802.3ad, eth2 in the active aggregator (state 63), eth3 up but in aggregator 2 (state 69), eth4 down. */
export function lacp(over: Partial<ObservedBond> = {}): ObservedBond {
  return {
    name: 'lacp0',
    index: 6,
    up: true,
    carrier: true,
    mtu: 9000,
    mac: '02:00:00:00:01:00',
    mode: '802.3ad',
    options: { miimon: 100, lacp_rate: 'fast' },
    slaves: [
      slave('eth2', { state: 'active', ad: { aggregatorId: 1, actorOperPortState: 63, partnerOperPortState: 63, actorChurnState: 2, partnerChurnState: 2 } }),
      slave('eth3', { ad: { aggregatorId: 2, actorOperPortState: 69, partnerOperPortState: 2, actorChurnState: 1, partnerChurnState: 0 } }),
      slave('eth4', { mii: 'down', carrier: false, ad: { aggregatorId: 3, actorOperPortState: 15, partnerOperPortState: null } }),
    ],
    activeSlave: null,
    primary: null,
    ad: { aggregatorId: 1, numPorts: 1, actorKey: 15, partnerKey: 32, partnerMac: '00:11:22:33:44:55' },
    ...over,
  };
}
