/**
 * bondctl's views: JSON built from a backend reading plus /proc/net/bonding (the fixtures of the
 * procfs parser), and the human text rendered from that JSON. The text must carry what
 * /proc/net/bonding shows: mode, active slave, primary and primary_reselect, monitors and delays,
 * per-slave MII status, speed, duplex, link failures, permanent MAC, queue id, 802.3ad
 * aggregator and per-port actor/partner details.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcBonding } from '../../src/sysfs/procfs.js';
import { formatTime, renderBond, renderEvent, renderList, renderStatus, renderPlan } from '../../src/cli/render.js';
import { bondView, listView, portStateFlags, type StatusView } from '../../src/cli/status.js';
import { bond, harness, slave } from './cli-fakes.js';

const proc = (name: string) => parseProcBonding(readFileSync(new URL(`../fixtures/procfs/${name}`, import.meta.url), 'utf8'));

/** The kernel state test/fixtures/procfs/active-backup.txt was taken from, as a backend reads it. */
function activeBackup() {
  const b = bond('bond0', 'active-backup', {
    activeSlave: 'eth1',
    primary: 'eth0',
    slaves: [
      slave('eth0', { mii: 'down', linkFailureCount: 1, permMac: 'ae:95:e0:4a:54:0f', speedMbps: null, duplex: null, carrier: false }),
      slave('eth1', { state: 'active', permMac: 'ae:95:e0:4a:54:10', options: { queue_id: 2 } }),
    ],
  });
  Object.assign(b.options, { miimon: 100, updelay: 200, fail_over_mac: 'active', primary_reselect: 'better', primary: 'eth0', active_slave: 'eth1' });
  return b;
}

function lacp() {
  const b = bond('bond1', '802.3ad', {
    mac: 'ae:95:e0:4a:54:0f',
    ad: { aggregatorId: 1, numPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '66:c4:31:60:aa:67' },
    slaves: [
      slave('e0', { permMac: 'ae:95:e0:4a:54:0f', ad: { aggregatorId: 1, actorOperPortState: 63, partnerOperPortState: 63 } }),
      slave('e1', { mii: 'down', linkFailureCount: 3, permMac: 'ae:95:e0:4a:54:10', speedMbps: null, duplex: null, ad: { aggregatorId: null, actorOperPortState: 0, partnerOperPortState: 0 } }),
    ],
  });
  Object.assign(b.options, { lacp_rate: 'fast', xmit_hash_policy: 'layer3+4' });
  return b;
}

/** The slave table rows of a rendered bond, split in columns. */
function slaveRows(text: string): Map<string, string[]> {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^ {4}SLAVE +STATE +MII/.test(l));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(header + 1)) {
    if (!/^ {4}\S/.test(line)) break;
    const cols = line.trim().split(/\s+/);
    rows.set(cols[0]!, cols);
  }
  return rows;
}

describe('bond view and text', () => {
  it('active-backup: what /proc/net/bonding shows', () => {
    const p = proc('active-backup.txt');
    const view = bondView(activeBackup(), p, 'sysfs');
    expect(view.source).toEqual({ backend: 'sysfs', procfs: true });
    expect(view.lacp).toBeNull();
    const text = renderBond(view);
    expect(text).toMatch(/^bond0: active-backup, up, carrier up, mtu 1500, mac 02:00:00:00:00:01\n/);
    expect(text).toMatch(new RegExp(`active slave: +${p.currentlyActiveSlave}\\n`));
    expect(text).toMatch(new RegExp(`primary: +${p.primarySlave} \\(primary_reselect ${p.primaryReselect}\\)`));
    expect(text).toMatch(new RegExp(`fail_over_mac: +${p.failOverMac}`));
    expect(text).toMatch(new RegExp(`link monitor: +miimon ${p.miiPollingIntervalMs} ms, updelay ${p.upDelayMs} ms, downdelay ${p.downDelayMs} ms`));
    const rows = slaveRows(text);
    for (const s of p.slaves) {
      const [name, , mii, speed, duplex, failures, perm, queue] = rows.get(s.name)!;
      expect([name, mii, failures, perm, queue]).toEqual([s.name, s.miiStatus, String(s.linkFailureCount), s.permanentHwAddr, String(s.queueId)]);
      expect(speed).toBe(s.speed === 'Unknown' ? 'unknown' : s.speed.replace(' Mbps', 'Mb/s'));
      expect(duplex).toBe(s.duplex.toLowerCase());
    }
    expect(rows.get('eth1')![1]).toBe('active');
  });

  it('802.3ad: system, aggregator and per-port actor/partner from /proc', () => {
    const p = proc('8023ad.txt');
    const view = bondView(lacp(), p, 'sysfs');
    expect(view.lacp).toEqual({
      systemPriority: 65535,
      systemMac: 'ae:95:e0:4a:54:0f',
      activeAggregator: { aggregatorId: 1, numPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '66:c4:31:60:aa:67' },
    });
    expect(view.slaves[0]!.lacp).toEqual({
      aggregatorId: 1,
      actorChurnState: 'none',
      partnerChurnState: 'none',
      actorChurnedCount: 0,
      partnerChurnedCount: 0,
      actor: { systemPriority: 65535, systemMac: 'ae:95:e0:4a:54:0f', key: 15, portPriority: 255, portNumber: 1, portState: 63, portStateFlags: ['active', 'short_timeout', 'aggregating', 'in_sync', 'collecting', 'distributing'] },
      partner: { systemPriority: 65535, systemMac: '66:c4:31:60:aa:67', key: 15, portPriority: 255, portNumber: 2, portState: 63, portStateFlags: ['active', 'short_timeout', 'aggregating', 'in_sync', 'collecting', 'distributing'] },
    });
    const text = renderBond(view);
    expect(text).toMatch(/xmit_hash_policy: +layer3\+4/);
    expect(text).toMatch(/802\.3ad: +lacp_active on, lacp_rate fast, min_links 0, ad_select stable/);
    expect(text).toMatch(/lacp system: +priority 65535, mac ae:95:e0:4a:54:0f/);
    expect(text).toMatch(/active aggregator: +id 1, 2 port\(s\), actor key 15, partner key 15, partner mac 66:c4:31:60:aa:67/);
    expect(text).toMatch(/e0: aggregator 1, actor churn none \(0 times\), partner churn none \(0 times\)\n +actor +system 65535\/ae:95:e0:4a:54:0f  key 15  port 1  priority 255  state 63 <active,short_timeout,aggregating,in_sync,collecting,distributing>\n +partner  system 65535\/66:c4:31:60:aa:67  key 15  port 2  priority 255  state 63/);
    const rows = slaveRows(text);
    for (const s of p.slaves) {
      const cols = rows.get(s.name)!;
      expect([cols[2], cols[5], cols.at(-1)]).toEqual([s.miiStatus, String(s.linkFailureCount), s.aggregatorId === null ? 'N/A' : String(s.aggregatorId)]);
    }
  });

  it('without /proc details (no CAP_NET_ADMIN) the port states still show', () => {
    const view = bondView(lacp(), null, 'sysfs');
    expect(view.source.procfs).toBe(false);
    expect(view.slaves[0]!.lacp!.actor).toMatchObject({ portState: 63, systemMac: null });
    expect(renderBond(view)).toMatch(/actor +state 63 <active,/);
    expect(renderBond(view)).toMatch(/e1: aggregator N\/A, actor churn \?, partner churn \?\n +actor +state 0 <none>/);
  });

  it('ARP monitor and "no monitor" lines; non-default options; show lists every option', () => {
    const arp = bond('bond2', 'balance-xor');
    Object.assign(arp.options, { arp_interval: 1000, arp_ip_target: ['192.0.2.1', '192.0.2.2'], arp_validate: 'all' });
    const text = renderBond(bondView(arp, null, 'netlink'));
    expect(text).toMatch(/link monitor: +arp_interval 1000 ms, arp_ip_target 192.0.2.1,192.0.2.2, arp_validate all, arp_all_targets any, arp_missed_max 2/);
    expect(text).not.toMatch(/active slave/);
    const none = renderBond(bondView(bond('bond3', 'balance-rr', { up: false, carrier: false }), null, 'sysfs'));
    expect(none).toMatch(/^bond3: balance-rr, admin down, carrier down/);
    expect(none).toMatch(/link monitor: +none \(miimon and arp_interval are 0/);
    expect(none).toMatch(/slaves: 0 \(0 with MII up\)\n$/);
    const rr = bond('bond4', 'balance-rr');
    rr.options['packets_per_slave'] = 3;
    expect(renderBond(bondView(rr, null, 'sysfs'))).toMatch(/non-default: +packets_per_slave=3\n/);
    expect(renderBond(bondView(rr, null, 'sysfs'), { allOptions: true })).toMatch(/other options: +.*resend_igmp=1 .*packets_per_slave=3/);
  });

  it('slave options such as prio get a column', () => {
    const b = activeBackup();
    b.slaves[0]!.options['prio'] = 10;
    b.slaves[1]!.options['prio'] = 0;
    const rows = slaveRows(renderBond(bondView(b, null, 'netlink')));
    expect(rows.get('eth0')![8]).toBe('10');
  });

  it('portStateFlags names the bits', () => {
    expect(portStateFlags(0x45)).toEqual(['active', 'aggregating', 'defaulted']);
    expect(portStateFlags(null)).toEqual([]);
  });
});

describe('status, list, events and plans from JSON', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const status: StatusView = {
    bondd: { running: true, note: null },
    bonds: [
      {
        name: 'bond0',
        kernel: bondView(activeBackup(), proc('active-backup.txt'), 'sysfs'),
        bondd: {
          configured: true,
          backend: 'sysfs',
          drift: { policy: 'warn', differences: ['set bond0 miimon=100 (miimon 200 → 100)'] },
          pendingSlaves: ['eth2'],
          lastFailover: { t: now - 300_000, seq: 4, kind: 'failover', bond: 'bond0', message: 'bond0: active slave eth0 → eth1 (eth0 lost carrier)' },
        },
      },
      { name: 'bond5', kernel: null, bondd: { configured: true, backend: 'netlink', drift: { policy: 'enforce', differences: [] }, pendingSlaves: [], lastFailover: null } },
      { name: 'bond7', kernel: bondView(bond('bond7', 'broadcast'), null, 'sysfs'), bondd: { configured: false, backend: null, drift: null, pendingSlaves: [], lastFailover: null } },
    ],
  };

  it('status with bondd: drift, pending slaves, last failover', () => {
    const text = renderStatus(JSON.parse(JSON.stringify(status)), now);
    expect(text).toMatch(/bondd: +configured, backend sysfs, DRIFT from the configuration \(policy warn\):\n {6}- set bond0 miimon=100 \(miimon 200 → 100\)/);
    expect(text).toMatch(/pending slaves: eth2 \(enslaved when they appear\)/);
    expect(text).toContain(`last failover: ${formatTime(now - 300_000)} (5 min ago): bond0: active slave eth0 → eth1 (eth0 lost carrier)`);
    expect(text).toMatch(/bond5: configured in bondd but not present in the kernel\n {2}bondd: +configured, backend netlink, matches the configuration \(drift policy enforce\)\n {2}last failover: none recorded/);
    expect(text).toMatch(/bond7: broadcast[\s\S]*bondd: +not in the configuration/);
  });

  it('status without bondd says so first', () => {
    const alone: StatusView = { bondd: { running: false, note: 'bondd is not running: showing kernel state only' }, bonds: [{ name: 'bond0', kernel: status.bonds[0]!.kernel, bondd: null }] };
    const text = renderStatus(alone, now);
    expect(text.split('\n')[0]).toBe('bondd is not running: showing kernel state only');
    expect(text).not.toMatch(/last failover/);
    expect(renderStatus({ bondd: alone.bondd, bonds: [] }, now)).toBe('bondd is not running: showing kernel state only\nno bonds\n');
  });

  it('list', () => {
    const down = bond('bond9', 'balance-rr', { up: false, carrier: false });
    const view = listView([status.bonds[0]!.kernel!, bondView(lacp(), null, 'sysfs'), bondView(down, null, 'sysfs')]);
    expect(view.bonds[0]).toEqual({ name: 'bond0', mode: 'active-backup', state: 'up', activeSlave: 'eth1', slaves: 2, slavesUp: 1 });
    expect(renderList(view)).toBe(
      ['BOND   MODE           STATE  ACTIVE  SLAVES', 'bond0  active-backup  up     eth1    2 (1 up)', 'bond1  802.3ad        up     -       2 (1 up)', 'bond9  balance-rr     down   -       0 (0 up)', ''].join('\n'),
    );
    expect(renderList({ bonds: [] })).toBe('no bonds\n');
  });

  it('events and plans', () => {
    const e = { t: now, seq: 1, kind: 'carrier' as const, bond: 'bond0', message: 'bond0: carrier up' };
    expect(renderEvent(e)).toBe(`${formatTime(now)}  carrier        bond0    bond0: carrier up\n`);
    expect(renderEvent({ ...e, bond: undefined, kind: 'daemon', message: 'bondd started' })).toMatch(/daemon {9}- {8}bondd started/);
    expect(renderPlan({ source: 'local', config: '/etc/bondd/bondd.yaml', impact: 'none', steps: [], pending: [{ bond: 'bond0', reason: 'eth3 is not present' }], problems: [{ bond: 'bond0', message: 'bond0: conflict' }] })).toBe(
      'plan (computed locally from /etc/bondd/bondd.yaml): nothing to do, the kernel matches the configuration\npending: eth3 is not present\nproblem: bond0: conflict\n',
    );
  });

  it('formatTime is local time with its offset', () => {
    const text = formatTime(now);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000[+-]\d\d:\d\d$/);
    expect(Date.parse(text)).toBe(now);
  });
});

describe('status gathering (in-process, fakes)', () => {
  it('without bondd: the kernel view and the note; fast path and yargs agree', async () => {
    const h = harness({ bonds: [activeBackup(), lacp()] });
    h.proc.set('bond0', proc('active-backup.txt'));
    expect(await h.run('status', '--json')).toBe(0);
    const fast = h.stdout;
    const view = JSON.parse(fast) as StatusView;
    expect(view.bondd).toEqual({ running: false, note: 'bondd is not running: showing kernel state only' });
    expect(view.bonds.map((b) => [b.name, b.kernel?.mode, b.bondd])).toEqual([
      ['bond0', 'active-backup', null],
      ['bond1', '802.3ad', null],
    ]);
    expect(Object.keys(view.bonds[0]!.kernel!)).toEqual(['name', 'index', 'mode', 'up', 'carrier', 'mtu', 'mac', 'activeSlave', 'primary', 'options', 'lacp', 'slaves', 'source']);
    expect(Object.keys(view.bonds[0]!.kernel!.slaves[0]!)).toEqual(['name', 'index', 'state', 'mii', 'carrier', 'speedMbps', 'duplex', 'linkFailureCount', 'permMac', 'queueId', 'options', 'lacp']);
    // --socket sends the command through yargs instead of the fast path.
    expect(await h.run('status', '--json', '--socket', '/tmp/none.sock')).toBe(0);
    expect(h.stdout).toBe(fast);
    expect(await h.run('status', 'bond0')).toBe(0);
    expect(h.stdout).toMatch(/^bondd is not running: showing kernel state only\nbond0: active-backup/);
  });

  it('with bondd: its knowledge merged per bond, bonds only bondd knows included', async () => {
    const lastFailover = { t: 1, seq: 1, kind: 'failover', bond: 'bond0', message: 'm' };
    const h = harness({
      bonds: [activeBackup()],
      daemon: {
        status: () => [
          { name: 'bond0', configured: true, backend: 'sysfs', drift: { policy: 'warn', differences: [] }, pendingSlaves: [], lastFailover, kernel: activeBackup() },
          { name: 'bond5', configured: true, backend: 'netlink', drift: { policy: 'warn', differences: [] }, pendingSlaves: ['eth9'], lastFailover: null, kernel: null },
        ],
      },
    });
    expect(await h.run('status', '--json')).toBe(0);
    const view = JSON.parse(h.stdout) as StatusView;
    expect(view.bondd).toEqual({ running: true, note: null });
    expect(view.bonds.map((b) => b.name)).toEqual(['bond0', 'bond5']);
    expect(view.bonds[0]!.bondd).toEqual({ configured: true, backend: 'sysfs', drift: { policy: 'warn', differences: [] }, pendingSlaves: [], lastFailover });
    expect(view.bonds[1]!.kernel).toBeNull();
  });

  it('list and show', async () => {
    const h = harness({ bonds: [activeBackup()] });
    expect(await h.run('list', '--json')).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual({ bonds: [{ name: 'bond0', mode: 'active-backup', state: 'up', activeSlave: 'eth1', slaves: 2, slavesUp: 1 }] });
    expect(await h.run('show', 'bond0', '--json')).toBe(0);
    expect(JSON.parse(h.stdout).source).toEqual({ backend: 'netlink', procfs: false });
    expect(await h.run('show', 'bond0')).toBe(0);
    expect(h.stdout).toMatch(/other options: /);
  });
});
