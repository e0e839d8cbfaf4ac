import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { useTopology, waitFor, Namespace, runCommand } from '../netns/index.js';

interface IpLink { ifname: string; operstate: string; flags: string[]; master?: string }

async function carrier(ns: Namespace, nic: string): Promise<number> {
  const { stdout } = await ns.exec('cat', [`/sys/class/net/${nic}/carrier`]);
  return Number(stdout.trim());
}

describe('netns topology kit', () => {
  it('builds NICs with switch ports on a bridge and injects faults', async () => {
    const topo = await useTopology({ nics: 3, nicsDown: false });
    expect(topo.nics.map((n) => n.name)).toEqual(['eth0', 'eth1', 'eth2']);
    const ports = await topo.sw.ipJson<IpLink[]>('link', 'show', 'master', 'sw0');
    expect(ports.map((p) => p.ifname).sort()).toEqual(['port0', 'port1', 'port2']);
    expect(existsSync(topo.host.path)).toBe(true);

    await waitFor(async () => (await carrier(topo.host, 'eth0')) === 1, 'eth0 carrier up');
    await topo.cutCarrier('eth0');
    await waitFor(async () => (await carrier(topo.host, 'eth0')) === 0, 'eth0 carrier down');
    expect(await carrier(topo.host, 'eth1')).toBe(1);
    await topo.restoreCarrier('eth0');
    await waitFor(async () => (await carrier(topo.host, 'eth0')) === 1, 'eth0 carrier back');

    await topo.flap('eth1', 3, 10);
    await waitFor(async () => (await carrier(topo.host, 'eth1')) === 1, 'eth1 carrier after flaps');
    const changes = Number((await topo.host.exec('cat', ['/sys/class/net/eth1/carrier_changes'])).stdout);
    expect(changes).toBeGreaterThanOrEqual(6);

    await topo.deleteNic('eth2');
    const links = await topo.host.ipJson<IpLink[]>('link', 'show');
    expect(links.map((l) => l.ifname)).not.toContain('eth2');
    const swLinks = await topo.sw.ipJson<IpLink[]>('link', 'show');
    expect(swLinks.map((l) => l.ifname)).not.toContain('port2');

    const late = await topo.addNic();
    expect(late.name).toBe('eth2');
  });

  it('leaves NICs down by default so they can be enslaved', async () => {
    const topo = await useTopology({ nics: 2 });
    const links = await topo.host.ipJson<IpLink[]>('link', 'show', 'eth0');
    expect(links[0]?.flags).not.toContain('UP');
  });

  it('removes its namespaces on destroy and on process exit', async () => {
    const topo = await useTopology({ nics: 1 });
    const names = [topo.host.name, topo.sw.name];
    await topo.destroy();
    const { stdout } = await runCommand('ip', ['netns', 'list']);
    for (const name of names) expect(stdout).not.toContain(name);

    // A process that created a namespace and is then killed with SIGTERM must not leak it.
    const compiled = new URL('../../dist/src/netns/namespace.js', import.meta.url).pathname;
    expect(existsSync(compiled), 'dist/ is built by scripts/setup (npx tsc)').toBe(true);
    const script = `const { Namespace } = await import(${JSON.stringify(compiled)});
      const ns = await Namespace.create('killme');
      process.stdout.write(ns.name + '\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const name = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    expect((await runCommand('ip', ['netns', 'list'])).stdout).toContain(name);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    expect((await runCommand('ip', ['netns', 'list'])).stdout).not.toContain(name);
  });
});
