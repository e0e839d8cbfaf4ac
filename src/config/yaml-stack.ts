/**
 * The bond's stack in bondd.yaml: `vlans:` (a map keyed by 802.1Q id) and `bridge:` (on the bond
 * or on a VLAN). Each layer takes the IP keys of yaml-layer.ts; cross-layer rules (a bridge port
 * carries no IP configuration, MTUs, forward delay with STP) are checked in check.ts on the model.
 */
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { ifnameProblem } from './check.js';
import { type BridgeSpec, MTU_MAX, MTU_MIN, type Origin, type VlanSpec } from './types.js';
import { IP_KEYS, ipFields, newIpAcc, parseIpKey } from './yaml-layer.js';
import { booleanOf, describe, type Refs, type Walker } from './yaml-walker.js';

export const VLAN_KEYS = ['name', 'mtu', 'bridge', ...IP_KEYS] as const;
export const BRIDGE_KEYS = ['name', 'stp', 'forward_delay', 'mtu', ...IP_KEYS] as const;
export const VLAN_ID_MIN = 1;
export const VLAN_ID_MAX = 4094;

/** Layers whose addresses failed to parse (their gateways are not checked against the rest). */
export type BadAddressLayers = Set<string>;

function originOf(w: Walker, node: Node): Origin {
  const p = w.place(node, '');
  return { file: w.file, line: p.line, ...(p.column !== undefined ? { column: p.column } : {}) };
}

function parseMtu(w: Walker, value: Node | null, p: string): number | undefined {
  if (isScalar(value) && typeof value.value === 'number' && Number.isInteger(value.value) && value.value >= MTU_MIN && value.value <= MTU_MAX) return value.value;
  w.error(value, p, `${describe(value)} is not a valid MTU (a whole number from ${MTU_MIN} to ${MTU_MAX})`);
  return undefined;
}

/** An interface name for a stack device; undefined (with an error) when it is not valid. */
function parseName(w: Walker, value: Node | null, p: string): string | undefined {
  const s = w.string(value, p, 'an interface name');
  if (s === undefined) return undefined;
  const bad = ifnameProblem(s);
  if (bad) {
    w.error(value, p, bad);
    return undefined;
  }
  return s;
}

/** `vlans:` under a bond: a map from VLAN id to the VLAN's layer (or nothing: a VLAN without IP). */
export function parseVlans(w: Walker, bondName: string, value: Node | null, path: string, refs: Refs, bad: BadAddressLayers): VlanSpec[] {
  if (value === null) return [];
  if (!isMap(value)) {
    w.error(value, path, `must be a map keyed by VLAN id (vlans: {100: {addresses: [...]}}), not ${describe(value)}`);
    return [];
  }
  const vlans: VlanSpec[] = [];
  const seen = new Map<number, Node>();
  for (const pair of value.items) {
    const keyNode = pair.key as Node;
    const idText = w.keyText(pair, path);
    if (idText === undefined) continue;
    const p = `${path}.${idText}`;
    const id = isScalar(keyNode) && typeof keyNode.value === 'number' ? keyNode.value : /^\d+$/.test(idText) ? Number(idText) : NaN;
    if (!Number.isInteger(id) || id < VLAN_ID_MIN || id > VLAN_ID_MAX) {
      w.error(keyNode, p, `${JSON.stringify(idText)} is not a VLAN id (a whole number from ${VLAN_ID_MIN} to ${VLAN_ID_MAX}); vlans: is keyed by id`);
      continue;
    }
    const first = seen.get(id);
    if (first) {
      w.error(keyNode, p, `VLAN ${id} is defined twice (first at line ${w.place(first, '').line}); merge the two definitions`);
      continue;
    }
    seen.set(id, keyNode);
    refs.set(`vlans.${id}`, keyNode, p);
    const vlan = parseVlan(w, bondName, id, keyNode, w.valueOf(pair), p, refs, bad);
    if (vlan) vlans.push(vlan);
  }
  return vlans;
}

function parseVlan(w: Walker, bondName: string, id: number, keyNode: Node, value: Node | null, path: string, refs: Refs, bad: BadAddressLayers): VlanSpec | undefined {
  const prefix = `vlans.${id}.`;
  const acc = newIpAcc();
  let name = `${bondName}.${id}`;
  let nameOk = true;
  let mtu: number | undefined;
  let bridge: BridgeSpec | undefined;
  if (value !== null && !isMap(value)) {
    w.error(value, path, `a VLAN is a map (name, mtu, addresses, gateway, routes, dhcp, accept_ra, bridge) or empty, not ${describe(value)}`);
    return undefined;
  }
  for (const { key, keyNode: kn, value: v } of value === null ? [] : w.entries(value, path, VLAN_KEYS)) {
    const p = `${path}.${key}`;
    if (parseIpKey(w, key, kn, v, p, acc, refs, prefix)) continue;
    refs.set(`${prefix}${key}`, v ?? kn, p);
    if (key === 'name') {
      const n = parseName(w, v, p);
      if (n === undefined) nameOk = false;
      else name = n;
    } else if (key === 'mtu') mtu = parseMtu(w, v, p);
    else if (key === 'bridge') bridge = parseBridge(w, v, kn, p, `${prefix}bridge.`, refs, bad);
  }
  if (!nameOk) return undefined;
  if (!acc.addressesOk) bad.add(prefix);
  if (ifnameProblem(name)) {
    w.error(keyNode, `${path}.name`, `the default name: ${ifnameProblem(name)}; give the VLAN a name:`);
    return undefined;
  }
  return { id, name, ...(mtu !== undefined ? { mtu } : {}), ...ipFields(acc), ...(bridge ? { bridge } : {}), origin: originOf(w, keyNode) };
}

/**
 * `bridge:` under the bond or a VLAN: a map (name required) or just the bridge's name. The
 * device it sits under becomes a port of the bridge.
 */
export function parseBridge(w: Walker, value: Node | null, keyNode: Node, path: string, prefix: string, refs: Refs, bad: BadAddressLayers): BridgeSpec | undefined {
  if (isScalar(value) && typeof value.value === 'string') {
    const name = parseName(w, value, path);
    if (name === undefined) return undefined;
    refs.set(`${prefix}name`, value, path);
    return { name, addresses: [], routes: [], origin: originOf(w, value) };
  }
  if (!isMap(value)) {
    w.error(value ?? keyNode, path, `a bridge is a map with at least name: (bridge: {name: br0, addresses: [...]}) or just its name, not ${describe(value)}`);
    return undefined;
  }
  return parseBridgeMap(w, value, keyNode, path, prefix, refs, bad);
}

function parseBridgeMap(w: Walker, map: YAMLMap, keyNode: Node, path: string, prefix: string, refs: Refs, bad: BadAddressLayers): BridgeSpec | undefined {
  const acc = newIpAcc();
  let name: string | undefined;
  let nameOk = true;
  let stp: boolean | undefined;
  let forwardDelay: number | undefined;
  let mtu: number | undefined;
  for (const { key, keyNode: kn, value } of w.entries(map, path, BRIDGE_KEYS)) {
    const p = `${path}.${key}`;
    if (parseIpKey(w, key, kn, value, p, acc, refs, prefix)) continue;
    refs.set(`${prefix}${key}`, value ?? kn, p);
    if (key === 'name') {
      name = parseName(w, value, p);
      if (name === undefined) nameOk = false;
    } else if (key === 'stp') {
      stp = isScalar(value) ? booleanOf(value.value) : undefined;
      if (stp === undefined) w.error(value ?? kn, p, `${describe(value)} is not true or false`);
    } else if (key === 'forward_delay') {
      forwardDelay = parseForwardDelay(w, value ?? null, p);
    } else if (key === 'mtu') mtu = parseMtu(w, value, p);
  }
  if (name === undefined) {
    if (nameOk) w.error(keyNode, `${path}.name`, 'a bridge needs a name (bridge: {name: br0, ...})');
    return undefined;
  }
  if (!acc.addressesOk) bad.add(prefix);
  return {
    name,
    ...(stp !== undefined ? { stp } : {}),
    ...(forwardDelay !== undefined ? { forwardDelay } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...ipFields(acc),
    origin: originOf(w, keyNode),
  };
}

/** Seconds, in the kernel's resolution (IFLA_BR_FORWARD_DELAY is in hundredths of a second). */
function parseForwardDelay(w: Walker, value: Node | null, p: string): number | undefined {
  const v = isScalar(value) ? value.value : undefined;
  if (typeof v === 'number' && v >= 0 && v <= 30 && Math.abs(Math.round(v * 100) - v * 100) < 1e-9) return v;
  w.error(value, p, `${describe(value)} is not a forward delay (seconds from 0 to 30, in steps of 0.01)`);
  return undefined;
}
