/**
 * The .deb as a host uses it, under systemd 252 as PID 1 (scripts/systemd-suite): dpkg -i with
 * node, npm and the compilers masked (test/guest/helpers/without-node.sh), the service kept from
 * them as well (a drop-in with InaccessiblePaths=), systemctl start on /etc/bondd/bondd.yaml with
 * two veth slaves, status, traffic, `man bondctl`; dpkg -i of a rebuild with a higher version
 * while `ip monitor` watches (the postinst's try-restart must not flap the bond); dpkg --remove
 * (bondd stopped, bond still up); dpkg --purge (no file the package created is left, no state,
 * no group).
 *
 * The packages come from scripts/test (scripts/package --fast, built on the machine before the
 * guest boots), in .cache/package-test: bondd_<version>_amd64.deb and ..._<version>+upgrade1.
 * The other tests of this suite install bondd with scripts/install (unit in /etc/systemd/system,
 * /etc/bondd, /var/lib/bondd, the bondd group): what they left is set aside first and put back
 * at the end. The commands are called by absolute path: /usr/local/bin/bondctl (scripts/install)
 * would come first on PATH. Interfaces: sdp*; addresses: 198.51.100.0/24.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG, ROOT, addresses, assertSystemdGuest, delLinks, link, monitorLinks, must, sh, unitProps, waitFor } from './helpers.js';

const DEBS = join(ROOT, '.cache/package-test');
const WITHOUT_NODE = join(ROOT, 'test/guest/helpers/without-node.sh');
const BASE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UPGRADE_VERSION = `${BASE_VERSION}+upgrade1`;
const BOND = 'sdp0';
const SLAVES = ['sdp0a', 'sdp1a'];
const PEERS = ['sdp0p', 'sdp1p'];
const SWITCH_NS = 'sdpkg-switch';
const DROP_IN = '/run/systemd/system/bondd.service.d/no-node.conf';
/** What the suite's other tests may have left, set aside here during this test. */
const ASIDE = ['/etc/systemd/system/bondd.service', '/etc/bondd', '/var/lib/bondd'];
const ASIDE_DIR = '/run/bdt-package-aside';

const reEscape = (text: string) => text.replace(/[.+]/g, '\\$&');
/** The bond's addresses without the IPv6 link-local one the kernel adds by itself. */
const configured = (l: Parameters<typeof addresses>[0]) => addresses(l).filter((a) => !a.startsWith('fe80:'));

/** argv as on a host without Node.js (mount namespace of its own, see without-node.sh). */
function bare(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return sh('unshare', ['--mount', '--propagation', 'private', 'sh', WITHOUT_NODE, ...argv], { env: { ...process.env, ...env }, timeoutMs: 600_000 });
}

async function ok(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await bare(argv, env);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

function debFile(version: string): string {
  const file = join(DEBS, `bondd_${version}_amd64.deb`);
  if (!existsSync(file)) throw new Error(`${file} is missing: scripts/test builds it (scripts/package --fast --version ${version} --out ${DEBS})`);
  return file;
}

/**
 * Paths in a .deb ("/usr/lib/bondd/bondd", ...): from the listing scripts/test writes next to it
 * (DEB.contents, `tar -t` of the data archive; decompressing 90 MB under emulation takes half a
 * minute), else from the archive itself.
 */
async function debPaths(deb: string): Promise<string[]> {
  const out = existsSync(`${deb}.contents`)
    ? readFileSync(`${deb}.contents`, 'utf8')
    : await must('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t', 'sh', deb], { timeoutMs: 600_000 });
  return out.split('\n').map((p) => p.replace(/^\.\/?/, '/').replace(/\/$/, '')).filter((p) => p && p !== '/');
}

const exists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

async function mainPid(): Promise<number> {
  return Number((await unitProps('bondd', 'MainPID'))['MainPID']);
}

async function daemonRunning(): Promise<boolean> {
  const r = await bare(['/usr/bin/bondctl', 'status', BOND, '--json']);
  return r.code === 0 && (JSON.parse(r.stdout) as { bondd: { running: boolean } }).bondd.running;
}

async function ping(): Promise<boolean> {
  return (await sh('busybox', ['ping', '-q', '-c', '1', '-W', '2', '198.51.100.254'])).code === 0;
}

/** Two veth slaves whose peers are ports of a bridge in a namespace that answers 198.51.100.254. */
async function topology(): Promise<void> {
  await sh('ip', ['netns', 'del', SWITCH_NS]);
  await must('ip', ['netns', 'add', SWITCH_NS]);
  const inSwitch = (...args: string[]) => must('ip', ['-n', SWITCH_NS, ...args]);
  await inSwitch('link', 'add', 'br0', 'type', 'bridge');
  for (const [i, slave] of SLAVES.entries()) {
    await delLinks(slave);
    await must('ip', ['link', 'add', slave, 'type', 'veth', 'peer', 'name', PEERS[i]!, 'netns', SWITCH_NS]);
    await inSwitch('link', 'set', PEERS[i]!, 'master', 'br0', 'up');
  }
  await inSwitch('addr', 'add', '198.51.100.254/24', 'dev', 'br0');
  await inSwitch('link', 'set', 'br0', 'up');
}

describe('the .deb under systemd, on a host without Node.js', () => {
  const groupBefore = { existed: false };

  beforeAll(async () => {
    assertSystemdGuest();
    await sh('systemctl', ['stop', 'bondd']);
    groupBefore.existed = (await sh('getent', ['group', 'bondd'])).code === 0;
    mkdirSync(ASIDE_DIR, { recursive: true });
    for (const [i, path] of ASIDE.entries()) if (exists(path)) renameSync(path, join(ASIDE_DIR, String(i)));
    if (groupBefore.existed) await must('groupdel', ['bondd']);
    // The service must not find node or a compiler either.
    const masked = ['node', 'npm', 'npx', 'gcc', 'cc', 'g++', 'c++']
      .map((p) => join('/usr/bin', p))
      .filter(existsSync)
      .map((p) => `-${realpathSync(p)}`);
    mkdirSync(join(DROP_IN, '..'), { recursive: true });
    writeFileSync(DROP_IN, `[Service]\nInaccessiblePaths=${[...new Set(masked)].join(' ')}\nEnvironment=PATH=/usr/sbin:/usr/bin:/sbin:/bin\n`);
    await must('systemctl', ['daemon-reload']);
    await topology();
  });

  afterAll(async () => {
    await sh('systemctl', ['stop', 'bondd']);
    await bare(['dpkg', '--purge', 'bondd']);
    await delLinks(BOND, ...SLAVES);
    await sh('ip', ['netns', 'del', SWITCH_NS]);
    rmSync(DROP_IN, { force: true });
    rmSync('/etc/bondd', { recursive: true, force: true });
    for (const [i, path] of ASIDE.entries()) {
      const saved = join(ASIDE_DIR, String(i));
      if (exists(saved)) {
        rmSync(path, { recursive: true, force: true });
        renameSync(saved, path);
      }
    }
    rmSync(ASIDE_DIR, { recursive: true, force: true });
    if (groupBefore.existed && (await sh('getent', ['group', 'bondd'])).code !== 0) await sh('groupadd', ['--system', 'bondd']);
    await sh('systemctl', ['daemon-reload']);
  });

  it('installs, starts, upgrades without a flap, removes leaving the bond up, purges clean', async () => {
    const old = debFile(BASE_VERSION);
    const upgrade = debFile(UPGRADE_VERSION);
    const existedBefore = new Set((await debPaths(old)).filter(exists));

    // Install: enabled, not started (no configuration yet).
    const installed = await ok(['dpkg', '-i', old]);
    expect(installed).toContain('bondd: not started: write /etc/bondd/bondd.yaml');
    const listed = (await ok(['dpkg', '-L', 'bondd'])).split('\n').filter((p) => p.startsWith('/') && p !== '/.');
    expect(listed).toEqual(expect.arrayContaining(['/usr/lib/bondd/bondd', '/usr/sbin/bondd', '/usr/bin/bondctl', '/lib/systemd/system/bondd.service']));
    expect((await sh('systemctl', ['is-enabled', 'bondd'])).stdout.trim()).toBe('enabled');
    expect((await sh('systemctl', ['is-active', 'bondd'])).stdout.trim()).toBe('inactive');
    expect(await must('getent', ['group', 'bondd'])).toMatch(/^bondd:x:\d+:/);
    const version = await ok(['/usr/bin/bondctl', '--version']);
    expect(version).toMatch(new RegExp(`^bondctl ${reEscape(BASE_VERSION)}\\n`));
    expect(version).toMatch(/bonding driver (loaded|built into the kernel|installed as a module)/);
    const man = await ok(['man', 'bondctl'], { MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' });
    expect(man).toMatch(/BONDCTL\(8\)/);

    // A start without configuration is skipped by the unit's condition, not failed.
    await must('systemctl', ['start', 'bondd']);
    expect((await unitProps('bondd', 'ConditionResult'))['ConditionResult']).toBe('no');

    // Configure and start.
    mkdirSync('/etc/bondd', { recursive: true });
    writeFileSync(CONFIG, `bonds:\n  ${BOND}:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [${SLAVES.join(', ')}]\n    addresses: [198.51.100.10/24]\n`);
    await must('systemctl', ['start', 'bondd']);
    expect((await sh('systemctl', ['is-active', 'bondd'])).stdout.trim()).toBe('active');
    const firstPid = await mainPid();
    expect(readlinkSync(`/proc/${firstPid}/exe`)).toBe('/usr/lib/bondd/bondd');
    await waitFor('bondctl status to reach bondd', daemonRunning, 120_000, 500);
    expect(configured(await link(BOND))).toEqual(['198.51.100.10/24']);
    await waitFor(`ping through ${BOND}`, ping, 60_000, 500);
    await waitFor(`${BOND} carrier`, async () => (await link(BOND))?.flags.includes('LOWER_UP'), 30_000, 200);

    // Upgrade: the postinst's try-restart replaces the daemon; the bond must not flap.
    const monitor = monitorLinks([BOND, ...SLAVES]);
    const upgraded = await ok(['dpkg', '-i', upgrade]);
    const flaps = (await monitor.stop()).filter((l) => /(state DOWN|NO-CARRIER|Deleted)/.test(l));
    expect(flaps, upgraded).toEqual([]);
    const secondPid = await mainPid();
    expect(secondPid).not.toBe(firstPid);
    expect(readlinkSync(`/proc/${secondPid}/exe`)).toBe('/usr/lib/bondd/bondd');
    expect(await ok(['/usr/bin/bondctl', '--version'])).toMatch(new RegExp(`^bondctl ${reEscape(UPGRADE_VERSION)}\\n`));
    await waitFor('bondctl status after the upgrade', daemonRunning, 120_000, 500);
    expect(await ping()).toBe(true);

    // Remove: bondd stopped, the bond stays up with its address.
    const removed = await ok(['dpkg', '--remove', 'bondd']);
    expect(removed).toContain('the bonds it managed stay as they are');
    expect((await sh('systemctl', ['is-active', 'bondd'])).stdout.trim()).not.toBe('active');
    const bond = await link(BOND);
    expect(bond?.flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(configured(bond)).toEqual(['198.51.100.10/24']);
    expect(await ping()).toBe(true);

    // Purge: nothing the package created is left; /etc/bondd is the admin's.
    const purged = await ok(['dpkg', '--purge', 'bondd']);
    expect(purged).toContain('/etc/bondd (your configuration) is left in place');
    expect(listed.filter((p) => !existedBefore.has(p) && exists(p))).toEqual([]);
    for (const path of ['/var/lib/bondd', '/run/bondd/bondd.sock', '/etc/systemd/system/multi-user.target.wants/bondd.service', '/etc/systemd/system/bondd.service']) {
      expect(exists(path), path).toBe(false);
    }
    expect(readdirSync('/var/lib/systemd').filter((d) => d.startsWith('deb-systemd-helper')).flatMap((d) => readdirSync(join('/var/lib/systemd', d))).filter((f) => f.includes('bondd'))).toEqual([]);
    expect((await sh('getent', ['group', 'bondd'])).code).not.toBe(0);
  });
});
