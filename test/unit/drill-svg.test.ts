import { describe, expect, it } from 'vitest';
import { binWidthMs, escapeXml, renderTimeline, TIMELINE_MARGIN, timelineDomain } from '../../src/drill/svg.js';
import type { DrillEvent } from '../../src/drill/analysis.js';
import type { ProbeResult } from '../../src/drill/probe-agent.js';

const START = 1_700_000_000_000;

function stream(n: number, lost: (seq: number) => boolean): ProbeResult {
  const sendUs = Array.from({ length: n }, (_, i) => i * 1000);
  const recvUs = sendUs.map((s, i) => (lost(i) ? -1 : s + 80));
  return {
    version: 1, mode: 'send', runId: '0011223344556677', to: '192.0.2.2:9000', rateHz: 1000, achievedHz: 1000, count: n,
    sent: n, received: recvUs.filter((r) => r >= 0).length, duplicates: 0, reordered: 0, foreign: 0, sendErrors: 0,
    startMs: START, endUs: n * 1000, stoppedBy: 'count', pacing: { mode: 'spin', lateP50Us: 0, lateP99Us: 0, lateMaxUs: 0 },
    cpuMs: 0, sendUs, recvUs,
  };
}

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

/** A minimal XML parser: enough to prove the output well-formed and to query it. */
function parseXml(xml: string): Element {
  let s = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: Element = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: Element[] = [root];
  const checkText = (text: string): string => {
    if (/[<>]/.test(text)) throw new Error(`raw markup character in text: ${text}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in: ${text}`);
    return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  while (s.length > 0) {
    const lt = s.indexOf('<');
    if (lt < 0) {
      if (s.trim()) throw new Error(`text after the root element: ${s}`);
      break;
    }
    if (lt > 0) stack[stack.length - 1]!.text += checkText(s.slice(0, lt));
    s = s.slice(lt);
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>/.exec(s);
    if (close) {
      const top = stack.pop();
      if (!top || top.name !== close[1]) throw new Error(`</${close[1]}> closes <${top?.name}>`);
      s = s.slice(close[0].length);
      continue;
    }
    const open = /^<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>/.exec(s);
    if (!open) throw new Error(`malformed tag at: ${s.slice(0, 60)}`);
    const attrs: Record<string, string> = {};
    for (const m of open[2]!.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (m[1]! in attrs) throw new Error(`duplicate attribute ${m[1]}`);
      attrs[m[1]!] = checkText(m[2]!);
    }
    const el: Element = { name: open[1]!, attrs, children: [], text: '' };
    stack[stack.length - 1]!.children.push(el);
    if (stack.length === 1 && root.children.length > 1) throw new Error('more than one root element');
    if (!open[3]) stack.push(el);
    s = s.slice(open[0].length);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('no root element');
  return root.children[0]!;
}

function all(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}

const allText = (el: Element): string => el.text + el.children.map(allText).join('');

describe('renderTimeline', () => {
  const events: DrillEvent[] = [
    { t: START + 1000, kind: 'cut', nic: 'eth0' },
    { t: START + 1000.4, kind: 'carrier-down', nic: 'eth0' },
    { t: START + 1100, kind: 'failover', newActive: 'eth1' },
    { t: START + 1500, kind: 'restore', nic: 'eth0' },
    { t: START + 1500.2, kind: 'carrier-up', nic: 'eth0' },
  ];
  const probe = stream(2000, (i) => i >= 1000 && i < 1100);

  it('is well-formed SVG with markers at the expected x positions', () => {
    const svg = renderTimeline({ probe, events, title: 'bond0 drill', width: 1000 });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.width).toBe('1000');
    const plot = 1000 - TIMELINE_MARGIN.left - TIMELINE_MARGIN.right; // 910 px for 0..2000 ms
    const lines = all(root, (e) => e.name === 'line' && e.attrs['data-kind'] !== undefined);
    expect(lines.map((l) => [l.attrs['data-kind'], Number(l.attrs.x1)])).toEqual([
      ['cut', TIMELINE_MARGIN.left + plot * 0.5],
      ['carrier-down', Math.round((TIMELINE_MARGIN.left + plot * 0.5002) * 100) / 100],
      ['failover', TIMELINE_MARGIN.left + plot * 0.55],
      ['restore', TIMELINE_MARGIN.left + plot * 0.75],
      ['carrier-up', Math.round((TIMELINE_MARGIN.left + plot * 0.7501) * 100) / 100],
    ]);
    for (const l of lines) expect(l.attrs.x1).toBe(l.attrs.x2);
    const text = allText(root);
    expect(text).toContain('bond0 drill');
    expect(text).toContain('failover → eth1');
    expect(text).toMatch(/1\. cut eth0 at 1000\.0 ms: detect 0\.4 ms, failover 100\.0 ms, lost 100\/500, downtime 100\.0 ms, new active eth1/);
    expect(text).toMatch(/2\. restore eth0 at 1500\.0 ms: detect 0\.2 ms/);
    // Close labels (cut and carrier-down 0.4 ms apart) go to different rows.
    const labels = all(root, (e) => e.name === 'text' && /^(cut eth0|carrier-down eth0)$/.test(e.text));
    expect(new Set(labels.map((l) => l.attrs.y)).size).toBe(2);
  });

  it('draws the probe strip with the lost span in red and a shaded loss window', () => {
    const root = parseXml(renderTimeline({ probe, events, width: 1000 }));
    const strip = all(root, (e) => e.name === 'g' && e.attrs.class === 'probes')[0]!;
    expect(strip.attrs['data-bin-ms']).toBe(String(binWidthMs(2000, 910)));
    expect(binWidthMs(2000, 910)).toBe(5);
    const rects = strip.children.filter((c) => c.attrs.class !== undefined);
    expect(rects.map((r) => r.attrs.class)).toEqual(['ok', 'lost', 'ok']);
    expect(Number(rects[1]!.attrs.x)).toBeCloseTo(515, 1);
    expect(Number(rects[1]!.attrs.width)).toBeCloseTo(45.5, 1);
    const bands = all(root, (e) => e.name === 'g' && e.attrs.class === 'loss-windows')[0]!.children;
    expect(bands).toHaveLength(1);
    expect(allText(bands[0]!)).toContain('lost 100 probes (seq 1000-1099), 100.0 ms from 1000.0 ms');
  });

  it('marks partially lost bins', () => {
    const root = parseXml(renderTimeline({ probe: stream(2000, (i) => i === 1001), events: [] }));
    const strip = all(root, (e) => e.name === 'g' && e.attrs.class === 'probes')[0]!;
    expect(strip.children.filter((c) => c.attrs.class !== undefined).map((r) => r.attrs.class)).toEqual(['ok', 'partial', 'ok']);
  });

  it('escapes text and extends the axis to events outside the stream', () => {
    const svg = renderTimeline({
      probe: stream(100, () => false),
      events: [
        { t: START - 50, kind: 'note', label: 'before <start> & "quoted" \u0001' },
        { t: START + 150, kind: 'cut', nic: "it's" },
      ],
      title: 'a < b & c',
    });
    const root = parseXml(svg);
    expect(svg).not.toContain('\u0001');
    expect(allText(root)).toContain('a < b & c');
    expect(allText(root)).toContain('before <start> & "quoted" ');
    expect(timelineDomain(stream(100, () => false), [{ t: START - 50, kind: 'note' }, { t: START + 150, kind: 'cut' }])).toEqual({ tMin: -50, tMax: 150 });
    const marks = all(root, (e) => e.name === 'line' && e.attrs['data-kind'] !== undefined);
    expect(marks.map((m) => Number(m.attrs.x1))).toEqual([TIMELINE_MARGIN.left, 1000 - TIMELINE_MARGIN.right]);
  });

  it('treats late echoes as lost, like the analysis', () => {
    const p = stream(2000, () => false);
    for (let i = 1000; i < 1100; i++) p.recvUs[i] = p.sendUs[i]! + 900_000;
    const strip = (lateAfterMs?: number): string[] => {
      const root = parseXml(renderTimeline({ probe: p, events: [], lateAfterMs }));
      const g = all(root, (e) => e.name === 'g' && e.attrs.class === 'probes')[0]!;
      return g.children.filter((c) => c.attrs.class !== undefined).map((r) => r.attrs.class!);
    };
    expect(strip()).toEqual(['ok', 'lost', 'ok']);
    expect(strip(Infinity)).toEqual(['ok']);
    expect(renderTimeline({ probe: p, events: [] })).toContain('100 echoed late');
  });

  it('renders an empty stream', () => {
    const root = parseXml(renderTimeline({ probe: stream(0, () => false), events: [] }));
    expect(root.name).toBe('svg');
  });

  it('has a checker that rejects malformed XML', () => {
    for (const bad of ['<svg><g></svg>', '<svg>a & b</svg>', '<svg x="1" x="2"/>', '<svg/><svg/>', '<svg><text>a<b</text></svg>']) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });

  it('escapes all five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
