/**
 * How the netlink backend turns RTM_NEWLINK messages into ObservedBond, on byte fixtures captured
 * from the real driver (test/fixtures/netlink/real-*.hex, written by the guest tests) and on the
 * hand-built ones; and the option codec, generically over the option table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import type { ObservedBond } from '../../src/bond/backend.js';
import { bondOptionsFromLink, decodeOptionValue, encodeOptionValue, observeBond, slaveOptionsFromLink } from '../../src/backend/netlink-backend.js';
import type { BondOption, OptionValue } from '../../src/bond/option-types.js';
import { BOND_OPTIONS, SLAVE_OPTIONS, findOption } from '../../src/bond/options.js';
import { decodeAttrs } from '../../src/netlink/attributes.js';
import { decodeLinkMessage, type LinkMessage } from '../../src/netlink/link.js';
import { parseMessages } from '../../src/netlink/socket.js';

function fixture(name: string): LinkMessage[] {
  const text = readFileSync(new URL(`../fixtures/netlink/${name}.hex`, import.meta.url), 'utf8');
  const bytes = Buffer.from(text.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
  return parseMessages(bytes).map(decodeLinkMessage);
}

const one = (name: string): LinkMessage => fixture(name)[0]!;

describe('real 802.3ad bond negotiated with a partner (captured)', () => {
  const master = one('real-bond-8023ad-master');
  const slave = one('real-bond-8023ad-slave');

  it('observes the bond, its aggregator and the slave', () => {
    const bond = observeBond(master, [slave]);
    const expected: ObservedBond = {
      name: 'lag0',
      index: 4,
      up: true,
      carrier: true,
      mtu: 1500,
      mac: '96:7f:6a:a3:e1:10',
      mode: '802.3ad',
      options: {
        active_slave: '',
        miimon: 100,
        updelay: 0,
        downdelay: 0,
        peer_notif_delay: 0,
        use_carrier: 'on',
        arp_interval: 0,
        arp_ip_target: [],
        ns_ip6_target: [],
        arp_validate: 'none',
        arp_all_targets: 'any',
        primary: '',
        primary_reselect: 'always',
        fail_over_mac: 'none',
        xmit_hash_policy: 'layer3+4',
        resend_igmp: 1,
        num_grat_arp: 1,
        all_slaves_active: 'off',
        min_links: 0,
        lp_interval: 1,
        packets_per_slave: 1,
        lacp_active: 'on',
        lacp_rate: 'fast',
        ad_select: 'stable',
        ad_actor_sys_prio: 65535,
        ad_user_port_key: 0,
        ad_actor_system: '00:00:00:00:00:00',
        tlb_dynamic_lb: 'on',
        arp_missed_max: 2,
        coupled_control: 'on',
      },
      slaves: [
        {
          name: 'eth0',
          index: 2,
          permMac: '96:7f:6a:a3:e1:10',
          state: 'active',
          mii: 'up',
          linkFailureCount: 0,
          options: { queue_id: 0, prio: 0, actor_port_prio: 255 },
          ad: { aggregatorId: 1, actorOperPortState: 63, partnerOperPortState: 63, actorChurnState: 0, partnerChurnState: 0 },
          speedMbps: null,
          duplex: null,
          carrier: true,
        },
      ],
      activeSlave: null,
      primary: null,
      ad: { aggregatorId: 1, numPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '3e:21:6b:71:9b:8e' },
    };
    expect(bond).toEqual(expected);
  });

  it('reports options in table order', () => {
    const names = Object.keys(observeBond(master, [slave]).options);
    const order = BOND_OPTIONS.map((o) => o.name);
    expect(names).toEqual([...names].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
  });
});

describe('real active-backup failover (captured)', () => {
  const failover = one('real-bond-master-ab-failover');
  const eth0 = one('real-bond-slave-ab-down');

  it('decodes every option of the mode, active slave by name, netlink-only ones included', () => {
    const options = bondOptionsFromLink(failover, (i) => ({ 2: 'eth0', 3: 'eth1' })[i]);
    expect(options).toMatchObject({
      active_slave: 'eth1',
      primary: '',
      miimon: 100,
      primary_reselect: 'failure',
      arp_ip_target: ['192.0.2.254'],
      ns_ip6_target: ['2001:db8::254'],
      num_grat_arp: 2,
      coupled_control: 'on',
    });
    // 802.3ad system attributes are only sent in 802.3ad.
    const expected = BOND_OPTIONS.map((o) => o.name).filter((n) => n !== 'mode' && !n.startsWith('ad_actor') && n !== 'ad_user_port_key');
    expect(Object.keys(options)).toEqual(expected);
  });

  it('an unknown ifindex stays visible instead of being dropped', () => {
    expect(bondOptionsFromLink(failover, () => undefined)['active_slave']).toBe('ifindex:3');
  });

  it('observes the slave that lost its carrier: backup, MII down, one failure', () => {
    const bond = observeBond(failover, [eth0], { names: new Map([[3, 'eth1']]) });
    expect(bond.mode).toBe('active-backup');
    expect(bond.activeSlave).toBe('eth1');
    expect(bond.ad).toBeNull();
    expect(bond.slaves).toEqual([
      {
        name: 'eth0',
        index: 2,
        permMac: '76:dd:3a:ae:5a:64',
        state: 'backup',
        mii: 'down',
        linkFailureCount: 1,
        options: { queue_id: 0, prio: 0 },
        speedMbps: null,
        duplex: null,
        // Admin up, no carrier.
        carrier: false,
      },
    ]);
  });
});

describe('hand-built fixtures', () => {
  it('802.3ad dump: bond and slave with churn states and an unknown slave attribute', () => {
    const [bond0, e0] = fixture('bond-8023ad-dump');
    const bond = observeBond(bond0!, [e0!], { order: ['e0'], facts: new Map([['e0', { speedMbps: 10000, duplex: 'full' }]]) });
    expect(bond.options).toMatchObject({ miimon: 100, xmit_hash_policy: 'layer3+4', min_links: 2, lacp_rate: 'fast', coupled_control: 'on' });
    expect(bond.ad).toEqual({ aggregatorId: 1, numPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '66:c4:31:60:aa:67' });
    expect(bond.slaves[0]).toMatchObject({
      name: 'e0',
      speedMbps: 10000,
      duplex: 'full',
      options: { queue_id: 0, prio: 0, actor_port_prio: 255 },
      ad: { aggregatorId: 1, actorOperPortState: 63, partnerOperPortState: 61, actorChurnState: 2, partnerChurnState: 2 },
    });
    expect(slaveOptionsFromLink(e0!)).toEqual({ queue_id: 0, prio: 0, actor_port_prio: 255 });
  });

  it('active-backup with an attribute newer than the table: ignored, primary resolved', () => {
    const b1 = one('bond-master-ab-failover');
    const bond = observeBond(b1, [], { names: new Map([[4, 'vA'], [6, 'vB']]) });
    expect(bond.activeSlave).toBe('vB');
    expect(bond.primary).toBe('vA');
    expect(bond.options['arp_ip_target']).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});

/* ---------------------------------------------------------------------------------------------- */

/** Values that exercise each kind of option: every enum value, range ends, lists, MACs. */
function samples(option: BondOption): OptionValue[] {
  switch (option.kind) {
    case 'enum':
      return option.values!.map((v) => v.name);
    case 'int':
      return [option.min!, option.max!, option.default as number];
    case 'mac':
      return ['00:00:00:00:00:00', '02:00:5e:10:00:01'];
    case 'ipv4-list':
      return [[], ['192.0.2.1'], Array.from({ length: 16 }, (_, i) => `198.51.100.${i + 1}`)];
    case 'ipv6-list':
      return [[], ['2001:db8::1', '2001:db8:0:1::ff']];
    case 'ifname':
      return ['', 'eth1'];
  }
}

describe('option codec, over the whole table', () => {
  const WIDTH: Record<string, number> = { u8: 1, u16: 2, u32: 4, s32: 4, ifindex: 4, mac: 6 };
  for (const option of [...BOND_OPTIONS, ...SLAVE_OPTIONS]) {
    it(`${option.perSlave ? 'slave ' : ''}${option.name}: encode → decode round trip with the kernel's payload width`, () => {
      for (const value of samples(option)) {
        const ifindex = value === '' ? 0 : 3;
        const attr = encodeOptionValue(option, value, ifindex);
        const [decoded] = decodeAttrs(attr);
        expect(decoded!.type).toBe(option.ifla);
        if (option.netlink! in WIDTH) expect(decoded!.data.length).toBe(WIDTH[option.netlink!]);
        expect(decodeOptionValue(option, decoded!.data, (i) => (i === 3 ? 'eth1' : undefined))).toEqual(value);
      }
    });
  }

  it('names enum numbers the table does not know instead of failing', () => {
    expect(decodeOptionValue(findOption('ad_select')!, Buffer.from([3]), () => undefined)).toBe('unknown(3)');
  });

  it('needs the ifindex of an interface name', () => {
    expect(() => encodeOptionValue(findOption('primary')!, 'eth1')).toThrow(/ifindex of "eth1" is needed/);
  });
});
