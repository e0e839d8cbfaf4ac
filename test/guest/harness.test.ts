/**
 * Smoke test of the guest harness itself: the real bonding driver is there, can be driven
 * through sysfs inside a network namespace, and fails over when the active slave loses carrier.
 * Runs inside the QEMU guest (scripts/test), or on a host whose kernel has bonding.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostHasBonding } from '../../src/sysfs/module.js';

const run = promisify(execFile);

// Inside the guest a missing driver is a failure, not a reason to skip.
const inGuest = process.env.BONDD_IN_GUEST === '1';
const canRun = inGuest || (process.getuid?.() === 0 && hostHasBonding());

// bdt-<pid base 36>-...: the prefix and pid let scripts/test and test/netns sweep leftovers of
// killed runs without touching namespaces of live ones.
const NS = `bdt-${process.pid.toString(36)}-harness-${randomBytes(3).toString('hex')}`;
const BOND = 'bdtbond0';
const SLAVES = ['bdts0', 'bdts1'];
const PEERS = ['bdtp0', 'bdtp1'];

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', ['-n', NS, ...args])).stdout;
}
/** Runs argv inside the namespace (with its own /sys, mounted by `ip netns exec`). */
async function inNs(...argv: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', NS, ...argv])).stdout;
}
/** Writes one value to a sysfs file as seen from inside the namespace. The script is constant;
 * value and path travel as positional parameters. */
async function nsWrite(path: string, value: string): Promise<void> {
  await inNs('sh', '-c', 'printf "%s\\n" "$1" > "$2"', 'sh', value, path);
}
async function procBonding(): Promise<string> {
  return inNs('cat', `/proc/net/bonding/${BOND}`);
}
function activeSlave(proc: string): string | undefined {
  return /^Currently Active Slave: (\S+)$/m.exec(proc)?.[1];
}
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!canRun)('guest harness: real bonding driver', () => {
  beforeAll(async () => {
    // max_bonds=0: loading the module must not create bond0 in the root namespace.
    await run('modprobe', ['bonding', 'max_bonds=0']);
    await run('ip', ['netns', 'add', NS]);
    await ip('link', 'set', 'lo', 'up');
    for (let i = 0; i < 2; i++) await ip('link', 'add', SLAVES[i], 'type', 'veth', 'peer', 'name', PEERS[i]);
  });

  afterAll(async () => {
    // Deleting the namespace destroys the bond and both veth pairs with it.
    await run('ip', ['netns', 'del', NS]).catch(() => undefined);
  });

  it('has the bonding driver', async () => {
    // /sys/module/<name> exists once the module is loaded (its parameters are not in sysfs).
    expect((await run('ls', ['/sys/module/bonding'])).stdout).toMatch(/\bparameters\b|\bholders\b|\brefcnt\b/);
    // bonding_masters is per network namespace; max_bonds=0 means no bond0 anywhere.
    expect((await inNs('cat', '/sys/class/net/bonding_masters')).trim()).toBe('');
  });

  it('creates an active-backup bond through sysfs and enslaves two veths', async () => {
    await nsWrite('/sys/class/net/bonding_masters', `+${BOND}`);
    // Mode can only change while the bond is down and has no slaves; miimon before enslaving
    // so link state is monitored from the first slave on.
    await nsWrite(`/sys/class/net/${BOND}/bonding/mode`, 'active-backup');
    await nsWrite(`/sys/class/net/${BOND}/bonding/miimon`, '100');
    for (const peer of PEERS) await ip('link', 'set', peer, 'up');
    // sysfs enslaving refuses a slave that is up.
    for (const slave of SLAVES) {
      await ip('link', 'set', slave, 'down');
      await nsWrite(`/sys/class/net/${BOND}/bonding/slaves`, `+${slave}`);
    }
    await ip('link', 'set', BOND, 'up');

    const proc = await waitFor('both slaves up with an active slave', async () => {
      const text = await procBonding();
      const up = (text.match(/^MII Status: up$/gm) ?? []).length;
      return up === 3 && activeSlave(text) ? text : undefined;
    });
    expect(proc).toMatch(/^Bonding Mode: fault-tolerance \(active-backup\)$/m);
    expect(proc).toMatch(/^MII Polling Interval \(ms\): 100$/m);
    for (const slave of SLAVES) expect(proc).toContain(`Slave Interface: ${slave}`);
    expect(SLAVES).toContain(activeSlave(proc));
    expect((await inNs('cat', `/sys/class/net/${BOND}/bonding/slaves`)).trim().split(/\s+/).sort()).toEqual([...SLAVES].sort());
  });

  it('fails over when the active slave loses carrier', async () => {
    const before = activeSlave(await procBonding());
    expect(before).toBeDefined();
    const idx = SLAVES.indexOf(before!);
    const other = SLAVES[1 - idx];
    // Cutting the peer drops carrier on the slave; miimon notices within ~100 ms (longer here).
    await ip('link', 'set', PEERS[idx], 'down');
    const after = await waitFor(`active slave to move from ${before} to ${other}`, async () => {
      const a = activeSlave(await procBonding());
      return a === other ? a : undefined;
    });
    expect(after).toBe(other);
    const proc = await procBonding();
    const section = proc.slice(proc.indexOf(`Slave Interface: ${before}`));
    expect(section).toMatch(/^MII Status: down$/m);
  });
});
