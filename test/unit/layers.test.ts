/**
 * Folders are layers (docs/ARCHITECTURE.md, "Layers"): every folder of src/ imports only from
 * folders of a lower layer, so there is no folder-level import cycle, and src/ imports nothing
 * from outside src/ (scripts/ and test/ are not part of what ships).
 *
 * Reads the import statements of every .ts file under src/ (static, `export ... from`, dynamic
 * `import('...')`, type-only imports included: a type is a dependency too).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The allowed order, lowest first; a folder may import folders of a lower layer only. */
export const LAYERS: readonly (readonly string[])[] = [
  ['bond'], // the model: option table, names, errors, the kernel's view of a bond. No I/O.
  ['netlink', 'sysfs', 'netns'], // transports: rtnetlink, sysfs/procfs files, namespaces
  ['backend', 'state', 'version'], // the two bond backends; link cache and journal; what --version reports
  ['config'], // config files → desired state
  ['plan', 'dhcp'], // planner (pure), executor and host operations; the DHCP client supervisor
  ['metrics', 'drill'], // Prometheus exposition; the failover drill
  ['daemon'], // the engine: bondd
  ['cli'], // bondctl
  ['packaged'], // the packaged single executable (bondd or bondctl by name) and its man pages
];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative import specifiers of a source text: static, `export ... from`, dynamic `import('...')`, type-only. */
export function importSpecifiers(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

/** Folder of src/ a path belongs to ('' for a file directly in src/, null outside src/). */
function folderOf(path: string): string | null {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return null;
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : '';
}

interface Edge {
  from: string;
  to: string;
  file: string;
}

function folderEdges(): { edges: Edge[]; outside: string[] } {
  const edges: Edge[] = [];
  const outside: string[] = [];
  for (const file of tsFiles(SRC)) {
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const from = folderOf(file)!;
      const to = folderOf(target);
      if (to === null) outside.push(`${relative(ROOT, file)} imports ${spec}`);
      else if (to !== from) edges.push({ from, to, file: relative(ROOT, file) });
    }
  }
  return { edges, outside };
}

/** Every cycle of the folder graph, as a path a → b → ... → a (one per strongly connected set). */
export function findCycles(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
  }
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      cycles.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const n of next.get(node) ?? []) visit(n, [...path, node]);
    done.add(node);
  };
  for (const node of [...next.keys()].sort()) visit(node, []);
  return cycles;
}

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

describe('folders are layers', () => {
  const { edges, outside } = folderEdges();

  it('finds the imports it checks (the parser works)', () => {
    expect(edges.some((e) => e.from === 'cli' && e.to === 'bond')).toBe(true);
    expect(importSpecifiers("const g = '/etc/*.yaml';\nimport type { A } from './a.js';\nexport { b } from '../b/c.js';\nconst m = await import('../d.js');")).toEqual([
      './a.js',
      '../b/c.js',
      '../d.js',
    ]);
  });

  it('every folder of src/ has a place in the layer order', () => {
    const folders = new Set(tsFiles(SRC).map((f) => folderOf(f)!));
    const unplaced = [...folders].filter((f) => !rank.has(f));
    expect(unplaced, 'add new folders to LAYERS here and in docs/ARCHITECTURE.md').toEqual([]);
  });

  it('src/ imports nothing outside src/', () => {
    expect(outside).toEqual([]);
  });

  it('no folder-level import cycle', () => {
    expect(findCycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });

  it('every import goes to a lower layer', () => {
    const upward = edges
      .filter((e) => (rank.get(e.to) ?? Infinity) >= (rank.get(e.from) ?? -1))
      .map((e) => `${e.file}: ${e.from} imports ${e.to}`);
    expect([...new Set(upward)]).toEqual([]);
  });

  it('the cycle finder finds a cycle', () => {
    expect(findCycles([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'c', to: 'd' },
    ])).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles([{ from: 'a', to: 'b' }])).toEqual([]);
  });
});
