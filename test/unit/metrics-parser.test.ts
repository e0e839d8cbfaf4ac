/** The test parser must reject what Prometheus rejects, or the other metrics tests prove little. */
import { describe, expect, it } from 'vitest';
import { parseExposition, metricValue } from './metrics-parser.js';

describe('test exposition parser', () => {
  it('reads families, escapes, special values and timestamps', () => {
    const f = parseExposition(
      '# HELP a_total A \\\\ help\\nline.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n",y="2",} 3 1700000000000\n# a comment\n\nb NaN\nc{} +Inf\nd -1.5e3\n',
    );
    expect(f.get('a_total')).toMatchObject({ help: 'A \\ help\nline.', type: 'counter' });
    expect(f.get('a_total')!.samples[0]).toEqual({ name: 'a_total', labels: { x: 'q"\\\n', y: '2' }, value: 3, timestamp: 1700000000000 });
    expect(metricValue(f, 'b')).toBeNaN();
    expect(metricValue(f, 'c')).toBe(Infinity);
    expect(metricValue(f, 'd')).toBe(-1500);
  });

  it.each([
    ['no final line feed', 'a 1'],
    ['bad escape in a label value', 'a{x="\\t"} 1\n'],
    ['unterminated label value', 'a{x="1} 1\n'],
    ['bad label name', 'a{1x="1"} 1\n'],
    ['missing value', 'a{x="1"}\n'],
    ['not a float', 'a 1,5\n'],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['family in two groups', 'a 1\nb 1\na{x="2"} 1\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['two TYPE lines', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['unknown type', '# TYPE a bogus\na 1\n'],
    ['bad metric name', '1a 1\n'],
  ])('rejects %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
