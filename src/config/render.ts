/**
 * DesiredConfig → bondd.yaml text (`bondctl import` prints this). Key order is fixed, options are
 * in option-table order, and parseYamlConfig(renderYaml(c)) gives back c (origins aside).
 * Comments name the files each bond and slave came from when they came from elsewhere (ifcfg).
 */
import { Document, isMap, isScalar, isSeq, type Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { BOND_OPTIONS } from '../bond/options.js';
import type { OptionValue } from '../bond/option-types.js';
import { CONFIG_VERSION } from './yaml.js';
import { type BridgeSpec, DEFAULT_MAC_POLICY, type DesiredBond, type DesiredConfig, type IpConfig, type SlaveSpec, type VlanSpec } from './types.js';

export interface RenderOptions {
  /** First comment line(s); default names the sources. */
  header?: string;
}

export function renderYaml(config: DesiredConfig, opts: RenderOptions = {}): string {
  const doc = new Document<YAMLMap>(new YAMLMap(), { version: '1.2' });
  const root = doc.contents!;
  const sources = config.sourceFiles?.length ? config.sourceFiles : [config.source];
  doc.commentBefore =
    opts.header ??
    [' bondd configuration (format: docs/config.md)', ' generated from:', ...sources.map((s) => `   ${s}`)].join('\n');
  root.add(new Pair(new Scalar('version'), new Scalar(CONFIG_VERSION)));
  const bonds = new YAMLMap();
  for (const bond of config.bonds) {
    const key = new Scalar(bond.name);
    if (bond.origin.file !== config.source) key.commentBefore = ` ${bond.name}: from ${bond.origin.file}${bond.origin.line > 0 ? `:${bond.origin.line}` : ''}`;
    bonds.add(new Pair(key, renderBond(bond)));
  }
  root.add(new Pair(new Scalar('bonds'), bonds.items.length ? bonds : new Scalar(null)));
  return doc.toString({ lineWidth: 0, indentSeq: true, nullStr: '' });
}

function put(map: YAMLMap, key: string, value: Node): void {
  map.add(new Pair(new Scalar(key), value));
}

function flowSeq(items: readonly (string | number)[]): YAMLSeq {
  const s = new YAMLSeq();
  for (const i of items) s.add(new Scalar(i));
  s.flow = true;
  return s;
}

/** A string scalar; MAC-like strings are quoted because YAML 1.1 readers take 02:00:00:00:00:01 for a base-60 number. */
function str(v: string): Scalar {
  const s = new Scalar(v);
  if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)) s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

function valueNode(v: OptionValue): Node {
  return Array.isArray(v) ? flowSeq(v) : typeof v === 'string' ? str(v) : new Scalar(v);
}

function tableOrder(names: string[]): string[] {
  const idx = (n: string) => {
    const i = BOND_OPTIONS.findIndex((o) => o.name === n);
    return i < 0 ? Infinity : i;
  };
  return [...names].sort((a, b) => idx(a) - idx(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function renderBond(b: DesiredBond): YAMLMap {
  const m = new YAMLMap();
  put(m, 'mode', new Scalar(b.mode));
  const optionNames = tableOrder(Object.keys(b.options));
  if (optionNames.length) {
    const o = new YAMLMap();
    for (const n of optionNames) put(o, n, valueNode(b.options[n]!));
    put(m, 'options', o);
  }
  const slaves = new YAMLSeq();
  for (const s of b.slaves) slaves.add(renderSlave(s, b));
  put(m, 'slaves', slaves.items.length ? slaves : flowSeq([]));
  if (b.primary !== undefined) put(m, 'primary', new Scalar(b.primary));
  renderIp(m, b);
  if (b.mtu !== undefined) put(m, 'mtu', new Scalar(b.mtu));
  put(m, 'mac', str(b.macAddress ?? DEFAULT_MAC_POLICY));
  put(m, 'backend', new Scalar(b.backend));
  put(m, 'drift', new Scalar(b.drift));
  put(m, 'up', new Scalar(b.up));
  if (b.vlans?.length) {
    const vm = new YAMLMap();
    for (const v of b.vlans) put(vm, String(v.id), renderVlan(v, b));
    // Numeric keys: `100:` reads back as the number the parser expects.
    for (const pair of vm.items) (pair.key as Scalar).value = Number((pair.key as Scalar).value);
    put(m, 'vlans', vm);
  }
  if (b.bridge) put(m, 'bridge', renderBridge(b.bridge));
  return m;
}

/** The IP keys of any layer, in the order the docs list them. */
function renderIp(m: YAMLMap, layer: IpConfig): void {
  if (layer.addresses.length) put(m, 'addresses', flowSeq(layer.addresses));
  const gw = [layer.gateway?.v4, layer.gateway?.v6].filter((g): g is string => g !== undefined);
  if (gw.length === 1) put(m, 'gateway', new Scalar(gw[0]));
  else if (gw.length === 2) put(m, 'gateway', flowSeq(gw));
  if (layer.routes.length) {
    const rs = new YAMLSeq();
    for (const r of layer.routes) {
      const rm = new YAMLMap();
      rm.flow = true;
      put(rm, 'to', new Scalar(r.to));
      if (r.via !== undefined) put(rm, 'via', new Scalar(r.via));
      if (r.metric !== undefined) put(rm, 'metric', new Scalar(r.metric));
      rs.add(rm);
    }
    put(m, 'routes', rs);
  }
  if (layer.dhcp !== undefined && layer.dhcp !== 'none') put(m, 'dhcp', new Scalar(layer.dhcp));
  if (layer.acceptRa !== undefined) put(m, 'accept_ra', new Scalar(layer.acceptRa));
}

function renderVlan(v: VlanSpec, b: DesiredBond): Node {
  const m = new YAMLMap();
  if (v.name !== `${b.name}.${v.id}`) put(m, 'name', new Scalar(v.name));
  if (v.mtu !== undefined) put(m, 'mtu', new Scalar(v.mtu));
  renderIp(m, v);
  if (v.bridge) put(m, 'bridge', renderBridge(v.bridge));
  if (v.origin && v.origin.file !== b.origin.file) m.commentBefore = ` from ${v.origin.file}${v.origin.line > 0 ? `:${v.origin.line}` : ''}`;
  return m.items.length ? m : new Scalar(null);
}

function renderBridge(br: BridgeSpec): YAMLMap {
  const m = new YAMLMap();
  put(m, 'name', new Scalar(br.name));
  if (br.stp !== undefined) put(m, 'stp', new Scalar(br.stp));
  if (br.forwardDelay !== undefined) put(m, 'forward_delay', new Scalar(br.forwardDelay));
  if (br.mtu !== undefined) put(m, 'mtu', new Scalar(br.mtu));
  renderIp(m, br);
  return m;
}

function renderSlave(s: SlaveSpec, b: DesiredBond): Node {
  const names = Object.keys(s.options).sort();
  let node: Node;
  if (s.name !== undefined && s.permMac === undefined && s.match === undefined && names.length === 0) {
    node = new Scalar(s.name);
  } else {
    const sm = new YAMLMap();
    sm.flow = true;
    if (s.name !== undefined) put(sm, 'name', new Scalar(s.name));
    if (s.match !== undefined) {
      const mm = new YAMLMap();
      mm.flow = true;
      if (s.match.name !== undefined) put(mm, 'name', str(s.match.name));
      if (s.match.driver !== undefined) put(mm, 'driver', str(s.match.driver));
      put(sm, 'match', mm);
    }
    if (s.permMac !== undefined) put(sm, 'mac', str(s.permMac));
    for (const n of names) put(sm, n, valueNode(s.options[n]!));
    node = sm;
  }
  if (s.origin && s.origin.file !== b.origin.file && (isScalar(node) || isMap(node) || isSeq(node))) {
    node.comment = ` from ${s.origin.file}${s.origin.line > 0 ? `:${s.origin.line}` : ''}`;
  }
  return node;
}

/**
 * The config without positions and source names, for comparing two configurations that came
 * from different files (the round trip, `bondctl import --check`).
 */
export function withoutOrigins(config: DesiredConfig): { bonds: Omit<DesiredBond, 'origin'>[] } {
  return {
    bonds: config.bonds.map(({ origin: _o, slaves, vlans, bridge, ...rest }) => ({
      ...rest,
      macAddress: rest.macAddress ?? DEFAULT_MAC_POLICY,
      slaves: slaves.map(({ origin: _so, ...s }) => s),
      ...(vlans?.length ? { vlans: vlans.map(({ origin: _vo, bridge: vb, ...v }) => ({ ...v, ...(vb ? { bridge: bridgeWithoutOrigin(vb) } : {}) })) } : {}),
      ...(bridge ? { bridge: bridgeWithoutOrigin(bridge) } : {}),
    })),
  };
}

function bridgeWithoutOrigin({ origin: _o, ...rest }: BridgeSpec): Omit<BridgeSpec, 'origin'> {
  return rest;
}
