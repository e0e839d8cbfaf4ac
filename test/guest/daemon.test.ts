/**
 * bondd end to end on the real bonding driver: the daemon as a process, inside a topology's host
 * namespace, driven by its configuration files, signals and control socket, checked against the
 * kernel with iproute2 and sysfs.
 *
 * Each test builds its own topology (test/netns) and stops its daemon in `finally`; the harness
 * kills any daemon still running in afterAll. Waits are bounded; the bounds are generous because
 * user code in the guest runs about 20x slower than on a host (a node start takes seconds there).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostHasBonding } from '../../src/sysfs/module.js';
import { runCommand, useTopology, waitFor, type Topology } from '../netns/index.js';
import {
  BONDD,
  Bondd,
  addressesOf,
  bondInfo,
  carrierChanges,
  inGuest,
  link,
  linkSnapshot,
  ofKind,
  readSysfs,
  requireBuilt,
  runIn,
  scratchDir,
  sleep,
  slavesOf,
  writeFiles,
  writeSysfs,
  type BondStatusLite,
} from './helpers/daemon-harness.js';

/** Preload that slows every kernel-changing host operation of a bondd process (see the file). */
const SLOW_HOST_OPS = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'slow-host-ops.mjs');

const canRun = inGuest || (process.getuid?.() === 0 && hostHasBonding());

/** A scratch directory with the daemon's socket and state directory. */
async function daemonDirs(): Promise<{ dir: string; socket: string; stateDir: string }> {
  const dir = await scratchDir();
  return { dir, socket: join(dir, 'bondd.sock'), stateDir: join(dir, 'state') };
}

/** One ICMP echo from the host namespace (busybox ping: iputils is not always installed). */
async function ping(topo: Topology, address = '192.0.2.254'): Promise<boolean> {
  return (await runIn(topo.host, [...PING, '-q', '-c', '1', '-W', '2', address], { timeoutMs: 15_000 })).code === 0;
}
const PING = existsSync('/usr/bin/busybox') || existsSync('/bin/busybox') ? ['busybox', 'ping'] : ['ping'];

/** The bond's active slave once it has one and every slave's MII is up. */
async function settledActive(topo: Topology, bond: string, slaves: number, timeoutMs = 20_000): Promise<string> {
  return waitFor(async () => {
    const info = await bondInfo(topo.host, bond);
    const active = info?.['active_slave'];
    if (typeof active !== 'string') return null;
    const ups = (await readSysfs(topo.host, `/proc/net/bonding/${bond}`)).match(/^MII Status: up$/gm)?.length ?? 0;
    return ups === slaves + 1 ? active : null;
  }, `${bond} to settle with ${slaves} slave(s) up and an active slave`, timeoutMs, 100);
}

/**
 * `ip -j -d link show` of the namespace once carrier and operstate agree on every up link (and
 * `bond`, if given, has carrier). operstate follows carrier only when linkwatch runs, which is
 * rate limited to once a second per device: until then `ip` shows NO-CARRIER next to LOWER_UP.
 */
async function settledLinkSnapshot(topo: Topology, bond?: string): ReturnType<typeof linkSnapshot> {
  return waitFor(async () => {
    const s = await linkSnapshot(topo.host);
    // Loopback reports operstate UNKNOWN for good.
    const settled = Object.values(s).every((l) => !l.flags.includes('UP') || l.operstate === 'UNKNOWN' || l.flags.includes('LOWER_UP') === (l.operstate === 'UP'));
    return settled && (!bond || s[bond]?.flags.includes('LOWER_UP')) ? s : null;
  }, `links${bond ? ` and ${bond}` : ''} to settle (carrier and operstate)`, 20_000, 100);
}

function yamlBond(name: string, body: string): string {
  return `  ${name}:\n${body.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`;
}

describe.skipIf(!canRun)('bondd on the real driver', () => {
  beforeAll(async () => {
    requireBuilt();
    // max_bonds=0: loading the module must not create bond0 in the root namespace.
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
  });

  it('the classic ifcfg recipe: bond0 built, traffic passes, a failover is journaled with its cause', async () => {
    const topo = await useTopology({ nics: 2 });
    const { dir, socket, stateDir } = await daemonDirs();
    const scripts = join(dir, 'network-scripts');
    await mkdir(scripts);
    await writeFiles(scripts, {
      'ifcfg-bond0': 'DEVICE=bond0\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\nONBOOT=yes\nBOOTPROTO=none\nUSERCTL=no\n',
      'ifcfg-eth0': 'DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\nBOOTPROTO=none\nUSERCTL=no\n',
      'ifcfg-eth1': 'DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\nBOOTPROTO=none\nUSERCTL=no\n',
    });
    const { 'bonding.conf': modprobe } = await writeFiles(dir, { 'bonding.conf': 'alias bond0 bonding\noptions bond0 miimon=100 mode=1\n' });

    const t0 = Date.now();
    const d = await Bondd.start(topo.host, { args: ['--ifcfg', scripts, '--modprobe', modprobe!], socket, stateDir });
    try {
      console.log(`recipe: bondd ready after ${Date.now() - t0} ms`);
      const info = await bondInfo(topo.host, 'bond0');
      expect(info?.['mode']).toBe('active-backup');
      expect(info?.['miimon']).toBe(100);
      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
      expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24']);
      const bond = await link(topo.host, 'bond0');
      expect(bond?.flags).toContain('UP');
      const active = await settledActive(topo, 'bond0', 2);
      const other = active === 'eth0' ? 'eth1' : 'eth0';
      await waitFor(() => ping(topo), 'ping 192.0.2.254 through bond0', 30_000, 200);

      const cutAt = Date.now();
      await topo.cutCarrier(active);
      const failover = await d.waitEvent((e) => e.kind === 'failover' && e.bond === 'bond0' && e.data?.['from'] === active, `a failover away from ${active}`);
      console.log(`recipe: failover journaled ${Math.round(failover.t - cutAt)} ms after the cut: ${failover.message}`);
      expect(failover.slave).toBe(other);
      expect(failover.data).toMatchObject({ from: active, to: other, cause: `link failure on ${active}` });
      expect(failover.message).toContain(`${active} → ${other}`);
      expect((await bondInfo(topo.host, 'bond0'))?.['active_slave']).toBe(other);
      await waitFor(() => ping(topo), 'ping 192.0.2.254 after the failover', 30_000, 200);

      // The same entry as `bondctl events --json` gets it: the control socket's events method.
      const listed = await d.events({ bond: 'bond0' });
      expect(listed.find((e) => e.seq === failover.seq)).toEqual(failover);
    } finally {
      expect(await d.stop()).toEqual({ code: 0, signal: null });
    }
  }, 240_000);

  it("Debian's interfaces file (ifenslave bond-* options): bondd --interfaces builds the bond ifup would", async () => {
    const topo = await useTopology({ nics: 2 });
    const { dir, socket, stateDir } = await daemonDirs();
    const { interfaces } = await writeFiles(dir, {
      interfaces: [
        'auto bond0',
        'iface bond0 inet static',
        '    address 192.0.2.10',
        '    netmask 255.255.255.0',
        '    bond-slaves none',
        '    bond-mode active-backup',
        '    bond-miimon 100',
        '    bond-updelay 200',
        '    bond-primary eth1',
        '    post-up ip route add 198.51.100.0/24 via 192.0.2.254 dev bond0',
        'iface eth0 inet manual',
        '    bond-master bond0',
        'iface eth1 inet manual',
        '    bond-master bond0',
        '',
      ].join('\n'),
    });
    const d = await Bondd.start(topo.host, { args: ['--interfaces', interfaces!], socket, stateDir });
    try {
      expect(await bondInfo(topo.host, 'bond0')).toMatchObject({ mode: 'active-backup', miimon: 100, updelay: 200, primary: 'eth1' });
      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
      expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24']);
      expect(await settledActive(topo, 'bond0', 2)).toBe('eth1');
      const routes = await topo.host.ipJson<Array<{ dst: string; gateway?: string }>>('-4', 'route', 'show', 'dev', 'bond0');
      expect(routes).toContainEqual(expect.objectContaining({ dst: '198.51.100.0/24', gateway: '192.0.2.254' }));
      await waitFor(() => ping(topo), 'ping 192.0.2.254 through bond0', 30_000, 200);
      expect((await d.call<{ steps: unknown[] }>('plan')).steps).toEqual([]);
    } finally {
      expect(await d.stop()).toEqual({ code: 0, signal: null });
    }
  }, 240_000);

  it('enslaves a configured slave that appears after start', async () => {
    const topo = await useTopology({ nics: 2 });
    const { dir, socket, stateDir } = await daemonDirs();
    const { 'bondd.yaml': config } = await writeFiles(dir, {
      'bondd.yaml': `bonds:\n${yamlBond('bond0', 'mode: active-backup\noptions: {miimon: 100}\nslaves: [eth0, eth1, eth2]\naddresses: [192.0.2.10/24]')}`,
    });
    const d = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
    try {
      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
      const [status] = await d.call<BondStatusLite[]>('status', { bond: 'bond0' });
      expect(status?.pendingSlaves).toEqual(['eth2']);

      const added = Date.now();
      await topo.addNic();
      await waitFor(async () => (await slavesOf(topo.host, 'bond0')).includes('eth2'), 'eth2 to be enslaved to bond0', 20_000, 50);
      console.log(`late slave: eth2 enslaved ${Date.now() - added} ms after it was created`);
      const journal = await d.waitEvent((e) => e.kind === 'slave-added' && e.slave === 'eth2', 'slave-added eth2');
      const entries = await d.events({ since: added });
      expect(entries.find((e) => e.kind === 'interface-appeared' && e.slave === 'eth2')).toBeDefined();
      expect(journal).toMatchObject({ kind: 'slave-added', bond: 'bond0', slave: 'eth2' });
      expect(entries.find((e) => e.kind === 'apply' && e.message.includes('enslave eth2 to bond0'))).toBeDefined();
      // Nothing else was touched, and nothing is pending or drifting any more.
      expect(ofKind(entries, 'drift')).toEqual([]);
      const [after] = await d.call<BondStatusLite[]>('status', { bond: 'bond0' });
      expect(after?.pendingSlaves).toEqual([]);
      expect(after?.drift?.differences).toEqual([]);
    } finally {
      await d.stop();
    }
  }, 180_000);

  it('drift under each policy: all journal it, enforce restores it (again and again), observe and alert leave it', async () => {
    const topo = await useTopology({ nics: 3 });
    const { dir, socket, stateDir } = await daemonDirs();
    const policies = ['observe', 'alert', 'enforce'] as const;
    const yaml = `bonds:\n${policies.map((p, i) => yamlBond(`bond${i}`, `mode: active-backup\noptions: {miimon: 100}\nslaves: [eth${i}]\ndrift: ${p}`)).join('')}`;
    const { 'bondd.yaml': config } = await writeFiles(dir, { 'bondd.yaml': yaml });
    const d = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
    const miimon = (bond: string) => readSysfs(topo.host, `/sys/class/net/${bond}/bonding/miimon`);
    try {
      for (const bond of ['bond0', 'bond1', 'bond2']) expect(await miimon(bond)).toBe('100');
      const changed = Date.now();
      for (const bond of ['bond0', 'bond1', 'bond2']) await writeSysfs(topo.host, `/sys/class/net/${bond}/bonding/miimon`, '200');

      for (const [i, policy] of policies.entries()) {
        const drift = await d.waitEvent((e) => e.kind === 'drift' && e.bond === `bond${i}` && e.t >= changed, `drift on bond${i}`);
        expect(drift.data?.['policy']).toBe(policy);
        expect(drift.message).toContain('miimon');
      }
      await waitFor(async () => (await miimon('bond2')) === '100', 'enforce to restore miimon 100 on bond2', 20_000, 50);
      console.log(`drift: bond2 (enforce) restored ${Date.now() - changed} ms after the change`);
      const applied = await d.waitEvent((e) => e.kind === 'apply' && e.t >= changed && e.message.includes('bond2'), 'the enforce apply on bond2');
      expect(applied.message).toContain('miimon=100');
      await d.waitEvent((e) => e.kind === 'drift-cleared' && e.bond === 'bond2' && e.t >= changed, 'drift-cleared on bond2 after the enforce');

      // observe and alert change nothing, give or take a while; alert shows the drift in status.
      await sleep(2000);
      expect(await miimon('bond0')).toBe('200');
      expect(await miimon('bond1')).toBe('200');
      const status = await d.call<BondStatusLite[]>('status');
      const byName = new Map(status.map((s) => [s.name, s]));
      expect(byName.get('bond1')?.drift?.policy).toBe('alert');
      expect(byName.get('bond1')?.drift?.differences.join('\n')).toMatch(/miimon=100.*miimon 200 → 100/);
      expect(byName.get('bond2')?.drift?.differences).toEqual([]);
      const journal = await d.events({ since: changed });
      expect(journal.filter((e) => e.kind === 'apply' && !e.message.includes('bond2'))).toEqual([]);

      // The same change once more: a drift identical to the last one must be enforced again.
      const again = Date.now();
      await writeSysfs(topo.host, `/sys/class/net/bond2/bonding/miimon`, '200');
      await waitFor(async () => (await miimon('bond2')) === '100', 'enforce to restore miimon 100 on bond2 a second time', 20_000, 50);
      await d.waitEvent((e) => e.kind === 'drift' && e.bond === 'bond2' && e.t >= again, 'a second drift entry on bond2');
      expect(await miimon('bond0')).toBe('200');
    } finally {
      await d.stop();
    }
  }, 180_000);

  it('SIGKILL in the middle of an apply, then a restart, converges to the configuration', async () => {
    const topo = await useTopology({ nics: 3 });
    const { dir, socket, stateDir } = await daemonDirs();
    const { 'bondd.yaml': config } = await writeFiles(dir, {
      'bondd.yaml': `bonds:\n${yamlBond(
        'bond0',
        [
          'mode: active-backup',
          'options: {miimon: 100, updelay: 200, downdelay: 100, num_grat_arp: 2}',
          'slaves: [eth0, eth1, eth2]',
          'primary: eth1',
          'addresses: [192.0.2.10/24, 198.51.100.10/24]',
          'routes:',
          '  - {to: 203.0.113.0/24, via: 192.0.2.254}',
        ].join('\n'),
      )}`,
    });
    const first = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir, env: { NODE_OPTIONS: `--import=${SLOW_HOST_OPS}`, BONDD_SLOW_HOST_OPS_MS: '300' }, ready: false });
    let second: Bondd | undefined;
    try {
      await first.waitOutput(/apply 3\/\d+:/, 90_000);
      const total = Number(/apply 3\/(\d+):/.exec(first.output)![1]);
      expect(total).toBeGreaterThanOrEqual(8);
      await first.kill();
      expect(first.exitStatus?.signal).toBe('SIGKILL');
      // Killed midway: the bond exists but is not finished.
      const partial = await slavesOf(topo.host, 'bond0');
      expect(partial.length).toBeLessThan(3);
      expect(await addressesOf(topo.host, 'bond0')).toEqual([]);

      const restart = Date.now();
      second = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
      console.log(`sigkill: restarted and converged in ${Date.now() - restart} ms`);
      const applied = (await second.events({ since: restart })).find((e) => e.kind === 'apply');
      expect(applied?.message).toMatch(/^start: applied \d+ step/);

      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1', 'eth2']);
      const info = await bondInfo(topo.host, 'bond0');
      expect(info).toMatchObject({ mode: 'active-backup', miimon: 100, updelay: 200, downdelay: 100, primary: 'eth1' });
      // iproute2 calls num_grat_arp num_peer_notif; sysfs has the kernel's own name.
      expect(await readSysfs(topo.host, '/sys/class/net/bond0/bonding/num_grat_arp')).toBe('2');
      expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24', '198.51.100.10/24']);
      const routes = await topo.host.ipJson<Array<{ dst: string; gateway?: string; dev: string }>>('route', 'show', '203.0.113.0/24');
      expect(routes).toMatchObject([{ dst: '203.0.113.0/24', gateway: '192.0.2.254', dev: 'bond0' }]);
      expect((await second.call<{ steps: unknown[] }>('plan')).steps).toEqual([]);

      const check = await runIn(topo.host, [process.execPath, BONDD, '--check', '--config', config!]);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toContain('plan: nothing to do, the kernel matches');
    } finally {
      await first.kill();
      await second?.stop();
    }
  }, 300_000);

  it('a restart adopts the running bonds without a flap', async () => {
    const topo = await useTopology({ nics: 2 });
    const { dir, socket, stateDir } = await daemonDirs();
    const { 'bondd.yaml': config } = await writeFiles(dir, {
      'bondd.yaml': `bonds:\n${yamlBond('bond0', 'mode: active-backup\noptions: {miimon: 100}\nslaves: [eth0, eth1]\nprimary: eth0\naddresses: [192.0.2.10/24]\ndrift: enforce')}`,
    });
    const first = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
    let second: Bondd | undefined;
    let monitor: ReturnType<typeof spawn> | undefined;
    try {
      await settledActive(topo, 'bond0', 2);
      await waitFor(() => ping(topo), 'ping through bond0', 30_000, 200);
      expect(await first.stop()).toEqual({ code: 0, signal: null });
      const stopped = (await first.events().catch(() => null)) ?? null;
      expect(stopped).toBeNull(); // the socket is gone with the daemon

      // The bond stays, up, with its slaves and address.
      const before = await linkSnapshot(topo.host);
      expect(before['bond0']?.flags).toContain('LOWER_UP');
      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
      expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24']);
      const carriersBefore = await carrierChanges(topo.host);

      let seen = '';
      monitor = spawn('ip', ['-n', topo.host.name, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
      monitor.stdout!.setEncoding('utf8').on('data', (c: string) => (seen += c));
      await sleep(300);

      const restart = Date.now();
      second = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
      await sleep(1500);
      console.log(`restart: adopted in ${Date.now() - restart - 1500} ms`);
      expect(second.output).toContain('start: the kernel already matches the configuration; nothing to do');
      const since = await second.events({ since: restart });
      expect(since.filter((e) => e.kind !== 'daemon')).toEqual([]);
      expect(since.map((e) => e.message)).toEqual([expect.stringMatching(/^bondd started with 1 bond/)]);
      expect(await carrierChanges(topo.host)).toEqual(carriersBefore);
      expect(seen, 'ip monitor link saw changes during the restart').toBe('');
      expect(await linkSnapshot(topo.host)).toEqual(before);
    } finally {
      monitor?.kill();
      await first.kill();
      await second?.stop();
    }
  }, 240_000);

  it('SIGHUP: a bad configuration is rejected with the reason, the running one stays; a good one is applied', async () => {
    const topo = await useTopology({ nics: 2 });
    const { dir, socket, stateDir } = await daemonDirs();
    const good1 = `bonds:\n${yamlBond('bond0', 'mode: active-backup\noptions: {miimon: 100}\nslaves: [eth0, eth1]\naddresses: [192.0.2.10/24]')}`;
    const { 'bondd.yaml': config } = await writeFiles(dir, { 'bondd.yaml': good1 });
    const d = await Bondd.start(topo.host, { args: ['--config', config!], socket, stateDir });
    try {
      // Compare against the settled bond: right after start, miimon may not yet have seen the
      // slaves' carrier, and operstate lags carrier (settledLinkSnapshot).
      await settledActive(topo, 'bond0', 2);
      const snapshot = await settledLinkSnapshot(topo, 'bond0');
      // Line 6: updelay is not a multiple of miimon.
      await writeFiles(dir, {
        'bondd.yaml': 'bonds:\n  bond0:\n    mode: active-backup\n    options:\n      miimon: 100\n      updelay: 150\n    slaves: [eth0, eth1]\n',
      });
      d.signal('SIGHUP');
      await d.waitOutput('reload rejected, keeping the running configuration');
      expect(d.output).toContain(`${config}:6:`);
      expect(d.output).toMatch(/updelay \(150\) is not a multiple of miimon/);
      expect(await linkSnapshot(topo.host)).toEqual(snapshot);
      expect((await d.call<{ steps: unknown[] }>('plan')).steps).toEqual([]);
      expect(ofKind(await d.events(), 'apply').length).toBe(1);

      const hup = Date.now();
      await writeFiles(dir, {
        'bondd.yaml': `bonds:\n${yamlBond('bond0', 'mode: active-backup\noptions: {miimon: 200, updelay: 400}\nslaves: [eth0, eth1]\naddresses: [192.0.2.10/24, 192.0.2.11/24]')}`,
      });
      d.signal('SIGHUP');
      const applied = await d.waitEvent((e) => e.kind === 'apply' && e.t >= hup, 'the reload apply');
      expect(applied.message).toMatch(/^reload: applied/);
      expect(await bondInfo(topo.host, 'bond0')).toMatchObject({ miimon: 200, updelay: 400 });
      expect(await addressesOf(topo.host, 'bond0')).toEqual(['192.0.2.10/24', '192.0.2.11/24']);
      expect(await slavesOf(topo.host, 'bond0')).toEqual(['eth0', 'eth1']);
    } finally {
      await d.stop();
    }
  }, 180_000);

  it('bondd --check: a bad configuration exits 2 with file:line and changes nothing; a good one prints the plan', async () => {
    const topo = await useTopology({ nics: 2 });
    const dir = await scratchDir();
    const files = await writeFiles(dir, {
      // Line 5: a misspelt option.
      'bad.yaml': 'bonds:\n  bond0:\n    mode: active-backup\n    options:\n      miimom: 100\n    slaves: [eth0, eth1]\n',
      'good.yaml': `bonds:\n${yamlBond('bond0', 'mode: active-backup\noptions: {miimon: 100}\nslaves: [eth0, eth1]\naddresses: [192.0.2.10/24]')}`,
    });
    const before = await settledLinkSnapshot(topo);

    // Both at once: a node start takes seconds in the guest, and --check changes nothing.
    const [bad, good] = await Promise.all([
      runIn(topo.host, [process.execPath, BONDD, '--check', '--config', files['bad.yaml']!]),
      runIn(topo.host, [process.execPath, BONDD, '--check', '--config', files['good.yaml']!]),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid configuration, nothing changed');
    expect(bad.stderr).toContain(`${files['bad.yaml']}:5:`);
    expect(bad.stderr).toMatch(/miimom.*did you mean 'miimon'/);
    expect(await linkSnapshot(topo.host)).toEqual(before);

    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain(`${files['good.yaml']}: valid, 1 bond(s)`);
    const lines = good.stdout.split('\n').filter((l) => /^\s*\d+\. /.test(l)).map((l) => l.replace(/\s+\[impact.*$/, '').trim());
    expect(lines).toEqual([
      '1. create bond0 mode active-backup miimon=100',
      '2. enslave eth0 to bond0',
      '3. enslave eth1 to bond0',
      '4. set bond0 up',
      '5. add address 192.0.2.10/24 to bond0',
    ]);
    expect(await linkSnapshot(topo.host)).toEqual(before);
  }, 180_000);
});
