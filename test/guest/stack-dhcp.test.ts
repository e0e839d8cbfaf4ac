/**
 * DHCP on a layer of the bond's stack (guest, real driver, real dhcpcd and dnsmasq): VLAN 30 of
 * an 802.3ad bond gets its address from dnsmasq running on the partner's lag0.30 in the switch
 * namespace, next to VLAN 10 (static + gateway) and VLAN 20 (bridge port, address on br20).
 * Through the daemon, which supervises the client: the lease shows in status and is journaled,
 * a restart adopts the running client, a killed client is restarted (and a changed lease is
 * journaled), a change that takes the bond down gets the lease back, and turning DHCP off stops
 * the client and releases the lease.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DhcpClientStatus } from '../../src/dhcp/supervisor.js';
import { hostHasBonding } from '../../src/sysfs/module.js';
import { runCommand, useTopology, waitFor, type Topology } from '../netns/index.js';
import { Bondd, inGuest, requireBuilt, scratchDir, writeFiles } from './helpers/daemon-harness.js';
import { allLayersPass, buildPartner, ping } from './helpers/stack-lab.js';

const canRun = inGuest || (process.getuid?.() === 0 && hostHasBonding());
const T = 240_000;

function yaml(o: { lacpRate: string; dhcp: boolean }): string {
  return `bonds:
  bond0:
    mode: 802.3ad
    options: {miimon: 100, lacp_rate: ${o.lacpRate}, xmit_hash_policy: layer2+3}
    slaves: [eth0, eth1]
    backend: netlink
    vlans:
      10:
        addresses: [192.0.2.10/25, "2001:db8:a::10/64"]
        gateway: 192.0.2.1
      20:
        bridge: {name: br20, stp: false, forward_delay: 0, addresses: [198.51.100.10/24]}
      30:
        ${o.dhcp ? 'dhcp: ipv4' : 'mtu: 1500'}
`;
}

interface Status {
  name: string;
  dhcp?: DhcpClientStatus[];
}

describe.skipIf(!canRun)('DHCP on a VLAN of the bond, supervised dhcpcd against dnsmasq', () => {
  let topo: Topology;
  let dnsmasq: ChildProcess | null = null;
  let dir: string;
  const clientPids = new Set<number>();

  async function startDnsmasq(first: number, last: number): Promise<void> {
    const args = ['netns', 'exec', topo.sw.name, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--port=0', '--interface=lag0.30', '--bind-interfaces', '--dhcp-authoritative',
      `--dhcp-range=203.0.113.${first},203.0.113.${last},255.255.255.128,2m`, `--dhcp-leasefile=${dir}/dnsmasq-${first}.leases`, '--dhcp-option=option:router,203.0.113.129', '--log-dhcp'];
    dnsmasq = spawn('ip', args, { stdio: 'ignore' });
  }

  async function stopDnsmasq(): Promise<void> {
    const d = dnsmasq;
    dnsmasq = null;
    if (!d || d.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      d.once('exit', () => resolve());
      d.kill('SIGTERM');
    });
  }

  beforeAll(async () => {
    requireBuilt();
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
    await runCommand('modprobe', ['8021q']).catch(() => undefined);
    topo = await useTopology({ nics: 2, bridge: false });
    await buildPartner(topo.sw);
    dir = await scratchDir('bdt-dhcp-');
    await startDnsmasq(140, 150);
  }, T);

  afterAll(async () => {
    await stopDnsmasq();
    // Clients still running after a failure: stop them by pid.
    for (const pid of clientPids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }, T);

  /** On a failure: what the daemon, the journal and the kernel say (the test output is all there is from the VM). */
  const diagnose = async (d: Bondd, what: string): Promise<never> => {
    const journal = await d.events({ bond: 'bond0' }).catch((e: Error) => [{ message: e.message }]);
    const ps = await runCommand('ps', ['-eo', 'pid,args']).catch((e: Error) => ({ stdout: e.message }));
    const addr = await topo.host.ip('address', 'show', 'dev', 'bond0.30').catch((e: Error) => ({ stdout: e.message }));
    console.log(`--- ${what}\n--- bondd output:\n${d.output}\n--- journal:\n${journal.map((e) => e.message).join('\n')}\n--- ps:\n${ps.stdout}\n--- bond0.30:\n${addr.stdout}`);
    throw new Error(`${what} (diagnostics above)`);
  };

  const lease = async (d: Bondd): Promise<DhcpClientStatus | undefined> => {
    const [s] = await d.call<Status[]>('status', { bond: 'bond0' });
    const c = s?.dhcp?.find((x) => x.device === 'bond0.30' && x.family === 4);
    if (c?.pid) clientPids.add(c.pid);
    return c;
  };

  it('leases an address on VLAN 30, shows it in status, journals it; adopts the client across a restart; restarts a killed one', async () => {
    const { 'bondd.yaml': file } = await writeFiles(dir, { 'bondd.yaml': yaml({ lacpRate: 'slow', dhcp: true }) });
    const opts = { args: ['--config', file!], socket: `${dir}/bondd.sock`, stateDir: `${dir}/state` };
    let d = await Bondd.start(topo.host, opts);
    try {
      const first = await waitFor(async () => {
        const c = await lease(d);
        return c && c.lease.length === 1 ? c : null;
      }, 'a DHCP lease on bond0.30', 90_000, 500).catch(() => diagnose(d, 'no DHCP lease on bond0.30'));
      expect(first.lease[0]).toMatch(/^203\.0\.113\.(14\d|150)\/25$/);
      expect(first.adopted).toBe(false);
      const events = await d.events({ bond: 'bond0' });
      expect(events.some((e) => e.kind === 'dhcp-lease' && e.message.includes(first.lease[0]!))).toBe(true);
      await waitFor(() => ping(topo.host, '203.0.113.129'), 'ping over the DHCP VLAN', 30_000, 250);
      await allLayersPass(topo.host);
      // Lease addresses and routes are not drift: the plan stays empty.
      expect((await d.call<{ steps: unknown[] }>('plan')).steps).toEqual([]);

      // Restart: the client keeps running and is adopted (same pid).
      expect(await d.stop()).toEqual({ code: 0, signal: null });
      expect(() => process.kill(first.pid!, 0)).not.toThrow();
      d = await Bondd.start(topo.host, opts);
      const adopted = await lease(d);
      expect(adopted).toMatchObject({ pid: first.pid, adopted: true });

      // A client that dies is restarted; the server now hands out another range, so the
      // restarted client's INIT-REBOOT is refused and it gets (and journals) a new lease.
      await stopDnsmasq();
      await startDnsmasq(160, 170);
      process.kill(first.pid!, 'SIGKILL');
      const renewed = await waitFor(async () => {
        const c = await lease(d);
        return c && c.pid !== null && c.pid !== first.pid && c.lease.some((a) => /^203\.0\.113\.1[67]\d\/25$/.test(a)) ? c : null;
      }, 'a restarted client with a new lease', 90_000, 500).catch(() => diagnose(d, 'no new lease from a restarted client'));
      expect(renewed.restarts).toBeGreaterThanOrEqual(1);
      const journal = await d.events({ bond: 'bond0' });
      expect(journal.some((e) => e.kind === 'dhcp-client' && /dhcpcd ended .*restarting/.test(e.message))).toBe(true);
      const fresh = renewed.lease.find((a) => /^203\.0\.113\.1[67]\d\/25$/.test(a))!;
      expect(journal.some((e) => e.kind === 'dhcp-lease' && e.message.includes(fresh))).toBe(true);
    } finally {
      await d.stop();
    }
  }, T);

  it('a change that takes the bond down gets the lease back; turning DHCP off stops the client and releases the lease', async () => {
    const { 'bondd.yaml': file } = await writeFiles(dir, { 'bondd.yaml': yaml({ lacpRate: 'slow', dhcp: true }) });
    const opts = { args: ['--config', file!], socket: `${dir}/bondd.sock`, stateDir: `${dir}/state` };
    const d = await Bondd.start(topo.host, opts);
    try {
      const before = await waitFor(async () => {
        const c = await lease(d);
        return c && c.lease.length >= 1 ? c : null;
      }, 'the lease', 60_000, 500);
      await writeFiles(dir, { 'bondd.yaml': yaml({ lacpRate: 'fast', dhcp: true }) });
      const reload = await d.call<{ ok: boolean; message: string }>('reload');
      expect(reload.ok, reload.message).toBe(true);
      const back = await waitFor(async () => {
        const c = await lease(d);
        return c && c.lease.length >= 1 && (await ping(topo.host, '203.0.113.129')) ? c : null;
      }, 'the lease back after the down cycle', 90_000, 500).catch(() => diagnose(d, 'no lease after the down cycle'));
      expect(back.lease).toEqual(before.lease);
      await allLayersPass(topo.host);

      await writeFiles(dir, { 'bondd.yaml': yaml({ lacpRate: 'fast', dhcp: false }) });
      expect((await d.call<{ ok: boolean }>('reload')).ok).toBe(true);
      expect(await lease(d)).toBeUndefined();
      await waitFor(async () => {
        try {
          process.kill(back.pid!, 0);
          return false;
        } catch {
          return true;
        }
      }, 'the client to exit', 20_000, 200);
      const addrs = await topo.host.ipJson<Array<{ addr_info: Array<{ local: string; scope: string }> }>>('address', 'show', 'dev', 'bond0.30');
      expect(addrs[0]!.addr_info.filter((a) => a.scope === 'global')).toEqual([]);
      const journal = await d.events({ bond: 'bond0' });
      expect(journal.some((e) => e.kind === 'dhcp-client' && e.message.includes('stopped dhcpcd'))).toBe(true);
    } finally {
      await d.stop();
    }
  }, T);
});
