/**
 * 802.3ad against a real partner (guest): one bond over eth0/eth1 in the host namespace (netlink
 * backend) and one over their peers port0/port1 in the switch namespace (sysfs backend), no
 * bridge in between, both with lacp_rate fast. Once LACP has negotiated, both backends and
 * /proc/net/bonding must tell the same story on both sides: one aggregator with both ports, port
 * states 63 (active, short timeout, aggregating, in sync, collecting, distributing) for actor and
 * partner, the partner's MAC and key.
 *
 * Also captures an 802.3ad slave and master RTM_NEWLINK as byte fixtures (when BONDD_RESULTS is
 * set).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ObservedBond } from '../../src/bond/backend.js';
import { str } from '../../src/netlink/attributes.js';
import { IFLA_IFNAME, RTM_GETLINK } from '../../src/netlink/constants.js';
import { decodeLinkMessage, ifinfomsg, isLinkMessage } from '../../src/netlink/link.js';
import { Rtnl } from '../../src/netlink/rtnl.js';
import { encodeMessage, type NetlinkMessage } from '../../src/netlink/socket.js';
import { parseProcBonding, type ProcBond } from '../../src/sysfs/procfs.js';
import { type Namespace, type Topology, useTopology, waitFor } from '../netns/index.js';
import { type Backends, openBackends } from './netlink-backend-helpers.js';

const T = 600_000;
const BOND = 'lag0';
/** Fully negotiated with lacp_rate fast: active, short_timeout, aggregating, in_sync, collecting, distributing. */
const FAST_UP = 63;
const CHURN = ['monitoring', 'churned', 'none'];

let topo: Topology;
let host: Backends;
let sw: Backends;

beforeAll(async () => {
  topo = await useTopology({ nics: 2, bridge: false });
  host = openBackends(topo.host.path);
  sw = openBackends(topo.sw.path);
  const options = { lacp_rate: 'fast', miimon: 100, xmit_hash_policy: 'layer3+4' };
  await host.netlink.createBond(BOND, '802.3ad', options);
  for (const nic of topo.nics) await host.netlink.enslave(BOND, nic.name);
  await sw.sysfs.createBond(BOND, '802.3ad', options);
  for (const nic of topo.nics) await sw.sysfs.enslave(BOND, nic.port);
  await host.netlink.setUp(BOND, true);
  await sw.sysfs.setUp(BOND, true);
}, T);

afterAll(async () => {
  await host?.close();
  await sw?.close();
}, T);

function negotiated(bond: ObservedBond | null): boolean {
  return (
    bond !== null &&
    bond.ad !== null &&
    bond.ad.numPorts === 2 &&
    bond.slaves.length === 2 &&
    bond.slaves.every(
      (s) =>
        s.ad?.aggregatorId === bond.ad!.aggregatorId && s.ad.actorOperPortState === FAST_UP && s.ad.partnerOperPortState === FAST_UP,
    )
  );
}

async function proc(ns: Namespace): Promise<ProcBond> {
  return parseProcBonding((await ns.exec('cat', [`/proc/net/bonding/${BOND}`])).stdout);
}

describe('802.3ad against a partner bond', () => {
  let mine: ObservedBond;
  let theirs: ObservedBond;

  it('negotiates: one aggregator with both ports, port states 63 on both sides', async () => {
    // LACPDUs every second (fast): a few exchanges, slower under emulation.
    await waitFor(
      async () => negotiated(await host.netlink.readBond(BOND)) && negotiated(await sw.netlink.readBond(BOND)),
      'LACP to negotiate on both sides',
      60_000,
      250,
    );
    mine = (await host.netlink.readBond(BOND))!;
    theirs = (await sw.netlink.readBond(BOND))!;
    expect(mine.carrier).toBe(true);
    expect(theirs.carrier).toBe(true);
  }, T);

  it('each side sees the other as partner: MAC, key, number of ports', () => {
    expect(mine.ad).toMatchObject({ numPorts: 2, partnerMac: theirs.mac, partnerKey: theirs.ad!.actorKey });
    expect(theirs.ad).toMatchObject({ numPorts: 2, partnerMac: mine.mac, partnerKey: mine.ad!.actorKey });
    // The key: duplex bit + speed code (10 Gb/s veth) + user key 0; the same on both sides.
    expect(mine.ad!.actorKey).toBe(theirs.ad!.actorKey);
    for (const slave of [...mine.slaves, ...theirs.slaves]) {
      expect(slave.state).toBe('active');
      expect(slave.mii).toBe('up');
      expect(slave.ad?.actorChurnState).not.toBe(1);
      expect(slave.options['actor_port_prio']).toBe(255);
    }
  });

  it('the sysfs backend reads the same on both sides', async () => {
    for (const [backends, netlinkView] of [
      [host, mine],
      [sw, theirs],
    ] as const) {
      const viaSysfs = (await backends.sysfs.readBond(BOND))!;
      expect(viaSysfs.ad).toEqual(netlinkView.ad);
      expect(viaSysfs.mac).toBe(netlinkView.mac);
      expect(viaSysfs.options['lacp_rate']).toBe('fast');
      for (const slave of viaSysfs.slaves) {
        const other = netlinkView.slaves.find((s) => s.name === slave.name)!;
        expect(slave.ad).toEqual({
          aggregatorId: other.ad!.aggregatorId,
          actorOperPortState: other.ad!.actorOperPortState,
          partnerOperPortState: other.ad!.partnerOperPortState,
        });
        expect(slave.permMac).toBe(other.permMac);
      }
    }
  }, T);

  it('/proc/net/bonding agrees on both sides, down to the partner details per port', async () => {
    for (const [ns, view, partner] of [
      [topo.host, mine, theirs],
      [topo.sw, theirs, mine],
    ] as const) {
      const p = await proc(ns);
      expect(p.modeText).toBe('IEEE 802.3ad Dynamic link aggregation');
      expect(p.ad?.lacpRate).toBe('fast');
      expect(p.ad?.activeAggregator).toEqual({
        aggregatorId: view.ad!.aggregatorId,
        numberOfPorts: 2,
        actorKey: view.ad!.actorKey,
        partnerKey: view.ad!.partnerKey,
        partnerMac: view.ad!.partnerMac,
      });
      expect(p.slaves.map((s) => s.name).sort()).toEqual(view.slaves.map((s) => s.name).sort());
      for (const slave of p.slaves) {
        const other = view.slaves.find((s) => s.name === slave.name)!;
        expect(slave.aggregatorId).toBe(other.ad!.aggregatorId);
        expect(slave.actor?.portState).toBe(FAST_UP);
        expect(slave.partner?.portState).toBe(FAST_UP);
        expect(slave.partner?.systemMac).toBe(partner.mac);
        expect(slave.partner?.key).toBe(partner.ad!.actorKey);
        expect(slave.actor?.systemMac).toBe(view.mac);
        // Churn: netlink's number and /proc's word are the same state.
        expect(slave.actorChurnState).toBe(CHURN[other.ad!.actorChurnState!]);
        expect(slave.permanentHwAddr).toBe(other.permMac);
      }
    }
  }, T);

  it('captures the 802.3ad master and a slave as byte fixtures', async () => {
    const results = process.env['BONDD_RESULTS'];
    const rtnl = Rtnl.open({ netnsPath: topo.host.path });
    try {
      const get = async (name: string): Promise<NetlinkMessage> => {
        const reply = (await rtnl.request(RTM_GETLINK, 0, Buffer.concat([ifinfomsg(0, 0, 0, 0), str(IFLA_IFNAME, name)]))).find(isLinkMessage)!;
        return { ...reply, payload: Buffer.from(reply.payload) };
      };
      const master = await get(BOND);
      const slave = await get('eth0');
      const m = decodeLinkMessage(master);
      const s = decodeLinkMessage(slave);
      expect(m.bond?.adInfo).toMatchObject({ numPorts: 2, partnerMac: theirs.mac });
      expect(s.bondSlave).toMatchObject({ adActorOperPortState: FAST_UP, adPartnerOperPortState: FAST_UP, adAggregatorId: m.bond!.adInfo!.aggregator });
      if (!results) return;
      const dir = join(results, 'fixtures');
      mkdirSync(dir, { recursive: true });
      const write = (name: string, comment: string[], message: NetlinkMessage, facts: Record<string, unknown>): void => {
        const datagram = encodeMessage(message.type, message.flags, message.seq, message.pid, message.payload);
        const hex = datagram.toString('hex').match(/.{1,32}/g)!.map((line) => line.match(/../g)!.join(' '));
        writeFileSync(join(dir, `${name}.hex`), [...comment.map((c) => `# ${c}`), '', ...hex, ''].join('\n'));
        writeFileSync(join(dir, `${name}.facts.json`), `${JSON.stringify(facts, null, 2)}\n`);
      };
      const setup = [
        `Captured on kernel ${release()} in the guest (test/guest/lacp.test.ts): 802.3ad bond lag0 (ifindex ${m.index},`,
        'netlink backend; lacp_rate fast, miimon 100, xmit_hash_policy layer3+4) over eth0/eth1, negotiated with a',
        `partner 802.3ad bond (MAC ${theirs.mac}) over the veth peers in another namespace.`,
      ];
      write('real-bond-8023ad-master', [...setup, 'RTM_GETLINK reply for lag0: IFLA_BOND_AD_INFO with 2 ports.'], master, {
        bond: m.index,
        mac: m.address,
        partnerMac: theirs.mac,
        adInfo: m.bond?.adInfo,
      });
      write('real-bond-8023ad-slave', [...setup, `RTM_GETLINK reply for eth0 (ifindex ${s.index}): actor and partner port state 63.`], slave, {
        bond: m.index,
        slave: s.index,
        bondSlave: { ...s.bondSlave, unknown: undefined },
      });
    } finally {
      rtnl.close();
    }
  }, T);

  it('losing one port leaves one port in the aggregator on both sides', async () => {
    await topo.cutCarrier('eth0');
    try {
      const after = (await waitFor(
        async () => {
          const x = await host.netlink.readBond(BOND);
          return x?.ad?.numPorts === 1 && x.slaves.find((s) => s.name === 'eth0')?.mii === 'down' ? x : null;
        },
        'the aggregator to drop eth0',
        60_000,
        250,
      ))!;
      expect(after.slaves.find((s) => s.name === 'eth1')!.ad!.actorOperPortState).toBe(FAST_UP);
      expect((await host.sysfs.readBond(BOND))!.ad?.numPorts).toBe(1);
    } finally {
      await topo.restoreCarrier('eth0');
    }
  }, T);
});
