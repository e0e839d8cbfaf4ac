/**
 * The executor on the real driver, in process: a failure injected before any step of an apply
 * (a throw from ApplyOptions.onStep) must leave the namespace exactly as it was before the apply:
 * every interface as `ip -j -d link show` reports it (counters aside), every global address and
 * the main routing table. Once for an apply that changes options, MTU, slaves, primary,
 * addresses and routes, once for a mode change (which releases every slave), through both
 * backends.
 *
 * KernelHost works on the topology's namespace by path: the netlink backend opens its sockets
 * there, the sysfs backend reaches that namespace's /sys through an `ip netns exec` helper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendKind, DesiredBond, DesiredConfig } from '../../src/config/types.js';
import { apply, ApplyError, type ApplyOptions } from '../../src/plan/executor.js';
import { KernelHost } from '../../src/plan/host.js';
import { describeStep, plan } from '../../src/plan/planner.js';
import { hostHasBonding } from '../../src/sysfs/module.js';
import { runCommand, useTopology, waitFor, type Namespace, type Topology } from '../netns/index.js';
import { addressSnapshot, inGuest, links, linkSnapshot, readSysfs } from './helpers/daemon-harness.js';

const canRun = inGuest || (process.getuid?.() === 0 && hostHasBonding());

/** A failure injected through the executor's onStep: the apply stops before step `i` and rolls back. */
function failBefore(i: number): ApplyOptions {
  return {
    onStep: (step, index) => {
      if (index === i) throw new Error(`injected failure before step ${i + 1}: ${describeStep(step)}`);
    },
  };
}

function bond(b: Omit<Partial<DesiredBond>, 'slaves'> & { slaves: string[] }, backend: BackendKind): DesiredBond {
  return {
    name: 'bond0',
    mode: 'active-backup',
    options: { miimon: 100 },
    addresses: [],
    routes: [],
    macAddress: 'first-slave',
    drift: 'alert',
    up: true,
    origin: { file: 'executor.test.ts', line: 1 },
    ...b,
    backend,
    slaves: b.slaves.map((name) => ({ name, options: {} })),
  };
}

function config(...bonds: DesiredBond[]): DesiredConfig {
  return { bonds, source: 'executor.test.ts' };
}

interface HostState {
  links: Awaited<ReturnType<typeof linkSnapshot>>;
  addresses: Record<string, string[]>;
  routes: unknown[];
}

async function hostState(ns: Namespace): Promise<HostState> {
  return {
    links: await linkSnapshot(ns),
    addresses: await addressSnapshot(ns),
    // The kernel lists routes of equal prefix in the order they were added: compare as a set.
    routes: [...(await ns.ipJson<unknown[]>('-4', 'route', 'show', 'table', 'main')), ...(await ns.ipJson<unknown[]>('-6', 'route', 'show', 'table', 'main'))]
      .map((r) => JSON.stringify(r))
      .sort()
      .map((r) => JSON.parse(r) as unknown),
  };
}

/**
 * Waits for the namespace to settle, then snapshots: the bond's slaves MII up with an active
 * slave, an admin-up bond with carrier, and every operstate caught up with its carrier (linkwatch
 * updates operstate a moment after the carrier changes).
 */
async function settledState(ns: Namespace): Promise<HostState> {
  await waitFor(async () => {
    const proc = await readSysfs(ns, '/proc/net/bonding/bond0').catch(() => '');
    if (proc) {
      if (/^MII Status: (?!up$).*$/m.test(proc)) return false;
      if (/^Bonding Mode: fault-tolerance/m.test(proc) && !/^Currently Active Slave: (?!None)/m.test(proc)) return false;
    }
    for (const l of await links(ns)) {
      if (l.ifname === 'lo' || !l.flags.includes('UP')) continue;
      if (l.ifname === 'bond0' && !l.flags.includes('LOWER_UP')) return false;
      if (l.flags.includes('LOWER_UP') !== (l.operstate === 'UP')) return false;
    }
    return true;
  }, 'bond0 to settle', 10_000, 50);
  return hostState(ns);
}

/** The state must come back; it may take the driver a moment (MII, active slave). */
async function expectRestored(ns: Namespace, before: HostState, what: string): Promise<void> {
  let now = await settledState(ns);
  const deadline = Date.now() + 10_000;
  while (JSON.stringify(now) !== JSON.stringify(before) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    now = await settledState(ns);
  }
  expect(now, what).toEqual(before);
}

describe.skipIf(!canRun)('executor: a failure midway through an apply restores the previous state exactly', () => {
  beforeAll(async () => {
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
  });

  // Every failure point through the default backend; through netlink (same executor, other
  // kernel interface) the points after the releases, the mode change and the enslaves, to keep
  // the guest run short.
  const points = (backend: BackendKind, n: number, subset: number[]): number[] => (backend === 'sysfs' ? [...Array(n).keys()] : subset.filter((i) => i < n));

  for (const backend of ['sysfs', 'netlink'] as const) {
    describe(`${backend} backend`, () => {
      let topo: Topology;
      let host: KernelHost;
      const A = config(bond({ slaves: ['eth0', 'eth1'], primary: 'eth0', mtu: 1500, addresses: ['192.0.2.10/24'] }, backend));

      beforeAll(async () => {
        topo = await useTopology({ nics: 3 });
        // A free NIC that is up: the kernel closes released slaves, rollback must reopen it.
        await topo.host.ip('link', 'set', 'eth2', 'up');
        host = KernelHost.open({ netnsPath: topo.host.path });
        const result = await apply(A, host);
        expect(result.executed.length).toBeGreaterThan(0);
        expect(plan(A, await host.observe()).steps).toEqual([]);
      });

      afterAll(async () => {
        await host?.close();
      });

      it('an apply of options, MTU, slaves, primary, addresses and routes, failed before each of its steps', async () => {
        const B = config(
          bond(
            {
              options: { miimon: 200, updelay: 400, downdelay: 200, num_grat_arp: 3 },
              slaves: ['eth1', 'eth2'],
              primary: 'eth2',
              mtu: 1400,
              addresses: ['192.0.2.10/24', '192.0.2.11/24', '198.51.100.10/24'],
              routes: [{ to: '203.0.113.0/24', via: '192.0.2.254' }],
            },
            backend,
          ),
        );
        const before = await settledState(topo.host);
        const steps = plan(B, await host.observe()).steps;
        console.log(`${backend}: ${steps.length} steps: ${steps.map(describeStep).join('; ')}`);
        expect(steps.length).toBeGreaterThanOrEqual(7);
        for (const i of points(backend, steps.length, [2, 4, 6])) {
          const t = Date.now();
          const error = await apply(B, host, failBefore(i)).then(() => null, (e: unknown) => e);
          expect(error, `failure before step ${i + 1}`).toBeInstanceOf(ApplyError);
          const e = error as ApplyError;
          expect(e.message).toContain(`injected failure before step ${i + 1}`);
          expect(e.rollbackErrors, e.message).toEqual([]);
          expect(e.rolledBack).toBe(true);
          expect(describeStep(e.failedStep!)).toBe(describeStep(steps[i]!));
          await expectRestored(topo.host, before, `state after a failure before step ${i + 1} (${describeStep(steps[i]!)})`);
          expect(plan(A, await host.observe()).steps).toEqual([]);
          console.log(`${backend}: failure before step ${i + 1}/${steps.length} rolled back in ${Date.now() - t} ms`);
        }
        // And without a failure the same apply goes through.
        await apply(B, host);
        expect(plan(B, await host.observe()).steps).toEqual([]);
      }, 600_000);

      it('a mode change (every slave released), failed before each of its steps', async () => {
        // Start from A exactly (the previous test may have left B's extra addresses: planner never removes addresses).
        const start = await host.observe();
        for (const address of start.addresses.get('bond0') ?? []) if (address !== '192.0.2.10/24') await topo.host.ip('address', 'del', address, 'dev', 'bond0');
        for (const r of start.routes.get('bond0') ?? []) await topo.host.ip('route', 'del', r.to, ...(r.via ? ['via', r.via] : []), 'dev', 'bond0');
        await topo.host.ip('link', 'set', 'eth2', 'up');
        await apply(A, host);
        expect(plan(A, await host.observe()).steps).toEqual([]);

        const C = config(bond({ mode: 'balance-xor', options: { miimon: 100, xmit_hash_policy: 'layer3+4' }, slaves: ['eth0', 'eth1'], addresses: ['192.0.2.10/24'] }, backend));
        const before = await settledState(topo.host);
        const steps = plan(C, await host.observe()).steps;
        console.log(`${backend} mode change: ${steps.length} steps: ${steps.map(describeStep).join('; ')}`);
        expect(steps.some((s) => s.op === 'set-mode')).toBe(true);
        for (const i of points(backend, steps.length, [3, 4, 6])) {
          const t = Date.now();
          const error = await apply(C, host, failBefore(i)).then(() => null, (e: unknown) => e);
          expect(error, `failure before step ${i + 1}`).toBeInstanceOf(ApplyError);
          expect((error as ApplyError).rollbackErrors, (error as Error).message).toEqual([]);
          await expectRestored(topo.host, before, `state after a failure before step ${i + 1} (${describeStep(steps[i]!)})`);
          console.log(`${backend} mode change: failure before step ${i + 1}/${steps.length} rolled back in ${Date.now() - t} ms`);
        }
        await apply(C, host);
        expect((await host.observe()).bonds.get('bond0')?.mode).toBe('balance-xor');
      }, 600_000);
    });
  }
});

describe.skipIf(!canRun)('executor: a change that takes the bond down keeps what hangs on it', () => {
  let topo: Topology;
  let host: KernelHost;

  beforeAll(async () => {
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
    topo = await useTopology({ nics: 2 });
    host = KernelHost.open({ netnsPath: topo.host.path });
  });

  afterAll(async () => {
    await host?.close();
  });

  it('lacp_rate on an up 802.3ad bond: IPv4 routes and IPv6 addresses the kernel drops on down come back, configured or not', async () => {
    const base = {
      mode: '802.3ad' as const,
      slaves: ['eth0', 'eth1'],
      addresses: ['192.0.2.10/24', '2001:db8::10/64'],
      gateway: { v4: '192.0.2.1', v6: '2001:db8::1' },
      routes: [{ to: '198.51.100.0/24', via: '192.0.2.1' }],
    };
    await apply(config(bond({ ...base, options: { miimon: 100, lacp_rate: 'slow' } }, 'sysfs')), host);
    // What another tool put there: a service address and a route bondd was never told about.
    await topo.host.ip('address', 'add', '2001:db8::99/64', 'dev', 'bond0', 'nodad');
    await topo.host.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.254', 'dev', 'bond0', 'metric', '50');
    await waitFor(async () => !JSON.stringify(await topo.host.ipJson('-6', 'address', 'show', 'dev', 'bond0')).includes('tentative'), 'IPv6 DAD on bond0', 10_000, 100);
    const before = await hostState(topo.host);

    const fast = config(bond({ ...base, options: { miimon: 100, lacp_rate: 'fast' } }, 'sysfs'));
    const steps = plan(fast, await host.observe()).steps;
    expect(steps.map(describeStep).slice(0, 3)).toEqual(['set bond0 down', 'set bond0 lacp_rate=fast', 'set bond0 up']);
    const result = await apply(fast, host);
    expect(result.executed.length).toBe(steps.length);
    expect(plan(fast, await host.observe()).steps).toEqual([]);
    expect(await readSysfs(topo.host, '/sys/class/net/bond0/bonding/lacp_rate')).toMatch(/^fast 1/);

    // Routes carry "linkdown" until the bond has carrier again: give the aggregator a moment.
    let after = await hostState(topo.host);
    const deadline = Date.now() + 10_000;
    while (JSON.stringify([after.addresses, after.routes]) !== JSON.stringify([before.addresses, before.routes]) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = await hostState(topo.host);
    }
    expect(after.addresses).toEqual(before.addresses);
    expect(after.routes).toEqual(before.routes);
  }, 180_000);
});
