/**
 * bondd as an operator runs it: installed by scripts/install, started and reloaded by systemd
 * 252 (Type=notify, watchdog, ExecReload through the control socket), with udev handling the
 * bond's uevents. One bond sdb0 over two veths; the tests run in order and share it.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG,
  addresses,
  assertSystemdGuest,
  bondctl,
  delLinks,
  installBondd,
  journal,
  link,
  monitorLinks,
  must,
  nowEpoch,
  sh,
  unitProps,
  vethPair,
  waitFor,
  writeConfig,
} from './helpers.js';

const BOND = 'sdb0';
const SLAVES = ['sd0a', 'sd1a'];
const PEERS = ['sd0p', 'sd1p'];
const OURS = [BOND, ...SLAVES];

function config(extra: { addresses?: string[]; slaves?: string[]; gateway?: string } = {}): string {
  const slaves = extra.slaves ?? SLAVES;
  const addrs = extra.addresses ?? ['192.0.2.10/24'];
  return [
    'version: 1',
    'bonds:',
    `  ${BOND}:`,
    '    mode: active-backup',
    '    options:',
    '      miimon: 100',
    '    slaves:',
    ...slaves.map((s) => `      - ${s}`),
    '    addresses:',
    ...addrs.map((a) => `      - ${a}`),
    ...(extra.gateway ? [`    gateway: ${extra.gateway}`] : []),
    '    drift: alert',
    '',
  ].join('\n');
}

async function active(): Promise<boolean> {
  return (await sh('systemctl', ['is-active', '--quiet', 'bondd'])).code === 0;
}

async function mainPid(): Promise<number> {
  return Number((await unitProps('bondd', 'MainPID'))['MainPID']);
}

async function permMac(slave: string): Promise<string> {
  // A veth has no burned-in address: before it is enslaved, its address is what the bond takes.
  return (await readFile(`/sys/class/net/${slave}/address`, 'utf8')).trim();
}

describe('bondd under systemd 252 and udev', () => {
  const macs: Record<string, string> = {};

  beforeAll(async () => {
    assertSystemdGuest();
    expect((await sh('systemctl', ['is-active', 'systemd-udevd'])).stdout.trim()).toBe('active');
    await delLinks(BOND);
    for (const [i, s] of SLAVES.entries()) await vethPair(s, PEERS[i]!);
    for (const s of SLAVES) macs[s] = await permMac(s);
  });

  afterAll(async () => {
    await sh('systemctl', ['stop', 'bondd']);
    await sh('systemctl', ['reset-failed', 'bondd']);
    await rm('/etc/systemd/system/bondd.service.d', { recursive: true, force: true });
    await sh('systemctl', ['daemon-reload']);
    await delLinks(BOND, ...SLAVES, 'sd2a', 'sdx0');
  });

  it('install: the configuration it writes is inert and the service is not enabled', async () => {
    await rm(CONFIG, { force: true });
    const r = await installBondd();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('not enabled');
    expect((await sh('systemctl', ['is-enabled', 'bondd'])).stdout.trim()).toBe('disabled');
    const check = await must('/usr/local/bin/bondd', ['--check', '--config', CONFIG]);
    expect(check).toContain('valid, 0 bond(s)');
    // Only runtime dependencies were copied, not the test tools.
    expect(await sh('test', ['-d', '/usr/local/lib/bondd/node_modules/vitest'])).toMatchObject({ code: 1 });
    expect(await sh('test', ['-d', '/usr/local/lib/bondd/node_modules/yaml'])).toMatchObject({ code: 0 });
  });

  it('install enables the service when the configuration names a bond', async () => {
    await writeConfig(config());
    const r = await installBondd();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await sh('systemctl', ['is-enabled', 'bondd'])).stdout.trim()).toBe('enabled');
    await must('systemctl', ['disable', 'bondd']);
  });

  it('start: systemctl start returns once bondd is READY, with the bond up and addressed', async () => {
    const r = await sh('systemctl', ['start', 'bondd']);
    expect(r.code, r.stderr).toBe(0);
    // Type=notify: no waiting here; READY=1 comes after the apply.
    const bond = await link(BOND);
    expect(addresses(bond)).toContain('192.0.2.10/24');
    for (const s of SLAVES) expect((await link(s))?.master).toBe(BOND);
    const props = await unitProps('bondd', 'ActiveState', 'SubState', 'StatusText', 'Type');
    expect(props).toMatchObject({ ActiveState: 'active', SubState: 'running', Type: 'notify' });
    expect(props['StatusText']).toMatch(/sdb0 (up|down)/);
    const status = await must('systemctl', ['status', '--no-pager', 'bondd']);
    expect(status).toContain('Status: "sdb0');
  });

  it("udev keeps its hands off the bond's MAC: the first slave's, not a 'persistent' one", async () => {
    const dotLink = await readFile('/run/systemd/network/00-bondd.link', 'utf8');
    expect(dotLink).toMatch(/^OriginalName=sdb0$/m);
    expect(dotLink).toMatch(/^MACAddressPolicy=none$/m);
    // udevadm reports which .link file applied to the bond.
    const info = await must('udevadm', ['info', '--query=property', `/sys/class/net/${BOND}`]);
    expect(info).toContain('ID_NET_LINK_FILE=/run/systemd/network/00-bondd.link');
    expect((await link(BOND))?.address).toBe(macs[SLAVES[0]!]);
  });

  it('the MAC policy is verified like any other setting: a rewritten MAC is drift, a reload puts it back', async () => {
    await must('ip', ['link', 'set', BOND, 'address', '02:00:00:5d:00:01']);
    const drift = await waitFor('drift on the MAC', async () => {
      const r = await bondctl(['status', BOND, '--json']);
      return r.stdout.includes('is not the first slave') ? r.stdout : null;
    }, 30_000, 500);
    expect(drift).toContain(macs[SLAVES[0]!]);
    expect((await sh('systemctl', ['reload', 'bondd'])).code).toBe(0);
    expect((await link(BOND))?.address).toBe(macs[SLAVES[0]!]);
  });

  it('reload with an unchanged configuration changes nothing (no link event)', async () => {
    const mon = monitorLinks(OURS);
    const since = nowEpoch();
    const r = await sh('systemctl', ['reload', 'bondd']);
    expect(r.code, r.stderr).toBe(0);
    expect(await mon.stop()).toEqual([]);
    const lines = await journal(since);
    expect(lines.map((l) => l.MESSAGE).join('\n')).toContain('nothing to do');
  });

  it('reload of a broken configuration fails visibly, with the reason at priority err; the old one stays', async () => {
    await writeConfig(config().replace('miimon: 100', 'miimon: lots'));
    const since = nowEpoch();
    const pid = await mainPid();
    const r = await sh('systemctl', ['reload', 'bondd']);
    expect(r.code).not.toBe(0);
    expect(await active()).toBe(true);
    expect(await mainPid()).toBe(pid);
    const errs = await journal(since, ['-p', 'err']);
    const text = errs.map((l) => l.MESSAGE).join('\n');
    expect(text).toContain('miimon');
    expect(text).toContain(CONFIG);
    expect(addresses(await link(BOND))).toContain('192.0.2.10/24');
    await writeConfig(config());
  });

  it('journal priorities: a bond coming up is notice, not a warning', async () => {
    const lines = await journal('0');
    const first = lines.find((l) => /sdb0: active slave none → /.test(l.MESSAGE));
    expect(first, 'the first active slave line').toBeDefined();
    expect(first!.PRIORITY).toBe('5');
    expect(lines.some((l) => l.MESSAGE.startsWith('<'))).toBe(false);
  });

  it('a user outside group bondd is told "permission denied", not "not running" (exit 4)', async () => {
    const r = await sh('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/local/bin/bondctl', 'events', '--limit', '1']);
    expect(r.stderr).toContain('permission denied: you need to be root or in group bondd');
    expect(r.code).toBe(4);
  });

  it('stop leaves the bond; start adopts it without a link event', async () => {
    await must('systemctl', ['stop', 'bondd']);
    const before = await link(BOND);
    expect(addresses(before)).toContain('192.0.2.10/24');
    const mon = monitorLinks(OURS);
    await must('systemctl', ['start', 'bondd']);
    expect(await mon.stop()).toEqual([]);
    expect((await link(BOND))?.ifindex).toBe(before?.ifindex);
  });

  it('watchdog: bondd pings within WatchdogSec and is not restarted', async () => {
    await mkdir('/etc/systemd/system/bondd.service.d', { recursive: true });
    await writeFile('/etc/systemd/system/bondd.service.d/watchdog.conf', '[Service]\nWatchdogSec=6s\n');
    await must('systemctl', ['daemon-reload']);
    await must('systemctl', ['restart', 'bondd']);
    const pid = await mainPid();
    const first = await unitProps('bondd', 'WatchdogTimestampMonotonic', 'NRestarts');
    await new Promise((r) => setTimeout(r, 15_000));
    const later = await unitProps('bondd', 'WatchdogTimestampMonotonic', 'NRestarts');
    expect(await mainPid()).toBe(pid);
    expect(later['NRestarts']).toBe(first['NRestarts']);
    expect(Number(later['WatchdogTimestampMonotonic'])).toBeGreaterThan(Number(first['WatchdogTimestampMonotonic']));
    await rm('/etc/systemd/system/bondd.service.d', { recursive: true, force: true });
    await must('systemctl', ['daemon-reload']);
  });

  it('SIGKILL: systemd restarts bondd, which adopts the bond without a link event', async () => {
    const pid = await mainPid();
    const restarts = Number((await unitProps('bondd', 'NRestarts'))['NRestarts']);
    const ifindex = (await link(BOND))?.ifindex;
    const mon = monitorLinks(OURS);
    await must('systemctl', ['kill', '-s', 'KILL', 'bondd']);
    await waitFor('bondd restarted', async () => (await active()) && (await mainPid()) !== pid && (await mainPid()) !== 0, 90_000, 500);
    expect(await mon.stop()).toEqual([]);
    expect(Number((await unitProps('bondd', 'NRestarts'))['NRestarts'])).toBe(restarts + 1);
    expect((await link(BOND))?.ifindex).toBe(ifindex);
  });

  it('a slave that another tool raised is set down and enslaved (drift: alert)', async () => {
    await writeConfig(config({ slaves: [...SLAVES, 'sd2a'] }));
    expect((await sh('systemctl', ['reload', 'bondd'])).code).toBe(0);
    await vethPair('sd2a', 'sd2p');
    await must('ip', ['link', 'set', 'sd2a', 'up']);
    await waitFor('sd2a enslaved', async () => (await link('sd2a'))?.master === BOND, 30_000, 250);
    await writeConfig(config());
    expect((await sh('systemctl', ['reload', 'bondd'])).code).toBe(0);
    await delLinks('sd2a');
  });

  it('a default route bondd did not make is not replaced: the reload fails and says why', async () => {
    await vethPair('sdx0', 'sdx1');
    await must('ip', ['link', 'set', 'sdx0', 'up']);
    await must('ip', ['addr', 'add', '198.51.100.2/24', 'dev', 'sdx0']);
    await must('ip', ['route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'sdx0']);
    try {
      await writeConfig(config({ gateway: '192.0.2.1' }));
      const r = await sh('systemctl', ['reload', 'bondd']);
      expect(r.code).not.toBe(0);
      const routes = await must('ip', ['route', 'show', 'default']);
      expect(routes).toContain('via 198.51.100.1 dev sdx0');
      expect(routes).not.toContain(BOND);
      const st = await sh('journalctl', ['-u', 'bondd', '-p', 'err', '-n', '20', '--no-pager']);
      expect(st.stdout).toContain('bondd did not make it');
    } finally {
      await writeConfig(config());
      await sh('systemctl', ['reload', 'bondd']);
      await delLinks('sdx0');
    }
  });

  it('an invalid configuration at start fails once (exit 2), with the reason at err, and is not restarted', async () => {
    await must('systemctl', ['stop', 'bondd']);
    await writeConfig(config().replace('mode: active-backup', 'mode: sideways'));
    const restartsBefore = (await unitProps('bondd', 'NRestarts'))['NRestarts'];
    const since = nowEpoch();
    const r = await sh('systemctl', ['start', 'bondd']);
    expect(r.code).not.toBe(0);
    await new Promise((res) => setTimeout(res, 5000)); // two RestartSec periods
    const props = await unitProps('bondd', 'ActiveState', 'ExecMainStatus', 'NRestarts');
    expect(props).toMatchObject({ ActiveState: 'failed', ExecMainStatus: '2', NRestarts: restartsBefore });
    const errs = (await journal(since, ['-p', 'err'])).map((l) => l.MESSAGE).join('\n');
    expect(errs).toContain('invalid configuration');
    expect(errs).toContain('sideways');
    await must('systemctl', ['reset-failed', 'bondd']);
    await writeConfig(config());
    await must('systemctl', ['start', 'bondd']);
  });

  it('coexists with systemd-networkd running a catch-all DHCP .network', async () => {
    const unmanaged = await readFile('/run/systemd/network/00-bondd.network', 'utf8');
    expect(unmanaged).toMatch(/^Name=sdb0 sd0a sd1a$/m);
    expect(unmanaged).toMatch(/^Unmanaged=yes$/m);
    await mkdir('/etc/systemd/network', { recursive: true });
    await writeFile('/etc/systemd/network/99-catchall.network', '[Match]\nName=*\n\n[Network]\nDHCP=yes\n');
    try {
      await must('systemctl', ['start', 'systemd-networkd']);
      await waitFor('networkd sees the links', async () => (await sh('networkctl', ['list', '--no-legend'])).stdout.includes(BOND), 30_000, 500);
      const list = await must('networkctl', ['list', '--no-legend']);
      for (const name of OURS) expect(list.split('\n').find((l) => l.includes(` ${name} `)), list).toMatch(/unmanaged/);
      // A peer (not bondd's) is managed: the catch-all works, it just leaves bondd's devices alone.
      expect(list.split('\n').find((l) => l.includes(' sd0p '))).not.toMatch(/unmanaged/);
      await new Promise((res) => setTimeout(res, 5000));
      expect(addresses(await link(BOND))).toContain('192.0.2.10/24');
      for (const s of SLAVES) expect((await link(s))?.master).toBe(BOND);
      // A bond added while networkd runs is unmanaged at once (bondd rewrites the file and reloads networkd).
      await writeConfig(config() + '  sdb1:\n    mode: active-backup\n    slaves:\n      - sd9a\n    drift: alert\n');
      expect((await sh('systemctl', ['reload', 'bondd'])).code).toBe(0);
      await waitFor('sdb1 unmanaged', async () => /sdb1.*unmanaged/.test((await sh('networkctl', ['list', '--no-legend'])).stdout), 30_000, 500);
    } finally {
      await rm('/etc/systemd/network/99-catchall.network', { force: true });
      await sh('systemctl', ['stop', 'systemd-networkd.socket', 'systemd-networkd']);
      await writeConfig(config());
      await sh('systemctl', ['reload', 'bondd']);
      await delLinks('sdb1');
    }
  });
});
