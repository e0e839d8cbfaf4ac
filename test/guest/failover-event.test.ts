/**
 * Real driver: a bond built through /sys/class/net/bonding_masters (no bondd code in the way),
 * two veth NICs, active-backup with miimon 100. Cutting the active NIC must produce an
 * RTM_NEWLINK on the bond carrying IFLA_EVENT_BONDING_FAILOVER and the new active slave, seen
 * through our own netlink binding, and /proc/net/bonding must agree.
 */
import { describe, expect, it } from 'vitest';
import { subscribeLinks } from '../../src/netlink/rtnl.js';
import type { LinkMessage } from '../../src/netlink/link.js';
import { parseProcBonding } from '../../src/sysfs/procfs.js';
import { useTopology, waitFor } from '../netns/index.js';

describe('failover seen through rtnetlink on the real driver', () => {
  it('reports IFLA_EVENT_BONDING_FAILOVER with the new active slave', async () => {
    const topo = await useTopology({ nics: 2 });
    const ns = topo.host;
    const sh = (script: string) => ns.exec('sh', ['-c', script]);
    await ns.exec('modprobe', ['bonding', 'max_bonds=0']).catch(() => undefined);
    await sh('echo +bond0 > /sys/class/net/bonding_masters');
    await sh('echo active-backup > /sys/class/net/bond0/bonding/mode && echo 100 > /sys/class/net/bond0/bonding/miimon');
    await sh('echo +eth0 > /sys/class/net/bond0/bonding/slaves && echo +eth1 > /sys/class/net/bond0/bonding/slaves');
    await ns.ip('link', 'set', 'bond0', 'up');

    const proc = async () => parseProcBonding((await ns.exec('cat', ['/proc/net/bonding/bond0'])).stdout);
    const first = await waitFor(async () => {
      const p = await proc();
      return p.currentlyActiveSlave && p.slaves.every((s) => s.miiStatus === 'up') ? p : null;
    }, 'bond0 to have an active slave with both slaves up', 10_000);
    const active = first.currentlyActiveSlave!;
    const other = active === 'eth0' ? 'eth1' : 'eth0';

    const watcher = subscribeLinks({ netnsPath: ns.path });
    const seen: LinkMessage[] = [];
    watcher.on('link', (m) => seen.push(m));
    try {
      const indexes = new Map((await ns.ipJson<Array<{ ifname: string; ifindex: number }>>('link', 'show')).map((l) => [l.ifname, l.ifindex]));
      await topo.cutCarrier(active);
      const failover = await waitFor(
        () => seen.find((m) => m.name === 'bond0' && m.event === 'failover'),
        'an RTM_NEWLINK with IFLA_EVENT_BONDING_FAILOVER on bond0',
        10_000,
      );
      expect(failover.kind).toBe('bond');
      expect(failover.bond?.activeSlave).toBe(indexes.get(other));
      // The slave that lost its carrier is reported down before the bond fails over.
      const slaveDown = seen.find((m) => m.name === active && m.bondSlave?.miiStatus === 2);
      expect(slaveDown, `${active} reported with MII down`).toBeDefined();
      expect(seen.indexOf(slaveDown!)).toBeLessThan(seen.indexOf(failover));

      const after = await proc();
      expect(after.currentlyActiveSlave).toBe(other);
      expect(after.slaves.find((s) => s.name === active)?.miiStatus).toBe('down');
      expect(after.slaves.find((s) => s.name === active)?.linkFailureCount).toBeGreaterThanOrEqual(1);
    } finally {
      watcher.close();
    }
  });
});
