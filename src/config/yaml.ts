/**
 * bondd.yaml parser. Walks the YAML AST (not plain JS objects) so every problem carries
 * file:line:column, and collects all problems before failing with one ConfigError.
 * The format is documented in docs/config.md.
 */
import { readFile } from 'node:fs/promises';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { BOND_OPTIONS, findOption, findSlaveOption, SLAVE_OPTIONS, MODES } from '../bond/options.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { type Cidr, hostAddressWarning, macProblem, networkOf, normaliseMac, parseCidr, parseIp } from './addr.js';
import { checkBond, checkBondSet, convertOption, ifnameProblem, type Locator, lookupBondOption, type Place, suggest } from './check.js';
import { type ConfigResult, Diagnostics, sortProblems } from './errors.js';
import {
  BACKENDS,
  type BackendKind,
  DEFAULT_BACKEND,
  DEFAULT_CONFIG_FILE,
  DEFAULT_DRIFT,
  DEFAULT_MAC_POLICY,
  type DesiredBond,
  type DesiredConfig,
  DRIFT_POLICIES,
  type DriftPolicy,
  MAC_POLICIES,
  type MacPolicy,
  MTU_MAX,
  MTU_MIN,
  type RouteSpec,
  type SlaveSpec,
} from './types.js';

/** Format version this parser reads (`version: 1`, optional). */
export const CONFIG_VERSION = 1;

export const TOP_KEYS = ['version', 'bonds'] as const;
export const BOND_KEYS = ['mode', 'options', 'slaves', 'primary', 'addresses', 'gateway', 'routes', 'mtu', 'mac', 'backend', 'drift', 'up'] as const;
const SLAVE_KEYS = ['name', 'mac'];
const ROUTE_KEYS = ['to', 'via', 'metric', 'replace'];

/** Reads and parses a bondd.yaml file. */
export async function loadYamlConfig(file: string = DEFAULT_CONFIG_FILE): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const d = new Diagnostics();
    d.error({ file, line: 0, path: '', message: `cannot read the configuration: ${(e as Error).message}` });
    d.throwIfFailed();
    throw e;
  }
  return parseYamlConfig(text, file);
}

type Raw = string | number | boolean | string[];

/** Logical references inside one bond (see check.ts Locator) → node and the key path as written. */
class Refs {
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

class Walker {
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

function describe(node: Node | null): string {
  if (node === null) return 'an empty value';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = (node as Scalar).value;
    return typeof v === 'string' ? JSON.stringify(v) : String(v);
  }
  return 'this value';
}

/** Parses bondd.yaml text. `file` is used in messages and origins. Throws ConfigError. */
export function parseYamlConfig(text: string, file: string = DEFAULT_CONFIG_FILE): ConfigResult {
  const w = new Walker(file);
  const doc = parseDocument(text, { lineCounter: w.lc, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  w.doc = doc;
  for (const e of doc.errors) {
    const { line, col } = w.lc.linePos(e.pos[0]);
    w.diag.error({ file, line, column: col, path: '', message: `YAML syntax error: ${firstLine(e.message)}` });
  }
  for (const e of doc.warnings) {
    const { line, col } = w.lc.linePos(e.pos[0]);
    w.diag.warn({ file, line, column: col, path: '', message: firstLine(e.message) });
  }
  w.diag.throwIfFailed();

  const bonds: DesiredBond[] = [];
  const locators = new Map<DesiredBond, Locator>();
  const root = w.deref(doc.contents);
  if (root === null) {
    w.diag.warn({ file, line: 1, column: 1, path: 'bonds', message: 'the configuration is empty: no bonds are managed' });
  } else if (!isMap(root)) {
    w.error(root, '', `the top level must be a map with a 'bonds:' key, not ${describe(root)}`);
  } else {
    for (const { key, keyNode, value } of w.entries(root, '', TOP_KEYS)) {
      if (key === 'version') {
        if (!isScalar(value) || value.value !== CONFIG_VERSION) {
          w.error(value ?? keyNode, 'version', `${describe(value)} is not a supported version (this bondd reads version ${CONFIG_VERSION})`);
        }
      } else if (key === 'bonds') {
        if (value === null) {
          w.warn(keyNode, 'bonds', 'no bonds are configured');
        } else if (!isMap(value)) {
          w.error(value, 'bonds', `must be a map keyed by bond name (bonds: {bond0: {mode: ...}}), not ${describe(value)}`);
        } else {
          parseBonds(w, value, bonds, locators);
        }
      }
    }
    if (!root.items.some((p) => isScalar(p.key) && (p.key as Scalar).value === 'bonds')) {
      w.warn(root, 'bonds', "there is no 'bonds:' key: no bonds are managed");
    }
  }

  checkBondSet(bonds, (b) => locators.get(b)!, w.diag);
  w.diag.throwIfFailed();
  const config: DesiredConfig = { bonds, source: file, sourceFiles: [file] };
  return { config, warnings: sortProblems(w.diag.warnings) };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function parseBonds(w: Walker, map: YAMLMap, bonds: DesiredBond[], locators: Map<DesiredBond, Locator>): void {
  const seen = new Map<string, Node>();
  for (const pair of map.items) {
    const name = w.keyText(pair, 'bonds');
    if (name === undefined) continue;
    const keyNode = pair.key as Node;
    const path = `bonds.${name}`;
    const first = seen.get(name);
    if (first) {
      w.error(keyNode, path, `bond ${name} is defined twice (first at line ${w.place(first, '').line}); merge the two definitions`);
      continue;
    }
    seen.set(name, keyNode);
    const bad = ifnameProblem(name);
    if (bad) w.error(keyNode, path, bad);
    const value = w.valueOf(pair);
    if (!isMap(value)) {
      w.error(value ?? keyNode, path, `a bond must be a map with at least 'mode' and 'slaves', not ${describe(value)}`);
      continue;
    }
    const built = parseBond(w, name, keyNode, value, path);
    if (!bad) {
      bonds.push(built.bond);
      locators.set(built.bond, built.at);
    }
  }
}

function parseBond(w: Walker, name: string, keyNode: Node, map: YAMLMap, path: string): { bond: DesiredBond; at: Locator } {
  const refs = new Refs();
  let optionsOk = true;
  let slavesOk = true;
  let mode: BondMode | undefined;
  const options: Record<string, OptionValue> = {};
  const slaves: SlaveSpec[] = [];
  let primary: string | undefined;
  let primaryNode: Node | undefined;
  let primaryPath = `${path}.primary`;
  const addresses: string[] = [];
  let addressesOk = true;
  let gateway: DesiredBond['gateway'];
  const routes: RouteSpec[] = [];
  let mtu: number | undefined;
  let macAddress: string = DEFAULT_MAC_POLICY;
  let backend: BackendKind = DEFAULT_BACKEND;
  let drift: DriftPolicy = DEFAULT_DRIFT;
  let up = true;

  const entries = w.entries(map, path, BOND_KEYS);
  for (const { key, keyNode: kn, value } of entries) {
    const p = `${path}.${key}`;
    refs.set(key, value ?? kn);
    if (value === null && key !== 'options' && key !== 'routes' && key !== 'addresses' && key !== 'slaves') {
      w.error(kn, p, 'needs a value');
      continue;
    }
    switch (key) {
      case 'mode': {
        const raw = w.raw(value, p);
        if (raw === undefined) break;
        const conv = convertOption(findOption('mode')!, raw);
        if (conv.ok) mode = conv.value as BondMode;
        else w.error(value, p, conv.error);
        break;
      }
      case 'options': {
        if (value === null) break;
        if (!isMap(value)) {
          w.error(value, p, `must be a map of option: value (e.g. miimon: 100), not ${describe(value)}`);
          optionsOk = false;
          break;
        }
        const seenOptions = new Map<string, string>();
        for (const o of w.entries(value, p, null)) {
          const op = `${p}.${o.key}`;
          if (o.key === 'mode') {
            w.error(o.keyNode, op, `mode is set at bond level (${path}.mode), not among the options`);
            optionsOk = false;
            continue;
          }
          const found = lookupBondOption(o.key, BOND_OPTIONS.flatMap((x) => [x.name, ...x.aliases]));
          if (!found.ok) {
            w.error(o.keyNode, op, found.error);
            optionsOk = false;
            continue;
          }
          const opt = found.value;
          if (o.value === null) {
            w.error(o.keyNode, op, 'needs a value');
            optionsOk = false;
            continue;
          }
          if (seenOptions.has(opt.name)) {
            w.error(o.keyNode, op, `${opt.name} is set twice (${o.key} and ${seenOptions.get(opt.name)} are the same option); keep one`);
            optionsOk = false;
            continue;
          }
          const raw = w.raw(o.value, op);
          if (raw === undefined) {
            optionsOk = false;
            continue;
          }
          const conv = convertOption(opt, raw);
          if (!conv.ok) {
            w.error(o.value, op, conv.error);
            optionsOk = false;
            continue;
          }
          seenOptions.set(opt.name, o.key);
          refs.set(`options.${opt.name}`, o.value);
          if (opt.name === 'primary') {
            // Canonical place is the bond-level `primary`; accept it here too.
            if (primary !== undefined && primary !== conv.value) {
              w.error(o.value, op, `primary is ${JSON.stringify(conv.value)} here but ${JSON.stringify(primary)} at ${path}.primary; keep one`);
            } else if (conv.value !== '') {
              primary = conv.value as string;
              primaryNode = o.value;
              primaryPath = op;
            }
          } else options[opt.name] = conv.value;
        }
        break;
      }
      case 'slaves':
        if (value === null) break; // `slaves:` with nothing: none yet (warned below)
        if (!isSeq(value)) {
          w.error(value, p, `must be a list of interface names or {name: ..., mac: ...} maps, not ${describe(value)}`);
          slavesOk = false;
          break;
        }
        value.items.forEach((item, i) => {
          const s = parseSlave(w, w.deref(item), `${p}[${i}]`, `slaves[${slaves.length}]`, refs);
          if (s) slaves.push(s);
          else slavesOk = false;
        });
        break;
      case 'primary': {
        const s = w.string(value, p, 'an interface name');
        if (s === undefined) break;
        const bad = ifnameProblem(s);
        if (bad) w.error(value, p, bad);
        else if (primary !== undefined && primary !== s) {
          w.error(value, p, `primary is ${JSON.stringify(s)} here but ${JSON.stringify(primary)} in ${path}.options.primary; keep one`);
        } else {
          primary = s;
          primaryNode = value!;
          primaryPath = p;
        }
        break;
      }
      case 'addresses': {
        if (value === null) break;
        const items = isSeq(value) ? value.items.map((x) => w.deref(x)) : [value];
        items.forEach((n, i) => {
          const ip = `${p}[${i}]`;
          const s = w.string(n, ip, 'an address in CIDR form (192.0.2.10/24)');
          if (s === undefined) {
            addressesOk = false;
            return;
          }
          const c = parseCidr(s);
          if (typeof c === 'string') {
            addressesOk = false;
            return w.error(n, ip, c);
          }
          const warn = hostAddressWarning(c);
          if (warn) w.warn(n, ip, warn);
          if (addresses.includes(c.text)) return w.error(n, ip, `${c.text} is listed twice`);
          refs.set(`addresses[${addresses.length}]`, n!, ip);
          addresses.push(c.text);
        });
        break;
      }
      case 'gateway':
        gateway = parseGateway(w, value!, p, refs);
        break;
      case 'routes':
        if (value === null) break;
        if (!isSeq(value)) {
          w.error(value, p, `must be a list of {to: ..., via: ..., metric: ...}, not ${describe(value)}`);
          break;
        }
        value.items.forEach((item, i) => {
          const r = parseRoute(w, w.deref(item), `${p}[${i}]`, `routes[${routes.length}]`, refs);
          if (r) routes.push(r);
        });
        break;
      case 'mtu':
        if (isScalar(value) && typeof value.value === 'number' && Number.isInteger(value.value) && value.value >= MTU_MIN && value.value <= MTU_MAX) {
          mtu = value.value;
        } else w.error(value, p, `${describe(value)} is not a valid MTU (a whole number from ${MTU_MIN} to ${MTU_MAX})`);
        break;
      case 'mac': {
        const s = w.string(value, p, `a MAC address or one of ${MAC_POLICIES.join(', ')}`);
        if (s === undefined) break;
        if ((MAC_POLICIES as readonly string[]).includes(s)) {
          macAddress = s as MacPolicy;
          break;
        }
        const mac = normaliseMac(s);
        if (mac === undefined) {
          w.error(value, p, `${JSON.stringify(s)} is not a MAC address (six hex octets such as 52:54:00:12:34:56) or one of ${MAC_POLICIES.join(', ')}${suggest(s, MAC_POLICIES)}`);
          break;
        }
        const problem = macProblem(mac);
        if (problem) w.error(value, p, `${mac} ${problem}`);
        else macAddress = mac;
        break;
      }
      case 'backend': {
        const s = w.string(value, p, `one of ${BACKENDS.join(', ')}`);
        if (s === undefined) break;
        if ((BACKENDS as readonly string[]).includes(s)) backend = s as BackendKind;
        else w.error(value, p, `${JSON.stringify(s)} is not a backend (valid: ${BACKENDS.join(', ')})${suggest(s, BACKENDS)}`);
        break;
      }
      case 'drift': {
        const s = w.string(value, p, `one of ${DRIFT_POLICIES.join(', ')}`);
        if (s === undefined) break;
        if ((DRIFT_POLICIES as readonly string[]).includes(s)) drift = s as DriftPolicy;
        else w.error(value, p, `${JSON.stringify(s)} is not a drift policy (valid: ${DRIFT_POLICIES.join(', ')})${suggest(s, DRIFT_POLICIES)}`);
        break;
      }
      case 'up': {
        const b = isScalar(value) ? booleanOf(value.value) : undefined;
        if (b === undefined) w.error(value, p, `${describe(value)} is not true or false`);
        else up = b;
        break;
      }
    }
  }

  if (mode === undefined && !entries.some((e) => e.key === 'mode')) {
    w.error(keyNode, `${path}.mode`, `mode is required (one of ${MODES.join(', ')})`);
  }
  if (!entries.some((e) => e.key === 'slaves')) {
    w.warn(keyNode, `${path}.slaves`, `${name} has no slaves; it will come up without carrier`);
  } else if (slavesOk && slaves.length === 0) {
    w.warn(refs.get('slaves')?.node, `${path}.slaves`, `${name} has no slaves; it will come up without carrier`);
  }

  const bond: DesiredBond = {
    name,
    mode: mode ?? 'balance-rr',
    options: sortKeys(options),
    slaves,
    ...(primary !== undefined ? { primary } : {}),
    addresses,
    ...(gateway && (gateway.v4 !== undefined || gateway.v6 !== undefined) ? { gateway } : {}),
    routes,
    ...(mtu !== undefined ? { mtu } : {}),
    macAddress,
    backend,
    drift,
    up,
    origin: { file: w.file, line: w.place(keyNode, '').line, column: w.place(keyNode, '').column },
  };
  if (primaryNode) refs.set('primary', primaryNode, primaryPath);

  const at: Locator = (ref) => {
    const exact = refs.get(ref);
    if (exact) return w.place(exact.node, exact.path ?? `${path}.${ref}`);
    const near = refs.get(ref.replace(/\.[^.]+$/, '')) ?? refs.get(ref.split(/[.[]/)[0]!);
    return w.place(near?.node ?? keyNode, `${path}.${ref}`);
  };
  // Cross-field checks only make sense on fields that parsed: a bad miimon would otherwise also
  // be reported as "updelay needs miimon", a bad slave as "primary is not a slave".
  if (mode !== undefined) {
    checkBond(bond, at, w.diag, { options: optionsOk, membership: slavesOk, reachability: addressesOk });
  }
  return { bond, at };
}

function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  // Table order (the order bond_changelink applies them), which is also how render prints them.
  const order = (k: string) => {
    const i = BOND_OPTIONS.findIndex((o) => o.name === k);
    return i < 0 ? Infinity : i;
  };
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => order(a) - order(b) || (a < b ? -1 : 1)));
}

function booleanOf(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    // YAML 1.1 spellings, which YAML 1.2 reads as strings.
    const l = v.toLowerCase();
    if (l === 'yes' || l === 'on') return true;
    if (l === 'no' || l === 'off') return false;
  }
  return undefined;
}

function parseSlave(w: Walker, node: Node | null, path: string, ref: string, refs: Refs): SlaveSpec | undefined {
  const origin = () => {
    const p = w.place(node, '');
    return { file: w.file, line: p.line, ...(p.column !== undefined ? { column: p.column } : {}) };
  };
  if (isScalar(node)) {
    if (typeof node.value !== 'string') {
      w.error(node, path, `${describe(node)} is not an interface name (quote names that look like numbers)`);
      return undefined;
    }
    const bad = ifnameProblem(node.value);
    if (bad) {
      w.error(node, path, bad);
      return undefined;
    }
    refs.set(ref, node, path);
    refs.set(`${ref}.name`, node, path);
    return { name: node.value, options: {}, origin: origin() };
  }
  if (!isMap(node)) {
    w.error(node, path, `a slave is an interface name or a map {name: eth0} / {mac: "52:54:00:12:34:56"}, not ${describe(node)}`);
    return undefined;
  }
  refs.set(ref, node, path);
  const slaveOptionNames = SLAVE_OPTIONS.flatMap((o) => [o.name, ...o.aliases]);
  const spec: SlaveSpec = { options: {}, origin: origin() };
  let ok = true;
  for (const { key, keyNode, value } of w.entries(node, path, null)) {
    const p = `${path}.${key}`;
    if (value === null) {
      w.error(keyNode, p, 'needs a value');
      ok = false;
      continue;
    }
    if (key === 'name') {
      const s = w.string(value, p, 'an interface name');
      const bad = s === undefined ? 'x' : ifnameProblem(s);
      if (s !== undefined && bad) w.error(value, p, bad);
      if (s === undefined || bad) ok = false;
      else {
        spec.name = s;
        refs.set(`${ref}.name`, value, p);
      }
    } else if (key === 'mac') {
      const s = w.string(value, p, 'a MAC address');
      const mac = s === undefined ? undefined : normaliseMac(s);
      if (s !== undefined && mac === undefined) w.error(value, p, `${JSON.stringify(s)} is not a MAC address (six hex octets such as 52:54:00:12:34:56)`);
      const problem = mac === undefined ? undefined : macProblem(mac);
      if (problem) w.error(value, p, `${mac} ${problem}`);
      if (mac === undefined || problem) ok = false;
      else {
        spec.permMac = mac;
        refs.set(`${ref}.mac`, value, p);
      }
    } else {
      const opt = findSlaveOption(key);
      if (!opt) {
        const bondOpt = findOption(key);
        const hint = bondOpt && !bondOpt.perSlave ? `; ${bondOpt.name} is a bond option, set it under options:` : suggest(key, [...SLAVE_KEYS, ...slaveOptionNames]);
        w.error(keyNode, p, `unknown slave key '${key}'${hint} (valid: ${[...SLAVE_KEYS, ...SLAVE_OPTIONS.map((o) => o.name)].join(', ')})`);
        ok = false;
        continue;
      }
      const raw = w.raw(value, p);
      if (raw === undefined) {
        ok = false;
        continue;
      }
      const conv = convertOption(opt, raw);
      if (!conv.ok) {
        w.error(value, p, conv.error);
        ok = false;
        continue;
      }
      spec.options[opt.name] = conv.value;
      refs.set(`${ref}.${opt.name}`, value, p);
    }
  }
  if (!ok) return undefined;
  if (spec.name === undefined && spec.permMac === undefined) {
    w.error(node, path, 'a slave needs a name or a mac (its permanent MAC address)');
    return undefined;
  }
  // Same key order as the other constructors (name, permMac, options, origin).
  return {
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.permMac !== undefined ? { permMac: spec.permMac } : {}),
    options: spec.options,
    ...(spec.origin ? { origin: spec.origin } : {}),
  };
}

function parseGateway(w: Walker, node: Node, path: string, refs: Refs): DesiredBond['gateway'] {
  const items: { n: Node | null; p: string }[] = [];
  if (isSeq(node)) node.items.forEach((x, i) => items.push({ n: w.deref(x), p: `${path}[${i}]` }));
  else if (isMap(node)) {
    for (const { key, value } of w.entries(node, path, ['v4', 'v6'])) items.push({ n: value, p: `${path}.${key}` });
  } else items.push({ n: node, p: path });
  const gw: { v4?: string; v6?: string } = {};
  for (const { n, p } of items) {
    const s = w.string(n, p, 'a gateway address (192.0.2.1 or 2001:db8::1)');
    if (s === undefined) continue;
    const ip = parseIp(s);
    if (!ip) {
      w.error(n, p, `${JSON.stringify(s)} is not an IPv4 or IPv6 address${s.includes('/') ? ' (a gateway has no prefix length)' : ''}`);
      continue;
    }
    const fam = ip.family === 4 ? 'v4' : 'v6';
    if (p.endsWith('.v4') && fam !== 'v4') {
      w.error(n, p, `${ip.text} is not an IPv4 address`);
      continue;
    }
    if (p.endsWith('.v6') && fam !== 'v6') {
      w.error(n, p, `${ip.text} is not an IPv6 address`);
      continue;
    }
    if (gw[fam] !== undefined) {
      w.error(n, p, `a second IPv${ip.family} gateway (${ip.text}); a bond has at most one default gateway per family (use routes: for more)`);
      continue;
    }
    gw[fam] = ip.text;
    refs.set(`gateway.${fam}`, n!, p);
  }
  return gw;
}

function parseRoute(w: Walker, node: Node | null, path: string, ref: string, refs: Refs): RouteSpec | undefined {
  if (!isMap(node)) {
    w.error(node, path, `a route is a map {to: 198.51.100.0/24, via: 192.0.2.1, metric: 100}, not ${describe(node)}`);
    return undefined;
  }
  let to: Cidr | undefined;
  let toNode: Node | null = null;
  let via: ReturnType<typeof parseIp>;
  let viaNode: Node | null = null;
  let metric: number | undefined;
  let replace = false;
  let ok = true;
  let sawTo = false;
  let defaultRoute = false;
  for (const { key, value } of w.entries(node, path, ROUTE_KEYS)) {
    const p = `${path}.${key}`;
    if (key === 'to') {
      sawTo = true;
      toNode = value;
      const s = w.string(value, p, 'a destination in CIDR form (198.51.100.0/24) or default');
      if (s === undefined) {
        ok = false;
        continue;
      }
      if (s === 'default') {
        defaultRoute = true;
        continue;
      }
      const c = parseCidr(s);
      if (typeof c === 'string') {
        w.error(value, p, c);
        ok = false;
        continue;
      }
      if (networkOf(c) !== c.text) {
        w.error(value, p, `${c.text} has host bits set; a route destination is a network (${networkOf(c)})`);
        ok = false;
        continue;
      }
      to = c;
    } else if (key === 'via') {
      viaNode = value;
      const s = w.string(value, p, 'a next-hop address');
      via = s === undefined ? undefined : parseIp(s);
      if (s !== undefined && !via) w.error(value, p, `${JSON.stringify(s)} is not an IPv4 or IPv6 address`);
      if (!via) ok = false;
    } else if (key === 'replace') {
      if (isScalar(value) && typeof value.value === 'boolean') replace = value.value;
      else {
        w.error(value, p, `${describe(value)} is not true or false`);
        ok = false;
      }
    } else if (key === 'metric') {
      if (isScalar(value) && typeof value.value === 'number' && Number.isInteger(value.value) && value.value >= 0 && value.value <= 0xffffffff) metric = value.value;
      else {
        w.error(value, p, `${describe(value)} is not a metric (a whole number from 0 to 4294967295)`);
        ok = false;
      }
    }
  }
  if (!sawTo) {
    w.error(node, `${path}.to`, 'a route needs to: (a destination such as 198.51.100.0/24, or default)');
    return undefined;
  }
  if (!ok) return undefined;
  if (defaultRoute) {
    if (!via) {
      w.error(toNode, `${path}.to`, 'a default route needs via: (or use gateway:)');
      return undefined;
    }
    to = { family: via.family, addr: 0n, prefix: 0, text: via.family === 4 ? '0.0.0.0/0' : '::/0' };
  }
  if (via && to && via.family !== to.family) {
    w.error(viaNode, `${path}.via`, `${via.text} is IPv${via.family} but the destination ${to.text} is IPv${to.family}`);
    return undefined;
  }
  if (toNode) refs.set(`${ref}.to`, toNode, `${path}.to`);
  if (viaNode) refs.set(`${ref}.via`, viaNode, `${path}.via`);
  refs.set(ref, node, path);
  return { to: to!.text, ...(via ? { via: via.text } : {}), ...(metric !== undefined ? { metric } : {}), ...(replace ? { replace } : {}) };
}
