/**
 * `bondctl drill --vlan ID --bridge` on the real driver (guest): the probe stream runs over VLAN
 * 100 on the bond and through a bridge on it (tagged up to the switch, whose VLAN device
 * answers), so the report shows that the whole stack survives failover: carrier loss on the
 * active NIC costs no more than on the bare bond, and the stream recovers.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { DRILL_BRIDGE, runDrillWithData } from '../../src/drill/drill.js';
import { probeAgentPath } from '../../src/drill/probe.js';
import { formatReport, reportShapeProblems, type DrillReport } from '../../src/drill/report.js';

const T = 600_000;
const TCG_SLACK_MS = 150;
const log = (m: string): void => void process.stderr.write(`drill-stack-test: ${m}\n`);

describe('failover drill over a VLAN and a bridge on the bond (real driver)', () => {
  let report: DrillReport;

  beforeAll(async () => {
    probeAgentPath();
    for (let attempt = 1; attempt <= 3; attempt++) {
      report = (await runDrillWithData({ mode: 'active-backup', vlan: 100, bridge: true, faults: ['carrier-loss', 'restore'], onProgress: (m) => log(m) })).report;
      log(formatReport(report));
      if (report.quality.ok) break;
    }
  }, T);

  it('probes went over bond0.100 and the bridge on it', () => {
    expect(report.quality.problems).toEqual([]);
    expect(reportShapeProblems(report)).toEqual([]);
    expect(report.bond.stack).toEqual({ vlan: 100, bridge: DRILL_BRIDGE, device: DRILL_BRIDGE });
    expect(formatReport(report)).toContain(`probes over the bond's stack: VLAN 100 → bridge ${DRILL_BRIDGE} (address on ${DRILL_BRIDGE})`);
  });

  it('carrier loss on the active NIC: failover within miimon (plus slack), the stack keeps passing traffic', () => {
    const [cut, restore] = report.faults;
    expect(cut).toMatchObject({ nic: 'eth0', activeBefore: 'eth0', activeAfter: 'eth1', newActive: 'eth1', detectedBy: 'mii-down', recovered: true });
    expect(cut!.downtimeMs).toBeLessThanOrEqual(report.bond.miimon + TCG_SLACK_MS);
    expect(restore).toMatchObject({ step: 'restore', nic: 'eth0', activeAfter: 'eth0', recovered: true });
    expect(report.lossWindows.every((w) => w.recovered)).toBe(true);
  });
});
