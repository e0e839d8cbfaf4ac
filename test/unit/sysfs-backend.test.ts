/**
 * SysfsBackend against a fake /sys/class/net: write order, validation before any write, rollback
 * of a half-made bond, +/- list writes, enslave's down-first dance, and parsing of what the
 * kernel prints. The real driver is exercised by test/guest/sysfs-backend.test.ts.
 */
import { posix } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

import { BondError } from '../../src/bond/errors.js';
import { findOption } from '../../src/bond/options.js';
import { SysfsBackend, optionFile, parseMiiStatus, parseSlaveState } from '../../src/backend/sysfs-backend.js';
import {
  IFF_UP,
  errnoCode,
  flagsForUp,
  parseFlags,
  parseNameList,
  parseOptionalNumber,
  readLinkFacts,
  type SysfsIO,
} from '../../src/sysfs/files.js';

/* ---------------------------------------------------------------------------------------------- */
/* A fake kernel                                                                                   */

/** Files of a 6.1.192 bond directory (as listed in the test VM), with a new balance-rr bond's values. */
const BOND_FILES: Readonly<Record<string, string>> = {
  active_slave: '',
  ad_actor_key: '',
  ad_actor_sys_prio: '',
  ad_actor_system: '',
  ad_aggregator: '',
  ad_num_ports: '',
  ad_partner_key: '',
  ad_partner_mac: '',
  ad_select: 'stable 0',
  ad_user_port_key: '',
  all_slaves_active: '0',
  arp_all_targets: 'any 0',
  arp_interval: '0',
  arp_ip_target: '',
  arp_missed_max: '2',
  arp_validate: 'none 0',
  downdelay: '0',
  fail_over_mac: 'none 0',
  lacp_active: 'on 1',
  lacp_rate: 'slow 0',
  lp_interval: '1',
  mii_status: 'down',
  miimon: '0',
  min_links: '0',
  mode: 'balance-rr 0',
  num_grat_arp: '1',
  num_unsol_na: '1',
  packets_per_slave: '1',
  peer_notif_delay: '0',
  primary: '',
  primary_reselect: 'always 0',
  queue_id: '',
  resend_igmp: '1',
  slaves: '',
  tlb_dynamic_lb: '1',
  updelay: '0',
  use_carrier: '1',
  xmit_hash_policy: 'layer2 0',
};

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: fake kernel`), { code });
}

const NET = '/sys/class/net';

/**
 * Files are strings; bonding_masters, slaves and flags act like the kernel's; every write is
 * logged; `refuse` makes the "kernel" answer a write with an errno.
 */
class FakeSysfs implements SysfsIO {
  files = new Map<string, string>();
  links = new Map<string, string>();
  writes: Array<[string, string]> = [];
  refuse: (path: string, text: string) => string | undefined = () => undefined;
  private nextIndex = 10;

  constructor(options: { bondingLoaded?: boolean } = {}) {
    if (options.bondingLoaded ?? true) this.files.set(`${NET}/bonding_masters`, '');
  }

  addDevice(name: string, options: { flags?: number; mac?: string } = {}): void {
    const attrs: Record<string, string> = {
      flags: `0x${(options.flags ?? 0x1002).toString(16)}`,
      ifindex: String(this.nextIndex++),
      mtu: '1500',
      address: options.mac ?? '02:00:00:00:00:01',
      speed: '10000',
      duplex: 'full',
      carrier: '1',
      operstate: 'up',
    };
    for (const [file, text] of Object.entries(attrs)) this.files.set(`${NET}/${name}/${file}`, text);
  }

  addBond(name: string, files: Record<string, string> = {}, omit: string[] = []): void {
    this.addDevice(name);
    for (const [file, text] of Object.entries({ ...BOND_FILES, ...files })) {
      if (!omit.includes(file)) this.files.set(`${NET}/${name}/bonding/${file}`, text);
    }
    const masters = this.files.get(`${NET}/bonding_masters`) ?? '';
    this.files.set(`${NET}/bonding_masters`, [...parseNameList(masters), name].join(' '));
  }

  enslaveDirect(bond: string, slave: string, files: Record<string, string>): void {
    this.links.set(`${NET}/${slave}/master`, `../${bond}`);
    for (const [file, text] of Object.entries(files)) this.files.set(`${NET}/${slave}/bonding_slave/${file}`, text);
    const path = `${NET}/${bond}/bonding/slaves`;
    this.files.set(path, [...parseNameList(this.files.get(path) ?? ''), slave].join(' '));
  }

  /** The writes as "<path below /sys/class/net>=<text>". */
  log(): string[] {
    return this.writes.map(([path, text]) => `${posix.relative(NET, path)}=${text}`);
  }

  async read(path: string): Promise<string> {
    const text = this.files.get(path);
    if (text === undefined) throw errno('ENOENT');
    return `${text}\n`;
  }

  async write(path: string, text: string): Promise<void> {
    if (!this.files.has(path)) throw errno('ENOENT');
    this.writes.push([path, text]);
    const refused = this.refuse(path, text);
    if (refused) throw errno(refused);
    const dev = posix.basename(posix.dirname(posix.dirname(path)));
    if (path === `${NET}/bonding_masters`) {
      const name = text.slice(1);
      if (text.startsWith('+')) {
        if (this.files.has(`${NET}/${name}/flags`)) throw errno('EEXIST');
        this.addBond(name);
      } else {
        if (!this.files.has(`${NET}/${name}/bonding/mode`)) throw errno('ENODEV');
        for (const key of [...this.files.keys()]) if (key.startsWith(`${NET}/${name}/`)) this.files.delete(key);
        this.files.set(path, parseNameList(this.files.get(path)!).filter((b) => b !== name).join(' '));
      }
    } else if (posix.basename(path) === 'slaves') {
      const slave = text.slice(1);
      const list = parseNameList(this.files.get(path) ?? '');
      if (text.startsWith('+')) {
        this.links.set(`${NET}/${slave}/master`, `../${dev}`);
        this.files.set(path, [...list, slave].join(' '));
      } else {
        this.links.delete(`${NET}/${slave}/master`);
        this.files.set(path, list.filter((s) => s !== slave).join(' '));
      }
    } else {
      this.files.set(path, text);
    }
  }

  async list(dir: string): Promise<string[]> {
    const prefix = `${dir}/`;
    const names = new Set<string>();
    for (const key of this.files.keys()) if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split('/')[0]!);
    if (names.size === 0) throw errno('ENOENT');
    return [...names];
  }

  async exists(path: string): Promise<boolean> {
    const prefix = `${path}/`;
    return this.files.has(path) || [...this.files.keys()].some((key) => key.startsWith(prefix));
  }

  async linkName(path: string): Promise<string | null> {
    const target = this.links.get(path);
    return target === undefined ? null : posix.basename(target);
  }
}

function setup(): { fs: FakeSysfs; backend: SysfsBackend; loadModule: ReturnType<typeof vi.fn> } {
  const fs = new FakeSysfs();
  const loadModule = vi.fn(async () => undefined);
  return { fs, backend: new SysfsBackend({ io: fs, loadModule }), loadModule };
}

async function rejection(promise: Promise<unknown>): Promise<BondError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BondError);
  return error as BondError;
}

/* ---------------------------------------------------------------------------------------------- */

describe('sysfs helpers', () => {
  it('parses flags and computes up/down writes without the promisc/allmulti bits', () => {
    expect(parseFlags('0x1003\n')).toBe(0x1003);
    expect(() => parseFlags('4099')).toThrow(SyntaxError);
    expect(flagsForUp(0x1002, true)).toBe('0x1003');
    expect(flagsForUp(0x1003, false)).toBe('0x1002');
    expect(flagsForUp(0x1003, true)).toBeNull();
    expect(flagsForUp(0x1002, false)).toBeNull();
    // A bond in a bridge is promiscuous because of the bridge: writing that back would add a
    // user request that nobody drops.
    expect(flagsForUp(0x1103 | 0x200, false)).toBe('0x1002');
    expect(IFF_UP).toBe(1);
  });

  it('parses slave state, MII status, N/A numbers and name lists', () => {
    expect(parseSlaveState('active\n')).toBe('active');
    expect(parseSlaveState('backup')).toBe('backup');
    expect(() => parseSlaveState('')).toThrow(SyntaxError);
    expect(parseMiiStatus('going down\n')).toBe('going-down');
    expect(parseMiiStatus('going back')).toBe('going-back');
    expect(parseMiiStatus('up')).toBe('up');
    expect(() => parseMiiStatus('sideways')).toThrow(SyntaxError);
    expect(parseOptionalNumber('N/A\n')).toBeNull();
    expect(parseOptionalNumber('63\n')).toBe(63);
    expect(parseOptionalNumber('')).toBeNull();
    expect(parseNameList('bond0 bond1\n')).toEqual(['bond0', 'bond1']);
    expect(parseNameList('\n')).toEqual([]);
    expect(errnoCode(errno('EBUSY'))).toBe('EBUSY');
    expect(errnoCode(new Error('x'))).toBeUndefined();
  });

  it('finds an option file by its name or an alias file', () => {
    const option = findOption('num_grat_arp')!;
    expect(optionFile(option, new Set(['num_grat_arp', 'num_unsol_na']))).toBe('num_grat_arp');
    expect(optionFile(option, new Set(['num_unsol_na']))).toBe('num_unsol_na');
    expect(optionFile(option, new Set())).toBeUndefined();
    expect(optionFile(findOption('coupled_control')!, new Set(['coupled_control']))).toBeUndefined();
  });

  it('reads link facts like classnet, with unknown values as null', async () => {
    const fs = new FakeSysfs();
    fs.addDevice('eth0');
    fs.files.set(`${NET}/eth0/speed`, '-1');
    fs.files.set(`${NET}/eth0/duplex`, 'unknown');
    fs.files.delete(`${NET}/eth0/carrier`);
    expect(await readLinkFacts(fs, 'eth0')).toEqual({
      name: 'eth0',
      speedMbps: null,
      duplex: null,
      carrier: null,
      operstate: 'up',
      mtu: 1500,
      address: '02:00:00:00:00:01',
    });
  });
});

describe('SysfsBackend.createBond', () => {
  it('creates the bond, writes mode first, then the options in the order given', async () => {
    const { fs, backend, loadModule } = setup();
    await backend.createBond('bond0', 'active-backup', {
      miimon: 100,
      updelay: 200,
      primary: 'eth0',
      arp_ip_target: ['192.0.2.1', '192.0.2.2'],
      mode: 'active-backup',
      num_unsol_na: 3,
    });
    expect(loadModule).toHaveBeenCalledOnce();
    expect(fs.log()).toEqual([
      'bonding_masters=+bond0',
      'bond0/bonding/mode=active-backup',
      'bond0/bonding/miimon=100',
      'bond0/bonding/updelay=200',
      'bond0/bonding/primary=eth0',
      'bond0/bonding/arp_ip_target=+192.0.2.1',
      'bond0/bonding/arp_ip_target=+192.0.2.2',
      // The alias is written to the canonical file.
      'bond0/bonding/num_grat_arp=3',
    ]);
  });

  it('checks every name and value before writing anything', async () => {
    const { fs, backend, loadModule } = setup();
    const bad = await rejection(backend.createBond('bond0', 'active-backup', { miimon: 100, updelay: 'soon' as unknown as number }));
    expect(bad.message).toMatch(/^bond0: updelay: "soon" is not a whole number of milliseconds/);
    expect(bad.code).toBe('EINVAL');
    expect(bad.option).toBe('updelay');
    await rejection(backend.createBond('bond/0', 'active-backup'));
    await rejection(backend.createBond('bond0', 'round-robin' as never));
    const unknown = await rejection(backend.createBond('bond0', 'active-backup', { miimom: 100 }));
    expect(unknown.message).toMatch(/did you mean miimon/);
    const perSlave = await rejection(backend.createBond('bond0', '802.3ad', { queue_id: 1 }));
    expect(perSlave.message).toMatch(/per-slave option/);
    const netlinkOnly = await rejection(backend.createBond('bond0', '802.3ad', { coupled_control: 'off' }));
    expect(netlinkOnly.message).toMatch(/coupled_control has no sysfs file.*netlink backend/);
    const modeClash = await rejection(backend.createBond('bond0', '802.3ad', { mode: 'active-backup' }));
    expect(modeClash.option).toBe('mode');
    expect(fs.writes).toEqual([]);
    expect(loadModule).not.toHaveBeenCalled();
  });

  it('deletes the bond again when the kernel refuses an option, and explains the refusal', async () => {
    const { fs, backend } = setup();
    fs.refuse = (path, text) => (path.endsWith('/updelay') && text === '200' ? 'EPERM' : undefined);
    const error = await rejection(backend.createBond('bond0', 'active-backup', { updelay: 200 }));
    expect(error.code).toBe('EPERM');
    expect(error.op).toBe('set');
    expect(error.message).toMatch(/^bond0: updelay needs MII monitoring, but miimon is 0.*\(bond0 was not created\)$/);
    expect(fs.log().at(-1)).toBe('bonding_masters=-bond0');
    expect(await backend.listBonds()).toEqual([]);
  });

  it('names the mode in an EACCES explanation', async () => {
    const { fs, backend } = setup();
    fs.refuse = (path) => (path.endsWith('/lacp_rate') ? 'EACCES' : undefined);
    const error = await rejection(backend.createBond('bond0', 'active-backup', { lacp_rate: 'fast' }));
    expect(error.message).toMatch(/lacp_rate is not supported in mode active-backup/);
  });

  it('refuses options this kernel has no file for before writing any option', async () => {
    const { fs, backend } = setup();
    const add = fs.addBond.bind(fs);
    fs.addBond = (name, files) => add(name, files, ['peer_notif_delay']);
    const error = await rejection(backend.createBond('bond0', 'active-backup', { miimon: 100, peer_notif_delay: 200 }));
    expect(error.code).toBe('ENOENT');
    expect(error.message).toMatch(/peer_notif_delay is not available on this kernel \(no \/sys\/class\/net\/bond0\/bonding\/peer_notif_delay\)/);
    expect(fs.log()).toEqual(['bonding_masters=+bond0', 'bonding_masters=-bond0']);
  });

  it('does not delete an existing interface when the name is taken', async () => {
    const { fs, backend } = setup();
    fs.addDevice('eth0');
    const error = await rejection(backend.createBond('eth0', 'active-backup'));
    expect(error.code).toBe('EEXIST');
    expect(error.message).toMatch(/^eth0: eth0 already exists/);
    expect(fs.log()).toEqual(['bonding_masters=+eth0']);
  });
});

describe('SysfsBackend.setOptions and setUp', () => {
  it('turns a list into +/- writes from what the kernel holds', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0', { arp_ip_target: '192.0.2.1 192.0.2.2' });
    await backend.setOptions('bond0', { arp_ip_target: ['192.0.2.2', '192.0.2.3'], arp_interval: 100 });
    expect(fs.log()).toEqual([
      'bond0/bonding/arp_ip_target=-192.0.2.1',
      'bond0/bonding/arp_ip_target=+192.0.2.3',
      'bond0/bonding/arp_interval=100',
    ]);
  });

  it('clears ifname options with a newline, since sysfs drops empty writes', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0', { mode: 'active-backup 1', primary: 'eth0' });
    await backend.setOptions('bond0', { primary: '', active_slave: '' });
    expect(fs.log()).toEqual(['bond0/bonding/primary=\n', 'bond0/bonding/active_slave=\n']);
  });

  it('stops at the first refusal and explains it with the current mode', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0', { mode: 'active-backup 1' });
    fs.refuse = (path) => (path.endsWith('/lacp_rate') ? 'EACCES' : path.endsWith('/mode') ? 'EBUSY' : undefined);
    const eacces = await rejection(backend.setOptions('bond0', { miimon: 100, lacp_rate: 'fast', updelay: 200 }));
    expect(eacces.message).toMatch(/^bond0: lacp_rate is not supported in mode active-backup \(supported in: 802.3ad\)/);
    expect(fs.log()).toEqual(['bond0/bonding/miimon=100', 'bond0/bonding/lacp_rate=fast']);
    const ebusy = await rejection(backend.setOptions('bond0', { mode: '802.3ad' }));
    expect(ebusy.message).toMatch(/mode can only change while bond0 is down and has no slaves/);
  });

  it('says when the bond does not exist', async () => {
    const { fs, backend } = setup();
    fs.addDevice('eth0');
    expect((await rejection(backend.setOptions('bond9', { miimon: 100 }))).code).toBe('ENODEV');
    expect((await rejection(backend.setOptions('eth0', { miimon: 100 }))).message).toMatch(/eth0 does not exist or is not a bond/);
    expect((await rejection(backend.setUp('bond9', true))).code).toBe('ENODEV');
    expect((await rejection(backend.deleteBond('bond9'))).code).toBe('ENODEV');
    expect(await backend.readBond('bond9')).toBeNull();
    expect(await backend.readBond('eth0')).toBeNull();
  });

  it('sets the bond up and down through its flags file, only when needed', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    await backend.setUp('bond0', true);
    await backend.setUp('bond0', true);
    await backend.setUp('bond0', false);
    expect(fs.log()).toEqual(['bond0/flags=0x1003', 'bond0/flags=0x1002']);
  });
});

describe('SysfsBackend slaves', () => {
  it('downs the device, then enslaves it', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    fs.addDevice('eth0', { flags: 0x1003 });
    fs.addDevice('eth1', { flags: 0x1002 });
    await backend.enslave('bond0', 'eth0');
    await backend.enslave('bond0', 'eth1');
    expect(fs.log()).toEqual(['eth0/flags=0x1002', 'bond0/bonding/slaves=+eth0', 'bond0/bonding/slaves=+eth1']);
    // Already ours: nothing to do.
    await backend.enslave('bond0', 'eth0');
    expect(fs.writes).toHaveLength(3);
  });

  it('leaves a device that serves another master alone', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    fs.addBond('bond1');
    fs.addDevice('eth0', { flags: 0x1803 });
    fs.enslaveDirect('bond1', 'eth0', {});
    const error = await rejection(backend.enslave('bond0', 'eth0'));
    expect(error.code).toBe('EBUSY');
    expect(error.message).toMatch(/already used by another master/);
    expect(fs.writes).toEqual([]);
  });

  it('brings the device back up when the enslave fails', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    fs.addDevice('eth0', { flags: 0x1003 });
    fs.refuse = (path) => (path.endsWith('/slaves') ? 'EINVAL' : undefined);
    const error = await rejection(backend.enslave('bond0', 'eth0'));
    expect(error.op).toBe('enslave');
    expect(error.slave).toBe('eth0');
    expect(fs.log()).toEqual(['eth0/flags=0x1002', 'bond0/bonding/slaves=+eth0', 'eth0/flags=0x1003']);
  });

  it('checks the slave exists and belongs to the bond', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    fs.addDevice('eth0');
    expect((await rejection(backend.enslave('bond0', 'eth7'))).message).toMatch(/eth7 does not exist/);
    const release = await rejection(backend.release('bond0', 'eth0'));
    expect(release.message).toMatch(/^bond0: eth0 is not a slave of bond0 \(it has no master\)/);
    expect((await rejection(backend.enslave('bond0', 'eth:0'))).message).toMatch(/not a valid interface name/);
    expect(fs.writes).toEqual([]);
    await backend.enslave('bond0', 'eth0');
    await backend.release('bond0', 'eth0');
    expect(fs.log().at(-1)).toBe('bond0/bonding/slaves=-eth0');
  });

  it('writes queue_id as slave:qid to the bond, and sends prio to the netlink backend', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0', { mode: 'active-backup 1' });
    fs.addDevice('eth0');
    fs.addDevice('eth1');
    fs.enslaveDirect('bond0', 'eth0', {});
    await backend.setSlaveOptions('bond0', 'eth0', { queue_id: 3 });
    expect(fs.log()).toEqual(['bond0/bonding/queue_id=eth0:3']);
    const prio = await rejection(backend.setSlaveOptions('bond0', 'eth0', { queue_id: 2, prio: 10 }));
    expect(prio.message).toMatch(/prio has no sysfs file; set prio through the netlink backend/);
    const bondOption = await rejection(backend.setSlaveOptions('bond0', 'eth0', { miimon: 10 }));
    expect(bondOption.message).toMatch(/miimon is a bond option/);
    const range = await rejection(backend.setSlaveOptions('bond0', 'eth0', { queue_id: 70000 }));
    expect(range.code).toBe('EINVAL');
    const notOurs = await rejection(backend.setSlaveOptions('bond0', 'eth1', { queue_id: 1 }));
    expect(notOurs.message).toMatch(/eth1 is not a slave of bond0/);
    fs.refuse = () => 'EPERM';
    const refused = await rejection(backend.setSlaveOptions('bond0', 'eth0', { queue_id: 17 }));
    expect(refused.message).toMatch(/queue_id 17 for eth0 was refused/);
    expect(fs.writes).toHaveLength(2);
  });
});

describe('SysfsBackend.readBond', () => {
  it('reads mode, options, slaves in kernel order, and link facts', async () => {
    const { fs, backend } = setup();
    fs.addBond(
      'bond0',
      { mode: 'active-backup 1', miimon: '100', updelay: '200', primary: 'eth1', active_slave: 'eth1', mii_status: 'up', queue_id: 'eth1:0 eth0:2' },
      ['num_grat_arp'],
    );
    fs.files.set(`${NET}/bond0/flags`, '0x1403');
    for (const name of ['eth0', 'eth1']) fs.addDevice(name);
    fs.files.set(`${NET}/eth0/speed`, '-1');
    const slave = (state: string, mii: string, queue: string, perm: string): Record<string, string> => ({
      state,
      mii_status: mii,
      link_failure_count: '1',
      perm_hwaddr: perm,
      queue_id: queue,
      ad_aggregator_id: 'N/A',
      ad_actor_oper_port_state: 'N/A',
      ad_partner_oper_port_state: 'N/A',
    });
    fs.enslaveDirect('bond0', 'eth1', slave('active', 'up', '0', 'AE:95:E0:4A:54:10'));
    fs.enslaveDirect('bond0', 'eth0', slave('backup', 'going back', '2', 'ae:95:e0:4a:54:0f'));
    const bond = await backend.readBond('bond0');
    expect(bond).toMatchObject({
      name: 'bond0',
      index: 10,
      up: true,
      carrier: true,
      mtu: 1500,
      mode: 'active-backup',
      activeSlave: 'eth1',
      primary: 'eth1',
      ad: null,
    });
    expect(bond!.options).toMatchObject({
      miimon: 100,
      updelay: 200,
      arp_ip_target: [],
      num_grat_arp: 1, // from num_unsol_na
      xmit_hash_policy: 'layer2',
      use_carrier: 'on',
    });
    expect(bond!.options).not.toHaveProperty('mode');
    // Empty outside 802.3ad: left out, as netlink leaves them out.
    expect(bond!.options).not.toHaveProperty('ad_actor_system');
    expect(bond!.slaves.map((s) => [s.name, s.state, s.mii, s.permMac, s.options['queue_id'], s.speedMbps])).toEqual([
      ['eth1', 'active', 'up', 'ae:95:e0:4a:54:10', 0, 10000],
      ['eth0', 'backup', 'going-back', 'ae:95:e0:4a:54:0f', 2, null],
    ]);
    expect(bond!.slaves[0]).not.toHaveProperty('ad');
  });

  it('reads 802.3ad aggregator and port states', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0', {
      mode: '802.3ad 4',
      miimon: '100',
      ad_aggregator: '1',
      ad_num_ports: '2',
      ad_actor_key: '15',
      ad_partner_key: '15',
      ad_partner_mac: '66:C4:31:60:AA:67',
      ad_actor_sys_prio: '65535',
      ad_actor_system: '00:00:00:00:00:00',
      ad_user_port_key: '0',
    });
    fs.addDevice('eth0');
    fs.enslaveDirect('bond0', 'eth0', {
      state: 'active',
      mii_status: 'up',
      link_failure_count: '0',
      perm_hwaddr: '02:00:00:00:00:01',
      queue_id: '0',
      ad_aggregator_id: '1',
      ad_actor_oper_port_state: '61',
      ad_partner_oper_port_state: '61',
    });
    const bond = (await backend.readBond('bond0'))!;
    expect(bond.ad).toEqual({ aggregatorId: 1, numPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '66:c4:31:60:aa:67' });
    expect(bond.options).toMatchObject({ ad_actor_sys_prio: 65535, ad_actor_system: '00:00:00:00:00:00', ad_user_port_key: 0 });
    expect(bond.slaves[0]!.ad).toEqual({ aggregatorId: 1, actorOperPortState: 61, partnerOperPortState: 61 });

    // No active aggregator: ad_aggregator prints 0 and the partner files print nothing.
    fs.files.set(`${NET}/bond0/bonding/ad_aggregator`, '0');
    fs.files.set(`${NET}/bond0/bonding/ad_partner_mac`, '');
    expect((await backend.readBond('bond0'))!.ad).toBeNull();
  });

  it('lists bonds, and none without the driver', async () => {
    const { fs, backend } = setup();
    fs.addBond('bond0');
    fs.addBond('bond1');
    expect(await backend.listBonds()).toEqual(['bond0', 'bond1']);
    const bare = new SysfsBackend({ io: new FakeSysfs({ bondingLoaded: false }) });
    expect(await bare.listBonds()).toEqual([]);
  });

  it('refuses use after close', async () => {
    const { backend } = setup();
    await backend.close();
    await expect(backend.listBonds()).rejects.toThrow(/closed/);
  });

  it('accepts only named namespaces', () => {
    expect(() => new SysfsBackend({ netnsPath: '/proc/1/ns/net' })).toThrow(TypeError);
    expect(() => new SysfsBackend({ netnsPath: '/run/netns/../x' })).toThrow(TypeError);
  });
});
