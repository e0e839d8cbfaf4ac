/**
 * Probe agent against the host kernel: two namespaces joined by a plain veth pair (no bonding),
 * a reflector in one and the probe stream in the other. Needs root, netns and veth.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNamespace, waitFor, type Namespace } from '../netns/index.js';
import { nowMs, probeAgentPath, ProbeAgentError, runProbe, startReflector, type ReflectorHandle } from '../../src/drill/probe.js';
import { analyze, type DrillEvent } from '../../src/drill/analysis.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Compiles only the agent (it imports nothing but Node built-ins) when dist lacks it or is stale. */
async function ensureAgentBuilt(): Promise<void> {
  try {
    probeAgentPath();
    return;
  } catch (error) {
    if (!(error instanceof ProbeAgentError)) throw error;
  }
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  await run(
    process.execPath,
    [tsc, '--outDir', 'dist', '--rootDir', '.', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--strict', '--skipLibCheck', '--types', 'node', '--sourceMap', 'src/drill/probe-agent.ts'],
    { cwd: root, timeout: 120_000 },
  );
  probeAgentPath();
}

async function operUp(ns: Namespace, dev: string): Promise<boolean> {
  const [link] = await ns.ipJson<Array<{ operstate: string }>>('link', 'show', 'dev', dev);
  return link?.operstate === 'UP';
}

async function mac(ns: Namespace, dev: string): Promise<string> {
  const [link] = await ns.ipJson<Array<{ address: string }>>('link', 'show', 'dev', dev);
  if (!link?.address) throw new Error(`${dev}: no MAC address in ${ns.name}`);
  return link.address;
}

describe('drill probe stream over a veth pair', () => {
  let a: Namespace;
  let b: Namespace;
  let reflector: ReflectorHandle;
  let reflector6: ReflectorHandle;

  beforeAll(async () => {
    await ensureAgentBuilt();
    a = await useNamespace('proba');
    b = await useNamespace('probb');
    // Created inside A with its peer placed straight into B: nothing appears in the host namespace.
    await a.ip('link', 'add', 'name', 'pa0', 'type', 'veth', 'peer', 'name', 'pb0', 'netns', b.name);
    await a.ip('addr', 'add', '192.0.2.1/24', 'dev', 'pa0');
    await b.ip('addr', 'add', '192.0.2.2/24', 'dev', 'pb0');
    await a.ip('addr', 'add', '2001:db8:b0::1/64', 'dev', 'pa0', 'nodad');
    await b.ip('addr', 'add', '2001:db8:b0::2/64', 'dev', 'pb0', 'nodad');
    // IPv6 addresses are flushed when a link goes admin-down unless keep_addr_on_down is set.
    await b.sysctl('net/ipv6/conf/pb0/keep_addr_on_down', '1');
    await a.ip('link', 'set', 'pa0', 'up');
    await b.ip('link', 'set', 'pb0', 'up');
    await waitFor(async () => (await operUp(a, 'pa0')) && (await operUp(b, 'pb0')), 'veth pair up');
    // Permanent neighbours: losing carrier flushes dynamic entries, and probes sent afterwards
    // wait in the queue of an unresolved entry until the next ARP retransmit (~1 s), which
    // would stretch the outage this test measures. The drill itself does not pin them.
    const macA = await mac(a, 'pa0');
    const macB = await mac(b, 'pb0');
    await a.ip('neigh', 'replace', '192.0.2.2', 'lladdr', macB, 'dev', 'pa0', 'nud', 'permanent');
    await a.ip('neigh', 'replace', '2001:db8:b0::2', 'lladdr', macB, 'dev', 'pa0', 'nud', 'permanent');
    await b.ip('neigh', 'replace', '192.0.2.1', 'lladdr', macA, 'dev', 'pb0', 'nud', 'permanent');
    await b.ip('neigh', 'replace', '2001:db8:b0::1', 'lladdr', macA, 'dev', 'pb0', 'nud', 'permanent');
    reflector = await startReflector({ netns: b.name, bind: '192.0.2.2:0', maxSeconds: 60 });
    reflector6 = await startReflector({ netns: b.name, bind: '[2001:db8:b0::2]:0', maxSeconds: 60 });
    return async () => {
      await Promise.allSettled([reflector?.stop(), reflector6?.stop()]);
    };
  }, 150_000);

  it('reflectors report where they are bound', () => {
    expect(reflector.bound).toMatch(/^192\.0\.2\.2:\d+$/);
    expect(reflector.bound).not.toBe('192.0.2.2:0');
    expect(reflector6.bound).toMatch(/^\[2001:db8:b0::2\]:\d+$/);
  });

  it('streams 1000 probes/s with no loss and an accurate rate', async () => {
    const probe = runProbe({ netns: a.name, to: reflector.bound, rate: 1000, count: 2000, maxSeconds: 10 });
    const started = await probe.started;
    const result = await probe.done;
    expect(result.startMs).toBeCloseTo(started, 2);
    expect(Math.abs(result.startMs - nowMs())).toBeLessThan(15_000);
    expect(result).toMatchObject({ sent: 2000, count: 2000, stoppedBy: 'count', to: reflector.bound });
    expect(result.received).toBeGreaterThanOrEqual(0.99 * result.sent);
    expect(result.achievedHz).toBeGreaterThan(900);
    expect(result.achievedHz).toBeLessThan(1100);
    expect(result.sendUs).toHaveLength(2000);
    expect(result.recvUs).toHaveLength(2000);
    expect(result.sendUs[1999]! / 1000).toBeGreaterThan(1800);
    console.log(`1000 pps: achieved ${result.achievedHz} Hz, lateness p50/p99/max ${result.pacing.lateP50Us}/${result.pacing.lateP99Us}/${result.pacing.lateMaxUs} µs, cpu ${result.cpuMs} ms`);
  }, 20_000);

  it('streams over IPv6', async () => {
    const result = await runProbe({ netns: a.name, to: reflector6.bound, bind: '2001:db8:b0::1', rate: 1000, count: 500, maxSeconds: 5 }).done;
    expect(result.sent).toBe(500);
    expect(result.received).toBeGreaterThanOrEqual(495);
  }, 15_000);

  it('measures a ~300 ms outage when the veth peer goes down', async () => {
    const probe = runProbe({ netns: a.name, to: reflector.bound, rate: 1000, count: 2500, maxSeconds: 10 });
    const events: DrillEvent[] = [];
    try {
      const started = await probe.started;
      await sleep(Math.max(0, started + 900 - nowMs()));
      events.push({ t: nowMs(), kind: 'cut', nic: 'pb0' });
      await b.ip('link', 'set', 'pb0', 'down');
      events.push({ t: nowMs(), kind: 'carrier-down', nic: 'pb0' });
      await sleep(300);
      events.push({ t: nowMs(), kind: 'restore', nic: 'pb0' });
      await b.ip('link', 'set', 'pb0', 'up');
      events.push({ t: nowMs(), kind: 'carrier-up', nic: 'pb0' });
    } finally {
      await b.ip('link', 'set', 'pb0', 'up');
    }
    const result = await probe.done;
    const analysis = analyze(result, events);
    const big = analysis.lossWindows.filter((w) => w.lost >= 10);
    expect(big).toHaveLength(1);
    const w = big[0]!;
    expect(w.durationMs).toBeGreaterThanOrEqual(200);
    expect(w.durationMs).toBeLessThanOrEqual(600);
    expect(w.recovered).toBe(true);
    const expected = (w.durationMs * result.achievedHz) / 1000;
    expect(Math.abs(w.lost - expected)).toBeLessThanOrEqual(0.05 * expected + 3);
    expect(w.startMs).toBeGreaterThanOrEqual(events[0]!.t - analysis.intervalMs);
    expect(w.startMs).toBeLessThan(events[2]!.t);
    const [cut, restore] = analysis.faults;
    expect(cut).toMatchObject({ kind: 'cut', nic: 'pb0', recovered: true, detectedBy: 'carrier-down' });
    expect(cut!.downtimeMs).toBe(w.durationMs);
    // Loss is charged by send time: probes sent after the restore event (while `ip link set up`
    // is still running) belong to the restore.
    expect(cut!.lost + restore!.lost).toBeGreaterThanOrEqual(w.lost);
    expect(restore!.detectedBy).toBe('carrier-up');
    expect(analysis.totals.lost - w.lost).toBeLessThanOrEqual(0.01 * result.sent);
    expect(analysis.totals.late).toBe(0);
    console.log(`outage: window ${w.durationMs} ms, lost ${w.lost} (expected ${expected.toFixed(0)}), fault→loss ${(w.startMs - events[0]!.t).toFixed(1)} ms, restore→recovery ${(w.endMs - events[2]!.t).toFixed(1)} ms`);
  }, 20_000);

  it('stops early on stop() and still reports', async () => {
    const probe = runProbe({ netns: a.name, to: reflector.bound, rate: 1000, count: 20_000, maxSeconds: 30, pacing: 'sleep' });
    await probe.started;
    await sleep(500);
    probe.stop();
    const result = await probe.done;
    expect(result.stoppedBy).toBe('signal');
    expect(result.sent).toBeGreaterThan(300);
    expect(result.sent).toBeLessThan(2000);
    expect(result.received).toBeGreaterThanOrEqual(result.sent - 2);
    expect(result.sendUs).toHaveLength(result.sent);
  }, 15_000);

  it('ends at max-seconds', async () => {
    const t0 = Date.now();
    const result = await runProbe({ netns: a.name, to: reflector.bound, rate: 1000, count: 100_000, maxSeconds: 0.5, pacing: 'timer' }).done;
    expect(result.stoppedBy).toBe('max-seconds');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(result.sent).toBeGreaterThan(300);
    expect(result.sent).toBeLessThanOrEqual(520);
  }, 15_000);

  it('fails clearly when the agent cannot bind', async () => {
    await expect(startReflector({ netns: a.name, bind: '198.51.100.99:9000', maxSeconds: 5 })).rejects.toThrow(/198\.51\.100\.99:9000.*EADDRNOTAVAIL/);
  }, 15_000);

  it('rejects an invalid namespace name before spawning anything', () => {
    expect(() => runProbe({ netns: '../etc', to: '192.0.2.2:9', rate: 1, count: 1, maxSeconds: 1 })).toThrow(ProbeAgentError);
  });
});
