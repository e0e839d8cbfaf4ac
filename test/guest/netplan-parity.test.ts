/**
 * Parity with netplan + systemd-networkd (guest only): the same netplan YAML is brought up once
 * by Debian's netplan.io (`netplan generate`, networkd renderer) and the host's real
 * systemd-networkd, and once by bondd's netplan importer + executor, each in its own namespace
 * over two veth NICs. The kernel state must agree: every IFLA_BOND attribute `ip -j -d link`
 * reports, the slaves, MTUs, VLANs (id, lower device), bridges (STP, forward delay, ports), the
 * global addresses and the routes of every layer.
 *
 * networkd runs as a plain process inside the namespace (`ip netns exec`), in its own mount
 * namespace with the generated units on a private /run/systemd/network and /sys read-only, which
 * tells networkd there is no udev to wait for. It is stopped by PID after each case.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNetplan } from '../../src/config/netplan.js';
import { importNetworkd } from '../../src/config/networkd.js';
import { apply } from '../../src/plan/executor.js';
import { KernelHost } from '../../src/plan/host.js';
import { runCommand, useTopology, type Namespace } from '../netns/index.js';
import { inGuest, ROOT } from './helpers/daemon-harness.js';

const REFERENCE = join(ROOT, '.cache/reference');
let tool = '';
const made: string[] = [];

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string; info_slave_data?: Record<string, unknown> };
}

/** The kernel state of a bond's stack that both tools must agree on (no MACs, timers or LACP partners). */
async function stackState(ns: Namespace, bond: string): Promise<Record<string, unknown>> {
  const links = await ns.ipJson<IpLink[]>('-d', 'link', 'show');
  const master = links.find((l) => l.ifname === bond);
  if (master?.linkinfo?.info_kind !== 'bond') return { missing: bond };
  const { ad_info: _ad, ...options } = master.linkinfo.info_data ?? {};
  // Sorted by name: the two tools create devices in their own order, so interface indexes (the
  // order `ip link` lists them in) differ while the state is the same.
  const byName = <T extends { name: string }>(xs: T[]): T[] => xs.sort((a, b) => a.name.localeCompare(b.name));
  const slaves = byName(links.filter((l) => l.master === bond).map((l) => ({ name: l.ifname, mtu: l.mtu, queue_id: l.linkinfo?.info_slave_data?.['queue_id'] })));
  const vlans = byName(
    links
      .filter((l) => l.linkinfo?.info_kind === 'vlan' && l.link === bond)
      .map((l) => ({ name: l.ifname, id: l.linkinfo!.info_data!['id'], mtu: l.mtu, master: l.master ?? null })),
  );
  const bridges = byName(
    links
      .filter((l) => l.linkinfo?.info_kind === 'bridge')
      .map((l) => ({ name: l.ifname, stp: l.linkinfo!.info_data!['stp_state'], forward_delay: l.linkinfo!.info_data!['forward_delay'], ports: links.filter((p) => p.master === l.ifname).map((p) => p.ifname).sort() })),
  );
  const layers = [bond, ...vlans.map((v) => v.name), ...bridges.map((b) => b.name)];
  const ip: Record<string, unknown> = {};
  for (const dev of layers) {
    const addrs = (await ns.ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>>('address', 'show', 'dev', dev))
      .flatMap((a) => a.addr_info)
      .filter((a) => a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`)
      .sort();
    const routes = [
      ...(await ns.ipJson<Array<{ dst: string; gateway?: string; metric?: number; protocol?: string }>>('-4', 'route', 'show', 'dev', dev)),
      ...(await ns.ipJson<Array<{ dst: string; gateway?: string; metric?: number; protocol?: string }>>('-6', 'route', 'show', 'dev', dev)),
    ]
      .filter((r) => r.protocol !== 'kernel' && !r.dst.startsWith('fe80') && !r.dst.startsWith('ff00') && !r.dst.startsWith('multicast'))
      .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.metric ? ` metric ${r.metric}` : ''}`)
      .sort();
    ip[dev] = { addrs, routes };
  }
  return { options, up: master.flags.includes('UP'), mtu: master.mtu, slaves, vlans, bridges, ip };
}

/** The case's networkd units: netplan's generator output for YAML, or the units as given. */
function unitsOf(c: Case): string {
  const root = mkdtempSync(join(tmpdir(), 'bondd-np-'));
  made.push(root);
  if (c.networkd) {
    for (const [n, text] of Object.entries(c.networkd)) writeFileSync(join(root, n), text);
    return root;
  }
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  writeFileSync(join(root, 'etc/netplan/50-test.yaml'), c.yaml!);
  chmodSync(join(root, 'etc/netplan/50-test.yaml'), 0o600);
  execFileSync(join(tool, 'usr/libexec/netplan/generate'), ['--root-dir', root], { env: { ...process.env, LD_LIBRARY_PATH: join(tool, 'usr/lib/x86_64-linux-gnu') }, stdio: 'ignore' });
  return join(root, 'run/systemd/network');
}

/** Runs systemd-networkd on these units in the namespace; returns the process. */
function startNetworkd(ns: Namespace, units: string): ChildProcess {
  const script = [
    'set -e',
    'mount -o remount,ro /sys',
    'mkdir -p /run/systemd/network /run/systemd/netif',
    'mount -t tmpfs tmpfs /run/systemd/network',
    'cp "$1"/* /run/systemd/network/',
    'chown systemd-network /run/systemd/netif 2>/dev/null || true',
    'exec /lib/systemd/systemd-networkd',
  ].join('\n');
  const child = spawn('ip', ['netns', 'exec', ns.name, 'unshare', '-m', 'sh', '-c', script, 'sh', units], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (log.length < 20_000) log += d.toString();
  });
  (child as ChildProcess & { log: () => string }).log = () => log;
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const done = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

interface Case {
  name: string;
  bond: string;
  /** netplan YAML (through netplan generate), or networkd units by file name. */
  yaml?: string;
  networkd?: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: 'active-backup: MII interval, up-delay rounded by the kernel, primary, IPv4 + IPv6, gateways, a route',
    bond: 'bond0',
    yaml: `network:
  version: 2
  renderer: networkd
  ethernets:
    eth0: {}
    eth1: {}
  bonds:
    bond0:
      interfaces: [eth0, eth1]
      addresses: [192.0.2.10/24, "2001:db8::10/64"]
      gateway4: 192.0.2.1
      routes:
        - to: 198.51.100.0/24
          via: 192.0.2.254
          metric: 50
      parameters:
        mode: active-backup
        mii-monitor-interval: 100
        up-delay: 250
        down-delay: 100
        primary: eth1
        fail-over-mac-policy: active
        gratuitous-arp: 3
`,
  },
  {
    name: '802.3ad: fast LACP, layer3+4, bandwidth selection, min-links, jumbo MTU',
    bond: 'bond1',
    yaml: `network:
  version: 2
  ethernets:
    eth0: {}
    eth1: {}
  bonds:
    bond1:
      interfaces: [eth0, eth1]
      mtu: 9000
      addresses: [198.51.100.10/24]
      parameters:
        mode: 802.3ad
        lacp-rate: fast
        mii-monitor-interval: 100
        transmit-hash-policy: layer3+4
        ad-select: bandwidth
        min-links: 1
`,
  },
  {
    name: 'balance-xor with a VLAN carrying the address and the gateway, and a bridge on a second VLAN',
    bond: 'bond2',
    yaml: `network:
  version: 2
  ethernets:
    eth0: {}
    eth1: {}
  bonds:
    bond2:
      interfaces: [eth0, eth1]
      parameters:
        mode: balance-xor
        mii-monitor-interval: 100
        transmit-hash-policy: layer2+3
  vlans:
    bond2.100:
      id: 100
      link: bond2
      addresses: [203.0.113.10/24]
      gateway4: 203.0.113.1
    bond2.200:
      id: 200
      link: bond2
  bridges:
    br200:
      interfaces: [bond2.200]
      addresses: [192.0.2.200/24]
      parameters:
        stp: false
        forward-delay: 0
`,
  },
  {
    name: 'networkd units as written by hand: 802.3ad bond, members by name glob, a VLAN with address, gateway and a route, DHCP off',
    bond: 'bond3',
    networkd: {
      '10-bond3.netdev': '[NetDev]\nName=bond3\nKind=bond\n\n[Bond]\nMode=802.3ad\nLACPTransmitRate=fast\nMIIMonitorSec=100ms\nTransmitHashPolicy=layer3+4\nMinLinks=1\n',
      '20-members.network': '[Match]\nName=eth*\n\n[Network]\nBond=bond3\n',
      '30-bond3.network': '[Match]\nName=bond3\n\n[Network]\nVLAN=bond3.42\nLinkLocalAddressing=no\n',
      '40-bond3.42.netdev': '[NetDev]\nName=bond3.42\nKind=vlan\n\n[VLAN]\nId=42\n',
      '50-bond3.42.network': '[Match]\nName=bond3.42\n\n[Network]\nAddress=192.0.2.42/24\nGateway=192.0.2.1\n\n[Route]\nDestination=203.0.113.0/24\nGateway=192.0.2.254\nMetric=20\n',
    },
  },
];

describe.skipIf(!inGuest)('netplan and networkd files: bondd builds what netplan + systemd-networkd build', () => {
  beforeAll(async () => {
    const debs = existsSync(REFERENCE) ? readdirSync(REFERENCE).filter((f) => /^(netplan\.io|libnetplan0)_.*\.deb$/.test(f)) : [];
    expect(debs.length, `netplan.io and libnetplan0 in ${REFERENCE} (scripts/setup downloads them)`).toBe(2);
    tool = mkdtempSync(join(tmpdir(), 'bondd-netplan-tool-'));
    made.push(tool);
    for (const d of debs) execFileSync('dpkg-deb', ['-x', join(REFERENCE, d), tool]);
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
  });

  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const byBondd = await useTopology({ nics: 2 });
      const units = unitsOf(c);
      let config;
      if (c.networkd) config = (await importNetworkd(units)).config;
      else {
        const file = join(mkdtempSync(join(tmpdir(), 'bondd-np-yaml-')), '50-test.yaml');
        made.push(join(file, '..'));
        writeFileSync(file, c.yaml!);
        config = (await importNetplan(file)).config;
      }
      const host = KernelHost.open({ netnsPath: byBondd.host.path });
      try {
        await apply(config, host);
      } finally {
        await host.close();
      }
      const want = await stackState(byBondd.host, c.bond);

      const byNetworkd = await useTopology({ nics: 2 });
      const networkd = startNetworkd(byNetworkd.host, units);
      let got: Record<string, unknown> = {};
      try {
        // networkd converges on its own schedule: poll until it matches (or time runs out).
        const deadline = Date.now() + 90_000;
        while (Date.now() < deadline) {
          got = await stackState(byNetworkd.host, c.bond);
          if (JSON.stringify(got) === JSON.stringify(want)) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await stop(networkd);
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) console.log((networkd as ChildProcess & { log: () => string }).log().slice(-3000));
      const w = want as { options: object; slaves: unknown[]; vlans: unknown[]; bridges: unknown[] };
      console.log(`${c.bond}: networkd and bondd agree on ${Object.keys(w.options).length} bond attributes, ${w.slaves.length} slaves, ${w.vlans.length} VLANs, ${w.bridges.length} bridges and the addresses and routes of every layer`);
      expect(got).toEqual(want);
    }, 240_000);
  }
});
