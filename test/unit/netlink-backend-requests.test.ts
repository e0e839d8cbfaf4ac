/**
 * What the netlink backend sends, byte for byte, against a fake rtnetlink: create in one
 * RTM_NEWLINK, one option per change message in the order given, ifnames as ifindexes, enslave
 * with ifi_change=IFF_UP + IFLA_MASTER, slave options in IFLA_INFO_SLAVE_DATA; kernel errors as
 * BondError naming the option; validation before anything is sent.
 */
import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';

import { BondError } from '../../src/bond/errors.js';
import { NetlinkBackend, encodeOptionValue, isOwnNamespace } from '../../src/backend/netlink-backend.js';
import { openBackend } from '../../src/backend/open-backend.js';
import { findOption, findSlaveOption } from '../../src/bond/options.js';
import { AttrMap, decodeAttrs, u32, u8 } from '../../src/netlink/attributes.js';
import {
  EACCES,
  EEXIST,
  EINVAL,
  EPERM,
  IFF_UP,
  IFLA_BOND_ACTIVE_SLAVE,
  IFLA_BOND_ARP_INTERVAL,
  IFLA_BOND_ARP_IP_TARGET,
  IFLA_BOND_MIIMON,
  IFLA_BOND_MODE,
  IFLA_BOND_PRIMARY,
  IFLA_BOND_PRIMARY_RESELECT,
  IFLA_BOND_UPDELAY,
  IFLA_BOND_DOWNDELAY,
  IFLA_BOND_SLAVE_PRIO,
  IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINKINFO,
  NLM_F_CREATE,
  NLM_F_EXCL,
  RTM_DELLINK,
  RTM_NEWLINK,
  RTEXT_FILTER_SKIP_STATS,
} from '../../src/netlink/constants.js';
import { NetlinkError } from '../../src/netlink/socket.js';
import { FakeRtnl, decodeRequest, type FakeLink } from './netlink-backend-fake.js';

const bondData = (mode: number, miimon: number, extra: Buffer[] = []): Buffer[] => [u8(IFLA_BOND_MODE, mode), u32(IFLA_BOND_MIIMON, miimon), ...extra];

function world(): FakeLink[] {
  return [
    { index: 1, name: 'lo', up: true },
    { index: 2, name: 'eth0', up: true, carrier: true },
    { index: 3, name: 'eth1' },
    { index: 4, name: 'eth2', master: 9 },
    { index: 7, name: 'b1', kind: 'bond', bondData: bondData(1, 0) },
    { index: 8, name: 'b2', kind: 'bond', up: true, bondData: bondData(1, 100) },
    { index: 9, name: 'br0', kind: 'bridge' },
  ];
}

let rtnl: FakeRtnl;
let backend: NetlinkBackend;
let loadModule: Mock<() => Promise<void>>;

beforeEach(() => {
  rtnl = new FakeRtnl(world());
  loadModule = vi.fn(async () => undefined);
  backend = new NetlinkBackend({ rtnl, sysfs: null, loadModule });
});

async function refusal(p: Promise<unknown>): Promise<BondError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BondError);
  return error as BondError;
}

/** Types of the IFLA_INFO_DATA children of a request. */
function dataTypes(payload: Buffer): number[] {
  return decodeRequest(payload).data!.list.map((a) => a.type);
}

describe('createBond', () => {
  it('sends ONE RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL, the name and LINKINFO{KIND bond, DATA{mode + options}}', async () => {
    await backend.createBond('bond1', 'active-backup', {
      primary_reselect: 'better',
      updelay: 200,
      miimon: 100,
      arp_ip_target: ['192.0.2.1', '198.51.100.2'],
    });
    expect(loadModule).toHaveBeenCalledTimes(1);
    expect(rtnl.sent).toHaveLength(1);
    const [req] = rtnl.sent;
    expect(req!.type).toBe(RTM_NEWLINK);
    expect(req!.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    const { link, data } = decodeRequest(req!.payload);
    expect(link.name).toBe('bond1');
    expect(link.index).toBe(0);
    expect(link.kind).toBe('bond');
    // The kernel's application order (the table's), mode first, whatever order was given.
    expect(data!.list.map((a) => a.type)).toEqual([
      IFLA_BOND_MODE,
      IFLA_BOND_MIIMON,
      IFLA_BOND_UPDELAY,
      IFLA_BOND_ARP_IP_TARGET,
      IFLA_BOND_PRIMARY_RESELECT,
    ]);
    expect(data!.get(IFLA_BOND_MODE)).toEqual(Buffer.from([1]));
    expect(data!.u32(IFLA_BOND_MIIMON)).toBe(100);
    expect(data!.u8(IFLA_BOND_PRIMARY_RESELECT)).toBe(1);
    const targets = data!.nested(IFLA_BOND_ARP_IP_TARGET)!;
    expect(targets.list.map((t) => [t.type, [...t.data]])).toEqual([
      [0, [192, 0, 2, 1]],
      [1, [198, 51, 100, 2]],
    ]);
  });

  it('always sends the mode, also the default one, and loads the module only once', async () => {
    await backend.createBond('bond1', 'balance-rr');
    await backend.createBond('bond2', 'balance-rr');
    expect(loadModule).toHaveBeenCalledTimes(1);
    expect(dataTypes(rtnl.sent[0]!.payload)).toEqual([IFLA_BOND_MODE]);
    expect(decodeRequest(rtnl.sent[0]!.payload).data!.u8(IFLA_BOND_MODE)).toBe(0);
  });

  it('never sends a 0 delay while miimon is 0 (EPERM), but does where the mode brings miimon 100', async () => {
    await backend.createBond('bond1', 'active-backup', { updelay: 0, downdelay: 0, peer_notif_delay: 0 });
    expect(dataTypes(rtnl.sent[0]!.payload)).toEqual([IFLA_BOND_MODE]);
    await backend.createBond('bond2', '802.3ad', { updelay: 0, downdelay: 200 });
    expect(dataTypes(rtnl.sent[1]!.payload)).toEqual([IFLA_BOND_MODE, IFLA_BOND_UPDELAY, IFLA_BOND_DOWNDELAY]);
    await backend.createBond('bond3', 'balance-alb', { miimon: 0, updelay: 0 });
    expect(dataTypes(rtnl.sent[2]!.payload)).toEqual([IFLA_BOND_MODE, IFLA_BOND_MIIMON]);
  });

  it('refuses a nonzero delay without miimon before sending (the kernel would refuse the create with EPERM)', async () => {
    const e = await refusal(backend.createBond('bond1', 'balance-xor', { arp_interval: 100, peer_notif_delay: 300 }));
    expect([e.code, e.op, e.option, e.errno]).toEqual(['EPERM', 'create', 'peer_notif_delay', 1]);
    expect(e.message).toMatch(/^bond1: peer_notif_delay needs MII monitoring, but miimon is 0; set miimon first/);
    expect(rtnl.sent).toHaveLength(0);
  });

  it('resolves primary by name to an ifindex', async () => {
    await backend.createBond('bond1', 'active-backup', { primary: 'eth1' });
    expect(decodeRequest(rtnl.sent[0]!.payload).data!.u32(IFLA_BOND_PRIMARY)).toBe(3);
  });

  it('refuses bad names, values, per-slave and unknown options before sending anything', async () => {
    expect((await refusal(backend.createBond('bad/name', 'balance-rr'))).message).toMatch(/not a valid interface name/);
    expect((await refusal(backend.createBond('b', 'round-robin' as never))).option).toBe('mode');
    const e = await refusal(backend.createBond('b', 'balance-rr', { miimon: -5 }));
    expect(e.code).toBe('EINVAL');
    expect(e.option).toBe('miimon');
    expect(e.message).toMatch(/^b: miimon: -5 is not a whole number of milliseconds/);
    expect((await refusal(backend.createBond('b', 'balance-rr', { queue_id: 1 }))).message).toMatch(/per-slave option/);
    expect((await refusal(backend.createBond('b', 'balance-rr', { lacp_rat: 'fast' }))).message).toMatch(/did you mean lacp_rate/);
    expect((await refusal(backend.createBond('b', 'balance-rr', { mode: 'broadcast' }))).message).toMatch(/mode is broadcast in the options/);
    expect((await refusal(backend.createBond('b', 'active-backup', { primary: 'nosuch' }))).code).toBe('ENODEV');
    expect(rtnl.sent).toHaveLength(0);
  });

  it('explains EEXIST with the kernel text', async () => {
    rtnl.fail = () => new NetlinkError(EEXIST);
    const e = await refusal(backend.createBond('b1', 'balance-rr'));
    expect(e.code).toBe('EEXIST');
    expect(e.op).toBe('create');
    expect(e.message).toMatch(/^b1: b1 already exists; adopt the existing b1/);
  });

  it('names the option the kernel pointed its extack at', async () => {
    // The kernel's NLMSGERR_ATTR_OFFS is an offset into our message (nlmsghdr included).
    rtnl.fail = (req) => {
      const info = decodeAttrs(req.payload, 16).find((a) => a.type === IFLA_LINKINFO)!;
      const data = decodeAttrs(info.data).find((a) => a.type === IFLA_INFO_DATA)!;
      const arp = decodeAttrs(data.data).find((a) => a.type === IFLA_BOND_ARP_INTERVAL)!;
      const offset = 16 + (arp.data.byteOffset - req.payload.byteOffset) - 4;
      return new NetlinkError(EINVAL, { extack: 'ARP monitoring cannot be used with MII monitoring', extackOffset: offset });
    };
    const e = await refusal(backend.createBond('b9', 'balance-rr', { miimon: 100, arp_interval: 200 }));
    expect(e.option).toBe('arp_interval');
    expect(e.code).toBe('EINVAL');
    expect(e.extack).toBe('ARP monitoring cannot be used with MII monitoring');
    expect(e.message).toBe(
      "b9: create arp_interval failed with EINVAL (kernel: ARP monitoring cannot be used with MII monitoring); see the kernel log (dmesg) for the bonding driver's message",
    );
  });

  it('explains EACCES with the mode asked for', async () => {
    rtnl.fail = (req) => {
      const info = decodeAttrs(req.payload, 16).find((a) => a.type === IFLA_LINKINFO)!;
      const data = decodeAttrs(info.data).find((a) => a.type === IFLA_INFO_DATA)!;
      const offset = 16 + (decodeAttrs(data.data)[1]!.data.byteOffset - req.payload.byteOffset) - 4;
      return new NetlinkError(EACCES, { extack: 'option not supported in mode', extackOffset: offset });
    };
    const e = await refusal(backend.createBond('b9', 'active-backup', { lacp_rate: 'fast' }));
    expect(e.option).toBe('lacp_rate');
    expect(e.message).toMatch(/lacp_rate is not supported in mode active-backup \(supported in: 802\.3ad\)/);
  });
});

describe('setOptions', () => {
  it('sends one RTM_NEWLINK per option, in the order given, each with KIND bond', async () => {
    await backend.setOptions('b2', { primary_reselect: 'failure', updelay: 300, primary: 'eth1', active_slave: '' });
    expect(rtnl.sent).toHaveLength(4);
    for (const req of rtnl.sent) {
      expect(req.type).toBe(RTM_NEWLINK);
      expect(req.flags).toBe(0);
      const { link } = decodeRequest(req.payload);
      expect(link.index).toBe(8);
      expect(link.kind).toBe('bond');
      expect(link.change).toBe(0);
      expect(link.name).toBe('');
    }
    expect(rtnl.sent.map((r) => dataTypes(r.payload))).toEqual([
      [IFLA_BOND_PRIMARY_RESELECT],
      [IFLA_BOND_UPDELAY],
      [IFLA_BOND_PRIMARY],
      [IFLA_BOND_ACTIVE_SLAVE],
    ]);
    expect(decodeRequest(rtnl.sent[2]!.payload).data!.u32(IFLA_BOND_PRIMARY)).toBe(3);
    expect(decodeRequest(rtnl.sent[3]!.payload).data!.u32(IFLA_BOND_ACTIVE_SLAVE)).toBe(0);
  });

  it('stops at the first refusal: the BondError names the option, earlier ones went through, later ones were not sent', async () => {
    rtnl.fail = (_req, n) => (n === 1 ? new NetlinkError(EACCES, { extack: 'option not supported in mode' }) : undefined);
    const e = await refusal(backend.setOptions('b2', { miimon: 200, lacp_rate: 'fast', updelay: 400 }));
    expect(e.code).toBe('EACCES');
    expect(e.option).toBe('lacp_rate');
    expect(e.errno).toBe(13);
    expect(e.extack).toBe('option not supported in mode');
    expect(e.message).toBe(
      'b2: lacp_rate is not supported in mode active-backup (supported in: 802.3ad) (kernel: option not supported in mode); ' +
        'change the mode first, or leave lacp_rate out',
    );
    expect(rtnl.sent).toHaveLength(2);
  });

  it('skips a 0 delay while miimon is 0, following miimon changes made in the same call', async () => {
    await backend.setOptions('b1', { updelay: 0 });
    expect(rtnl.sent).toHaveLength(0);
    await backend.setOptions('b1', { miimon: 100, updelay: 0 });
    expect(rtnl.sent.map((r) => dataTypes(r.payload))).toEqual([[IFLA_BOND_MIIMON], [IFLA_BOND_UPDELAY]]);
    rtnl.sent.length = 0;
    // arp_interval silently zeroes miimon; entering 802.3ad brings miimon 100.
    await backend.setOptions('b2', { arp_interval: 100, downdelay: 0, mode: '802.3ad', updelay: 0 });
    expect(rtnl.sent.map((r) => dataTypes(r.payload))).toEqual([[IFLA_BOND_ARP_INTERVAL], [IFLA_BOND_MODE], [IFLA_BOND_UPDELAY]]);
  });

  it('explains EPERM for a delay without miimon', async () => {
    rtnl.fail = () => new NetlinkError(EPERM);
    const e = await refusal(backend.setOptions('b1', { updelay: 200 }));
    expect(e.code).toBe('EPERM');
    expect(e.message).toMatch(/^b1: updelay needs MII monitoring, but miimon is 0; set miimon first/);
  });

  it('refuses a primary that does not exist (netlink would silently clear it) and a missing bond', async () => {
    const e = await refusal(backend.setOptions('b2', { primary: 'eth7' }));
    expect(e.code).toBe('ENODEV');
    expect(e.message).toMatch(/interface "eth7" given for primary does not exist/);
    const missing = await refusal(backend.setOptions('nosuch', { miimon: 100 }));
    expect(missing.code).toBe('ENODEV');
    expect(missing.message).toBe('nosuch: nosuch does not exist or is not a bond; check the name, or create the bond first');
    expect((await refusal(backend.setOptions('eth0', { miimon: 100 }))).code).toBe('ENODEV');
    expect(rtnl.sent).toHaveLength(0);
  });

  it('sends nothing for an empty set', async () => {
    await backend.setOptions('b2', {});
    expect(rtnl.sent).toHaveLength(0);
  });
});

describe('slaves', () => {
  it('enslaves in ONE RTM_NEWLINK: ifi_change IFF_UP, ifi_flags 0, IFLA_MASTER', async () => {
    await backend.enslave('b1', 'eth0');
    // The bond and the slave were looked up by name, without statistics.
    expect(rtnl.lookups.map((l) => l.key).sort()).toEqual(['b1', 'eth0']);
    expect(rtnl.lookups.every((l) => l.extMask === RTEXT_FILTER_SKIP_STATS)).toBe(true);
    expect(rtnl.sent).toHaveLength(1);
    const { link } = decodeRequest(rtnl.sent[0]!.payload);
    expect(link.index).toBe(2);
    expect(link.change).toBe(IFF_UP);
    expect(link.flags).toBe(0);
    expect(link.master).toBe(7);
    expect(link.attrs.has(IFLA_LINKINFO)).toBe(false);
  });

  it('does nothing for a slave already in the bond; refuses one with another master (EBUSY) or none at all', async () => {
    rtnl.links.find((l) => l.name === 'eth1')!.master = 7;
    await backend.enslave('b1', 'eth1');
    expect((await refusal(backend.enslave('b1', 'eth2'))).code).toBe('EBUSY');
    const e = await refusal(backend.enslave('b1', 'eth9'));
    expect(e.code).toBe('ENODEV');
    expect(e.message).toMatch(/eth9 does not exist/);
    expect(rtnl.sent).toHaveLength(0);
  });

  it('brings a device that was up back up when the kernel refuses it', async () => {
    rtnl.fail = (_r, n) => (n === 0 ? new NetlinkError(EINVAL, { extack: 'Device type differs' }) : undefined);
    const e = await refusal(backend.enslave('b1', 'eth0'));
    expect(e.code).toBe('EINVAL');
    expect(e.slave).toBe('eth0');
    expect(rtnl.sent).toHaveLength(2);
    const { link } = decodeRequest(rtnl.sent[1]!.payload);
    expect([link.index, link.flags, link.change, link.master]).toEqual([2, IFF_UP, IFF_UP, undefined]);
  });

  it('releases with IFLA_MASTER 0, and only its own slaves', async () => {
    rtnl.links.find((l) => l.name === 'eth1')!.master = 7;
    await backend.release('b1', 'eth1');
    expect(decodeRequest(rtnl.sent[0]!.payload).link.master).toBe(0);
    const e = await refusal(backend.release('b1', 'eth2'));
    expect(e.code).toBe('ENOTSLAVE');
    expect(e.message).toMatch(/eth2 is not a slave of b1 \(its master is br0\)/);
  });

  it('sets slave options on the slave: LINKINFO{SLAVE_KIND bond, SLAVE_DATA}, one option per message', async () => {
    rtnl.links.find((l) => l.name === 'eth1')!.master = 8;
    await backend.setSlaveOptions('b2', 'eth1', { queue_id: 3, prio: -20 });
    expect(rtnl.sent).toHaveLength(2);
    const [a, b] = rtnl.sent.map((r) => decodeRequest(r.payload));
    expect(a!.link.index).toBe(3);
    expect(a!.link.kind).toBeUndefined();
    expect(a!.link.attrs.nested(IFLA_LINKINFO)!.str(IFLA_INFO_SLAVE_KIND)).toBe('bond');
    expect(a!.link.attrs.nested(IFLA_LINKINFO)!.has(IFLA_INFO_KIND)).toBe(false);
    expect(a!.slaveData!.list.map((x) => [x.type, x.data.length])).toEqual([[IFLA_BOND_SLAVE_QUEUE_ID, 2]]);
    expect(a!.slaveData!.u16(IFLA_BOND_SLAVE_QUEUE_ID)).toBe(3);
    expect(b!.slaveData!.s32(IFLA_BOND_SLAVE_PRIO)).toBe(-20);
  });

  it('refuses slave options for a device that is not a slave of the bond, and bond options given as slave options', async () => {
    const e = await refusal(backend.setSlaveOptions('b2', 'eth1', { queue_id: 3 }));
    expect(e.code).toBe('EOPNOTSUPP');
    expect(e.message).toMatch(/eth1 is not a slave of b2/);
    expect((await refusal(backend.setSlaveOptions('b2', 'eth1', { miimon: 3 }))).message).toMatch(/is a bond option, not a slave option/);
    expect((await refusal(backend.setSlaveOptions('b2', 'eth1', { queue_id: 70000 }))).option).toBe('queue_id');
    expect(rtnl.sent).toHaveLength(0);
  });

  it('explains EPERM for queue_id and EACCES for prio in a mode without it', async () => {
    rtnl.links.find((l) => l.name === 'eth1')!.master = 8;
    rtnl.fail = () => new NetlinkError(EPERM);
    expect((await refusal(backend.setSlaveOptions('b2', 'eth1', { queue_id: 17 }))).message).toMatch(/queue_id 17 for eth1 was refused/);
    rtnl.links.find((l) => l.name === 'b2')!.bondData = bondData(0, 100);
    rtnl.fail = () => new NetlinkError(EACCES, { extack: 'option not supported in mode' });
    expect((await refusal(backend.setSlaveOptions('b2', 'eth1', { prio: 1 }))).message).toMatch(/prio is not supported in mode balance-rr/);
  });
});

describe('bond up/down, delete, list', () => {
  it('sets IFF_UP through ifi_flags/ifi_change in one message that only a bond accepts', async () => {
    await backend.setUp('b1', true);
    await backend.setUp('b2', false);
    const [up, down] = rtnl.sent.map((r) => decodeRequest(r.payload));
    expect([up!.link.index, up!.link.name, up!.link.flags, up!.link.change, up!.link.kind]).toEqual([0, 'b1', IFF_UP, IFF_UP, 'bond']);
    // An empty IFLA_INFO_DATA: the kernel checks the kind (EOPNOTSUPP for another one) and changes no option.
    expect(up!.data!.list).toEqual([]);
    expect([down!.link.name, down!.link.flags, down!.link.change]).toEqual(['b2', 0, IFF_UP]);
    rtnl.fail = (req) => {
      const name = decodeRequest(req.payload).link.name;
      const link = rtnl.links.find((l) => l.name === name);
      return !link ? new NetlinkError(19) : link.kind !== 'bond' ? new NetlinkError(95) : undefined;
    };
    for (const name of ['eth0', 'gone']) {
      const e = await refusal(backend.setUp(name, true));
      expect([e.op, e.code]).toEqual(['up', 'ENODEV']);
      expect(e.message).toMatch(/does not exist or is not a bond/);
    }
  });

  it('deletes by ifindex with RTM_DELLINK, bonds only', async () => {
    await backend.deleteBond('b1');
    expect(rtnl.sent[0]!.type).toBe(RTM_DELLINK);
    expect(decodeRequest(rtnl.sent[0]!.payload).link.index).toBe(7);
    expect((await refusal(backend.deleteBond('br0'))).code).toBe('ENODEV');
    expect((await refusal(backend.deleteBond('gone'))).code).toBe('ENODEV');
  });

  it('lists bonds by ifindex, asking the kernel to filter by kind', async () => {
    expect(await backend.listBonds()).toEqual(['b1', 'b2']);
    const filter = AttrMap.decode(rtnl.dumps[0]!, 16).nested(IFLA_LINKINFO)!;
    expect(filter.str(IFLA_INFO_KIND)).toBe('bond');
  });

  it('is unusable after close, which closes the socket once', async () => {
    await backend.close();
    await backend.close();
    expect(rtnl.closed).toBe(true);
    await expect(backend.listBonds()).rejects.toThrow(/closed/);
  });
});

describe('verifyOptions', () => {
  it('reports what the kernel does not hold as wanted', async () => {
    rtnl.links.find((l) => l.name === 'b2')!.bondData = bondData(1, 100, [u32(IFLA_BOND_UPDELAY, 200)]);
    expect(await backend.verifyOptions('b2', { mode: 'active-backup', miimon: 100, updelay: 200 })).toEqual([]);
    expect(await backend.verifyOptions('b2', { mode: 'balance-rr', updelay: 250, primary: '', coupled_control: 'off' })).toEqual([
      { option: 'mode', wanted: 'balance-rr', actual: 'active-backup' },
      { option: 'updelay', wanted: 250, actual: 200 },
      // Not reported at all (an older kernel, or an attribute the kernel dropped).
      { option: 'coupled_control', wanted: 'off', actual: undefined },
    ]);
    await expect(backend.verifyOptions('nosuch', {})).rejects.toThrow(/does not exist/);
  });

  it('reports slave options too', async () => {
    rtnl.links.find((l) => l.name === 'eth1')!.master = 8;
    rtnl.links.find((l) => l.name === 'eth1')!.slaveData = [encodeOptionValue(findSlaveOption('queue_id')!, 2)];
    expect(await backend.verifySlaveOptions('b2', 'eth1', { queue_id: 2 })).toEqual([]);
    expect(await backend.verifySlaveOptions('b2', 'eth1', { queue_id: 3, prio: 1 })).toEqual([
      { option: 'queue_id', wanted: 3, actual: 2 },
      { option: 'prio', wanted: 1, actual: undefined },
    ]);
  });
});

describe('readBond through the fake', () => {
  function withSlaves(): void {
    rtnl.links.push(
      { index: 12, name: 'ethA', up: true, carrier: true, master: 8, slaveData: [u8(1, 1), u8(2, 0)] },
      { index: 11, name: 'ethB', up: true, carrier: false, master: 8, slaveData: [u8(1, 0), u8(2, 2), u32(3, 4)] },
    );
    rtnl.links.find((l) => l.name === 'b2')!.bondData = bondData(1, 100, [u32(IFLA_BOND_ACTIVE_SLAVE, 11), u32(IFLA_BOND_PRIMARY, 11)]);
  }

  it('reads slaves in ifindex order without a sysfs of the namespace', async () => {
    withSlaves();
    const bond = (await backend.readBond('b2'))!;
    expect(bond.slaves.map((s) => [s.name, s.state, s.mii, s.linkFailureCount, s.carrier, s.speedMbps])).toEqual([
      ['ethB', 'active', 'down', 4, false, null],
      ['ethA', 'backup', 'up', 0, true, null],
    ]);
    expect(bond.activeSlave).toBe('ethB');
    expect(bond.primary).toBe('ethB');
    expect(bond.options['active_slave']).toBe('ethB');
    expect(bond.up).toBe(true);
    expect(bond.mode).toBe('active-backup');
    // The dump asked the kernel to filter by master.
    expect(AttrMap.decode(rtnl.dumps[0]!, 16).u32(10)).toBe(8);
  });

  it('takes the kernel order, speed and duplex from a sysfs of the namespace when there is one', async () => {
    withSlaves();
    const files: Record<string, string> = {
      '/sys/class/net/b2/bonding/slaves': 'ethA ethB\n',
      '/sys/class/net/ethA/speed': '10000\n',
      '/sys/class/net/ethA/duplex': 'full\n',
      '/sys/class/net/ethB/speed': '-1\n',
    };
    const sysfs = {
      read: async (path: string) => {
        if (path in files) return files[path]!;
        throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      },
    };
    const withSysfs = new NetlinkBackend({ rtnl, sysfs });
    const bond = (await withSysfs.readBond('b2'))!;
    expect(bond.slaves.map((s) => [s.name, s.speedMbps, s.duplex])).toEqual([
      ['ethA', 10000, 'full'],
      ['ethB', null, null],
    ]);
  });

  it('returns null for a missing link or one that is not a bond', async () => {
    expect(await backend.readBond('nosuch')).toBeNull();
    expect(await backend.readBond('eth0')).toBeNull();
  });
});

describe('namespaces and openBackend', () => {
  it('knows its own namespace', () => {
    expect(isOwnNamespace(undefined)).toBe(true);
    expect(isOwnNamespace('/proc/self/ns/net')).toBe(true);
    expect(isOwnNamespace('/nonexistent/netns')).toBe(false);
  });

  it('refuses what it can not open', () => {
    expect(() => openBackend('bogus' as never)).toThrow(/unknown bond backend "bogus"/);
    expect(() => openBackend('sysfs', { netnsPath: '/tmp/not-a-netns' })).toThrow(/sysfs backend can not work in \/tmp\/not-a-netns/);
  });

  it('encodes every option with the payload width of its netlink type', () => {
    expect(encodeOptionValue(findOption('mode')!, 'balance-tlb')).toEqual(u8(IFLA_BOND_MODE, 5));
    expect(encodeOptionValue(findOption('arp_validate')!, 'filter_backup')).toEqual(u32(9, 6));
  });
});
