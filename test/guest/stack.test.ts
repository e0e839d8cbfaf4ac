/**
 * The bond's stack on the real driver (guest): an 802.3ad bond over eth0/eth1 against a partner
 * bond over their peers in the switch namespace, tagged VLANs on both sides:
 *
 *   host ns                                         switch ns
 *   bond0.10  192.0.2.10/25, 2001:db8:a::10/64      lag0.10  192.0.2.1/25, 2001:db8:a::1/64
 *             default via 192.0.2.1                 lo       192.0.2.200/32 (behind the gateway)
 *   bond0.20 ─ br20  198.51.100.10/24               lag0.20  198.51.100.1/24
 *   bond0 (802.3ad, eth0 eth1) ════════════════════ lag0 (802.3ad, port0 port1)
 *
 * Applied through the executor in process (KernelHost on the namespace, config parsed from
 * YAML), and through the daemon for the restart. Traffic is a bounded ping on every layer.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredConfig } from '../../src/config/types.js';
import { parseYamlConfig } from '../../src/config/yaml.js';
import { apply, ApplyError } from '../../src/plan/executor.js';
import { KernelHost } from '../../src/plan/host.js';
import { describeStep, plan } from '../../src/plan/planner.js';
import { hostHasBonding } from '../../src/sysfs/module.js';
import { runCommand, useTopology, waitFor, type Topology } from '../netns/index.js';
import { addressSnapshot, Bondd, inGuest, link, scratchDir, sleep, writeFiles } from './helpers/daemon-harness.js';
import { allLayersPass, buildPartner, routesOf, settled, stackState } from './helpers/stack-lab.js';

const canRun = inGuest || (process.getuid?.() === 0 && hostHasBonding());
const T = 600_000;

function stackYaml(o: { lacpRate?: string; vlan20?: boolean; vlan40?: boolean; extraAddress?: boolean; stp?: boolean } = {}): string {
  const vlan20 = `      20:
        bridge:
          name: br20
          stp: ${o.stp ? 'true' : 'false'}
          forward_delay: ${o.stp ? 4 : 0}
          addresses: [198.51.100.10/24]
`;
  return `bonds:
  bond0:
    mode: 802.3ad
    options: {miimon: 100, lacp_rate: ${o.lacpRate ?? 'slow'}, xmit_hash_policy: layer2+3}
    slaves: [eth0, eth1]
    backend: netlink
    vlans:
      10:
        addresses: [192.0.2.10/25, "2001:db8:a::10/64"${o.extraAddress ? ', 192.0.2.11/25' : ''}]
        gateway: 192.0.2.1
        accept_ra: false
${o.vlan20 === false ? '' : vlan20}${o.vlan40 ? '      40:\n        mtu: 1400\n        addresses: [203.0.113.10/25]\n' : ''}`;
}

const config = (o: Parameters<typeof stackYaml>[0] = {}): DesiredConfig => parseYamlConfig(stackYaml(o), 'stack.yaml').config;

describe.skipIf(!canRun)('the bond stack on the real driver', () => {
  let topo: Topology;
  let host: KernelHost;

  beforeAll(async () => {
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
    await runCommand('modprobe', ['8021q']).catch(() => undefined);
    topo = await useTopology({ nics: 2, bridge: false });
    await buildPartner(topo.sw);
    host = KernelHost.open({ netnsPath: topo.host.path });
  }, T);

  afterAll(async () => {
    await host?.close();
  });

  it('builds bond → VLANs → bridge → addresses → routes and passes traffic on every layer; re-applying is an empty plan', async () => {
    const result = await apply(config(), host);
    expect(result.executed.map(describeStep)).toContain('create VLAN bond0.10 id 10 on bond0');
    expect(plan(config(), await host.observe()).steps.map(describeStep)).toEqual([]);

    const vlan = await link(topo.host, 'bond0.10');
    expect(vlan?.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10 } });
    expect(vlan?.['ifalias']).toBe('bondd:bond0');
    expect((await link(topo.host, 'bond0.20'))?.master).toBe('br20');
    expect((await link(topo.host, 'br20'))?.linkinfo).toMatchObject({ info_kind: 'bridge', info_data: { stp_state: 0, forward_delay: 0 } });
    expect((await topo.host.exec('cat', ['/proc/sys/net/ipv6/conf/bond0.20/disable_ipv6'])).stdout.trim()).toBe('1');
    expect((await topo.host.exec('cat', ['/proc/sys/net/ipv6/conf/bond0.10/accept_ra'])).stdout.trim()).toBe('0');
    expect((await addressSnapshot(topo.host))['br20']).toEqual(['198.51.100.10/24']);
    expect(await routesOf(topo.host, 'bond0.10')).toContain('default via 192.0.2.1');
    await allLayersPass(topo.host);
  }, T);

  it('a change that takes the bond down (lacp_rate) puts back every layer: addresses, gateway, bridge membership', async () => {
    const before = { addresses: await addressSnapshot(topo.host), routes10: await routesOf(topo.host, 'bond0.10'), master: (await link(topo.host, 'bond0.20'))?.master };
    const result = await apply(config({ lacpRate: 'fast' }), host);
    const ops = result.executed.map(describeStep);
    expect(ops.slice(0, 3)).toEqual(['set bond0 down', 'set bond0 lacp_rate=fast', 'set bond0 up']);
    expect(ops).toContain('add route 0.0.0.0/0 via 192.0.2.1 dev bond0.10');
    expect(ops).toContain('add address 2001:db8:a::10/64 to bond0.10');
    // The apply verified itself (re-plan empty); the operator's view agrees.
    expect(await addressSnapshot(topo.host)).toEqual(before.addresses);
    expect(await routesOf(topo.host, 'bond0.10')).toEqual(before.routes10);
    expect((await link(topo.host, 'bond0.20'))?.master).toBe(before.master);
    await allLayersPass(topo.host);
  }, T);

  it('a slave fails: all layers keep passing traffic', async () => {
    await topo.sw.ip('link', 'set', 'port0', 'down');
    try {
      await waitFor(async () => !(await link(topo.host, 'eth0'))?.flags.includes('LOWER_UP'), 'eth0 to lose carrier', 10_000);
      await allLayersPass(topo.host, 30_000);
    } finally {
      await topo.sw.ip('link', 'set', 'port0', 'up');
    }
    await waitFor(async () => (await link(topo.host, 'eth0'))?.flags.includes('LOWER_UP') ?? false, 'eth0 carrier back', 10_000);
  }, T);

  it('removing one VLAN from the configuration removes only that VLAN (and its bridge), never a VLAN bondd did not create', async () => {
    await topo.host.ip('link', 'add', 'link', 'bond0', 'name', 'bond0.99', 'type', 'vlan', 'id', '99');
    const index10 = (await link(topo.host, 'bond0.10'))?.ifindex;
    const result = await apply(config({ lacpRate: 'fast', vlan20: false }), host);
    expect(result.executed.map(describeStep)).toEqual(['delete br20', 'delete bond0.20']);
    expect(await link(topo.host, 'bond0.20')).toBeUndefined();
    expect(await link(topo.host, 'br20')).toBeUndefined();
    expect((await link(topo.host, 'bond0.10'))?.ifindex).toBe(index10);
    expect(await link(topo.host, 'bond0.99')).toBeDefined();
    await topo.host.ip('link', 'del', 'bond0.99');
    await apply(config({ lacpRate: 'fast' }), host);
    await allLayersPass(topo.host);
  }, T);

  it('rollback after a failure injected mid-apply restores the exact stack', async () => {
    const change = config({ lacpRate: 'slow', vlan40: true, extraAddress: true, stp: true });
    const steps = plan(change, await host.observe()).steps.map(describeStep);
    expect(steps).toContain('create VLAN bond0.40 id 40 on bond0');
    expect(steps).toContain('set bridge br20 stp on forward_delay 4');
    // After the bond went down and the VLAN was created; and before the very last route.
    const points = [steps.indexOf('create VLAN bond0.40 id 40 on bond0') + 1, steps.length - 1];
    for (const point of points) {
      await settled(topo.host);
      const before = await stackState(topo.host);
      const error = await apply(change, host, { onStep: (_step, index) => { if (index === point) throw new Error(`injected failure before step ${point + 1}`); } }).then(() => null, (e: unknown) => e);
      expect(error, `failure before step ${point + 1} (${steps[point]})`).toBeInstanceOf(ApplyError);
      expect((error as ApplyError).rolledBack, (error as ApplyError).message).toBe(true);
      await settled(topo.host);
      let now = await stackState(topo.host);
      const deadline = Date.now() + 20_000;
      while (JSON.stringify(now) !== JSON.stringify(before) && Date.now() < deadline) {
        await sleep(250);
        now = await stackState(topo.host);
      }
      expect(now, `state after a failure before step ${point + 1} (${steps[point]})`).toEqual(before);
    }
    await allLayersPass(topo.host);
  }, T);

  it('bondd stops leaving the whole stack up; a restart adopts it without a flap (ip monitor sees nothing)', async () => {
    const dir = await scratchDir('bdt-stack-');
    const { 'bondd.yaml': file } = await writeFiles(dir, { 'bondd.yaml': stackYaml({ lacpRate: 'fast' }) });
    const opts = { args: ['--config', file!], socket: `${dir}/bondd.sock`, stateDir: `${dir}/state` };
    const first = await Bondd.start(topo.host, opts);
    let second: Bondd | undefined;
    let monitor: ReturnType<typeof spawn> | undefined;
    try {
      expect(first.output).toContain('the kernel already matches the configuration');
      expect(await first.stop()).toEqual({ code: 0, signal: null });
      await settled(topo.host);
      const before = await stackState(topo.host);
      let seen = '';
      monitor = spawn('ip', ['-n', topo.host.name, 'monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
      monitor.stdout!.setEncoding('utf8').on('data', (c: string) => (seen += c));
      await sleep(300);
      second = await Bondd.start(topo.host, opts);
      await sleep(1500);
      expect(second.output).toContain('start: the kernel already matches the configuration; nothing to do');
      expect(seen, 'ip monitor saw changes during the restart').toBe('');
      expect(await stackState(topo.host)).toEqual(before);
      await allLayersPass(topo.host, 20_000);
    } finally {
      monitor?.kill();
      await first.kill();
      await second?.stop();
    }
  }, T);
});
