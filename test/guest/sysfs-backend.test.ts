/**
 * The sysfs backend against the real bonding driver (guest), in namespaces of its own: the
 * backend works on the topology's host namespace through `netnsPath` (a sysfs mounted inside it),
 * and everything it reports is checked against /proc/net/bonding read inside that namespace.
 *
 * Also captures real /proc/net/bonding texts (active-backup, and 802.3ad against a partner bond)
 * into $BONDD_RESULTS/procfs/ when run through scripts/guest, for test/fixtures/procfs/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ObservedBond } from '../../src/bond/backend.js';
import { BondError } from '../../src/bond/errors.js';
import type { BondMode, BondOption, OptionValue } from '../../src/bond/option-types.js';
import { effectiveDefaults, optionsForMode, sameOptionValue } from '../../src/bond/options.js';
import { SysfsBackend } from '../../src/backend/sysfs-backend.js';
import { bondingAvailable, ensureBondingLoaded } from '../../src/sysfs/module.js';
import { parseProcBonding, type ProcBond } from '../../src/sysfs/procfs.js';
import { type Namespace, type Topology, useTopology, waitFor } from '../netns/index.js';

const T = 300_000;
const WAIT = 60_000; // user code is ~20x slower under TCG

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  master?: string;
}

async function link(ns: Namespace, name: string): Promise<IpLink> {
  const [found] = await ns.ipJson<IpLink[]>('link', 'show', 'dev', name);
  return found!;
}

async function procText(ns: Namespace, bond: string): Promise<string> {
  return (await ns.exec('cat', [`/proc/net/bonding/${bond}`])).stdout;
}

async function proc(ns: Namespace, bond: string): Promise<ProcBond> {
  return parseProcBonding(await procText(ns, bond));
}

/** Saves a real capture for test/fixtures/procfs when scripts/guest gave us a results share. */
async function saveFixture(name: string, text: string): Promise<void> {
  const results = process.env['BONDD_RESULTS'];
  if (!results) return;
  await mkdir(join(results, 'procfs'), { recursive: true });
  await writeFile(join(results, 'procfs', name), text);
}

/** waitFor() for a check that returns the value or null. */
async function until<T>(check: () => Promise<T | null>, what: string, stepMs = 50): Promise<T> {
  return (await waitFor(check, what, WAIT, stepMs))!;
}

async function refusal(promise: Promise<unknown>): Promise<BondError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected a BondError').toBeInstanceOf(BondError);
  return error as BondError;
}

/** What the slaves, the active slave and MII state say in sysfs and in /proc: they must agree. */
function expectProcAgrees(bond: ObservedBond, text: ProcBond): void {
  expect(text.currentlyActiveSlave ?? null).toBe(bond.activeSlave);
  expect(text.primarySlave ?? null).toBe(bond.primary);
  expect(text.miiStatus).toBe(bond.carrier ? 'up' : 'down');
  expect(text.miiPollingIntervalMs).toBe(bond.options['miimon']);
  expect(text.upDelayMs).toBe(bond.options['updelay']);
  expect(text.downDelayMs).toBe(bond.options['downdelay']);
  expect(text.slaves.map((s) => s.name)).toEqual(bond.slaves.map((s) => s.name));
  for (const [i, slave] of bond.slaves.entries()) {
    const p = text.slaves[i]!;
    expect(p.miiStatus.replace(' ', '-')).toBe(slave.mii);
    expect(p.linkFailureCount).toBe(slave.linkFailureCount);
    expect(p.permanentHwAddr).toBe(slave.permMac);
    expect(p.queueId).toBe(slave.options['queue_id']);
    expect(p.speed).toBe(slave.speedMbps === null ? 'Unknown' : `${slave.speedMbps} Mbps`);
  }
}

/**
 * A valid value for `option` that differs from what a new bond in `mode` holds, chosen from the
 * table; undefined for the options a plain set can not cover (ifnames need slaves).
 * Millisecond options take 400: a multiple of the miimon chosen here, as the delays need.
 */
function differentValue(option: BondOption, mode: BondMode): OptionValue | undefined {
  const current = effectiveDefaults(mode)[option.name];
  switch (option.kind) {
    case 'ifname':
      return undefined;
    case 'enum':
      return option.values!.find((v) => v.name !== current)!.name;
    case 'int': {
      if (option.unit === 'ms') return 400;
      const base = current as number;
      return base + 3 <= option.max! ? base + 3 : base - 3;
    }
    case 'mac':
      return '02:00:5e:00:53:01';
    case 'ipv4-list':
      return ['192.0.2.1', '198.51.100.7'];
    case 'ipv6-list':
      return ['2001:db8::1'];
  }
}

let topo: Topology;
let backend: SysfsBackend;
/** The NICs' own MACs before any bond touched them. */
const macs = new Map<string, string>();

beforeAll(async () => {
  await ensureBondingLoaded();
  topo = await useTopology({ nics: 3 });
  backend = new SysfsBackend({ netnsPath: topo.host.path });
  for (const nic of topo.nics) macs.set(nic.name, (await link(topo.host, nic.name)).address);
}, T);

afterAll(async () => {
  // Before the topology goes: the backend's helper keeps the namespace alive.
  await backend?.close();
});

describe('module', () => {
  it('loads the driver without a stray bond0', async () => {
    expect(await bondingAvailable()).toBe(true);
    // max_bonds has no sysfs file (module_param perm 0); what shows is the missing bond0. (On
    // systemd hosts /lib/modprobe.d/systemd.conf also sets max_bonds=0; bondd does not rely on it.)
    expect((await readFile('/sys/class/net/bonding_masters', 'utf8')).split(/\s+/)).not.toContain('bond0');
    expect((await readFile('/sys/module/bonding/initstate', 'utf8')).trim()).toBe('live');
    await ensureBondingLoaded(); // idempotent
  });
});

describe('active-backup through sysfs', () => {
  it(
    'creates the bond, enslaves two NICs (one of them up) and reports what /proc reports',
    async () => {
      await backend.createBond('sb0', 'active-backup', { miimon: 100, updelay: 200, primary: 'eth1' });
      expect(await backend.listBonds()).toContain('sb0');
      // The bond exists in the topology's namespace only.
      expect((await readFile('/sys/class/net/bonding_masters', 'utf8')).split(/\s+/)).not.toContain('sb0');

      const fresh = (await backend.readBond('sb0'))!;
      expect(fresh).toMatchObject({ name: 'sb0', mode: 'active-backup', up: false, carrier: false, slaves: [], activeSlave: null });
      expect(fresh.options).toMatchObject({ miimon: 100, updelay: 200, downdelay: 0, fail_over_mac: 'none', arp_interval: 0 });
      // Sysfs stores a primary that is not enslaved yet, and reads it back empty until it is.
      expect(fresh.primary).toBeNull();
      expect(fresh.options).not.toHaveProperty('mode');
      expect(fresh.options).not.toHaveProperty('ns_ip6_target');

      // The kernel refuses to enslave an UP device; the backend downs it first.
      await topo.host.ip('link', 'set', 'eth0', 'up');
      await backend.enslave('sb0', 'eth0');
      await backend.enslave('sb0', 'eth1');
      await backend.enslave('sb0', 'eth1'); // already ours: nothing to do
      await backend.setUp('sb0', true);

      const bond = await until(
        async () => {
          const b = (await backend.readBond('sb0'))!;
          return b.carrier && b.activeSlave === 'eth1' && b.slaves.every((s) => s.mii === 'up') ? b : null;
        },
        'sb0 up with eth1 active',
      );
      expect(bond.up).toBe(true);
      expect(bond.primary).toBe('eth1');
      expect(bond.options['primary']).toBe('eth1');
      expect(bond.slaves.map((s) => [s.name, s.state, s.permMac])).toEqual([
        ['eth0', 'backup', macs.get('eth0')],
        ['eth1', 'active', macs.get('eth1')],
      ]);
      // The first slave gave the bond its MAC.
      expect(bond.mac).toBe(macs.get('eth0'));
      for (const slave of bond.slaves) {
        expect(slave.index).toBeGreaterThan(0);
        expect(slave.carrier).toBe(true);
        expect(slave.ad).toBeUndefined();
        const ip = await link(topo.host, slave.name);
        expect(ip.master).toBe('sb0');
        expect(ip.flags).toContain('UP');
      }
      expectProcAgrees(bond, await proc(topo.host, 'sb0'));
    },
    T,
  );

  it(
    'sets queue_id per slave and refuses what only netlink can set',
    async () => {
      await backend.setSlaveOptions('sb0', 'eth1', { queue_id: 2 });
      const bond = (await backend.readBond('sb0'))!;
      expect(bond.slaves.map((s) => s.options['queue_id'])).toEqual([0, 2]);
      expectProcAgrees(bond, await proc(topo.host, 'sb0'));

      const tooBig = await refusal(backend.setSlaveOptions('sb0', 'eth0', { queue_id: 17 }));
      expect(tooBig.code).toBe('EPERM');
      expect(tooBig.message).toMatch(/^sb0: queue_id 17 for eth0 was refused; use a queue id no larger than/);
      const taken = await refusal(backend.setSlaveOptions('sb0', 'eth0', { queue_id: 2 }));
      expect(taken.code).toBe('EPERM');
      const prio = await refusal(backend.setSlaveOptions('sb0', 'eth0', { prio: 5 }));
      expect(prio.message).toMatch(/prio has no sysfs file; set prio through the netlink backend/);
      const notOurs = await refusal(backend.setSlaveOptions('sb0', 'eth2', { queue_id: 1 }));
      expect(notOurs.message).toMatch(/eth2 is not a slave of sb0/);
      expect((await backend.readBond('sb0'))!.slaves.map((s) => s.options['queue_id'])).toEqual([0, 2]);
    },
    T,
  );

  it(
    'fails over when the active slave loses carrier, as /proc says, and captures the real text',
    async () => {
      await saveFixture('real-active-backup.txt', await procText(topo.host, 'sb0'));
      const failures = (await backend.readBond('sb0'))!.slaves.map((s) => s.linkFailureCount);
      await topo.cutCarrier('eth1');
      const bond = await until(
        async () => {
          const b = (await backend.readBond('sb0'))!;
          return b.activeSlave === 'eth0' && b.slaves[1]!.mii === 'down' ? b : null;
        },
        'failover to eth0',
      );
      expect(bond.slaves.map((s) => [s.name, s.state, s.linkFailureCount])).toEqual([
        ['eth0', 'active', failures[0]],
        ['eth1', 'backup', failures[1]! + 1],
      ]);
      expectProcAgrees(bond, await proc(topo.host, 'sb0'));
      await saveFixture('real-active-backup-failover.txt', await procText(topo.host, 'sb0'));

      await topo.restoreCarrier('eth1');
      // updelay 200, then the primary takes over again (primary_reselect always).
      await waitFor(async () => (await backend.readBond('sb0'))!.activeSlave === 'eth1', 'eth1 back as active', WAIT, 50);
      expectProcAgrees((await backend.readBond('sb0'))!, await proc(topo.host, 'sb0'));
    },
    T,
  );

  it(
    'refuses what the kernel refuses with the documented explanation, and changes nothing',
    async () => {
      const before = (await backend.readBond('sb0'))!;

      // mode has NOSLAVES and IFDOWN; with slaves the kernel checks NOSLAVES first.
      const withSlaves = await refusal(backend.setOptions('sb0', { mode: 'balance-rr' }));
      expect(withSlaves.code).toBe('ENOTEMPTY');
      expect(withSlaves.message).toMatch(/^sb0: mode can only change while sb0 is down and has no slaves; set sb0 down and release its slaves/);

      const lacp = await refusal(backend.setOptions('sb0', { lacp_rate: 'fast' }));
      expect(lacp.code).toBe('EACCES');
      expect(lacp.message).toMatch(/^sb0: lacp_rate is not supported in mode active-backup \(supported in: 802.3ad\)/);

      const fom = await refusal(backend.setOptions('sb0', { fail_over_mac: 'active' }));
      expect(fom.code).toBe('ENOTEMPTY');
      expect(fom.message).toMatch(/^sb0: fail_over_mac can only change while sb0 has no slaves/);

      const value = await refusal(backend.setOptions('sb0', { miimon: -1 }));
      expect(value.code).toBe('EINVAL');
      expect(value.errno).toBeUndefined(); // refused before the kernel saw it

      const after = (await backend.readBond('sb0'))!;
      expect(after.mode).toBe(before.mode);
      expect(after.options).toEqual(before.options);
      expect(after.slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);

      // A bond that is up without slaves: mode is refused for being up.
      await backend.createBond('sb1', 'balance-rr');
      await backend.setUp('sb1', true);
      const up = await refusal(backend.setOptions('sb1', { mode: 'active-backup' }));
      expect(up.code).toBe('EBUSY');
      expect(up.message).toMatch(/^sb1: mode can only change while sb1 is down/);

      // updelay is stored in miimon ticks and needs miimon.
      const delay = await refusal(backend.setOptions('sb1', { updelay: 200 }));
      expect(delay.code).toBe('EPERM');
      expect(delay.message).toMatch(/^sb1: updelay needs MII monitoring, but miimon is 0; set miimon first/);
      expect((await backend.readBond('sb1'))!.options).toMatchObject({ updelay: 0, miimon: 0 });
      expect((await backend.readBond('sb1'))!.mode).toBe('balance-rr');

      // A device that serves another master is left alone (no down, no move).
      const busy = await refusal(backend.enslave('sb1', 'eth0'));
      expect(busy.code).toBe('EBUSY');
      expect((await link(topo.host, 'eth0')).master).toBe('sb0');
      expect((await link(topo.host, 'eth0')).flags).toContain('UP');

      // createBond on a taken name; the existing device stays.
      const taken = await refusal(backend.createBond('eth2', 'active-backup'));
      expect(taken.code).toBe('EEXIST');
      expect(await link(topo.host, 'eth2')).toBeTruthy();

      // A create that fails on an option leaves no bond behind.
      const half = await refusal(backend.createBond('sb2', 'active-backup', { miimon: 0, downdelay: 100 }));
      expect(half.code).toBe('EPERM');
      expect(half.message).toMatch(/\(sb2 was not created\)$/);
      expect(await backend.listBonds()).not.toContain('sb2');

      await backend.deleteBond('sb1');
    },
    T,
  );

  it(
    'picks an active slave on request, releases and deletes',
    async () => {
      await backend.setOptions('sb0', { active_slave: 'eth0' });
      expect((await backend.readBond('sb0'))!.activeSlave).toBe('eth0');
      const down = await refusal(backend.setOptions('sb0', { active_slave: 'eth2' }));
      expect(down.code).toBe('EINVAL');

      await backend.release('sb0', 'eth0');
      const bond = (await backend.readBond('sb0'))!;
      expect(bond.slaves.map((s) => s.name)).toEqual(['eth1']);
      expect(bond.activeSlave).toBe('eth1');
      // The kernel closes a released slave and gives its MAC back.
      const eth0 = await link(topo.host, 'eth0');
      expect(eth0.master).toBeUndefined();
      expect(eth0.flags).not.toContain('UP');
      expect(eth0.address).toBe(macs.get('eth0'));
      const again = await refusal(backend.release('sb0', 'eth0'));
      expect(again.message).toMatch(/eth0 is not a slave of sb0/);

      await backend.deleteBond('sb0');
      expect(await backend.listBonds()).not.toContain('sb0');
      expect(await backend.readBond('sb0')).toBeNull();
      // Deleting the bond released eth1 too.
      expect((await link(topo.host, 'eth1')).master).toBeUndefined();
      const gone = await refusal(backend.deleteBond('sb0'));
      expect(gone.code).toBe('ENODEV');
    },
    T,
  );
});

describe('every option through sysfs', () => {
  for (const [i, mode] of (['active-backup', '802.3ad', 'balance-rr', 'balance-alb'] as const).entries()) {
    it(
      `sets and reads back every option ${mode} accepts`,
      async () => {
        const bond = `so${i}`;
        await backend.createBond(bond, mode);
        const covered: string[] = [];
        try {
          // Table order: miimon comes before the delays that need it, arp_interval (which turns
          // miimon off) after them. Each value is read back right after it is written.
          for (const option of optionsForMode(mode)) {
            if (option.name === 'mode' || option.sysfs === null) continue;
            const value = differentValue(option, mode);
            if (value === undefined) continue;
            await backend.setOptions(bond, { [option.name]: value });
            const read = (await backend.readBond(bond))!.options[option.name];
            expect(read !== undefined && sameOptionValue(option, read, value), `${option.name}: wrote ${String(value)}, read ${String(read)}`).toBe(true);
            covered.push(option.name);
          }
        } finally {
          await backend.deleteBond(bond);
        }
        const expected = optionsForMode(mode).filter((o) => o.name !== 'mode' && o.sysfs !== null && o.kind !== 'ifname');
        expect(covered).toEqual(expected.map((o) => o.name));
      },
      T,
    );
  }

  it(
    'applies a whole option set at creation, mode first',
    async () => {
      const options: Record<string, OptionValue> = {
        miimon: 200,
        downdelay: 400,
        lacp_rate: 'fast',
        ad_select: 'count',
        ad_actor_sys_prio: 100,
        ad_user_port_key: 7,
        xmit_hash_policy: 'layer3+4',
        min_links: 1,
      };
      await backend.createBond('sc0', '802.3ad', options);
      const bond = (await backend.readBond('sc0'))!;
      expect(bond.mode).toBe('802.3ad');
      expect(bond.options).toMatchObject(options);
      await backend.deleteBond('sc0');
    },
    T,
  );
});

describe('802.3ad against a partner bond', () => {
  it(
    'aggregates both ports and reports the aggregator as /proc does',
    async () => {
      const lab = await useTopology({ nics: 2, bridge: false });
      const lacp = new SysfsBackend({ netnsPath: lab.host.path });
      try {
        // The partner: a plain iproute2 802.3ad bond over the switch ports.
        await lab.sw.ip('link', 'add', 'partner', 'type', 'bond', 'mode', '802.3ad', 'miimon', '100', 'lacp_rate', 'fast');
        for (const port of ['port0', 'port1']) await lab.sw.ip('link', 'set', port, 'down', 'master', 'partner');
        await lab.sw.ip('link', 'set', 'partner', 'up');
        const partnerMac = (await link(lab.sw, 'partner')).address;

        await lacp.createBond('lb0', '802.3ad', { miimon: 100, lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' });
        await lacp.enslave('lb0', 'eth0');
        await lacp.enslave('lb0', 'eth1');
        await lacp.setUp('lb0', true);

        const bond = await until(
          async () => {
            const b = (await lacp.readBond('lb0'))!;
            const synced = b.slaves.every((s) => s.ad?.actorOperPortState === 63 && s.ad.partnerOperPortState === 63);
            return b.ad?.numPorts === 2 && synced ? b : null;
          },
          'LACP to converge on both ports',
          100,
        );
        expect(bond.ad).toMatchObject({ numPorts: 2, partnerMac });
        expect(bond.slaves.map((s) => s.ad?.aggregatorId)).toEqual([bond.ad!.aggregatorId, bond.ad!.aggregatorId]);
        expect(bond.options).toMatchObject({ lacp_rate: 'fast', xmit_hash_policy: 'layer3+4', ad_actor_system: '00:00:00:00:00:00' });

        const text = await procText(lab.host, 'lb0');
        const p = parseProcBonding(text);
        expect(p.ad?.activeAggregator).toEqual({
          aggregatorId: bond.ad!.aggregatorId,
          numberOfPorts: 2,
          actorKey: bond.ad!.actorKey,
          partnerKey: bond.ad!.partnerKey,
          partnerMac,
        });
        expect(p.ad?.lacpRate).toBe('fast');
        expect(p.transmitHashPolicy).toBe('layer3+4');
        expect(p.slaves.map((s) => [s.name, s.aggregatorId, s.actor?.portState, s.partner?.portState, s.permanentHwAddr])).toEqual(
          bond.slaves.map((s) => [s.name, s.ad!.aggregatorId, s.ad!.actorOperPortState, s.ad!.partnerOperPortState, s.permMac]),
        );
        await saveFixture('real-8023ad.txt', text);
        await saveFixture('real-8023ad-partner.txt', await procText(lab.sw, 'partner'));

        // ad_* options that need the bond down are refused while it is up.
        const busy = await refusal(lacp.setOptions('lb0', { lacp_rate: 'slow' }));
        expect(busy.code).toBe('EBUSY');
        expect(busy.message).toMatch(/^lb0: lacp_rate can only change while lb0 is down; set lb0 down, set lacp_rate, then set lb0 up/);
        await lacp.deleteBond('lb0');
      } finally {
        await lacp.close();
        await lab.destroy();
      }
    },
    T,
  );
});
