/**
 * Parity (guest): for every mode (and for both link monitors where the mode has both), the same
 * bond (two slaves, a representative option set, a queue_id on the second slave) is built three times, in three topologies so that the names
 * are the same:
 *   1. by iproute2: `ip link add NAME type bond mode M ...` + `ip link set ethX down master NAME`;
 *   2. by the sysfs backend;
 *   3. by the netlink backend;
 * and the kernel state is compared through `ip -j -d link show`: the bond's info_data and every
 * slave's info_slave_data, flags, MTU and the rest of the link, apart from what is unique per
 * topology (ifindexes, MAC addresses, peer names).
 *
 * The option set is what all three can set: options with a sysfs file (the sysfs backend can not
 * set the netlink-only ones, iproute2 6.1 does not know coupled_control).
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BondMode, OptionValue } from '../../src/bond/option-types.js';
import { MODES, enumNumber, findOption } from '../../src/bond/options.js';
import { type Topology, useTopology, waitFor } from '../netns/index.js';
import { type Backends, type Monitor, monitorsFor, openBackends, testOptions } from './netlink-backend-helpers.js';

const T = 600_000;
const BOND = 'pb0';

/** iproute2 6.1 keywords that differ from the table's canonical name. */
const IP_KEYWORD: Readonly<Record<string, string>> = { peer_notif_delay: 'peer_notify_delay' };

/** `ip link add ... type bond` arguments for canonical options (enums by kernel number, which iproute2 takes for all). */
function ipArgs(options: Record<string, OptionValue>): string[] {
  return Object.entries(options).flatMap(([name, value]) => {
    const option = findOption(name)!;
    const text = option.kind === 'enum' ? String(enumNumber(option, value as string)) : Array.isArray(value) ? value.join(',') : String(value);
    return [IP_KEYWORD[name] ?? name, text];
  });
}

/** The representative option set of a mode for a monitor (plus primary where the mode has one). */
function representative(mode: BondMode, monitor: Monitor): Record<string, OptionValue> {
  const options = testOptions(mode, monitor, { sysfsOnly: true });
  if (findOption('primary')!.modes.includes(mode)) options['primary'] = 'eth1';
  return options;
}

type IpLink = Record<string, unknown> & { ifname: string; linkinfo?: Record<string, unknown> };

/** Link fields that differ between otherwise equal topologies. */
const UNIQUE = ['ifindex', 'address', 'perm_address', 'link_index', 'link_netnsid', 'link', 'broadcast'];

function normalise(link: IpLink): IpLink {
  const copy: IpLink = JSON.parse(JSON.stringify(link)) as IpLink;
  for (const key of UNIQUE) delete copy[key];
  const info = copy.linkinfo as { info_data?: Record<string, unknown>; info_slave_data?: Record<string, unknown> } | undefined;
  if (info?.info_slave_data) delete info.info_slave_data['perm_hwaddr'];
  return copy;
}

interface Built {
  name: string;
  topo: Topology;
  build(mode: BondMode, options: Record<string, OptionValue>, up: boolean): Promise<void>;
}

let topologies: Topology[] = [];
let backends: Backends[] = [];
let builders: Built[] = [];

beforeAll(async () => {
  topologies = [await useTopology({ nics: 2 }), await useTopology({ nics: 2 }), await useTopology({ nics: 2 })];
  backends = topologies.map((t) => openBackends(t.host.path));
  const [ipTopo, sysfsTopo, netlinkTopo] = topologies as [Topology, Topology, Topology];
  builders = [
    {
      name: 'iproute2',
      topo: ipTopo,
      async build(mode, options, up) {
        await ipTopo.host.ip('link', 'add', BOND, 'type', 'bond', 'mode', mode, ...ipArgs(options));
        for (const nic of ['eth0', 'eth1']) await ipTopo.host.ip('link', 'set', nic, 'down', 'master', BOND);
        await ipTopo.host.ip('link', 'set', 'eth1', 'type', 'bond_slave', 'queue_id', '2');
        if (up) await ipTopo.host.ip('link', 'set', BOND, 'up');
      },
    },
    ...(['sysfs', 'netlink'] as const).map((kind, i) => {
      const b = backends[i + 1]!;
      const backend = kind === 'sysfs' ? b.sysfs : b.netlink;
      return {
        name: kind,
        topo: i === 0 ? sysfsTopo : netlinkTopo,
        async build(mode: BondMode, options: Record<string, OptionValue>, up: boolean) {
          await backend.createBond(BOND, mode, options);
          for (const nic of ['eth0', 'eth1']) await backend.enslave(BOND, nic);
          await backend.setSlaveOptions(BOND, 'eth1', { queue_id: 2 });
          if (up) await backend.setUp(BOND, true);
        },
      };
    }),
  ];
}, T);

afterAll(async () => {
  for (const b of backends) await b.close();
}, T);

/** JSON paths where a and b differ. */
function diffPaths(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`));
  }
  return [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

/** The bond and its slaves as `ip -j -d link show` reports them, normalised. */
async function snapshot(topo: Topology): Promise<IpLink[]> {
  const [bond] = await topo.host.ipJson<IpLink[]>('-d', 'link', 'show', BOND);
  const slaves = await topo.host.ipJson<IpLink[]>('-d', 'link', 'show', 'master', BOND);
  return [bond!, ...slaves.sort((a, b) => a.ifname.localeCompare(b.ifname))].map(normalise);
}

describe('a bond built by iproute2, by the sysfs backend and by the netlink backend is the same kernel state', () => {
  for (const mode of MODES) {
    for (const monitor of monitorsFor(mode)) {
      // MII-monitored bonds are brought up and compared once settled. ARP-monitored ones stay down:
      // their targets do not answer in this lab, so up they would flap on each side's own timing.
      const up = monitor === 'mii';
      it(`${mode}, ${monitor} monitor${up ? ', up' : ', down'}`, async () => {
        const options = representative(mode, monitor);
        try {
          for (const b of builders) await b.build(mode, options, up);
          // Link monitoring and (without a partner) the LACP machines settle on their own time:
          // compare once every slave is up everywhere and the three agree, or fail with the diff.
          let snaps: IpLink[][] = [];
          let polls = 0;
          const transient = new Set<string>();
          await waitFor(
            async () => {
              snaps = await Promise.all(builders.map((b) => snapshot(b.topo)));
              polls++;
              for (const i of [1, 2]) diffPaths(snaps[0], snaps[i], '').forEach((p) => transient.add(`${builders[i]!.name}: ${p}`));
              const allUp = snaps.every((s) =>
                s.slice(1).every((l) => (l.linkinfo?.['info_slave_data'] as Record<string, unknown> | undefined)?.['mii_status'] === 'UP'),
              );
              return (allUp || !up) && isDeepStrictEqual(snaps[0], snaps[1]) && isDeepStrictEqual(snaps[0], snaps[2]);
            },
            `${mode}: the three bonds to agree`,
            30_000,
            250,
          ).catch(() => undefined);
          // Differences seen while the bonds settled (monitor and LACP timing), for the log.
          if (transient.size) console.log(`${mode}: settled after ${polls} polls; transient differences: ${[...transient].join('; ')}`);
          const [viaIp, viaSysfs, viaNetlink] = snaps;
          expect(viaIp!.length).toBe(3);
          expect(viaSysfs, 'sysfs backend vs iproute2').toEqual(viaIp);
          expect(viaNetlink, 'netlink backend vs iproute2').toEqual(viaIp);
          // The option set did reach the kernel (not three times the defaults).
          const data = viaIp![0]!.linkinfo!['info_data'] as Record<string, unknown>;
          expect(data['mode']).toBe(mode);
          expect(data[monitor === 'mii' ? 'miimon' : 'arp_interval']).toBe(options[monitor === 'mii' ? 'miimon' : 'arp_interval']);
          expect(data['resend_igmp']).toBe(options['resend_igmp']);
        } finally {
          for (const b of builders) await b.topo.host.ip('link', 'del', BOND).catch(() => undefined);
        }
      }, T);
    }
  }
});
