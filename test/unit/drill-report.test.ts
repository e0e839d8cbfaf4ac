/**
 * The drill's report (src/drill/report.ts) built from a synthetic analysis, its JSON shape and
 * table; the pure parts of src/drill/drill.ts (options, schedule, helpers); and `bondctl drill`
 * (src/cli/commands/drill.ts) with fake dependencies: argument checks, in-process and in-VM runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { analyze, type DrillEvent } from '../../src/drill/analysis.js';
import type { ProbeResult } from '../../src/drill/probe-agent.js';
import {
  assessQuality,
  buildReport,
  formatReport,
  reportShapeProblems,
  reportToJson,
  windowBounds,
  type DrillReport,
  type InjectedFault,
} from '../../src/drill/report.js';
import {
  defaultFaults,
  DrillOptionError,
  normalizeDrillOptions,
  parseUdpCounters,
  slotMs,
  sliceProbe,
  type DrillOutcome,
} from '../../src/drill/drill.js';
import { epochError } from '../../src/drill/clocked-agent.js';
import { runDrillCommand, expandResultsPath, type DrillArgs, type DrillCommandDeps } from '../../src/cli/commands/drill.js';

const START = 1_800_000_000_000.5;
const at = (ms: number): number => START + ms;

/** A 1 kHz stream of n probes (probe i sent at i ms, echoed 0.2 ms later) with `lost` missing. */
function stream(n: number, lost: (seq: number) => boolean): ProbeResult {
  const sendUs = Array.from({ length: n }, (_, i) => i * 1000);
  const recvUs = sendUs.map((s, i) => (lost(i) ? -1 : s + 200));
  return {
    version: 1,
    mode: 'send',
    runId: '0011223344556677',
    to: '192.0.2.254:7007',
    rateHz: 1000,
    achievedHz: 1000,
    count: n,
    sent: n,
    received: recvUs.filter((r) => r >= 0).length,
    duplicates: 0,
    reordered: 0,
    foreign: 0,
    sendErrors: 0,
    startMs: START,
    endUs: n * 1000,
    stoppedBy: 'count',
    pacing: { mode: 'sleep', lateP50Us: 10, lateP99Us: 40, lateMaxUs: 90 },
    cpuMs: 100,
    sendUs,
    recvUs,
  };
}

/**
 * Active-backup story: eth0 loses carrier at 1000 ms, the bond sees it at 1060 and fails over
 * to eth1 (probes 1000..1059 lost); eth0 returns at 2000, is up after updelay at 2230 and takes
 * over again (probe 2231 lost); eth1 (backup) fails at 3000 without loss.
 */
function scenario(): { probe: ProbeResult; events: DrillEvent[]; injected: InjectedFault[] } {
  const probe = stream(4000, (i) => (i >= 1000 && i < 1060) || i === 2231);
  const injected: InjectedFault[] = [
    { step: 'carrier-loss', kind: 'carrier-loss', label: 'carrier loss eth0 (active)', nic: 'eth0', t: at(1000), injectMs: 0.8, activeBefore: 'eth0', activeAfter: 'eth1' },
    { step: 'restore', kind: 'restore', label: 'restore eth0', nic: 'eth0', t: at(2000), injectMs: 0.7, activeBefore: 'eth1', activeAfter: 'eth0' },
    { step: 'backup-loss', kind: 'carrier-loss', label: 'carrier loss eth1 (backup)', nic: 'eth1', t: at(3000), injectMs: 0.9, activeBefore: 'eth0', activeAfter: 'eth0' },
  ];
  const events: DrillEvent[] = [
    ...injected.map((f) => ({ t: f.t, kind: f.kind, nic: f.nic, label: f.label })),
    { t: at(1000.4), kind: 'nic-carrier-off', nic: 'eth0' },
    { t: at(1060), kind: 'mii-down', nic: 'eth0' },
    { t: at(1060.2), kind: 'failover', nic: 'eth1', newActive: 'eth1' },
    { t: at(2000.3), kind: 'nic-carrier-on', nic: 'eth0' },
    { t: at(2230), kind: 'mii-up', nic: 'eth0' },
    { t: at(2230.5), kind: 'failback', nic: 'eth0', newActive: 'eth0' },
    { t: at(3050), kind: 'mii-down', nic: 'eth1' },
  ];
  return { probe, events, injected };
}

function report(): DrillReport {
  const { probe, events, injected } = scenario();
  return buildReport({
    startedAt: new Date('2027-01-15T10:00:00Z'),
    finishedAt: new Date('2027-01-15T10:00:21.5Z'),
    setupMs: 9000,
    kernel: '6.1.0-56-amd64',
    node: 'v20.19.0',
    where: 'guest',
    bond: { name: 'bond0', mode: 'active-backup', slaves: ['eth0', 'eth1'], miimon: 100, updelay: 200, downdelay: 0, primary: 'eth0', options: { miimon: 100, updelay: 200, primary: 'eth0' } },
    probe: { from: '192.0.2.1', to: probe.to, rateHz: 1000, count: probe.count, sent: probe.sent, pacing: 'sleep', stoppedBy: 'count', reflector: 'tc', rcvbufErrors: 0, sendErrors: 0, pacingLateP99Ms: 0.04, warmupMs: 1000, warmupProbes: 500, clockCorrectionMs: 0.1 },
    analysis: analyze(probe, events),
    stream: probe,
    injected,
    events,
    warnings: ['an example warning'],
  });
}

describe('buildReport', () => {
  const r = report();

  it('has the documented JSON shape, also after a JSON round trip', () => {
    expect(reportShapeProblems(r)).toEqual([]);
    const parsed: unknown = JSON.parse(reportToJson(r));
    expect(reportShapeProblems(parsed)).toEqual([]);
    expect(parsed).toEqual(r);
    expect(Object.keys(r)).toEqual([
      'version', 'startedAt', 'finishedAt', 'runtimeMs', 'setupMs', 'kernel', 'node', 'where', 'bond', 'probe', 'quality', 'faults', 'totals', 'lossWindows', 'events', 'warnings',
    ]);
    expect(r.quality).toEqual({ ok: true, problems: [] });
    expect(r).toMatchObject({ version: 1, runtimeMs: 21_500, setupMs: 9000, kernel: '6.1.0-56-amd64', where: 'guest' });
    expect(r.probe).toMatchObject({ from: '192.0.2.1', rateHz: 1000, achievedHz: 1000, sent: 4000, reflector: 'tc', startMs: START, lateAfterMs: 250 });
  });

  it('carrier loss: detection, failover, loss and downtime, the new active slave', () => {
    expect(r.faults[0]).toMatchObject({
      index: 0,
      step: 'carrier-loss',
      label: 'carrier loss eth0 (active)',
      nic: 'eth0',
      atMs: 1000,
      detectionMs: 60,
      detectedBy: 'mii-down',
      failoverMs: 60.2,
      newActive: 'eth1',
      lost: 60,
      lossWindows: 1,
      downtimeMs: 60,
      downtimeMinMs: 59,
      downtimeMaxMs: 61,
      rttBeforeMs: 0.2,
      recovered: true,
      activeBefore: 'eth0',
      activeAfter: 'eth1',
    });
  });

  it('restore: detection after updelay, failback to the primary', () => {
    expect(r.faults[1]).toMatchObject({ step: 'restore', detectionMs: 230, detectedBy: 'mii-up', failoverMs: 230.5, newActive: 'eth0', lost: 1, downtimeMs: 1, activeAfter: 'eth0' });
  });

  it('backup loss: detected, no failover, nothing lost', () => {
    expect(r.faults[2]).toMatchObject({ step: 'backup-loss', kind: 'carrier-loss', detectionMs: 50, failoverMs: null, newActive: null, lost: 0, downtimeMs: 0, outageMs: null });
  });

  it('loss windows name their fault; events are relative to the first probe', () => {
    expect(r.lossWindows).toEqual([
      { atMs: 1000, durationMs: 60, lost: 60, late: 0, recovered: true, fault: 0 },
      { atMs: 2231, durationMs: 1, lost: 1, late: 0, recovered: true, fault: 1 },
    ]);
    expect(r.events[0]).toEqual({ atMs: 1000, kind: 'carrier-loss', nic: 'eth0', label: 'carrier loss eth0 (active)' });
    expect(r.events.map((e) => e.atMs)).toEqual([...r.events.map((e) => e.atMs)].sort((a, b) => a - b));
    expect(r.totals).toMatchObject({ sent: 4000, lost: 61, lossWindows: 2, downtimeMs: 61, unattributedLost: 0 });
  });

  it('the table: settings, one row per fault, totals, warnings', () => {
    const text = formatReport(r);
    const lines = text.split('\n');
    expect(lines[0]).toBe('failover drill: bond0 active-backup over eth0, eth1, miimon 100 ms, updelay 200 ms, downdelay 0 ms, primary eth0');
    expect(text).toMatch(/^1 +carrier loss eth0 \(active\) +1000\.0 +60\.0 +60\.2 +60\/1000 +60\.0 +60\.0 +eth0 → eth1$/m);
    expect(text).toMatch(/^2 +restore eth0 .* eth1 → eth0$/m);
    expect(text).toMatch(/^3 +carrier loss eth1 \(backup\) .* 0\/1001 +0\.0 +0\.0 +eth0 → eth0$/m);
    expect(text).toContain('probes 3939/4000 received, 61 lost (1.52%)');
    expect(text).toContain('warning: an example warning');
  });

  it('quality: a starved lab is called out', () => {
    const t = r.totals;
    expect(assessQuality(t, { rcvbufErrors: 0, sendErrors: 0 }, r.faults)).toEqual({ ok: true, problems: [] });
    const stalled = { index: 0, label: 'carrier loss eth0', downtimeMinMs: 40, downtimeMaxMs: 90, rttBeforeMs: 35 };
    // A long outage known to within 20 %: fine.
    const long = { index: 1, label: 'carrier loss eth0', downtimeMinMs: 1179, downtimeMaxMs: 1213, rttBeforeMs: 1 };
    expect(assessQuality(t, { rcvbufErrors: 0, sendErrors: 0 }, [long]).ok).toBe(true);
    const bad = assessQuality({ ...t, late: 40, unattributedLost: 30 }, { rcvbufErrors: 12, sendErrors: 0 }, [stalled], ['fault 2 (restore) was injected 300 ms late (busy CPU)']);
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual([
      "12 echoes dropped by the probe socket's full receive buffer",
      '40 of 4000 probes (1.00%) came back late',
      '30 of 4000 probes (0.75%) lost outside any fault',
      'fault 1 (carrier loss eth0): probes were queueing in the kernel (35 ms round trip just before it), its times are that uncertain',
      'fault 1 (carrier loss eth0): the downtime is only known to be 40-90 ms (the probe agent stalled around it)',
      'fault 2 (restore) was injected 300 ms late (busy CPU)',
    ]);
    expect(formatReport({ ...r, quality: bad })).toContain('the lab did not measure cleanly; treat the figures as upper bounds: 12 echoes dropped');
  });

  it('reportShapeProblems names what is wrong', () => {
    const broken = JSON.parse(reportToJson(r)) as Record<string, unknown>;
    delete (broken['bond'] as Record<string, unknown>)['miimon'];
    ((broken['faults'] as unknown[])[0] as Record<string, unknown>)['detectionMs'] = 'soon';
    broken['version'] = 2;
    expect(reportShapeProblems(broken)).toEqual([
      'version: expected 1',
      'bond.miimon: expected number, got undefined',
      'faults[0].detectionMs: expected number or null, got string',
    ]);
    expect(reportShapeProblems([])).toEqual(['report: expected an object']);
  });
});

describe('drill options and schedule', () => {
  it('defaults: active-backup, 2 NICs, miimon 100, updelay 2 x miimon, 1000 pps, six faults', () => {
    const o = normalizeDrillOptions({});
    expect(o).toMatchObject({ mode: 'active-backup', nics: 2, miimon: 100, updelay: 200, downdelay: 0, rate: 1000, pacing: 'sleep' });
    expect(o.faults.map((f) => f.step)).toEqual(['carrier-loss', 'restore', 'backup-loss', 'restore', 'flap', 'nic-delete']);
    expect(normalizeDrillOptions({ miimon: 50 }).updelay).toBe(100);
    expect(defaultFaults('balance-rr', 1)).toEqual(['carrier-loss', 'restore', 'flap']);
  });

  it('rejects bad input naming the option', () => {
    expect(() => normalizeDrillOptions({ nics: 0 })).toThrow(DrillOptionError);
    expect(() => normalizeDrillOptions({ nics: 2.5 })).toThrow(/nics must be an integer from 1 to 8/);
    expect(() => normalizeDrillOptions({ mode: 'round-robin' as never })).toThrow(/mode must be one of/);
    expect(() => normalizeDrillOptions({ updelay: 150 })).toThrow(/updelay 150 must be a multiple of miimon 100/);
    expect(() => normalizeDrillOptions({ rate: 10 })).toThrow(/rate must be an integer from 50/);
    expect(() => normalizeDrillOptions({ faults: ['unplug' as never] })).toThrow(/unknown step "unplug"/);
    expect(() => normalizeDrillOptions({ faults: [] })).toThrow(/1 to 20 steps/);
    expect(() => normalizeDrillOptions({ faults: [{ step: 'flap', nic: '../x' }] })).toThrow(/nic must be/);
    expect(() => normalizeDrillOptions({ vlan: 4095 })).toThrow(/vlan must be an integer from 1 to 4094/);
    expect(() => normalizeDrillOptions({ vlan: 0 })).toThrow(/vlan must be an integer from 1 to 4094/);
  });

  it('--vlan and --bridge: the stack the probes go through (none by default)', () => {
    expect(normalizeDrillOptions({})).toMatchObject({ vlan: null, bridge: false });
    expect(normalizeDrillOptions({ vlan: 100, bridge: true })).toMatchObject({ vlan: 100, bridge: true });
  });

  it('slots leave room for detection, updelay and (802.3ad) LACP', () => {
    const o = normalizeDrillOptions({});
    expect(slotMs({ step: 'carrier-loss' }, o)).toBe(1000);
    expect(slotMs({ step: 'restore' }, o)).toBe(1200); // updelay 200 + 3 miimon + 700
    expect(slotMs({ step: 'flap' }, o)).toBe(6 * 150 + 1200);
    expect(slotMs({ step: 'restore' }, { ...o, mode: '802.3ad' })).toBe(4000);
    expect(slotMs({ step: 'carrier-loss' }, { ...o, miimon: 500, downdelay: 1000 })).toBe(3000);
  });

  it('windowBounds: a stall around the window widens the bounds', () => {
    const p = stream(10, () => false);
    p.sendUs = [0, 1000, 2000, 40_000, 41_000, 42_000, 43_000, 90_000, 91_000, 92_000];
    // Lost 3..6: sent 40..43 ms; the neighbours were sent at 2 and 90 ms.
    expect(windowBounds(p, { firstSeq: 3, lastSeq: 6, durationMs: 50 })).toEqual({ minMs: 3, maxMs: 88 });
    // At the edges of the stream there is no neighbour: the window itself bounds it.
    expect(windowBounds(p, { firstSeq: 0, lastSeq: 1, durationMs: 2 })).toEqual({ minMs: 1, maxMs: 2 });
  });

  it('sliceProbe keeps the probes sent in a time range, re-based to the first kept one', () => {
    const p = stream(100, (i) => i % 10 === 0);
    const cut = sliceProbe(p, at(20), at(49.5));
    expect(cut.sent).toBe(30);
    expect(cut.startMs).toBeCloseTo(at(20), 6);
    expect(cut.sendUs.slice(0, 3)).toEqual([0, 1000, 2000]);
    expect(cut.recvUs.slice(0, 3)).toEqual([-1, 1200, 2200]); // probe 20 was lost
    expect(cut.received).toBe(27);
    expect(sliceProbe(p, at(-5), Infinity)).toBe(p);
    expect(sliceProbe(p, at(50), Infinity).sent).toBe(50);
  });

  it('epochError: this process\'s epoch clock against Date.now(), a small finite number', () => {
    const e = epochError(20);
    expect(Number.isFinite(e)).toBe(true);
    expect(Math.abs(e)).toBeLessThan(100);
  });

  it('parseUdpCounters reads the Udp lines of /proc/net/snmp', () => {
    const snmp = [
      'Ip: Forwarding DefaultTTL',
      'Ip: 2 64',
      'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors',
      'Udp: 9000 0 12 9050 12 0 0 0 0',
      'UdpLite: InDatagrams NoPorts',
      'UdpLite: 0 0',
    ].join('\n');
    expect(parseUdpCounters(snmp)).toMatchObject({ InDatagrams: 9000, InErrors: 12, RcvbufErrors: 12 });
    expect(parseUdpCounters('nothing')).toBeNull();
  });
});

describe('bondctl drill (fake dependencies)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bondd-drill-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const args = (more: Partial<DrillArgs> = {}): DrillArgs => ({ mode: 'active-backup', nics: 2, miimon: 100, rate: 1000, json: false, reflector: 'auto', where: 'auto', table: true, ...more });

  function fakes(over: Partial<DrillCommandDeps> = {}): DrillCommandDeps & { stdout: string[]; stderr: string[]; calls: unknown[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const calls: unknown[] = [];
    const outcome: DrillOutcome = { report: report(), probe: scenario().probe, events: scenario().events, analysis: analyze(scenario().probe, scenario().events), svg: () => '<svg/>' };
    return {
      stdout,
      stderr,
      calls,
      out: (t) => void stdout.push(t),
      err: (t) => void stderr.push(t),
      env: {},
      hostHasBonding: () => true,
      runDrill: async (o) => {
        calls.push(o);
        o.onProgress?.('working');
        return outcome;
      },
      runInGuest: async () => {
        throw new Error('not expected');
      },
      cliPath: () => '/checkout/dist/src/cli/main.js',
      ...over,
    };
  }

  it('runs in-process when the kernel has bonding: table on stdout, SVG and JSON files', async () => {
    const d = fakes();
    const svg = join(dir, 'a.svg');
    const json = join(dir, 'a.json');
    await runDrillCommand(args({ svg, 'json-file': json, updelay: 300, miimon: 100 }), d);
    expect(d.calls).toHaveLength(1);
    expect(d.calls[0]).toMatchObject({ mode: 'active-backup', nics: 2, miimon: 100, updelay: 300, rate: 1000, reflector: 'auto' });
    expect(d.stdout.join('')).toContain('failover drill: bond0 active-backup');
    expect(d.stderr.join('')).toContain('drill: working');
    expect(d.stderr.join('')).toContain(`timeline written to ${svg}`);
    expect(readFileSync(svg, 'utf8')).toBe('<svg/>');
    expect(reportShapeProblems(JSON.parse(readFileSync(json, 'utf8')))).toEqual([]);
  });

  it('--json prints the report as JSON', async () => {
    const d = fakes();
    await runDrillCommand(args({ json: true }), d);
    expect(reportShapeProblems(JSON.parse(d.stdout.join('')))).toEqual([]);
  });

  it('bad input is a UsageError (exit 2) and nothing runs', async () => {
    for (const bad of [{ nics: 0 }, { miimon: 5 }, { updelay: 250 }, { rate: Number.NaN }, { mode: 'fast' }, { svg: join(dir, 'missing', 'x.svg') }, { svg: dir }]) {
      const d = fakes();
      await expect(runDrillCommand(args(bad), d), JSON.stringify(bad)).rejects.toMatchObject({ name: 'UsageError' });
      expect(d.calls).toHaveLength(0);
    }
    await expect(runDrillCommand(args({ nics: 9 }), fakes())).rejects.toThrow(/^--nics must be an integer from 1 to 8/);
  });

  it('a drill that fails is CommandFailed (exit 1)', async () => {
    const d = fakes({ runDrill: async () => Promise.reject(Object.assign(new Error('bond0: not ready in time'), { name: 'DrillError' })) });
    await expect(runDrillCommand(args(), d)).rejects.toMatchObject({ name: 'CommandFailed', message: 'drill failed: bond0: not ready in time' });
  });

  it('without bonding it re-runs itself in the VM and brings the files back', async () => {
    const results = join(dir, 'guest-results');
    let argv: string[] = [];
    const d = fakes({
      hostHasBonding: () => false,
      runInGuest: async (a, opts) => {
        argv = a;
        opts.onOutput?.('drill: in the guest\n');
        mkdirSync(results, { recursive: true });
        writeFileSync(join(results, 'drill.json'), reportToJson(report()));
        writeFileSync(join(results, 'drill.svg'), '<svg>guest</svg>');
        return { code: 0, output: '', resultsDir: results };
      },
    });
    const svg = join(dir, 'b.svg');
    await runDrillCommand(args({ svg, mode: 'balance-rr', nics: 3 }), d);
    expect(argv).toEqual([
      process.execPath, '/checkout/dist/src/cli/main.js', 'drill', '--mode', 'balance-rr', '--nics', '3', '--miimon', '100',
      '--rate', '1000', '--reflector', 'auto', '--where', 'host', '--no-table',
      '--json-file', '$BONDD_RESULTS/drill.json', '--svg', '$BONDD_RESULTS/drill.svg',
    ]);
    expect(readFileSync(svg, 'utf8')).toBe('<svg>guest</svg>');
    expect(d.stdout.join('')).toContain('failover drill: bond0 active-backup');
    expect(d.stderr.join('')).toContain('drill: in the guest');
    expect(existsSync(results)).toBe(false); // the VM's results folder is removed
  });

  it('a failed VM run is CommandFailed', async () => {
    const results = join(dir, 'guest-results-2');
    const d = fakes({
      hostHasBonding: () => false,
      runInGuest: async () => {
        mkdirSync(results, { recursive: true });
        return { code: 124, output: '', resultsDir: results };
      },
    });
    await expect(runDrillCommand(args(), d)).rejects.toMatchObject({ name: 'CommandFailed', message: expect.stringContaining('exit 124, time limit') });
  });

  it('inside the VM, $BONDD_RESULTS paths point into the results folder', async () => {
    expect(expandResultsPath('$BONDD_RESULTS/drill.svg', { BONDD_RESULTS: '/run/bondd-results' })).toBe('/run/bondd-results/drill.svg');
    expect(expandResultsPath('$BONDD_RESULTS/drill.svg', {})).toBe('$BONDD_RESULTS/drill.svg');
    expect(expandResultsPath('out/$BONDD_RESULTS', { BONDD_RESULTS: '/r' })).toBe('out/$BONDD_RESULTS');
    const guestDir = join(dir, 'in-guest');
    mkdirSync(guestDir);
    const d = fakes({ env: { BONDD_IN_GUEST: '1', BONDD_RESULTS: guestDir }, hostHasBonding: () => false });
    await runDrillCommand(args({ where: 'host', table: false, svg: '$BONDD_RESULTS/drill.svg', 'json-file': '$BONDD_RESULTS/drill.json' }), d);
    expect(d.calls).toHaveLength(1);
    expect(d.stdout).toEqual([]);
    expect(readFileSync(join(guestDir, 'drill.svg'), 'utf8')).toBe('<svg/>');
    expect(existsSync(join(guestDir, 'drill.json'))).toBe(true);
  });
});
