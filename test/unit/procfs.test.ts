import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { parseProcBonding, procModeName } from '../../src/sysfs/procfs.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/procfs/${name}`, import.meta.url), 'utf8');

describe('/proc/net/bonding parser', () => {
  it('parses an active-backup bond with fail_over_mac and primary_reselect', () => {
    const bond = parseProcBonding(fixture('active-backup.txt'));
    expect(procModeName(bond)).toBe('active-backup');
    expect(bond.failOverMac).toBe('active');
    expect(bond.primarySlave).toBe('eth0');
    expect(bond.primaryReselect).toBe('better');
    expect(bond.currentlyActiveSlave).toBe('eth1');
    expect(bond.miiPollingIntervalMs).toBe(100);
    expect(bond.upDelayMs).toBe(200);
    expect(bond.slaves.map((s) => [s.name, s.miiStatus, s.linkFailureCount, s.queueId])).toEqual([
      ['eth0', 'down', 1, 0],
      ['eth1', 'up', 0, 2],
    ]);
    expect(bond.slaves[0]!.permanentHwAddr).toBe('ae:95:e0:4a:54:0f');
    expect(bond.slaves[1]!.speed).toBe('10000 Mbps');
    expect(bond.ad).toBeUndefined();
  });

  it('parses 802.3ad aggregator and per-port LACP details', () => {
    const bond = parseProcBonding(fixture('8023ad.txt'));
    expect(procModeName(bond)).toBe('802.3ad');
    expect(bond.transmitHashPolicy).toBe('layer3+4');
    expect(bond.ad?.lacpRate).toBe('fast');
    expect(bond.ad?.activeAggregator).toEqual({ aggregatorId: 1, numberOfPorts: 2, actorKey: 15, partnerKey: 15, partnerMac: '66:c4:31:60:aa:67' });
    const [e0, e1] = bond.slaves;
    expect(e0!.aggregatorId).toBe(1);
    expect(e0!.actor).toEqual({ systemPriority: 65535, systemMac: 'ae:95:e0:4a:54:0f', key: 15, portPriority: 255, portNumber: 1, portState: 63 });
    expect(e0!.partner?.systemMac).toBe('66:c4:31:60:aa:67');
    expect(e0!.partner?.portNumber).toBe(2);
    expect(e1!.aggregatorId).toBeNull();
    expect(e1!.linkFailureCount).toBe(3);
    expect(e1!.actor).toBeUndefined();
  });

  it('parses every captured fixture without leftovers', () => {
    for (const file of readdirSync(new URL('../fixtures/procfs/', import.meta.url))) {
      const bond = parseProcBonding(fixture(file));
      expect(procModeName(bond), file).toBeDefined();
      expect(bond.extra, file).toEqual({});
      for (const slave of bond.slaves) expect(slave.extra, `${file} ${slave.name}`).toEqual({});
    }
  });

  it('refuses text that is not a bonding file', () => {
    expect(() => parseProcBonding('hello\n')).toThrow(SyntaxError);
  });
});
