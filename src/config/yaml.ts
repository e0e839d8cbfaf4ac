/**
 * bondd.yaml parser. Walks the YAML AST (not plain JS objects) so every problem carries
 * file:line:column, and collects all problems before failing with one ConfigError.
 * The format is documented in docs/config.md.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, type Node, parseDocument, type Scalar, type YAMLMap } from 'yaml';
import { BOND_OPTIONS, findOption, findSlaveOption, SLAVE_OPTIONS, MODES } from '../bond/options.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { macProblem, normaliseMac } from './addr.js';
import { checkBond, checkBondSet, convertOption, ifnameProblem, type Locator, lookupBondOption, suggest } from './check.js';
import { type ConfigResult, Diagnostics, sortProblems } from './errors.js';
import { IP_KEYS, ipFields, newIpAcc, parseIpKey } from './yaml-layer.js';
import { type BadAddressLayers, parseBridge, parseVlans } from './yaml-stack.js';
import { booleanOf, describe, Refs, Walker } from './yaml-walker.js';
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
  type SlaveSpec,
} from './types.js';

/** Format version this parser reads (`version: 1`, optional). */
export const CONFIG_VERSION = 1;

export const TOP_KEYS = ['version', 'bonds'] as const;
export const BOND_KEYS = ['mode', 'options', 'slaves', 'primary', ...IP_KEYS, 'mtu', 'mac', 'backend', 'drift', 'up', 'vlans', 'bridge'] as const;
const SLAVE_KEYS = ['name', 'mac', 'match'];

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
  const ip = newIpAcc();
  const badAddressLayers: BadAddressLayers = new Set();
  let vlans: DesiredBond['vlans'];
  let bridge: DesiredBond['bridge'];
  let mtu: number | undefined;
  let macAddress: string = DEFAULT_MAC_POLICY;
  let backend: BackendKind = DEFAULT_BACKEND;
  let drift: DriftPolicy = DEFAULT_DRIFT;
  let up = true;

  const entries = w.entries(map, path, BOND_KEYS);
  for (const { key, keyNode: kn, value } of entries) {
    const p = `${path}.${key}`;
    if (parseIpKey(w, key, kn, value, p, ip, refs, '')) continue;
    refs.set(key, value ?? kn);
    if (key === 'vlans') {
      vlans = parseVlans(w, name, value, p, refs, badAddressLayers);
      continue;
    }
    if (value === null && key !== 'options' && key !== 'slaves') {
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
      case 'bridge':
        bridge = parseBridge(w, value, kn, p, 'bridge.', refs, badAddressLayers);
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
    ...ipFields(ip),
    ...(mtu !== undefined ? { mtu } : {}),
    macAddress,
    backend,
    drift,
    up,
    origin: { file: w.file, line: w.place(keyNode, '').line, column: w.place(keyNode, '').column },
    ...(vlans && vlans.length ? { vlans } : {}),
    ...(bridge ? { bridge } : {}),
  };
  if (primaryNode) refs.set('primary', primaryNode, primaryPath);

  const at: Locator = (ref) => {
    const exact = refs.get(ref);
    if (exact) return w.place(exact.node, exact.path ?? `${path}.${ref}`);
    // The nearest enclosing key that was written (`vlans.100.gateway.v4` → `vlans.100.gateway` → `vlans.100` ...).
    const parent = (r: string) => r.replace(/(\.[^.[]+|\[\d+\])$/, '');
    for (let up = parent(ref), last = ref; up && up !== last; last = up, up = parent(up)) {
      const near = refs.get(up);
      if (near) return w.place(near.node, `${path}.${ref}`);
    }
    return w.place(keyNode, `${path}.${ref}`);
  };

  // Cross-field checks only make sense on fields that parsed: a bad miimon would otherwise also
  // be reported as "updelay needs miimon", a bad slave as "primary is not a slave".
  if (mode !== undefined) {
    checkBond(bond, at, w.diag, { options: optionsOk, membership: slavesOk, reachability: ip.addressesOk, badAddressLayers });
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
    } else if (key === 'match') {
      // Hardware match, resolved when applying: {name: glob, driver: glob}.
      if (!isMap(value)) {
        w.error(value, p, 'match is a map {name: "eth*", driver: ixgbe}');
        ok = false;
        continue;
      }
      const m: { name?: string; driver?: string } = {};
      for (const me of w.entries(value, p, ['name', 'driver'])) {
        const text = w.string(me.value, `${p}.${me.key}`, 'a name or glob');
        if (text === undefined || text === '' || text.includes('/')) {
          if (text !== undefined) w.error(me.value, `${p}.${me.key}`, `${JSON.stringify(text)} is not a name or glob`);
          ok = false;
        } else m[me.key as 'name' | 'driver'] = text;
      }
      if (m.name === undefined && m.driver === undefined) {
        w.error(value, p, 'match needs name or driver');
        ok = false;
      } else spec.match = m;
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
  if (spec.name === undefined && spec.permMac === undefined && spec.match === undefined) {
    w.error(node, path, 'a slave needs a name, a mac (its permanent MAC address) or a match (name glob, driver)');
    return undefined;
  }
  // Same key order as the other constructors (name, permMac, options, origin).
  return {
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.match !== undefined ? { match: spec.match } : {}),
    ...(spec.permMac !== undefined ? { permMac: spec.permMac } : {}),
    options: spec.options,
    ...(spec.origin ? { origin: spec.origin } : {}),
  };
}

