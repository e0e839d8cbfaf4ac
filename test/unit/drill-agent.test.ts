import { describe, expect, it } from 'vitest';
import {
  decodeProbe,
  dueCount,
  encodeProbe,
  formatEndpoint,
  parseAgentArgs,
  parseEndpoint,
  PROBE_HEADER_BYTES,
  ProbeRecorder,
  UsageError,
} from '../../src/drill/probe-agent.js';

describe('parseEndpoint', () => {
  it('parses IPv4 and bracketed IPv6 endpoints', () => {
    expect(parseEndpoint('192.0.2.2:9000')).toEqual({ address: '192.0.2.2', port: 9000, family: 4 });
    expect(parseEndpoint('[2001:db8::2]:9000')).toEqual({ address: '2001:db8::2', port: 9000, family: 6 });
  });

  it('accepts a bare address where the port is optional', () => {
    expect(parseEndpoint('198.51.100.7', true)).toEqual({ address: '198.51.100.7', port: 0, family: 4 });
    expect(parseEndpoint('2001:db8::1', true)).toEqual({ address: '2001:db8::1', port: 0, family: 6 });
    expect(parseEndpoint('[2001:db8::1]', true)).toEqual({ address: '2001:db8::1', port: 0, family: 6 });
    expect(parseEndpoint('203.0.113.1:0', true).port).toBe(0);
  });

  it('rejects bad endpoints with a usage error', () => {
    for (const bad of ['192.0.2.2', 'host:80', '192.0.2.2:70000', '192.0.2.2:0', '2001:db8::1', '[2001:db8::1]:x', '192.0.2.2:-1']) {
      expect(() => parseEndpoint(bad), bad).toThrow(UsageError);
    }
  });

  it('formats endpoints back', () => {
    expect(formatEndpoint({ address: '2001:db8::2', port: 7 })).toBe('[2001:db8::2]:7');
    expect(formatEndpoint({ address: '192.0.2.2', port: 7 })).toBe('192.0.2.2:7');
  });
});

describe('parseAgentArgs', () => {
  it('parses send with defaults', () => {
    const o = parseAgentArgs(['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '2000', '--max-seconds', '5']);
    expect(o).toMatchObject({ mode: 'send', rate: 1000, count: 2000, maxSeconds: 5, drainMs: 200, pacing: 'spin', size: PROBE_HEADER_BYTES, ready: false });
    expect(o.mode === 'send' && o.runId.length).toBe(8);
  });

  it('parses send options', () => {
    const o = parseAgentArgs([
      'send', '--to', '[2001:db8::2]:9', '--bind', '2001:db8::1', '--rate', '2000', '--count', '10', '--max-seconds', '1',
      '--pacing', 'sleep', '--size', '100', '--run-id', '00112233445566ff', '--drain-ms', '50', '--ready',
    ]);
    expect(o).toMatchObject({ mode: 'send', pacing: 'sleep', size: 100, drainMs: 50, ready: true, bind: { address: '2001:db8::1', port: 0 } });
    expect(o.mode === 'send' && o.runId.toString('hex')).toBe('00112233445566ff');
  });

  it('parses reflect with a default time limit', () => {
    expect(parseAgentArgs(['reflect', '--bind', '192.0.2.2:9000', '--ready'])).toMatchObject({ mode: 'reflect', maxSeconds: 60, ready: true });
  });

  it('rejects bad command lines', () => {
    const bad = [
      [],
      ['bounce'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10'], // no --max-seconds
      ['send', '--to', '192.0.2.2:9000', '--rate', '0', '--count', '10', '--max-seconds', '1'],
      ['send', '--to', '192.0.2.2:9000', '--rate', 'fast', '--count', '10', '--max-seconds', '1'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10', '--max-seconds', '1', '--pacing', 'busy'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10', '--max-seconds', '1', '--bind', '2001:db8::1'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10', '--max-seconds', '1', '--size', '8'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10', '--max-seconds', '1', '--run-id', 'xyz'],
      ['send', '--to', '192.0.2.2:9000', '--rate', '1000', '--count', '10', '--max-seconds', '1', '--bogus'],
      ['reflect'],
      ['reflect', '--bind', '192.0.2.2:9000', '--rate', '10'],
    ];
    for (const argv of bad) expect(() => parseAgentArgs(argv), argv.join(' ')).toThrow(UsageError);
  });
});

describe('probe packets', () => {
  const runId = Buffer.from('0011223344556677', 'hex');

  it('round-trips sequence numbers of this run', () => {
    const p = encodeProbe(123456, 987654321012345n, runId);
    expect(p.length).toBe(PROBE_HEADER_BYTES);
    expect(p.readBigUInt64BE(8)).toBe(987654321012345n);
    expect(decodeProbe(p, runId)).toBe(123456);
    expect(decodeProbe(encodeProbe(5, 1n, runId, 200), runId)).toBe(5);
  });

  it('rejects other runs and short datagrams', () => {
    const p = encodeProbe(1, 1n, runId);
    expect(decodeProbe(p, Buffer.from('0011223344556678', 'hex'))).toBe(-1);
    expect(decodeProbe(p.subarray(0, 20), runId)).toBe(-1);
  });
});

describe('dueCount', () => {
  it('counts the probes due at a given time, capped at the count', () => {
    expect(dueCount(0n, 1000, 10)).toBe(1);
    expect(dueCount(999_999n, 1000, 10)).toBe(1);
    expect(dueCount(1_000_000n, 1000, 10)).toBe(2);
    expect(dueCount(2_600_000n, 2000, 100)).toBe(6);
    expect(dueCount(60_000_000_000n, 1000, 10)).toBe(10);
    expect(dueCount(-5n, 1000, 10)).toBe(0);
  });
});

describe('ProbeRecorder', () => {
  it('counts duplicates, reordering and foreign echoes', () => {
    const r = new ProbeRecorder(4);
    expect([r.recordSend(0), r.recordSend(1000), r.recordSend(2000)]).toEqual([0, 1, 2]);
    r.recordEcho(1, 1100);
    r.recordEcho(0, 1200); // reordered
    r.recordEcho(0, 1300); // duplicate
    r.recordEcho(3, 1400); // never sent
    r.recordEcho(-1, 1500); // not ours
    expect(r).toMatchObject({ sent: 3, received: 2, duplicates: 1, reordered: 1, foreign: 2, complete: false });
    expect(Array.from(r.recvUs)).toEqual([1200, 1100, -1, -1]);
    r.recordEcho(2, 2100);
    expect(r.complete).toBe(true);
  });
});
