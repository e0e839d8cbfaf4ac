/**
 * The .deb as a host would use it, on the real bonding driver: install with dpkg while node, npm
 * and the compilers are masked (helpers/without-node.sh), bondd from /usr/sbin on
 * /etc/bondd/bondd.yaml with two veth slaves, status, traffic and `man bondctl`, an upgrade to a
 * rebuilt package with a higher version while `ip monitor` watches (no flap), `dpkg --remove`
 * (bonds stay up) and `dpkg --purge` (no file the package created is left).
 *
 * The packages come from scripts/test (scripts/package --fast, run on the machine before the
 * guest boots: building inside the emulated guest would take many minutes), in
 * .cache/package-test: bondd_<version>_amd64.deb and bondd_<version>+upgrade1_amd64.deb.
 *
 * This guest has no systemd (busybox init), so the test does what the unit would: it starts
 * bondd with the unit's command line inside the topology's host namespace and, on upgrade,
 * restarts it the way `systemctl try-restart` from the postinst would (SIGTERM, start again).
 * The maintainer scripts' systemd branches (daemon-reload, try-restart, stop) are therefore not
 * exercised here; their file layout, group, directories and messages are.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, useTopology, waitFor, type Namespace, type Topology } from '../netns/index.js';
import { addressesOf, carrierChanges, inGuest, link, slavesOf } from './helpers/daemon-harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEBS = join(ROOT, '.cache/package-test');
const WITHOUT_NODE = join(ROOT, 'test/guest/helpers/without-node.sh');
const BASE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UPGRADE_VERSION = `${BASE_VERSION}+upgrade1`;
const CONFIG = '/etc/bondd/bondd.yaml';
/**
 * The package's /run (see helpers/without-node.sh): the guest's start-up keeps its own files in
 * /run/bondd, which the purge removes. Every command of the scenario sees this directory as /run.
 */
let RUN = '';
const runEnv = () => ({ BONDD_TEST_RUN: RUN });

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** argv run as on a host without Node.js, inside namespace `ns` when given. Bounded in time. */
function bare(argv: string[], ns?: Namespace, env: Record<string, string> = {}, timeoutMs = 300_000): Promise<Result> {
  const masked = ['unshare', '--mount', '--propagation', 'private', 'sh', WITHOUT_NODE, ...argv];
  const full = ns ? ['ip', 'netns', 'exec', ns.name, ...masked] : masked;
  return new Promise((resolvePromise) => {
    const child = spawn(full[0]!, full.slice(1), { env: { ...process.env, ...runEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

async function ok(argv: string[], ns?: Namespace, env?: Record<string, string>): Promise<string> {
  const r = await bare(argv, ns, env);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** The installed bondd, started with the unit's command line; output collected. */
class InstalledBondd {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(ns: Namespace) {
    this.child = spawn('ip', ['netns', 'exec', ns.name, 'unshare', '--mount', '--propagation', 'private', 'sh', WITHOUT_NODE, '/usr/sbin/bondd', '--config', CONFIG], {
      env: { ...process.env, ...runEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => (this.output += c));
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.output += c));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }

  /** The daemon's pid: the process that `ip netns exec`, unshare and sh exec'd into. */
  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function statusJson(ns: Namespace): Promise<{ bondd: { running: boolean }; bonds: Array<{ name: string }> } | null> {
  const r = await bare(['bondctl', 'status', 'bond0', '--json'], ns);
  return r.code === 0 ? JSON.parse(r.stdout) : null;
}

async function waitRunning(ns: Namespace, daemon: InstalledBondd): Promise<void> {
  await waitFor(
    async () => {
      if (daemon.child.exitCode !== null) throw new Error(`bondd exited ${daemon.child.exitCode}:\n${daemon.output}`);
      return (await statusJson(ns))?.bondd.running === true;
    },
    'the installed bondd to answer bondctl status',
    180_000,
    500,
  );
}

async function ping(topo: Topology): Promise<boolean> {
  return (await runCommand('ip', ['netns', 'exec', topo.host.name, 'busybox', 'ping', '-q', '-c', '1', '-W', '2', '192.0.2.254']).then(
    () => true,
    () => false,
  ));
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
  const stdout = existsSync(`${deb}.contents`)
    ? readFileSync(`${deb}.contents`, 'utf8')
    : (await runCommand('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t', 'sh', deb], 300_000)).stdout;
  return stdout.split('\n').map((p) => p.replace(/^\.\/?/, '/').replace(/\/$/, '')).filter((p) => p && p !== '/');
}

const exists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!inGuest)('the .deb on a host without Node.js', () => {
  let daemon: InstalledBondd | undefined;

  beforeAll(async () => {
    RUN = mkdtempSync('/tmp/bdt-package-run-');
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
  });

  afterAll(async () => {
    await daemon?.stop();
    await bare(['dpkg', '--purge', 'bondd']);
    rmSync('/etc/bondd', { recursive: true, force: true });
    if (RUN) rmSync(RUN, { recursive: true, force: true });
  });

  it('installs, runs, upgrades without a flap, removes leaving the bond up and purges clean', async () => {
    const t0 = Date.now();
    const mark = (what: string) => console.log(`package test: ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const old = debFile(BASE_VERSION);
    const upgrade = debFile(UPGRADE_VERSION);
    const shipped = await debPaths(old);
    const existedBefore = new Set(shipped.filter(exists));
    expect(exists('/usr/sbin/bondd')).toBe(false);

    mark('listed the .deb');
    // Install.
    const installed = await ok(['dpkg', '-i', old]);
    expect(installed).toContain('bondd: not started: write /etc/bondd/bondd.yaml');
    const listed = (await ok(['dpkg', '-L', 'bondd'])).split('\n').filter((p) => p.startsWith('/') && p !== '/.');
    expect(listed).toEqual(expect.arrayContaining(['/usr/lib/bondd/bondd', '/usr/lib/bondd/nlsock.node', '/usr/sbin/bondd', '/usr/bin/bondctl', '/lib/systemd/system/bondd.service', '/usr/share/man/man8/bondctl.8.gz']));
    expect(exists('/etc/bondd')).toBe(false);
    expect(await ok(['getent', 'group', 'bondd'])).toMatch(/^bondd:x:\d+:/);
    expect((lstatSync('/var/lib/bondd').mode & 0o777).toString(8)).toBe('750');
    expect(existsSync(join(RUN, 'bondd'))).toBe(true);
    const version = await ok(['bondctl', '--version']);
    expect(version).toMatch(new RegExp(`^bondctl ${BASE_VERSION.replace(/\./g, '\\.')}\\ncommit: +\\S+`));
    expect(version).toContain(`node:    ${process.version}`);
    expect(version).toMatch(/bonding driver (loaded|built into the kernel)/);
    expect(await ok(['bondd', '--version'])).toMatch(new RegExp(`^bondd ${BASE_VERSION.replace(/\./g, '\\.')}\\n`));
    const man = await ok(['man', 'bondctl'], undefined, { MANPAGER: 'cat', MANWIDTH: '80', PAGER: 'cat' });
    expect(man).toMatch(/BONDCTL\(8\)/);
    expect(man).toMatch(/failover/);

    mark('installed and checked');
    // Configure and start, as the unit would.
    const topo = await useTopology({ nics: 2 });
    mkdirSync('/etc/bondd', { recursive: true });
    writeFileSync(CONFIG, 'bonds:\n  bond0:\n    mode: active-backup\n    options: {miimon: 100}\n    slaves: [eth0, eth1]\n    addresses: [192.0.2.10/24]\n');
    daemon = new InstalledBondd(topo.host);
    await waitRunning(topo.host, daemon);
    expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
    expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24']);
    const status = await ok(['bondctl', 'status', 'bond0'], topo.host);
    expect(status).toContain('bond0');
    expect(status).toMatch(/active-backup/);
    await waitFor(() => ping(topo), 'ping 192.0.2.254 through bond0', 60_000, 500);
    expect(existsSync(join(RUN, 'bondd/bondd.sock'))).toBe(true);

    mark('bondd running, traffic passes');
    // Upgrade while ip monitor watches; then the restart the postinst asks systemd for.
    await waitFor(async () => (await link(topo.host, 'bond0'))?.flags.includes('LOWER_UP') ?? false, 'bond0 carrier', 30_000, 200);
    const before = await carrierChanges(topo.host);
    const monitor = spawn('ip', ['-n', topo.host.name, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let events = '';
    monitor.stdout.setEncoding('utf8').on('data', (c: string) => (events += c));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await ok(['dpkg', '-i', upgrade]);
      const oldPid = daemon.pid;
      expect(readlinkSync(`/proc/${oldPid}/exe`)).toMatch(/\(deleted\)$/);
      expect(await daemon.stop()).toBe(0);
      daemon = new InstalledBondd(topo.host);
      await waitRunning(topo.host, daemon);
      expect(readlinkSync(`/proc/${daemon.pid}/exe`)).toBe('/usr/lib/bondd/bondd');
      expect(await ok(['bondctl', '--version'])).toMatch(new RegExp(`^bondctl ${UPGRADE_VERSION.replace(/[.+]/g, '\\$&')}\\n`));
      await waitFor(() => ping(topo), 'ping 192.0.2.254 after the upgrade', 60_000, 500);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      monitor.kill('SIGTERM');
    }
    const flaps = events.split('\n').filter((l) => /\b(bond0|eth0|eth1)\b/.test(l) && /(state DOWN|NO-CARRIER|Deleted)/.test(l));
    expect(flaps, `ip monitor during the upgrade:\n${events}`).toEqual([]);
    const after = await carrierChanges(topo.host);
    for (const dev of ['bond0', 'eth0', 'eth1']) expect(after[dev], `${dev} carrier_changes`).toBe(before[dev]);
    expect(readdirSync('/var/lib/bondd').length).toBeGreaterThan(0);

    mark('upgraded');
    // Remove: bondd stops (here: as systemctl stop would), the bond stays up, and the package says so.
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;
    const removed = await ok(['dpkg', '--remove', 'bondd']);
    expect(removed).toContain('the bonds it managed stay as they are');
    const bond = await link(topo.host, 'bond0');
    expect(bond?.flags).toEqual(expect.arrayContaining(['UP', 'LOWER_UP']));
    expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
    expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24']);
    expect(await ping(topo)).toBe(true);
    expect(exists('/usr/sbin/bondd')).toBe(false);

    mark('removed');
    // Purge: nothing the package created is left (the admin's /etc/bondd is theirs and stays).
    const purged = await ok(['dpkg', '--purge', 'bondd']);
    expect(purged).toContain('/etc/bondd (your configuration) is left in place');
    const left = listed.filter((p) => !existedBefore.has(p) && exists(p));
    expect(left).toEqual([]);
    for (const path of ['/var/lib/bondd', join(RUN, 'bondd'), '/var/lib/systemd/deb-systemd-helper-enabled/bondd.service.dsh-also', '/etc/systemd/system/multi-user.target.wants/bondd.service']) {
      expect(exists(path), path).toBe(false);
    }
    expect((await bare(['getent', 'group', 'bondd'])).code).not.toBe(0);
    expect((await bare(['dpkg', '-s', 'bondd'])).code).not.toBe(0);
    mark('purged');
  }, 900_000);
});
