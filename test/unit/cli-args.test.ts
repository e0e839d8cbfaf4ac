/**
 * bondctl argument parsing and validation, in-process: bad input exits 2 with a message naming
 * the argument and touches neither the kernel nor bondd; a kernel refusal exits 1 with the
 * explained message; commands that need bondd exit 3 without it. Nothing goes to stdout on error.
 */
import { describe, expect, it } from 'vitest';
import { explainKernelError } from '../../src/bond/errors.js';
import { BOND_OPTIONS, SLAVE_OPTIONS } from '../../src/bond/options.js';
import { EXIT_FAILURE, EXIT_NO_DAEMON, EXIT_OK, EXIT_USAGE } from '../../src/cli/exit-codes.js';
import { bond, harness, slave } from './cli-fakes.js';

describe('bad input: exit 2, the argument named, nothing touched', () => {
  const cases: Array<[string[], RegExp]> = [
    [['create', 'bo/nd'], /^bondctl: bond: "bo\/nd" is not a valid interface name/],
    [['create', 'averyveryverylongname'], /bond: .*at most 15/],
    [['create', 'bond0', 'miimon=abc'], /"miimon=abc": miimon: "abc" is not a whole number of milliseconds/],
    [['create', 'bond0', 'mimon=100'], /"mimon" is not a bond option \(did you mean miimon\?\)/],
    [['create', 'bond0', 'miimon'], /"miimon" is not <option>=<value>; for example miimon=0/],
    [['create', 'bond0', '=5'], /"=5" is not <option>=<value>/],
    [['create', 'bond0', '--mode', 'fast'], /mode: "fast" is not one of balance-rr \(0\)/],
    [['create', 'bond0', '--mode', 'active-backup', 'mode=802.3ad'], /--mode active-backup and mode=802.3ad disagree/],
    [['create', 'bond0', 'updelay=200'], /bond0: updelay \(200\) needs miimon, which is 0/],
    [['create', 'bond0', 'miimon=100', 'updelay=150'], /updelay \(150\) is not a multiple of miimon \(100\)/],
    [['create', 'bond0', '--mode', '802.3ad', 'primary=eth0'], /primary is not supported in mode 802.3ad/],
    [['create', 'bond0', 'miimon=100', 'arp_interval=1000'], /can not both be on/],
    [['create', 'bond0', 'prio=5'], /prio is a per-slave option; set it with --slave IF/],
    [['create', 'bond0', 'miimon=1', 'miimon=2'], /miimon is given twice/],
    [['create', 'bond0', '--mode', 'active-backup', 'active_slave=eth0'], /active_slave can not be set on a new bond/],
    [['create', 'bond0', 'arp_ip_target=224.0.0.1'], /arp_ip_target: "224.0.0.1" is a multicast address/],
    [['create', 'bond0', '--backend', 'ioctl'], /backend/i],
    [['create'], /Not enough non-option arguments/],
    [['set', 'bond0'], /give at least one <option>=<value>/],
    [['set', 'bond0', '--slave', 'eth0', 'miimon=100'], /miimon is a bond option, not a slave option/],
    [['set', 'bond0', '--slave', 'eth 0', 'prio=1'], /--slave: "eth 0" is not a valid interface name: it contains whitespace/],
    [['set', 'bond0', '--slave', 'eth0', 'prio=x'], /prio: "x" is not a whole number/],
    [['set', 'bond0', 'lacp-rate=medium'], /lacp_rate: "medium" is not one of slow \(0\), fast \(1\)/],
    [['delete', 'bond:0'], /bond: "bond:0" is not a valid interface name: it contains ":"/],
    [['enslave', 'bond0'], /Not enough non-option arguments/],
    [['enslave', 'bond0', 'eth0', 'eth0'], /slave: eth0 is given twice/],
    [['enslave', 'bond0', 'bond0'], /bond0 can not be enslaved to itself/],
    [['release', 'bond0', 'eth%d'], /slave: "eth%d" is not a valid interface name/],
    [['show', 'a/b'], /bond: "a\/b"/],
    [['status', 'a/b'], /bond: "a\/b"/],
    [['status', '--jsn'], /Unknown argument: jsn/],
    [['status', 'bond0', 'bond1'], /Unknown argument: bond1/],
    [['failover', 'bond0', '--to', '../x'], /--to: "..\/x" is not a valid interface name/],
    [['events', '--since', 'yesterday'], /--since: "yesterday" is neither a duration/],
    [['events', '--bond', 'a b'], /--bond: "a b"/],
    [['events', '--limit', '0'], /--limit: "0" is not a positive whole number/],
    [['apply', '--confirm-within', '2y'], /--confirm-within: "2y" is not a duration/],
    [['apply', '--confirm-within', '2h'], /--confirm-within: 2h is outside 1s..1h/],
    [['options', '--mode', 'bogus'], /mode: "bogus" is not one of/],
    [['completion', 'fish'], /Invalid values/],
    [['import'], /name a format \(netplan, nm, networkd, interfaces, ifcfg\) or use --from-host/],
    [['import', 'netplan', '--from-host'], /--from-host picks the format itself; leave out the format/],
    [['import', 'wicked'], /Invalid values/],
    [['statsu'], /unknown command "statsu"; did you mean status\?/],
    [[], /give a command/],
  ];
  for (const [args, message] of cases) {
    it(`bondctl ${args.join(' ')}`, async () => {
      const h = harness({ bonds: [bond('bond0', 'active-backup', { slaves: [slave('eth0')] })] });
      const code = await h.run(...args);
      expect(h.stderr).toMatch(message);
      expect(code).toBe(EXIT_USAGE);
      expect(h.stdout).toBe('');
      expect(h.touched).toEqual([]);
    });
  }

  it('checks set against the mode the bond is in (read only, no write)', async () => {
    const h = harness({ bonds: [bond('bond0', 'balance-rr')] });
    expect(await h.run('set', 'bond0', 'primary=eth0')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/bond0: primary is not supported in mode balance-rr \(supported in: active-backup, balance-tlb, balance-alb\)/);
    expect(h.backends.get('sysfs')!.calls.map((c) => c[0])).toEqual(['readBond']);
  });

  it('checks delays against the miimon the bond has', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { options: { ...bond('b', 'active-backup').options, miimon: 100 } })] });
    expect(await h.run('set', 'bond0', 'updelay=250')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/updelay \(250\) is not a multiple of miimon \(100\): the kernel would round it down to 200/);
    expect(await h.run('set', 'bond0', 'updelay=200')).toBe(EXIT_OK);
  });

  it('refuses a slave option the mode does not take', async () => {
    const h = harness({ bonds: [bond('bond0', 'balance-xor', { slaves: [slave('eth0')] })] });
    expect(await h.run('set', 'bond0', '--slave', 'eth0', 'prio=3')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/prio is not supported in mode balance-xor/);
  });
});

describe('kernel refusals and state: exit 1 with the explanation', () => {
  it('prints the BondError the backend raised, nothing on stdout', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { slaves: [slave('eth0')] })] });
    await h.deps.openBackend('sysfs');
    h.touched.length = 0;
    h.backends.get('sysfs')!.refuse.set('setOptions', explainKernelError({ bond: 'bond0', op: 'set', errno: 'ENOTEMPTY', option: 'mode' }));
    const code = await h.run('set', 'bond0', 'mode=802.3ad');
    expect(code).toBe(EXIT_FAILURE);
    expect(h.stdout).toBe('');
    expect(h.stderr).toBe(
      'bondctl: bond0: mode can only change while bond0 is down and has no slaves; set bond0 down and release its slaves, set mode, then enslave them again and set bond0 up\n',
    );
  });

  it('says which slaves were enslaved before a refusal', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup')] });
    const backend = (await h.deps.openBackend('sysfs')) as import('./cli-fakes.js').FakeBackend;
    const original = backend.enslave.bind(backend);
    backend.enslave = async (b, s) => {
      if (s === 'eth1') throw explainKernelError({ bond: b, op: 'enslave', errno: 'EBUSY', slave: s });
      return original(b, s);
    };
    expect(await h.run('enslave', 'bond0', 'eth0', 'eth1')).toBe(EXIT_FAILURE);
    expect(h.stderr).toMatch(/^bondctl: note: eth0 was enslaved before this failure\nbondctl: bond0: eth1 is already used by another master/);
    expect(h.stdout).toBe('');
  });

  it('no such bond', async () => {
    const h = harness();
    for (const args of [['show', 'bond9'], ['status', 'bond9'], ['set', 'bond9', 'miimon=100'], ['failover', 'bond9']]) {
      expect(await h.run(...args), args.join(' ')).toBe(EXIT_FAILURE);
      expect(h.stderr).toBe('bondctl: bond9: no such bond\n');
      expect(h.stdout).toBe('');
    }
  });

  it('adds a root hint for permission errors when not root', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup')] });
    h.deps.isRoot = () => false;
    (await h.deps.openBackend('sysfs') as import('./cli-fakes.js').FakeBackend).refuse.set('deleteBond', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    expect(await h.run('delete', 'bond0')).toBe(EXIT_FAILURE);
    expect(h.stderr).toMatch(/hint: changing bonds needs root/);
  });
});

describe('bondd needed: exit 3', () => {
  for (const args of [['events'], ['events', '--follow'], ['apply'], ['apply', '--config', '/etc/bondd/bondd.yaml'], ['confirm']]) {
    it(`bondctl ${args.join(' ')} without bondd`, async () => {
      const h = harness();
      expect(await h.run(...args)).toBe(EXIT_NO_DAEMON);
      expect(h.stderr).toMatch(/^bondctl: bondd is not running/);
      expect(h.stdout).toBe('');
      expect(h.touched.every((t) => t.startsWith('daemon:'))).toBe(true);
    });
  }

  it('a bondd refusal is exit 1', async () => {
    const h = harness({ daemon: { confirm: () => Promise.reject(Object.assign(new Error('nothing to confirm'), { name: 'DaemonError', code: 'ENOENT' })) } });
    expect(await h.run('confirm')).toBe(EXIT_FAILURE);
    expect(h.stderr).toBe('bondctl: bondd refused the request (ENOENT): nothing to confirm\n');
  });
});

describe('direct commands', () => {
  it('create: mode first, options in the order the kernel needs, then up', async () => {
    const h = harness();
    const code = await h.run('create', 'bond0', 'updelay=200', 'miimon=100', '--mode', 'active-backup', 'primary_reselect=better', '--up');
    expect(h.stderr).toBe('');
    expect(code).toBe(EXIT_OK);
    const calls = h.backends.get('sysfs')!.calls;
    expect(calls[0]).toEqual(['createBond', 'bond0', 'active-backup', { miimon: 100, updelay: 200, primary_reselect: 'better' }]);
    expect(Object.keys(calls[0]![3] as object)).toEqual(['miimon', 'updelay', 'primary_reselect']);
    expect(calls[1]).toEqual(['setUp', 'bond0', true]);
    expect(h.stdout).toBe('bond0: created, mode active-backup, miimon=100 updelay=200 primary_reselect=better (sysfs), up\n');
  });

  it('create: aliases and "-" for "_"; warnings on stderr, success on stdout', async () => {
    const h = harness();
    expect(await h.run('create', 'bond1', 'mode=4', 'ad-lacp-rate=fast', 'xmit-hash-policy=1')).toBe(EXIT_OK);
    expect(h.backends.get('sysfs')!.calls[0]).toEqual(['createBond', 'bond1', '802.3ad', { lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' }]);
    expect(await h.run('create', 'bond2')).toBe(EXIT_OK);
    expect(h.stderr).toMatch(/warning: bond2: neither miimon nor arp_interval is set/);
  });

  it('netlink-only options pick the netlink backend unless one is given', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { slaves: [slave('eth0')] })] });
    expect(await h.run('set', 'bond0', '--slave', 'eth0', 'prio=10')).toBe(EXIT_OK);
    expect(h.touched).toEqual(['backend:netlink']);
    expect(h.backends.get('netlink')!.calls.find((c) => c[0] === 'setSlaveOptions')).toEqual(['setSlaveOptions', 'bond0', 'eth0', { prio: 10 }]);
    expect(h.stdout).toBe('bond0: eth0 prio=10\n');
  });

  it('set: mode before the rest, values read back', async () => {
    const h = harness({ bonds: [bond('bond0', 'balance-rr')] });
    expect(await h.run('set', 'bond0', 'miimon=100', 'mode=active-backup', 'updelay=200')).toBe(EXIT_OK);
    const call = h.backends.get('sysfs')!.calls.find((c) => c[0] === 'setOptions')!;
    expect(Object.keys(call[2] as object)).toEqual(['mode', 'miimon', 'updelay']);
    expect(h.stdout).toBe('bond0: mode=active-backup miimon=100 updelay=200\n');
  });

  it('set: +addr / -addr change an address list as sysfs does, resolved against the bond', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { options: { arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'] } })] });
    expect(await h.run('set', 'bond0', 'arp_ip_target=+192.0.2.3,192.0.2.1')).toBe(EXIT_OK);
    expect(h.backends.get('sysfs')!.calls.find((c) => c[0] === 'setOptions')).toEqual(['setOptions', 'bond0', { arp_ip_target: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] }]);
    expect(h.stdout).toBe('bond0: arp_ip_target=192.0.2.1,192.0.2.2,192.0.2.3\n');
    expect(await h.run('set', 'bond0', 'arp_ip_target=-192.0.2.1')).toBe(EXIT_OK);
    expect(h.kernel.get('bond0')!.options['arp_ip_target']).toEqual(['192.0.2.2', '192.0.2.3']);
  });

  it('set: removing an address that is not listed is bad input and writes nothing', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { options: { arp_interval: 1000, arp_ip_target: ['192.0.2.1'] } })] });
    expect(await h.run('set', 'bond0', 'arp_ip_target=-192.0.2.9')).toBe(EXIT_USAGE);
    expect(h.stderr).toBe('bondctl: arp_ip_target: 192.0.2.9 is not in the list (192.0.2.1); nothing to remove\n');
    expect(h.backends.get('sysfs')!.calls.some((c) => c[0] === 'setOptions')).toBe(false);
    expect(await h.run('set', 'bond0', 'arp_ip_target=+192.0.2.300')).toBe(EXIT_USAGE);
    expect(await h.run('set', 'bond0', 'arp_ip_target=+192.0.2.2', 'arp_ip_target=192.0.2.3')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/arp_ip_target is given twice/);
  });

  it('create: +addr is the list itself; -addr has nothing to remove from', async () => {
    const h = harness();
    expect(await h.run('create', 'bond0', 'arp_interval=1000', 'arp_ip_target=+192.0.2.1,192.0.2.2')).toBe(EXIT_OK);
    expect(h.backends.get('sysfs')!.calls[0]).toEqual(['createBond', 'bond0', 'balance-rr', { arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'] }]);
    expect(await h.run('create', 'bond1', 'arp_interval=1000', 'arp_ip_target=-192.0.2.1')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/a new bond has no arp_ip_target to remove from/);
  });

  it('set --slave on an interface that is not a slave', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup', { slaves: [slave('eth0')] })] });
    expect(await h.run('set', 'bond0', '--slave', 'eth5', 'queue_id=2')).toBe(EXIT_FAILURE);
    expect(h.stderr).toBe('bondctl: bond0: eth5 is not a slave of bond0 (slaves: eth0)\n');
  });

  it('enslave, release, up, down, delete', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup')] });
    expect(await h.run('enslave', 'bond0', 'eth0', 'eth1')).toBe(EXIT_OK);
    expect(h.stdout).toBe('bond0: enslaved eth0, eth1\n');
    expect(await h.run('release', 'bond0', 'eth1')).toBe(EXIT_OK);
    expect(h.stdout).toBe('bond0: released eth1\n');
    expect(await h.run('down', 'bond0')).toBe(EXIT_OK);
    expect(await h.run('up', 'bond0', '--backend', 'netlink')).toBe(EXIT_OK);
    expect(await h.run('delete', 'bond0')).toBe(EXIT_OK);
    expect(h.kernel.has('bond0')).toBe(false);
  });
});

describe('failover', () => {
  const ab = () =>
    bond('bond0', 'active-backup', {
      activeSlave: 'eth1',
      slaves: [slave('eth0'), slave('eth1', { state: 'active' }), slave('eth2', { mii: 'down' }), slave('eth3')],
    });

  it('without bondd: the next backup with link up after the active one, verified', async () => {
    const h = harness({ bonds: [ab()] });
    expect(await h.run('failover', 'bond0')).toBe(EXIT_OK);
    expect(h.stdout).toBe('bond0: active slave eth1 → eth3\n');
    expect(h.touched).toEqual(['daemon:failover', 'backend:sysfs']);
    expect(h.backends.get('sysfs')!.calls.find((c) => c[0] === 'setOptions')).toEqual(['setOptions', 'bond0', { active_slave: 'eth3' }]);
  });

  it('--to, --json', async () => {
    const h = harness({ bonds: [ab()] });
    expect(await h.run('failover', 'bond0', '--to', 'eth0', '--json')).toBe(EXIT_OK);
    expect(JSON.parse(h.stdout)).toEqual({ bond: 'bond0', from: 'eth1', to: 'eth0', via: 'kernel' });
  });

  it('fails when the kernel keeps the old slave', async () => {
    const h = harness({ bonds: [ab()] });
    const backend = (await h.deps.openBackend('sysfs')) as import('./cli-fakes.js').FakeBackend;
    backend.setOptions = async () => undefined;
    expect(await h.run('failover', 'bond0', '--to', 'eth0')).toBe(EXIT_FAILURE);
    expect(h.stderr).toBe('bondctl: bond0: the kernel accepted active_slave eth0 but eth1 is active\n');
  });

  it('explains modes without an active slave and a missing backup', async () => {
    const h = harness({ bonds: [bond('bond0', 'balance-rr'), bond('bond1', 'active-backup', { activeSlave: 'eth0', slaves: [slave('eth0', { state: 'active' }), slave('eth1', { mii: 'down' })] })] });
    expect(await h.run('failover', 'bond0')).toBe(EXIT_FAILURE);
    expect(h.stderr).toMatch(/mode balance-rr has no active slave to switch/);
    expect(await h.run('failover', 'bond1')).toBe(EXIT_FAILURE);
    expect(h.stderr).toMatch(/bond1: no backup slave has its link up to take over \(slaves: eth0 up, eth1 down\)/);
    expect(await h.run('failover', 'bond1', '--to', 'eth7')).toBe(EXIT_FAILURE);
    expect(h.stderr).toMatch(/eth7 is not a slave of bond1/);
  });

  it('through bondd when it runs', async () => {
    const h = harness({ daemon: { failover: (p) => ({ from: 'eth0', to: p['to'] ?? 'eth1' }) } });
    expect(await h.run('failover', 'bond0')).toBe(EXIT_OK);
    expect(h.stdout).toBe('bond0: active slave eth0 → eth1 (via bondd)\n');
    expect(h.touched).toEqual(['daemon:failover']);
  });
});

describe('help, options, completion', () => {
  it('set --help lists every option of the table with its values', async () => {
    const h = harness();
    expect(await h.run('set', '--help')).toBe(EXIT_OK);
    for (const o of [...BOND_OPTIONS, ...SLAVE_OPTIONS]) expect(h.stdout).toMatch(new RegExp(`^  ${o.name}\\b`, 'm'));
    expect(h.stdout).toMatch(/^  lacp_rate \(ad_lacp_rate\) +slow\|fast/m);
    expect(h.stdout).toMatch(/^  miimon +0\.\.2147483647 ms/m);
    expect(h.touched).toEqual([]);
  });

  it('create --help lists the bond options, --help the commands', async () => {
    const h = harness();
    expect(await h.run('create', '--help')).toBe(EXIT_OK);
    expect(h.stdout).toMatch(/^  xmit_hash_policy +layer2\|layer3\+4/m);
    expect(await h.run('--help')).toBe(EXIT_OK);
    for (const c of ['create', 'delete', 'enslave', 'release', 'set', 'show', 'options', 'status', 'list', 'events', 'failover', 'plan', 'apply', 'confirm', 'completion']) {
      expect(h.stdout).toMatch(new RegExp(`bondctl ${c}\\b`));
    }
  });

  it('options --json: the whole table; --mode narrows it and gives that mode\'s defaults', async () => {
    const h = harness();
    expect(await h.run('options', '--json')).toBe(EXIT_OK);
    const all = JSON.parse(h.stdout);
    expect(all.mode).toBeNull();
    expect(all.options.map((o: { name: string }) => o.name)).toEqual([...BOND_OPTIONS, ...SLAVE_OPTIONS].map((o) => o.name));
    expect(all.options.find((o: { name: string }) => o.name === 'lacp_rate')).toMatchObject({
      scope: 'bond',
      aliases: ['ad_lacp_rate'],
      values: [{ name: 'slow', value: 0 }, { name: 'fast', value: 1 }],
      default: 'slow',
      modes: ['802.3ad'],
      needsDown: true,
      sysfs: 'lacp_rate',
      netlink: true,
    });
    expect(await h.run('options', '--mode', '802.3ad', '--json')).toBe(EXIT_OK);
    const lacp = JSON.parse(h.stdout);
    expect(lacp.options.find((o: { name: string }) => o.name === 'miimon').default).toBe(100);
    expect(lacp.options.some((o: { name: string }) => o.name === 'primary')).toBe(false);
    expect(await h.run('options', '--mode', 'active-backup')).toBe(EXIT_OK);
    expect(h.stdout).toMatch(/^primary\n    Slave preferred/m);
  });

  it('completion scripts for bash and zsh use yargs completions', async () => {
    const h = harness();
    expect(await h.run('completion', 'bash')).toBe(EXIT_OK);
    expect(h.stdout).toMatch(/complete -o default -F _bondctl_complete bondctl/);
    expect(h.stdout).toMatch(/--get-yargs-completions/);
    expect(await h.run('completion', 'zsh')).toBe(EXIT_OK);
    expect(h.stdout).toMatch(/^#compdef bondctl/);
  });

  it('completion requests run no command', async () => {
    const h = harness({ bonds: [bond('bond0', 'active-backup')] });
    expect(await h.run('--get-yargs-completions', 'bondctl', 'delete', 'bond0', '')).toBe(EXIT_OK);
    expect(await h.run('--get-yargs-completions', 'bondctl', 'set', 'bond0', 'lacp_rate=')).toBe(EXIT_OK);
    expect(h.stdout).toBe('lacp_rate=slow\nlacp_rate=fast\n');
    expect(h.touched).toEqual([]);
    expect(h.kernel.has('bond0')).toBe(true);
  });
});

describe('events, plan, apply', () => {
  const entry = { t: Date.parse('2024-05-01T11:59:00Z'), seq: 7, kind: 'failover', bond: 'bond0', slave: 'eth1', message: 'bond0: active slave eth0 → eth1 (eth0 lost carrier)' };

  it('events: --since becomes ms since the epoch; JSON lines', async () => {
    let params: Record<string, unknown> = {};
    const h = harness({ daemon: { events: (p) => ((params = p), [entry]) } });
    expect(await h.run('events', '--since', '10m', '--bond', 'bond0', '--json')).toBe(EXIT_OK);
    expect(params).toEqual({ since: Date.parse('2024-05-01T11:50:00Z'), bond: 'bond0' });
    expect(h.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([entry]);
    expect(await h.run('events', '--since', '2024-05-01T00:00:00Z')).toBe(EXIT_OK);
    expect(params['since']).toBe(Date.parse('2024-05-01T00:00:00Z'));
    expect(h.stdout).toMatch(/failover {7}bond0 {4}bond0: active slave eth0 → eth1/);
  });

  it('events --follow streams until interrupted', async () => {
    const h = harness({
      daemon: {
        events: (p, o) => {
          expect(p['follow']).toBe(true);
          o.onEvent!(entry);
          o.onEvent!({ ...entry, seq: 8 });
          return undefined;
        },
      },
    });
    expect(await h.run('events', '-f', '--json')).toBe(EXIT_OK);
    expect(h.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('plan: bondd when it runs, else computed here; --config always here', async () => {
    const step = { op: 'set-options', bond: 'bond0', options: [['miimon', 100]], impact: 'none', reason: 'miimon 0 → 100' };
    const h = harness({ daemon: { plan: () => ({ steps: [step], pending: [], problems: [], impact: 'none' }) } });
    expect(await h.run('plan')).toBe(EXIT_OK);
    expect(h.stdout).toBe('plan (bondd): 1 step(s), impact none\n  1. set bond0 miimon=100  [impact none] miimon 0 → 100\n');
    expect(await h.run('plan', '--config', 'x.yaml', '--json')).toBe(EXIT_OK);
    expect(JSON.parse(h.stdout)).toEqual({ source: 'local', config: 'x.yaml', impact: 'none', steps: [], pending: [], problems: [] });
    const without = harness();
    expect(await without.run('plan')).toBe(EXIT_OK);
    expect(without.stderr).toMatch(/bondd is not running: planning \/etc\/bondd\/bondd.yaml here/);
    expect(without.stdout).toMatch(/nothing to do/);
  });

  it('apply --confirm-within, and refusing another file than bondd uses', async () => {
    let params: Record<string, unknown> = {};
    const h = harness({
      daemon: {
        ping: () => ({ pid: 1, source: '/etc/bondd/bondd.yaml' }),
        apply: (p) => ((params = p), { message: 'reloaded /etc/bondd/bondd.yaml', plan: ['set bond0 miimon=100'], confirmDeadline: Date.parse('2024-05-01T12:01:00Z') }),
      },
    });
    expect(await h.run('apply', '--confirm-within', '60s')).toBe(EXIT_OK);
    expect(params).toEqual({ confirmWithinMs: 60_000 });
    expect(h.stdout).toMatch(/1\. set bond0 miimon=100\nrun bondctl confirm before /);
    expect(await h.run('apply', '--config', '/tmp/other.yaml')).toBe(EXIT_USAGE);
    expect(h.stderr).toMatch(/--config: bondd applies \/etc\/bondd\/bondd.yaml, not \/tmp\/other.yaml/);
  });
});

describe('process dependencies', () => {
  it('the socket path bondctl checks is the daemon default', async () => {
    const { DEFAULT_SOCKET_PATH } = await import('../../src/cli/commands/common.js');
    const { DEFAULT_CONTROL_SOCKET } = await import('../../src/daemon/control.js');
    expect(DEFAULT_SOCKET_PATH).toBe(DEFAULT_CONTROL_SOCKET);
  });

  it('a missing socket is DaemonUnavailable (exit 3) without loading the client', async () => {
    const { processDeps } = await import('../../src/cli/main.js');
    const error = await processDeps().callDaemon('status', {}, { path: '/nonexistent/bondd.sock' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DaemonUnavailable', message: 'bondd is not running (no answer on /nonexistent/bondd.sock): connect ENOENT /nonexistent/bondd.sock' });
  });
});
