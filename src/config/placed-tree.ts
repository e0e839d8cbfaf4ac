/**
 * YAML read into a tree whose every key and value knows its file:line:column and key path, and
 * netplan's merge of several files into one tree (maps merge key by key, a later scalar replaces
 * an earlier one, a later sequence is appended to an earlier one). Used by the netplan importer.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Place } from './check.js';
import type { Diagnostics } from './errors.js';

export type PNode = PMap | PSeq | PScalar;
export interface PScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  place: Place;
}
export interface PEntry {
  keyPlace: Place;
  node: PNode;
}
export interface PMap {
  kind: 'map';
  entries: Map<string, PEntry>;
  place: Place;
}
export interface PSeq {
  kind: 'seq';
  items: PNode[];
  place: Place;
}

/** Parses YAML text into a placed tree; syntax errors go to `diag` (and give undefined). */
export function parseYamlTree(text: string, file: string, diag: Diagnostics): PNode | undefined {
  const lc = new LineCounter();
  // Every scalar as text (the failsafe schema), as libyaml hands them to netplan, which then
  // interprets each key itself: a MAC such as 00:11:22:33:44:55 is never a base-60 number.
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false, schema: 'failsafe' });
  for (const e of doc.errors) {
    const { line, col } = lc.linePos(e.pos[0]);
    diag.error({ file, line, column: col, path: '', message: `YAML syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` });
  }
  if (doc.errors.length) return undefined;
  const place = (n: Node | null | undefined, path: string): Place => {
    const off = n?.range?.[0];
    if (off === undefined) return { file, line: 0, path };
    const { line, col } = lc.linePos(off);
    return { file, line, column: col, path };
  };
  const convert = (raw: unknown, path: string, depth: number): PNode => {
    const n = (isAlias(raw) ? (raw.resolve(doc) as Node | undefined) : raw) as Node | null | undefined;
    if (depth > 64) return { kind: 'scalar', value: null, place: place(n, path) };
    if (isMap(n)) {
      const entries = new Map<string, PEntry>();
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        const key = isScalar(k) ? String(k.value) : '';
        const sub = path ? `${path}.${key}` : key;
        if (entries.has(key)) {
          diag.error({ ...place(k, sub), message: `duplicate key (first at line ${entries.get(key)!.keyPlace.line}); netplan refuses the file` });
          continue;
        }
        entries.set(key, { keyPlace: place(k, sub), node: convert(pair.value, sub, depth + 1) });
      }
      return { kind: 'map', entries, place: place(n, path) };
    }
    if (isSeq(n)) return { kind: 'seq', items: n.items.map((it, i) => convert(it, `${path}[${i}]`, depth + 1)), place: place(n, path) };
    const v = isScalar(n) ? n.value : null;
    // An empty plain scalar (`key:`) is null, as libyaml reports it.
    const value = typeof v === 'string' ? (v === '' && isScalar(n) && n.type === 'PLAIN' ? null : v) : null;
    return { kind: 'scalar', value, place: place(n, path) };
  };
  return convert(doc.contents, '', 0);
}

/** netplan's merge: maps by key, later scalars replace (with a note), later sequences append. */
export function mergeTree(into: PMap, from: PMap, diag: Diagnostics): void {
  for (const [key, e] of from.entries) {
    const prev = into.entries.get(key);
    if (!prev) {
      into.entries.set(key, e);
      continue;
    }
    if (prev.node.kind === 'map' && e.node.kind === 'map') mergeTree(prev.node, e.node, diag);
    else if (prev.node.kind === 'seq' && e.node.kind === 'seq') prev.node.items.push(...e.node.items);
    else {
      diag.warn({ ...prev.keyPlace, message: `overridden by ${e.keyPlace.file}:${e.keyPlace.line} (netplan reads the files in order; the later value wins)` });
      into.entries.set(key, e);
    }
  }
}

/** Every key and sequence item of a tree, for the ledger. */
export function* treePlaces(n: PNode): Generator<Place> {
  if (n.kind === 'map') {
    for (const e of n.entries.values()) {
      yield e.keyPlace;
      yield* treePlaces(e.node);
    }
  } else if (n.kind === 'seq') {
    for (const it of n.items) {
      if (it.kind === 'scalar') yield it.place;
      else yield* treePlaces(it);
    }
  }
}

export function scalarText(n: PNode | undefined): string | undefined {
  if (!n || n.kind !== 'scalar' || n.value === null) return undefined;
  return String(n.value);
}
