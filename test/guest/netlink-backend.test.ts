/**
 * The netlink backend against the real bonding driver (guest), next to the sysfs backend:
 * - every option of the table set through one backend (at create and later) and read back
 *   through both; netlink-only options through netlink only;
 * - slave options, primary and active_slave the same way;
 * - both backends observe the same bond, field by field;
 * - every documented constraint violation gives its BondError and changes nothing;
 * - real RTM_NEWLINK datagrams captured as byte fixtures for the unit tests (when BONDD_RESULTS
 *   is set: scripts/guest copies $BONDD_RESULTS back to the host).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ObservedBond } from '../../src/bond/backend.js';
import { BondError } from '../../src/bond/errors.js';
import { NetlinkBackend } from '../../src/backend/netlink-backend.js';
import { openBackend } from '../../src/backend/open-backend.js';
import type { BondMode, OptionValue } from '../../src/bond/option-types.js';
import { MODES, findOption, sameOptionValue } from '../../src/bond/options.js';
import { IFLA_BOND_MODE, RTNLGRP_LINK, RTM_GETLINK } from '../../src/netlink/constants.js';
import { str } from '../../src/netlink/attributes.js';
import { decodeLinkMessage, ifinfomsg, isLinkMessage } from '../../src/netlink/link.js';
import { encodeMessage, NetlinkSocket, type NetlinkMessage } from '../../src/netlink/socket.js';
import { Rtnl } from '../../src/netlink/rtnl.js';
import { netnsSysfsIO } from '../../src/sysfs/files.js';
import { type Topology, useTopology, waitFor } from '../netns/index.js';
import { type Backends, coverableOptions, monitorsFor, openBackends, readable, testOptions } from './netlink-backend-helpers.js';

/** The guest runs user code about 20 times slower than the host. */
const T = 600_000;

let topo: Topology;
let b: Backends;
let counter = 0;
const bondName = (): string => `nb${counter++}`;

beforeAll(async () => {
  topo = await useTopology({ nics: 2 });
  b = openBackends(topo.host.path);
}, T);

afterAll(async () => {
  await b?.close();
}, T);

/** The options a backend can read, picked from `options`. */
function readableBy(backend: 'sysfs' | 'netlink', options: Record<string, OptionValue>): Record<string, OptionValue> {
  return Object.fromEntries(Object.entries(options).filter(([name]) => readable(backend, name)));
}

function pick(options: Record<string, OptionValue>, names: string[]): Record<string, OptionValue> {
  return Object.fromEntries(names.filter((n) => n in options).map((n) => [n, options[n]!]));
}

async function read(backend: 'sysfs' | 'netlink', name: string): Promise<ObservedBond> {
  const bond = await (backend === 'sysfs' ? b.sysfs : b.netlink).readBond(name);
  expect(bond, `${backend} reads ${name}`).not.toBeNull();
  return bond!;
}

async function removeBond(name: string): Promise<void> {
  await b.netlink.deleteBond(name).catch(() => undefined);
}

/* ---------------------------------------------------------------------------------------------- */

describe('every option through one backend, read back through both', () => {
  const covered = new Set<string>();
  for (const mode of MODES) {
    for (const monitor of monitorsFor(mode)) {
      for (const writer of ['sysfs', 'netlink'] as const) {
        const wanted = testOptions(mode, monitor, { sysfsOnly: writer === 'sysfs' });
        Object.keys(wanted).forEach((name) => covered.add(name));
        for (const path of ['create', 'set'] as const) {
          it(`${mode}, ${monitor} monitor: ${writer} ${path === 'create' ? 'createBond' : 'setOptions'}`, async () => {
            const backend = writer === 'sysfs' ? b.sysfs : b.netlink;
            const name = bondName();
            try {
              if (path === 'create') await backend.createBond(name, mode, wanted);
              else {
                await backend.createBond(name, mode);
                await backend.setOptions(name, wanted);
              }
              for (const reader of ['sysfs', 'netlink'] as const) {
                const bond = await read(reader, name);
                expect(bond.mode, `mode through ${reader}`).toBe(mode);
                const expected = readableBy(reader, wanted);
                expect(pick(bond.options, Object.keys(expected)), `options through ${reader}`).toEqual(expected);
              }
              expect(await b.netlink.verifyOptions(name, { mode, ...wanted })).toEqual([]);
            } finally {
              await removeBond(name);
            }
          }, T);
        }
      }
    }
  }

  it('covers every option of the table that is not an interface name', () => {
    expect([...covered].sort()).toEqual(coverableOptions().sort());
  });
});

/* ---------------------------------------------------------------------------------------------- */

/** An active-backup bond (miimon 100) over eth0, eth1, made by `writer`, optionally up. */
async function abBond(writer: 'sysfs' | 'netlink', up: boolean, options: Record<string, OptionValue> = {}): Promise<string> {
  const backend = writer === 'sysfs' ? b.sysfs : b.netlink;
  const name = bondName();
  await backend.createBond(name, 'active-backup', { miimon: 100, ...options });
  await backend.enslave(name, 'eth0');
  await backend.enslave(name, 'eth1');
  if (up) {
    await backend.setUp(name, true);
    await waitFor(
      async () => {
        const bond = await b.netlink.readBond(name);
        return bond?.activeSlave && bond.slaves.every((s) => s.mii === 'up');
      },
      `${name} to have an active slave and both slaves up`,
      20_000,
    );
  }
  return name;
}

describe('slave options, primary and active_slave', () => {
  for (const writer of ['sysfs', 'netlink'] as const) {
    it(`queue_id (and prio through netlink) set through ${writer}`, async () => {
      const name = await abBond(writer, false);
      try {
        const wanted: Record<string, OptionValue> = writer === 'netlink' ? { queue_id: 3, prio: -7 } : { queue_id: 3 };
        await (writer === 'sysfs' ? b.sysfs : b.netlink).setSlaveOptions(name, 'eth1', wanted);
        for (const reader of ['sysfs', 'netlink'] as const) {
          const bond = await read(reader, name);
          const eth1 = bond.slaves.find((s) => s.name === 'eth1')!;
          const eth0 = bond.slaves.find((s) => s.name === 'eth0')!;
          expect(eth1.options['queue_id']).toBe(3);
          expect(eth0.options['queue_id']).toBe(0);
          if (reader === 'netlink') {
            expect(eth1.options['prio']).toBe(writer === 'netlink' ? -7 : 0);
            expect(eth0.options['prio']).toBe(0);
          }
        }
        if (writer === 'netlink') expect(await b.netlink.verifySlaveOptions(name, 'eth1', wanted)).toEqual([]);
      } finally {
        await removeBond(name);
      }
    }, T);

    it(`primary and active_slave set through ${writer}, read through both`, async () => {
      const name = await abBond(writer, true);
      const backend = writer === 'sysfs' ? b.sysfs : b.netlink;
      try {
        await backend.setOptions(name, { primary: 'eth1' });
        for (const reader of ['sysfs', 'netlink'] as const) {
          const bond = (await waitFor(async () => {
            const x = await read(reader, name);
            return x.activeSlave === 'eth1' ? x : null;
          }, `${name}: eth1 active after primary eth1 (${reader})`, 10_000))!;
          expect(bond.primary).toBe('eth1');
          expect(bond.options['primary']).toBe('eth1');
          expect(bond.slaves.find((s) => s.name === 'eth1')!.state).toBe('active');
          expect(bond.slaves.find((s) => s.name === 'eth0')!.state).toBe('backup');
        }
        // Manual selection overrides the primary until the next reselection.
        await backend.setOptions(name, { active_slave: 'eth0' });
        for (const reader of ['sysfs', 'netlink'] as const) {
          const bond = await read(reader, name);
          expect(bond.activeSlave).toBe('eth0');
          expect(bond.options['active_slave']).toBe('eth0');
        }
        await backend.setOptions(name, { primary: '' });
        for (const reader of ['sysfs', 'netlink'] as const) {
          const bond = await read(reader, name);
          expect(bond.primary).toBeNull();
          expect(bond.options['primary']).toBe('');
        }
      } finally {
        await removeBond(name);
      }
    }, T);
  }

  it('actor_port_prio through netlink in 802.3ad', async () => {
    const name = bondName();
    try {
      await b.netlink.createBond(name, '802.3ad', { lacp_rate: 'fast' });
      await b.netlink.enslave(name, 'eth0');
      await b.netlink.setSlaveOptions(name, 'eth0', { actor_port_prio: 77, queue_id: 2 });
      const eth0 = (await read('netlink', name)).slaves[0]!;
      expect(eth0.options).toMatchObject({ actor_port_prio: 77, queue_id: 2 });
      expect((await read('sysfs', name)).slaves[0]!.options['queue_id']).toBe(2);
    } finally {
      await removeBond(name);
    }
  }, T);
});

/* ---------------------------------------------------------------------------------------------- */

/** The parts of an observation only netlink can make (no sysfs file for them). */
function withoutNetlinkOnly(bond: ObservedBond): ObservedBond {
  const options = Object.fromEntries(Object.entries(bond.options).filter(([name]) => findOption(name)?.sysfs !== null));
  return {
    ...bond,
    options,
    slaves: bond.slaves.map((s) => {
      const { prio: _p, actor_port_prio: _a, ...slaveOptions } = s.options;
      const copy = { ...s, options: slaveOptions };
      if (copy.ad) copy.ad = { aggregatorId: copy.ad.aggregatorId, actorOperPortState: copy.ad.actorOperPortState, partnerOperPortState: copy.ad.partnerOperPortState };
      return copy;
    }),
  };
}

describe('both backends observe the same bond', () => {
  for (const mode of ['active-backup', '802.3ad', 'balance-alb'] as const) {
    it(`${mode}: readBond through sysfs equals readBond through netlink with sysfs at hand`, async () => {
      const io = netnsSysfsIO(topo.host.path);
      const netlink = new NetlinkBackend({ netnsPath: topo.host.path, sysfs: io });
      const name = bondName();
      try {
        await b.netlink.createBond(name, mode, testOptions(mode, 'mii', { exclude: ['fail_over_mac'] }));
        // Enslaved in the reverse of ifindex order: only sysfs knows the kernel's list order.
        await b.netlink.enslave(name, 'eth1');
        await b.netlink.enslave(name, 'eth0');
        await b.netlink.setSlaveOptions(name, 'eth0', { queue_id: 5 });
        await b.netlink.setUp(name, true);
        await waitFor(async () => (await netlink.readBond(name))?.slaves.every((s) => s.mii === 'up'), `${name} slaves up`, 20_000);
        // LACP port states move on their own (no partner here): read until both reads agree.
        const readAll = () => Promise.all([b.sysfs.readBond(name), netlink.readBond(name), b.netlink.readBond(name)]);
        let [viaSysfs, viaNetlink, plain] = await readAll();
        for (let i = 0; i < 20 && !isDeepStrictEqual(withoutNetlinkOnly(viaNetlink!), viaSysfs); i++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          [viaSysfs, viaNetlink, plain] = await readAll();
        }
        expect(viaNetlink!.slaves.map((s) => s.name)).toEqual(['eth1', 'eth0']);
        expect(viaSysfs!.slaves.map((s) => s.name)).toEqual(['eth1', 'eth0']);
        // Without a sysfs of the namespace: ifindex order, no speed or duplex.
        expect(plain!.slaves.map((s) => s.name)).toEqual(['eth0', 'eth1']);
        expect(plain!.slaves.every((s) => s.speedMbps === null && s.duplex === null)).toBe(true);
        expect(viaNetlink!.slaves.every((s) => s.speedMbps === 10000 && s.duplex === 'full')).toBe(true);
        expect(withoutNetlinkOnly(viaNetlink!)).toEqual(viaSysfs);
      } finally {
        await removeBond(name);
        await netlink.close();
        await io.close();
      }
    }, T);
  }

  it('listBonds agrees between the backends; a missing bond reads as null', async () => {
    const names = [bondName(), bondName()];
    try {
      await b.netlink.createBond(names[0]!, 'balance-rr');
      await b.sysfs.createBond(names[1]!, 'broadcast');
      expect(await b.netlink.listBonds()).toEqual(names);
      expect(await b.sysfs.listBonds()).toEqual(names);
      expect(await b.netlink.readBond('nosuchbond')).toBeNull();
      expect(await b.netlink.readBond('eth0')).toBeNull();
    } finally {
      for (const name of names) await removeBond(name);
    }
  }, T);

  it('openBackend gives each kind for a namespace', async () => {
    for (const kind of ['sysfs', 'netlink'] as const) {
      const backend = openBackend(kind, { netnsPath: topo.host.path });
      try {
        expect(backend.name).toBe(kind);
        expect(await backend.listBonds()).toEqual([]);
      } finally {
        await backend.close();
      }
    }
  }, T);
});

/* ---------------------------------------------------------------------------------------------- */

interface Violation {
  what: string;
  code: string;
  option?: string;
  message: RegExp;
  /** Builds the bond; returns its name. */
  setup(writer: 'sysfs' | 'netlink'): Promise<string>;
  /** The refused operation. */
  act(writer: 'sysfs' | 'netlink', bond: string): Promise<void>;
}

const backendOf = (writer: 'sysfs' | 'netlink') => (writer === 'sysfs' ? b.sysfs : b.netlink);

const VIOLATIONS: Violation[] = [
  {
    what: 'mode on an up bond',
    code: 'EBUSY',
    option: 'mode',
    message: /mode can only change while nb\d+ is down and has no slaves/,
    async setup(writer) {
      const name = bondName();
      await backendOf(writer).createBond(name, 'active-backup', { miimon: 100 });
      await backendOf(writer).setUp(name, true);
      return name;
    },
    act: (writer, bond) => backendOf(writer).setOptions(bond, { mode: 'balance-rr' }),
  },
  {
    what: 'mode on a bond with slaves',
    code: 'ENOTEMPTY',
    option: 'mode',
    message: /mode can only change while nb\d+ is down and has no slaves/,
    setup: (writer) => abBond(writer, false),
    act: (writer, bond) => backendOf(writer).setOptions(bond, { mode: 'balance-xor' }),
  },
  {
    what: 'lacp_rate in active-backup',
    code: 'EACCES',
    option: 'lacp_rate',
    message: /lacp_rate is not supported in mode active-backup \(supported in: 802\.3ad\)/,
    async setup(writer) {
      const name = bondName();
      await backendOf(writer).createBond(name, 'active-backup');
      return name;
    },
    act: (writer, bond) => backendOf(writer).setOptions(bond, { lacp_rate: 'fast' }),
  },
  {
    what: 'updelay without miimon',
    code: 'EPERM',
    option: 'updelay',
    message: /updelay needs MII monitoring, but miimon is 0/,
    async setup(writer) {
      const name = bondName();
      await backendOf(writer).createBond(name, 'active-backup', { arp_interval: 100, arp_ip_target: ['192.0.2.254'] });
      return name;
    },
    act: (writer, bond) => backendOf(writer).setOptions(bond, { updelay: 200 }),
  },
  {
    what: 'fail_over_mac with slaves',
    code: 'ENOTEMPTY',
    option: 'fail_over_mac',
    message: /fail_over_mac can only change while nb\d+ has no slaves/,
    setup: (writer) => abBond(writer, false),
    act: (writer, bond) => backendOf(writer).setOptions(bond, { fail_over_mac: 'active' }),
  },
  {
    what: 'queue_id out of range',
    code: 'EPERM',
    option: 'queue_id',
    message: /queue_id 17 for eth0 was refused/,
    setup: (writer) => abBond(writer, false),
    act: (writer, bond) => backendOf(writer).setSlaveOptions(bond, 'eth0', { queue_id: 17 }),
  },
  {
    what: 'primary in balance-rr',
    code: 'EACCES',
    option: 'primary',
    message: /primary is not supported in mode balance-rr/,
    async setup(writer) {
      const name = bondName();
      await backendOf(writer).createBond(name, 'balance-rr', { miimon: 100 });
      await backendOf(writer).enslave(name, 'eth0');
      return name;
    },
    act: (writer, bond) => backendOf(writer).setOptions(bond, { primary: 'eth0' }),
  },
];

describe('constraint violations give the documented BondError and change nothing', () => {
  for (const v of VIOLATIONS) {
    for (const writer of ['sysfs', 'netlink'] as const) {
      it(`${v.what} (${writer})`, async () => {
        const bond = await v.setup(writer);
        try {
          const before = await b.netlink.readBond(bond);
          const beforeSysfs = await b.sysfs.readBond(bond);
          const error = await v.act(writer, bond).then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(BondError);
          const e = error as BondError;
          expect(e.code).toBe(v.code);
          expect(e.bond).toBe(bond);
          if (v.option) expect(e.option).toBe(v.option);
          expect(e.message).toMatch(v.message);
          expect(e.message.startsWith(`${bond}: `)).toBe(true);
          if (writer === 'netlink' && v.code !== 'EPERM') expect(e.extack).toBeTruthy();
          expect(await b.netlink.readBond(bond)).toEqual(before);
          expect(await b.sysfs.readBond(bond)).toEqual(beforeSysfs);
        } finally {
          await removeBond(bond);
        }
      }, T);
    }
  }

  for (const writer of ['sysfs', 'netlink'] as const) {
    it(`a refused create leaves no bond behind (${writer})`, async () => {
      const name = bondName();
      const error = await backendOf(writer)
        .createBond(name, 'active-backup', { miimon: 100, lacp_rate: 'fast' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(BondError);
      expect((error as BondError).code).toBe('EACCES');
      expect((error as BondError).option).toBe('lacp_rate');
      expect(await b.netlink.readBond(name)).toBeNull();
      expect(await b.sysfs.readBond(name)).toBeNull();
    }, T);
  }

  it('netlink: the create request names the refused option through the extack offset', async () => {
    const name = bondName();
    const error = await b.netlink
      .createBond(name, 'balance-rr', { miimon: 100, arp_interval: 200, arp_ip_target: ['192.0.2.254'] })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(BondError);
    expect((error as BondError).code).toBe('EINVAL');
    expect((error as BondError).option).toBe('arp_interval');
    expect((error as BondError).extack).toMatch(/ARP monitoring cannot be used with MII monitoring/);
    expect(await b.netlink.readBond(name)).toBeNull();
  }, T);

  it('netlink: names and values are checked before anything is sent', async () => {
    const name = bondName();
    const refused = async (p: Promise<unknown>): Promise<BondError> => {
      const e = await p.then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(BondError);
      return e as BondError;
    };
    expect((await refused(b.netlink.createBond('bad/name', 'balance-rr'))).message).toMatch(/not a valid interface name/);
    expect((await refused(b.netlink.createBond(name, 'balance-rr', { miimon: -1 }))).option).toBe('miimon');
    expect((await refused(b.netlink.createBond(name, 'balance-rr', { lacp_rate: 'turbo' }))).option).toBe('lacp_rate');
    expect((await refused(b.netlink.createBond(name, 'balance-rr', { queue_id: 1 }))).message).toMatch(/per-slave option/);
    expect(await b.netlink.readBond(name)).toBeNull();
    // primary names a device that does not exist: netlink would silently clear primary.
    const ab = await abBond('netlink', false);
    try {
      const e = await refused(b.netlink.setOptions(ab, { primary: 'nosuchdev' }));
      expect(e.code).toBe('ENODEV');
      expect(e.message).toMatch(/interface "nosuchdev" given for primary does not exist/);
      const e2 = await refused(b.netlink.release(ab, 'lo'));
      expect(e2.code).toBe('ENOTSLAVE');
      const e3 = await refused(b.netlink.setUp('nosuchbond', true));
      expect(e3.code).toBe('ENODEV');
    } finally {
      await removeBond(ab);
    }
  }, T);

  it('netlink: the kernel silently ignores an attribute it does not know; verifyOptions reports it', async () => {
    const name = bondName();
    try {
      await b.netlink.createBond(name, 'active-backup', { miimon: 100, updelay: 250 });
      // updelay 250 is stored as 2 ticks of 100 ms: it reads back 200.
      expect(await b.netlink.verifyOptions(name, { miimon: 100, updelay: 250 })).toEqual([{ option: 'updelay', wanted: 250, actual: 200 }]);
      // Attribute 33 (upstream IFLA_BOND_BROADCAST_NEIGH) is above IFLA_BOND_MAX of 6.1: ACKed, ignored.
      const rtnl = Rtnl.open({ netnsPath: topo.host.path });
      try {
        const index = (await rtnl.getLink(name)).index;
        const { u8 } = await import('../../src/netlink/attributes.js');
        await rtnl.setLink({ index, kind: 'bond', infoData: [u8(33, 1)] });
        const link = await rtnl.getLink(name);
        expect(link.bond?.unknown.has(33)).toBe(false);
      } finally {
        rtnl.close();
      }
    } finally {
      await removeBond(name);
    }
  }, T);
});

/* ---------------------------------------------------------------------------------------------- */

const results = process.env['BONDD_RESULTS'];

/** Writes one captured datagram as test/fixtures/netlink-style .hex, with facts for its .json. */
function saveFixture(name: string, comment: string[], message: NetlinkMessage, facts: Record<string, unknown>): void {
  if (!results) return;
  const dir = join(results, 'fixtures');
  mkdirSync(dir, { recursive: true });
  const datagram = encodeMessage(message.type, message.flags, message.seq, message.pid, message.payload);
  const hex = datagram.toString('hex').match(/.{1,32}/g)!.map((line) => line.match(/../g)!.join(' '));
  writeFileSync(join(dir, `${name}.hex`), [...comment.map((c) => `# ${c}`), '', ...hex, ''].join('\n'));
  writeFileSync(join(dir, `${name}.facts.json`), `${JSON.stringify(facts, null, 2)}\n`);
}

describe('real datagrams for the unit fixtures', () => {
  it('captures an active-backup failover (bond) and a backup slave with slave data', async () => {
    const name = 'b1';
    const watch = NetlinkSocket.open({ netnsPath: topo.host.path, groups: [RTNLGRP_LINK] });
    const seen: NetlinkMessage[] = [];
    watch.on('message', (m) => {
      if (isLinkMessage(m)) seen.push({ ...m, payload: Buffer.from(m.payload) });
    });
    try {
      await b.netlink.createBond(name, 'active-backup', {
        miimon: 100,
        primary_reselect: 'failure',
        arp_ip_target: ['192.0.2.254'],
        ns_ip6_target: ['2001:db8::254'],
        num_grat_arp: 2,
      });
      await b.netlink.enslave(name, 'eth0');
      await b.netlink.enslave(name, 'eth1');
      await b.netlink.setSlaveOptions(name, 'eth1', { queue_id: 3, prio: 7 });
      await b.netlink.setUp(name, true);
      const up = (await waitFor(async () => {
        const x = await b.netlink.readBond(name);
        return x?.activeSlave === 'eth0' && x.slaves.every((s) => s.mii === 'up') ? x : null;
      }, 'eth0 active, both up', 20_000))!;
      const eth1Index = up.slaves.find((s) => s.name === 'eth1')!.index;
      await topo.cutCarrier('eth0');
      // The initial selection (eth0) also raised BONDING_FAILOVER; it may still be in flight.
      const failover = (await waitFor(
        () =>
          seen.find((m) => {
            const l = decodeLinkMessage(m);
            return l.name === name && l.event === 'failover' && l.bond?.activeSlave === eth1Index;
          }),
        'BONDING_FAILOVER on b1',
        20_000,
      ))!;
      const after = (await waitFor(async () => {
        const x = await b.netlink.readBond(name);
        return x?.slaves.find((s) => s.name === 'eth0')?.mii === 'down' ? x : null;
      }, 'eth0 down', 20_000))!;
      const indexes = Object.fromEntries(after.slaves.map((s) => [s.name, s.index]));
      saveFixture(
        'real-bond-master-ab-failover',
        [
          `Captured on kernel ${release()} in the guest (test/guest/netlink-backend.test.ts):`,
          `RTNLGRP_LINK notification of active-backup bond b1 (ifindex ${up.index}) created by the netlink backend`,
          `(miimon 100, primary_reselect failure, arp_ip_target 192.0.2.254, ns_ip6_target 2001:db8::254,`,
          `num_grat_arp 2), slaves eth0 (${indexes['eth0']}) and eth1 (${indexes['eth1']}); carrier of eth0 cut:`,
          'IFLA_EVENT = BONDING_FAILOVER (3), active slave eth1.',
        ],
        failover,
        { bond: up.index, mac: up.mac, slaves: indexes },
      );
      // The backup slave, as an RTM_GETLINK reply.
      const rtnl = Rtnl.open({ netnsPath: topo.host.path });
      try {
        const replies = await rtnl.request(RTM_GETLINK, 0, Buffer.concat([ifinfomsg(0, 0, 0, 0), str(3, 'eth0')]));
        const reply = replies.find(isLinkMessage)!;
        const slave = decodeLinkMessage(reply);
        expect(slave.bondSlave?.miiStatus).toBe(2);
        saveFixture(
          'real-bond-slave-ab-down',
          [
            `Captured on kernel ${release()} in the guest (test/guest/netlink-backend.test.ts):`,
            `RTM_GETLINK reply for eth0 (ifindex ${slave.index}), slave of active-backup bond b1 (${up.index}) after its carrier`,
            'was cut: state backup, MII down, link_failure_count 1, prio 0, queue_id 0.',
          ],
          { ...reply, payload: Buffer.from(reply.payload) },
          { bond: up.index, slave: slave.index, permMac: slave.bondSlave?.permHwaddr, mac: slave.address },
        );
        const eth1 = decodeLinkMessage((await rtnl.request(RTM_GETLINK, 0, Buffer.concat([ifinfomsg(0, 0, 0, 0), str(3, 'eth1')]))).find(isLinkMessage)!);
        expect(eth1.bondSlave).toMatchObject({ state: 0, miiStatus: 0, queueId: 3, prio: 7 });
      } finally {
        rtnl.close();
      }
      expect(decodeLinkMessage(failover).bond?.activeSlave).toBe(indexes['eth1']);
      expect(decodeLinkMessage(failover).bond?.mode).toBe(1);
      void IFLA_BOND_MODE;
    } finally {
      watch.close();
      await topo.restoreCarrier('eth0');
      await removeBond(name);
    }
  }, T);
});

/* Keep the mode list honest: a mode the table gains must show up in the tests above. */
it('tests every mode of the table', () => {
  expect(MODES).toHaveLength(7);
  const modes: BondMode[] = [...MODES];
  expect(modes.every((m) => monitorsFor(m).length >= 1)).toBe(true);
  expect(sameOptionValue('arp_ip_target', ['192.0.2.1', '198.51.100.7'], ['198.51.100.7', '192.0.2.1'])).toBe(true);
});
