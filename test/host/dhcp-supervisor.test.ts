/**
 * The DHCP supervisor against real dhcpcd and dnsmasq on the host kernel, in namespaces of our
 * own (a veth pair: client side in one namespace, dnsmasq in the other): a lease arrives and is
 * reported, a killed client is restarted, a second supervisor (a restarted bondd) adopts the
 * running client, turning DHCP off stops the client and releases the lease.
 *
 * `ip netns exec` bind-mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf for the client,
 * so dhcpcd's hooks never touch the host's resolver configuration.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDhcpcd } from '../../src/dhcp/client.js';
import { type DhcpEvent, DhcpSupervisor } from '../../src/dhcp/supervisor.js';
import { KernelHost } from '../../src/plan/host.js';
import { waitFor } from '../netns/index.js';

const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const CLIENT = `bdt-dhc-${tag}`;
const SERVER = `bdt-dhs-${tag}`;
const DEV = 'dh0';
const program = findDhcpcd();
const dnsmasqPresent = (() => {
  try {
    execFileSync('dnsmasq', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!program || !dnsmasqPresent || process.getuid?.() !== 0)('DHCP supervisor (dhcpcd against dnsmasq in namespaces)', () => {
  let dir: string;
  let dnsmasq: ChildProcess;
  let host: KernelHost;
  const events: DhcpEvent[] = [];
  const supervisors: DhcpSupervisor[] = [];
  const pids = new Set<number>();

  const make = (): DhcpSupervisor => {
    const s = new DhcpSupervisor({
      program: program!,
      netnsPath: `/run/netns/${CLIENT}`,
      stateFile: join(dir, 'dhcp.json'),
      leases: () => host.observeLeases(),
      event: (e) => events.push(e),
      dropAddresses: async (device, addresses) => {
        for (const a of addresses) await host.removeAddress(device, a);
      },
      pollMs: 200,
    });
    supervisors.push(s);
    return s;
  };
  const want = [{ bond: 'bond0', device: DEV, family: 4 as const }];
  const leaseOf = (s: DhcpSupervisor) => {
    const c = s.status()[0];
    if (c?.pid) pids.add(c.pid);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bdt-dhcp-'));
    execFileSync('ip', ['netns', 'add', CLIENT]);
    execFileSync('ip', ['netns', 'add', SERVER]);
    mkdirSync(`/etc/netns/${CLIENT}`, { recursive: true });
    writeFileSync(`/etc/netns/${CLIENT}/resolv.conf`, '');
    execFileSync('ip', ['-n', CLIENT, 'link', 'add', DEV, 'type', 'veth', 'peer', 'name', 'ds0', 'netns', SERVER]);
    execFileSync('ip', ['-n', CLIENT, 'link', 'set', DEV, 'up']);
    execFileSync('ip', ['-n', SERVER, 'link', 'set', 'ds0', 'up']);
    execFileSync('ip', ['-n', SERVER, 'address', 'add', '203.0.113.1/24', 'dev', 'ds0']);
    dnsmasq = spawn('ip', ['netns', 'exec', SERVER, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--port=0', '--interface=ds0', '--bind-interfaces',
      '--dhcp-authoritative', '--dhcp-range=203.0.113.100,203.0.113.110,255.255.255.0,2m', `--dhcp-leasefile=${dir}/leases`], { stdio: 'ignore' });
    host = KernelHost.open({ netnsPath: `/run/netns/${CLIENT}` });
  });

  afterAll(async () => {
    for (const s of supervisors) await s.detach();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    dnsmasq?.kill('SIGTERM');
    await host?.close();
    for (const ns of [CLIENT, SERVER]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(`/etc/netns/${CLIENT}`, { recursive: true, force: true });
    rmSync(`/var/lib/dhcpcd/${DEV}.lease`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts dhcpcd for the device and family, reports and journals the lease', async () => {
    const s = make();
    await s.reconcile(want);
    const c = await waitFor(() => (leaseOf(s)?.lease.length ? leaseOf(s) : null), 'a lease', 30_000, 200);
    expect(c!.lease[0]).toMatch(/^203\.0\.113\.1(0\d|10)\/24$/);
    expect(c).toMatchObject({ device: DEV, family: 4, adopted: false, state: 'running' });
    expect(events.some((e) => e.kind === 'dhcp-client' && e.message.includes('started dhcpcd'))).toBe(true);
    expect(events.some((e) => e.kind === 'dhcp-lease' && e.message.includes(c!.lease[0]!))).toBe(true);
  }, 60_000);

  it('restarts a client that dies', async () => {
    const s = supervisors[0]!;
    const before = leaseOf(s)!;
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitFor(() => {
      const c = leaseOf(s);
      return c && c.pid !== null && c.pid !== before.pid ? c : null;
    }, 'a restarted client', 15_000, 100);
    expect(after.restarts).toBe(1);
    expect(events.some((e) => e.kind === 'dhcp-client' && /dhcpcd ended \(signal SIGKILL\); restarting in 1 s/.test(e.message))).toBe(true);
  }, 30_000);

  it('a new supervisor (bondd restarted) adopts the running client, without journaling its lease as a change', async () => {
    const first = supervisors[0]!;
    const running = leaseOf(first)!;
    await waitFor(() => (leaseOf(first)!.lease.length ? true : null), 'the restarted client\'s lease', 30_000, 200);
    await first.detach();
    const mark = events.length;
    const second = make();
    await second.reconcile(want);
    expect(leaseOf(second)).toMatchObject({ pid: running.pid, adopted: true });
    expect(events.slice(mark).map((e) => e.kind)).toEqual(['dhcp-client']);
    expect(events[mark]!.message).toContain(`adopted the running dhcpcd (pid ${running.pid})`);
  }, 40_000);

  it('turning DHCP off stops the client and releases the lease', async () => {
    const s = supervisors[1]!;
    const pid = leaseOf(s)!.pid!;
    await s.reconcile([]);
    expect(s.status()).toEqual([]);
    expect(() => process.kill(pid, 0)).toThrow();
    const leases = await host.observeLeases();
    expect(leases.get(DEV) ?? []).toEqual([]);
  }, 30_000);
});
