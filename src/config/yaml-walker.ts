/**
 * The YAML walking machinery shared by the bondd.yaml parsers (yaml.ts for bonds, yaml-layer.ts
 * for the IP configuration of every layer, yaml-stack.ts for VLANs and bridges): positions of AST
 * nodes as file:line:column, key checks, and scalar helpers.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { suggest, type Place } from './check.js';
import { Diagnostics } from './errors.js';

export type Raw = string | number | boolean | string[];

/** Logical references inside one bond (see check.ts Locator) → node and the key path as written. */
export class Refs {
  private readonly nodes = new Map<string, { node: Node; path?: string }>();
  set(ref: string, node: Node, path?: string): void {
    this.nodes.set(ref, path === undefined ? { node } : { node, path });
  }
  get(ref: string): { node: Node; path?: string } | undefined {
    return this.nodes.get(ref);
  }
  has(ref: string): boolean {
    return this.nodes.has(ref);
  }
}

export class Walker {
  readonly diag = new Diagnostics();
  readonly lc = new LineCounter();
  doc!: Document.Parsed;

  constructor(readonly file: string) {}

  /** Place of a node (its first character), or of the fallback node. */
  place(node: Node | null | undefined, path: string): Place {
    const off = node?.range?.[0];
    if (off === undefined) return { file: this.file, line: 0, path };
    const { line, col } = this.lc.linePos(off);
    return { file: this.file, line, column: col, path };
  }

  error(node: Node | null | undefined, path: string, message: string): void {
    this.diag.error({ ...this.place(node, path), message });
  }

  warn(node: Node | null | undefined, path: string, message: string): void {
    this.diag.warn({ ...this.place(node, path), message });
  }

  /** Follows aliases (*anchor) to the node they name. */
  deref(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null) ?? null;
  }

  /** The value node of a pair, or null for `key:` with nothing after it. */
  valueOf(pair: Pair): Node | null {
    const v = this.deref(pair.value);
    if (v && isScalar(v) && v.value === null) return null;
    return v;
  }

  keyText(pair: Pair, path: string): string | undefined {
    const k = pair.key as Node | null;
    if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
    this.error(k, path, 'keys must be plain names');
    return undefined;
  }

  /** Iterates a map's pairs with their key text; flags unknown and duplicate keys. */
  entries(map: YAMLMap, path: string, allowed: readonly string[] | null): { key: string; keyNode: Node; value: Node | null; pair: Pair }[] {
    const out: { key: string; keyNode: Node; value: Node | null; pair: Pair }[] = [];
    const seen = new Map<string, Node>();
    for (const pair of map.items) {
      const key = this.keyText(pair, path);
      if (key === undefined) continue;
      const keyNode = pair.key as Node;
      const sub = path ? `${path}.${key}` : key;
      const first = seen.get(key);
      if (first) {
        this.error(keyNode, sub, `duplicate key (first set at line ${this.place(first, '').line}); remove one`);
        continue;
      }
      seen.set(key, keyNode);
      if (allowed && !allowed.includes(key)) {
        this.error(keyNode, sub, `unknown key '${key}'${suggest(key, allowed)}; valid here: ${allowed.join(', ')}`);
        continue;
      }
      out.push({ key, keyNode, value: this.valueOf(pair), pair });
    }
    return out;
  }

  string(node: Node | null, path: string, what: string): string | undefined {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    this.error(node, path, `${describe(node)} is not ${what}`);
    return undefined;
  }

  /** A scalar or a list of scalars, as parseOptionValue takes them. */
  raw(node: Node | null, path: string): Raw | undefined {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    } else if (isSeq(node)) {
      const items: string[] = [];
      for (const it of node.items) {
        const n = this.deref(it);
        if (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number')) items.push(String(n.value));
        else {
          this.error(n, path, `list items must be plain values, not ${describe(n)}`);
          return undefined;
        }
      }
      return items;
    }
    this.error(node, path, node === null ? 'needs a value' : `${describe(node)} is not a valid value (expected a number, a name or a list)`);
    return undefined;
  }
}

export function describe(node: Node | null): string {
  if (node === null) return 'an empty value';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = (node as Scalar).value;
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  }
  return 'this value';
}

export function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    // YAML 1.1 spellings, which YAML 1.2 reads as strings.
    const l = v.toLowerCase();
    if (l === 'yes' || l === 'on') return true;
    if (l === 'no' || l === 'off') return false;
  }
  return undefined;
}

