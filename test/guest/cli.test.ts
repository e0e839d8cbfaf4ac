/**
 * bondctl against the real bonding driver: the compiled CLI (dist/src/cli/main.js, built by
 * scripts/setup or `npx tsc -p tsconfig.json`) runs inside a topology namespace, with no bondd
 * (BONDD_SOCKET points nowhere).
 *
 * - create/enslave/set/show/failover/release/delete with their exit codes and effects;
 * - a kernel refusal exits 1 with the explained message; bad input exits 2 and changes nothing;
 * - for every mode, `status` (text and JSON) agrees with /proc/net/bonding on the active slave,
 *   MII status and link failure counts (and 802.3ad aggregators), also after a carrier loss.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

import type { BondMode } from '../../src/bond/option-types.js';
import { MODES } from '../../src/bond/options.js';
import type { BondView, ListView, StatusView } from '../../src/cli/status.js';
import { parseProcBonding, type ProcBond } from '../../src/sysfs/procfs.js';
import { type Topology, useTopology, waitFor } from '../netns/index.js';

/** User code in the guest runs about 20 times slower than on the host. */
const T = 600_000;
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let topo: Topology;

/** Runs the compiled bondctl inside the host namespace; never throws on a non-zero exit. */
function bondctl(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', topo.host.name, process.execPath, CLI, ...args],
      { env: { ...process.env, BONDD_SOCKET: '/nonexistent/bondd.sock' }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** bondctl that must succeed; returns stdout. */
async function ok(...args: string[]): Promise<string> {
  const r = await bondctl(...args);
  expect(r.code, `bondctl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function sh(script: string): Promise<string> {
  return (await topo.host.exec('sh', ['-c', script])).stdout;
}

async function proc(bond: string): Promise<ProcBond> {
  return parseProcBonding(await sh(`cat /proc/net/bonding/${bond}`));
}

async function sysfs(bond: string, file: string): Promise<string> {
  return (await sh(`cat /sys/class/net/${bond}/bonding/${file}`)).trim();
}

async function bonds(): Promise<string[]> {
  return (await sh('cat /sys/class/net/bonding_masters 2>/dev/null || true')).split(/\s+/).filter(Boolean);
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build with npx tsc -p tsconfig.json first`);
  topo = await useTopology({ nics: 3 });
  // max_bonds=0: loading the module must not create a stray bond0 (the CLI would load it so too).
  await topo.host.exec('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
}, T);

describe('bondctl on the real driver', () => {
  it(
    'create, enslave, set, show, failover, refusals, release, delete',
    async () => {
      expect(await ok('create', 'cb0', '--mode', 'active-backup', 'miimon=100', '--up')).toBe('cb0: created, mode active-backup, miimon=100 (sysfs), up\n');
      expect(await bonds()).toContain('cb0');
      expect(await sysfs('cb0', 'mode')).toBe('active-backup 1');

      expect(await ok('enslave', 'cb0', 'eth0', 'eth1')).toBe('cb0: enslaved eth0, eth1\n');
      expect(await sysfs('cb0', 'slaves')).toBe('eth0 eth1');
      expect(await ok('set', 'cb0', 'updelay=200', 'primary_reselect=better', 'num_grat_arp=3')).toBe('cb0: updelay=200 primary_reselect=better num_grat_arp=3\n');
      expect(await sysfs('cb0', 'updelay')).toBe('200');
      expect(await sysfs('cb0', 'primary_reselect')).toBe('better 1');
      expect(await ok('set', 'cb0', '--slave', 'eth0', 'queue_id=1')).toBe('cb0: eth0 queue_id=1\n');
      // prio has no sysfs file: bondctl switches to netlink by itself.
      expect(await ok('set', 'cb0', '--slave', 'eth1', 'prio=5')).toBe('cb0: eth1 prio=5\n');

      const first = await waitFor(async () => {
        const p = await proc('cb0');
        return p.currentlyActiveSlave && p.slaves.every((s) => s.miiStatus === 'up') ? p : null;
      }, 'cb0 to have an active slave and both slaves up', 30_000);

      // show --json: the full kernel view (netlink by default).
      const shown = JSON.parse(await ok('show', 'cb0', '--json')) as BondView;
      expect(Object.keys(shown)).toEqual(['name', 'index', 'mode', 'up', 'carrier', 'mtu', 'mac', 'activeSlave', 'primary', 'options', 'lacp', 'slaves', 'source']);
      expect(shown).toMatchObject({ name: 'cb0', mode: 'active-backup', up: true, carrier: true, activeSlave: first.currentlyActiveSlave, lacp: null, source: { backend: 'netlink', procfs: true } });
      expect(shown.options).toMatchObject({ miimon: 100, updelay: 200, primary_reselect: 'better', num_grat_arp: 3 });
      expect(shown.slaves.map((s) => [s.name, s.mii, s.queueId, s.options['prio']])).toEqual([
        ['eth0', 'up', 1, 0],
        ['eth1', 'up', 0, 5],
      ]);
      const showText = await ok('show', 'cb0');
      expect(showText).toMatch(/^cb0: active-backup, up, carrier up/);
      expect(showText).toMatch(/other options: .*num_grat_arp=3/);

      // failover: to the other slave, verified against /proc.
      const active = first.currentlyActiveSlave!;
      const other = active === 'eth0' ? 'eth1' : 'eth0';
      expect(await ok('failover', 'cb0')).toBe(`cb0: active slave ${active} → ${other}\n`);
      expect((await proc('cb0')).currentlyActiveSlave).toBe(other);
      expect(JSON.parse(await ok('failover', 'cb0', '--to', active, '--json'))).toEqual({ bond: 'cb0', from: other, to: active, via: 'kernel' });
      expect((await proc('cb0')).currentlyActiveSlave).toBe(active);

      // Kernel refusals: exit 1, the explanation on stderr, nothing on stdout.
      const mode = await bondctl('set', 'cb0', 'mode=802.3ad');
      expect(mode.code).toBe(1);
      expect(mode.stdout).toBe('');
      expect(mode.stderr).toMatch(/^bondctl: cb0: mode can only change while cb0 is down and has no slaves; set cb0 down and release its slaves/);
      expect(await sysfs('cb0', 'mode')).toBe('active-backup 1');

      await topo.cutCarrier(other);
      await waitFor(async () => (await proc('cb0')).slaves.find((s) => s.name === other)?.miiStatus === 'down', `${other} MII down`, 30_000);
      const toDown = await bondctl('failover', 'cb0', '--to', other);
      expect(toDown.code).toBe(1);
      expect(toDown.stdout).toBe('');
      expect(toDown.stderr).toMatch(new RegExp(`^bondctl: cb0: "${other}" could not be made the active slave`));
      expect((await proc('cb0')).currentlyActiveSlave).toBe(active);
      const noBackup = await bondctl('failover', 'cb0');
      expect(noBackup.code).toBe(1);
      expect(noBackup.stderr).toMatch(/no backup slave has its link up/);
      await topo.restoreCarrier(other);

      await ok('create', 'cb1', '--mode', 'balance-rr');
      const busy = await bondctl('enslave', 'cb1', 'eth0');
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/^bondctl: cb1: eth0 is already used by another master/);

      // Bad input: exit 2, nothing changed.
      const before = await sysfs('cb0', 'miimon');
      for (const args of [
        ['set', 'cb0', 'miimon=abc'],
        ['set', 'cb0', 'mimon=200'],
        ['set', 'cb0', 'updelay=150'],
        ['set', 'cb0', 'miimon=200', 'arp_interval=100'],
        ['create', 'cb9', 'lacp_rate=medium'],
        ['create', 'cb9', '--mode', '802.3ad', 'primary=eth0'],
        ['enslave', 'cb0', 'eth:2'],
      ]) {
        const r = await bondctl(...args);
        expect(r.code, `bondctl ${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^bondctl: /);
      }
      expect(await sysfs('cb0', 'miimon')).toBe(before);
      expect(await sysfs('cb0', 'updelay')).toBe('200');
      expect(await bonds()).not.toContain('cb9');

      // list
      const list = JSON.parse(await ok('list', '--json')) as ListView;
      expect(list.bonds.map((b) => [b.name, b.mode, b.slaves])).toEqual([
        ['cb0', 'active-backup', 2],
        ['cb1', 'balance-rr', 0],
      ]);
      expect(await ok('list')).toMatch(/^BOND +MODE +STATE +ACTIVE +SLAVES\ncb0 +active-backup +up +eth\d +2 \(\d up\)\ncb1 +balance-rr +down +- +0 \(0 up\)\n$/);

      expect(await ok('release', 'cb0', 'eth1')).toBe('cb0: released eth1\n');
      expect(await sysfs('cb0', 'slaves')).toBe('eth0');
      const notSlave = await bondctl('release', 'cb0', 'eth1');
      expect(notSlave.code).toBe(1);
      expect(notSlave.stderr).toMatch(/eth1 is not a slave of cb0/);

      expect(await ok('delete', 'cb0')).toBe('cb0: deleted\n');
      expect(await ok('delete', 'cb1')).toBe('cb1: deleted\n');
      expect(await bonds()).toEqual([]);
      const gone = await bondctl('delete', 'cb0');
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/^bondctl: cb0: cb0 does not exist/);
      const missing = await bondctl('status', 'cb0');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('bondctl: cb0: no such bond\n');
    },
    T,
  );
});

/** The slave rows of `bondctl status` text, by slave name, split in columns. */
function slaveRows(text: string): Map<string, string[]> {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^ {4}SLAVE +STATE +MII/.test(l));
  const rows = new Map<string, string[]>();
  if (header < 0) return rows;
  for (const line of lines.slice(header + 1)) {
    if (!/^ {4}\S/.test(line)) break;
    const cols = line.trim().split(/\s+/);
    rows.set(cols[0]!, cols);
  }
  return rows;
}

const ACTIVE_SLAVE_MODES: readonly BondMode[] = ['active-backup', 'balance-tlb', 'balance-alb'];

/** The part of `bondctl status` text about one bond (from its "<bond>: <mode>, ..." line to the next bond's). */
function bondSection(text: string, bond: string, all: readonly string[]): string {
  const lines = text.split('\n');
  const startsBond = (l: string) => all.some((b) => l.startsWith(`${b}: `));
  const from = lines.findIndex((l) => l.startsWith(`${bond}: `));
  if (from < 0) return '';
  let to = from + 1;
  while (to < lines.length && !startsBond(lines[to]!)) to++;
  return lines.slice(from, to).join('\n') + '\n';
}

/** /proc/net/bonding of several bonds, read by one process (each process start is slow in the guest). */
async function procAll(names: readonly string[]): Promise<Map<string, ProcBond>> {
  const text = await sh(names.map((n) => `cat /proc/net/bonding/${n}; echo @@@`).join('; '));
  const parts = text.split('@@@\n');
  return new Map(names.map((n, i) => [n, parseProcBonding(parts[i]!)] as const));
}

/**
 * Reads /proc for every bond, then ONE bondctl status --json and ONE bondctl status (all bonds),
 * then /proc again, until both /proc reads agree (nothing changed meanwhile), and checks each
 * bond's part of the CLI output against /proc. One CLI run for all modes keeps the guest run
 * short (each node start costs seconds under emulation).
 */
async function expectStatusMatchesProc(modes: ReadonlyMap<string, BondMode>): Promise<void> {
  const names = [...modes.keys()];
  for (let attempt = 1; ; attempt++) {
    const before = await procAll(names);
    const json = JSON.parse(await ok('status', '--json')) as StatusView;
    const fullText = await ok('status');
    const afterAll = await procAll(names);
    if (JSON.stringify([...before]) !== JSON.stringify([...afterAll]) && attempt < 5) continue;

    expect(Object.keys(json)).toEqual(['bondd', 'bonds']);
    expect(json.bondd).toEqual({ running: false, note: 'bondd is not running: showing kernel state only' });
    expect(fullText.split('\n')[0]).toBe('bondd is not running: showing kernel state only');
    expect(json.bonds.map((b) => b.name).sort()).toEqual([...names].sort());
    for (const [bond, mode] of modes) {
      const after = afterAll.get(bond)!;
      const text = bondSection(fullText, bond, names);
      const view = json.bonds.find((b) => b.name === bond)!.kernel!;
      expect(view.mode).toBe(mode);
      expect(view.carrier, `${bond} MII status`).toBe(after.miiStatus === 'up');
      expect(text).toMatch(new RegExp(`^${bond}: ${mode.replace('.', '\\.')}, up, carrier ${after.miiStatus}`, 'm'));
      if (ACTIVE_SLAVE_MODES.includes(mode)) {
        expect(view.activeSlave, `${bond} active slave`).toBe(after.currentlyActiveSlave ?? null);
        expect(text).toMatch(new RegExp(`active slave: +${after.currentlyActiveSlave ?? 'none'}\\n`));
      }
      const rows = slaveRows(text);
      expect(view.slaves.map((s) => s.name)).toEqual(after.slaves.map((s) => s.name));
      for (const p of after.slaves) {
        const s = view.slaves.find((v) => v.name === p.name)!;
        expect([s.mii, s.linkFailureCount, s.permMac, s.queueId], `${bond} ${p.name} in JSON`).toEqual([p.miiStatus, p.linkFailureCount, p.permanentHwAddr, p.queueId]);
        const [name, , mii, , , failures, perm, queue] = rows.get(p.name) ?? [];
        expect([name, mii, failures, perm, queue], `${bond} ${p.name} in text`).toEqual([p.name, p.miiStatus, String(p.linkFailureCount), p.permanentHwAddr, String(p.queueId)]);
        if (mode === '802.3ad') {
          expect(s.lacp?.aggregatorId ?? null, `${p.name} aggregator`).toBe(p.aggregatorId ?? null);
          expect(rows.get(p.name)!.at(-1)).toBe(p.aggregatorId === null || p.aggregatorId === undefined ? 'N/A' : String(p.aggregatorId));
          expect(s.lacp?.actor?.key ?? null).toBe(p.actor?.key ?? null);
          expect(s.lacp?.partner?.systemMac ?? null).toBe(p.partner?.systemMac ?? null);
        }
      }
      if (mode === '802.3ad') {
        const agg = after.ad?.activeAggregator;
        expect(view.lacp?.activeAggregator?.aggregatorId ?? null).toBe(agg ? agg.aggregatorId : null);
        if (agg) expect(text).toMatch(new RegExp(`active aggregator: +id ${agg.aggregatorId}, ${agg.numberOfPorts} port\\(s\\)`));
      }
    }
    return;
  }
}

describe('bondctl status agrees with /proc/net/bonding', () => {
  it(
    'for every mode, before and after a carrier loss',
    async () => {
      // One bond per mode, each over its own two NICs, built straight through sysfs (the CLI's
      // create/enslave path is covered above): st<n> over eth<2n>, eth<2n+1>.
      const lab = await useTopology({ nics: MODES.length * 2 });
      const modes = new Map(MODES.map((mode, i) => [`st${i}`, mode] as const));
      const build = MODES.map((mode, i) => [
        `echo +st${i} > /sys/class/net/bonding_masters`,
        `echo ${mode} > /sys/class/net/st${i}/bonding/mode`,
        `echo 100 > /sys/class/net/st${i}/bonding/miimon`,
        `echo +eth${2 * i} > /sys/class/net/st${i}/bonding/slaves`,
        `echo +eth${2 * i + 1} > /sys/class/net/st${i}/bonding/slaves`,
        `ip link set st${i} up`,
      ].join(' && ')).join(' && ');
      await lab.host.exec('sh', ['-c', build]);
      const previous = topo;
      topo = lab; // bondctl() and proc() run in this namespace
      try {
        const all = [...modes.keys()];
        await waitFor(async () => [...(await procAll(all)).values()].every((p) => p.slaves.every((s) => s.miiStatus === 'up')), 'every slave up', 60_000);
        await expectStatusMatchesProc(modes);

        await lab.sw.exec('sh', ['-c', MODES.map((_, i) => `ip link set port${2 * i} down`).join(' && ')]);
        await waitFor(
          async () => [...(await procAll(all)).values()].every((p) => p.slaves[0]?.miiStatus === 'down'),
          'the first slave of every bond MII down',
          60_000,
        );
        await expectStatusMatchesProc(modes);
        for (const p of (await procAll(all)).values()) expect(p.slaves[0]!.linkFailureCount).toBeGreaterThanOrEqual(1);
      } finally {
        topo = previous;
        await lab.host.exec('sh', ['-c', [...modes.keys()].map((b) => `echo -${b} > /sys/class/net/bonding_masters`).join('; ')]).catch(() => undefined);
      }
    },
    T,
  );
});
