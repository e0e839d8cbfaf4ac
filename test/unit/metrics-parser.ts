/**
 * A small, strict parser of the Prometheus text format 0.0.4, written for the tests (it is not
 * bondd's code under test). Throws on anything a Prometheus server would reject or that the
 * format forbids: malformed lines, bad escapes, TYPE after samples, a family split in two groups,
 * duplicate HELP/TYPE, duplicate series.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`line ${line}: "${text}" is not a float`);
  return Number(text);
}

function unescapeHelp(text: string, line: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new Error(`line ${line}: bad escape \\${c} in HELP`);
  });
}

/** The family a sample belongs to (histogram/summary suffixes are not used by bondd). */
function familyOf(name: string): string {
  return name;
}

export function parseExposition(text: string): Map<string, Family> {
  if (text.length && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, samples: [] }));
    return f;
  };
  const enter = (name: string, line: number) => {
    if (current === name) return;
    if (current !== null) closed.add(current);
    if (closed.has(name)) throw new Error(`line ${line}: ${name} appears in two separate groups`);
    current = name;
  };
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // plain comment
      const [, what, name, rest = ''] = m;
      if (!NAME.test(name!) || NAME.exec(name!)![0] !== name) throw new Error(`line ${n}: bad metric name ${name}`);
      enter(name!, n);
      const f = family(name!);
      if (what === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${n}: second HELP for ${name}`);
        f.help = unescapeHelp(rest, n);
      } else {
        if (f.type !== undefined) throw new Error(`line ${n}: second TYPE for ${name}`);
        if (f.samples.length) throw new Error(`line ${n}: TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) throw new Error(`line ${n}: unknown type ${rest}`);
        f.type = rest.trim();
      }
      return;
    }
    let s = raw;
    const nameMatch = NAME.exec(s);
    if (!nameMatch) throw new Error(`line ${n}: no metric name: ${raw}`);
    const name = nameMatch[0];
    s = s.slice(name.length);
    const labels: Record<string, string> = {};
    if (s.startsWith('{')) {
      s = s.slice(1);
      for (;;) {
        s = s.replace(/^[ \t]*/, '');
        if (s.startsWith('}')) {
          s = s.slice(1);
          break;
        }
        const l = LABEL.exec(s);
        if (!l) throw new Error(`line ${n}: bad label name at "${s}"`);
        s = s.slice(l[0].length).replace(/^[ \t]*/, '');
        if (!s.startsWith('="') && !s.startsWith('= "')) throw new Error(`line ${n}: expected =" after ${l[0]}`);
        s = s.slice(s.indexOf('"') + 1);
        let value = '';
        for (;;) {
          const c = s[0];
          if (c === undefined) throw new Error(`line ${n}: unterminated label value`);
          s = s.slice(1);
          if (c === '"') break;
          if (c === '\\') {
            const e = s[0];
            s = s.slice(1);
            if (e === '\\') value += '\\';
            else if (e === '"') value += '"';
            else if (e === 'n') value += '\n';
            else throw new Error(`line ${n}: bad escape \\${e ?? ''} in a label value`);
          } else value += c;
        }
        if (l[0] in labels) throw new Error(`line ${n}: label ${l[0]} twice`);
        labels[l[0]] = value;
        s = s.replace(/^[ \t]*/, '');
        if (s.startsWith(',')) s = s.slice(1);
        else if (!s.startsWith('}')) throw new Error(`line ${n}: expected , or } at "${s}"`);
      }
    }
    const parts = s.trim().split(/[ \t]+/);
    if (!/^[ \t]/.test(s) || parts.length < 1 || parts.length > 2) throw new Error(`line ${n}: expected " value [timestamp]": ${raw}`);
    const sample: Sample = { name, labels, value: parseValue(parts[0]!, n) };
    if (parts[1] !== undefined) {
      if (!/^-?\d+$/.test(parts[1])) throw new Error(`line ${n}: bad timestamp ${parts[1]}`);
      sample.timestamp = Number(parts[1]);
    }
    const fam = familyOf(name);
    enter(fam, n);
    const key = `${name}{${Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (series.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    series.add(key);
    family(fam).samples.push(sample);
  });
  return families;
}

/** The value of one series; throws when it is absent. */
export function metricValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const sample = find(families, name, labels);
  if (!sample) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return sample.value;
}

export function find(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample | undefined {
  const f = families.get(name);
  return f?.samples.find((s) => Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
