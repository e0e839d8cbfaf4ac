/**
 * Parity with Debian's own tools (guest only): the same /etc/network/interfaces stanza is brought
 * up once by `ifup` with ifenslave (the real ifupdown 0.8 and ifenslave 2.13 packages, which
 * scripts/setup downloads into .cache/reference and this test unpacks into the guest's
 * throwaway root), and once by bondd's importer + executor, each in its own namespace over two
 * veth NICs. The bonds must agree: every IFLA_BOND attribute `ip -j -d link show` reports
 * (aggregator details and MACs aside), the slaves and their queue ids, MTU, admin state, the
 * global addresses and the routes through the bond.
 *
 * Only what ifenslave really applies is used. It silently skips other options (min_links,
 * resend_igmp, ...), and its bond-queue-id writes to a file the driver does not have
 * (bonding/iface_queue_id), so queue ids never reach the kernel through it; bondd applies both.
 * `ifup -a` brings up what the file marks auto, as at boot: with bond-master, the slaves must be
 * auto too (ifup of the slave enslaves it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInterfaces } from '../../src/config/interfaces.js';
import { apply } from '../../src/plan/executor.js';
import { KernelHost } from '../../src/plan/host.js';
import { plan } from '../../src/plan/planner.js';
import { runCommand, useTopology, type Namespace } from '../netns/index.js';
import { inGuest, ROOT } from './helpers/daemon-harness.js';

const REFERENCE = join(ROOT, '.cache/reference');
const INTERFACES = '/etc/network/interfaces';

interface IpLinkJson {
  ifname: string;
  mtu: number;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; info_slave_kind?: string; info_slave_data?: Record<string, unknown> };
}

/** What both tools must agree on; fields that depend on timing, MACs or LACP partners are left out. */
async function bondState(ns: Namespace, bond: string): Promise<Record<string, unknown>> {
  const links = await ns.ipJson<IpLinkJson[]>('-d', 'link', 'show');
  const master = links.find((l) => l.ifname === bond);
  expect(master?.linkinfo?.info_kind, `${bond} exists in ${ns.name}`).toBe('bond');
  const { ad_info: _adInfo, ...data } = master!.linkinfo!.info_data ?? {};
  // With the ARP monitor and targets that never answer, the driver keeps rotating the active
  // slave: which one it is at a given moment says nothing about who built the bond.
  if (Number(data['arp_interval'] ?? 0) > 0) delete data['active_slave'];
  const slaves = links
    .filter((l) => l.master === bond)
    .map((l) => {
      const s = l.linkinfo?.info_slave_data ?? {};
      return { name: l.ifname, queue_id: s['queue_id'], prio: s['prio'], mtu: l.mtu };
    });
  const addresses = (await ns.ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>>('address', 'show', 'dev', bond))
    .flatMap((a) => a.addr_info)
    .filter((a) => a.scope === 'global')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
  const routes = [
    ...(await ns.ipJson<Array<{ dst: string; gateway?: string; metric?: number; protocol?: string }>>('-4', 'route', 'show', 'dev', bond)),
    ...(await ns.ipJson<Array<{ dst: string; gateway?: string; metric?: number; protocol?: string }>>('-6', 'route', 'show', 'dev', bond)),
  ]
    .filter((r) => r.protocol !== 'kernel' && !r.dst.startsWith('fe80') && !r.dst.startsWith('ff00'))
    .map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`)
    .sort();
  return { options: data, up: master!.flags.includes('UP'), mtu: master!.mtu, slaves, addresses, routes };
}

const CASES: Array<{ name: string; bond: string; stanza: string[] }> = [
  {
    name: 'active-backup with delays, primary, fail_over_mac, gratuitous ARPs, address and gateway',
    bond: 'bond1',
    stanza: [
      'iface bond1 inet static',
      '    address 192.0.2.10/24',
      '    gateway 192.0.2.1',
      '    bond-slaves eth0 eth1',
      '    bond-mode active-backup',
      '    bond-miimon 100',
      '    bond-updelay 200',
      '    bond-downdelay 100',
      '    bond-primary eth1',
      '    bond-primary-reselect better',
      '    bond-fail-over-mac active',
      '    bond-num-grat-arp 3',
    ],
  },
  {
    name: '802.3ad with fast LACP, layer3+4 hashing, bandwidth selection, jumbo MTU',
    bond: 'bond2',
    stanza: [
      'iface bond2 inet static',
      '    address 198.51.100.10/24',
      '    mtu 9000',
      '    bond-slaves eth0 eth1',
      '    bond-mode 802.3ad',
      '    bond-miimon 100',
      '    bond-lacp-rate fast',
      '    bond-xmit-hash-policy layer3+4',
      '    bond-ad-select bandwidth',
    ],
  },
  {
    name: 'balance-xor, IPv4 and IPv6 addresses, IPv6 gateway',
    bond: 'bond3',
    stanza: [
      'iface bond3 inet static',
      '    address 203.0.113.10/24',
      '    bond-slaves eth0 eth1',
      '    bond-mode balance-xor',
      '    bond-miimon 50',
      '    bond-xmit-hash-policy layer2+3',
      'iface bond3 inet6 static',
      '    address 2001:db8::10/64',
      '    gateway 2001:db8::1',
    ],
  },
  {
    name: 'active-backup with the ARP monitor (two targets, validate all), slaves by bond-master',
    bond: 'bond4',
    stanza: [
      'iface bond4 inet static',
      '    address 192.0.2.20/24',
      '    bond-slaves none',
      '    bond-mode active-backup',
      '    bond-arp-interval 1000',
      '    bond-arp-ip-target 192.0.2.1 192.0.2.2',
      '    bond-arp-validate all',
      'auto eth0 eth1',
      'iface eth0 inet manual',
      '    bond-master bond4',
      'iface eth1 inet manual',
      '    bond-master bond4',
    ],
  },
];

describe.skipIf(!inGuest)('interfaces file: bondd builds what ifup + ifenslave build', () => {
  beforeAll(async () => {
    const debs = existsSync(REFERENCE) ? readdirSync(REFERENCE).filter((f) => f.endsWith('.deb')) : [];
    expect(debs.some((d) => d.startsWith('ifupdown_')) && debs.some((d) => d.startsWith('ifenslave_')), `ifupdown and ifenslave in ${REFERENCE} (scripts/setup downloads them)`).toBe(true);
    // The guest's root is a tmpfs overlay: unpacking there never reaches the host.
    // --keep-directory-symlink: /lib and /sbin are symlinks into /usr on Debian 12.
    for (const deb of debs) execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C /', 'sh', join(REFERENCE, deb)]);
    mkdirSync('/run/network', { recursive: true });
    await runCommand('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
  });

  afterAll(() => {
    rmSync(INTERFACES, { force: true });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const text = ['auto ' + c.bond, ...c.stanza, ...(c.stanza.some((l) => l.startsWith('iface eth0')) ? [] : ['iface eth0 inet manual', 'iface eth1 inet manual']), ''].join('\n');
      writeFileSync(INTERFACES, text);
      for (const f of readdirSync('/run/network')) if (f.startsWith('ifstate')) rmSync(join('/run/network', f), { force: true });

      const byIfup = await useTopology({ nics: 2 });
      await byIfup.host.exec('ifup', ['-a'], 120_000);

      const byBondd = await useTopology({ nics: 2 });
      const { config } = await importInterfaces(INTERFACES);
      const host = KernelHost.open({ netnsPath: byBondd.host.path });
      try {
        await apply(config, host);
        expect(plan(config, await host.observe()).steps).toEqual([]);
      } finally {
        await host.close();
      }

      const want = await bondState(byIfup.host, c.bond);
      const got = await bondState(byBondd.host, c.bond);
      console.log(`${c.bond}: ifup and bondd agree on ${Object.keys(want['options'] as object).length} bond attributes, ${(want['slaves'] as unknown[]).length} slaves, ${(want['addresses'] as unknown[]).length} addresses, ${(want['routes'] as unknown[]).length} routes`);
      expect(got).toEqual(want);
    }, 180_000);
  }
});
