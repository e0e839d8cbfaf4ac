/**
 * The IP configuration every layer of a bond's stack can carry in bondd.yaml (the bond, a VLAN,
 * a bridge): `addresses`, `gateway`, `routes`, `dhcp`, `accept_ra`. One parser for all layers, so
 * the keys mean the same thing wherever they appear.
 *
 * Logical references (for check.ts Locators) are prefixed with the layer's place in the bond:
 * `addresses[0]` on the bond, `vlans.100.gateway.v4` on VLAN 100, `vlans.100.bridge.routes[1].via`
 * on that VLAN's bridge.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { type Cidr, hostAddressWarning, networkOf, parseCidr, parseIp } from './addr.js';
import { suggest } from './check.js';
import { DHCP_MODES, type DhcpMode, type IpConfig, type RouteSpec } from './types.js';
import { booleanOf, describe, type Refs, type Walker } from './yaml-walker.js';

/** Keys of the IP configuration, valid on every layer. */
export const IP_KEYS = ['addresses', 'gateway', 'routes', 'dhcp', 'accept_ra'] as const;
const ROUTE_KEYS = ['to', 'via', 'metric', 'replace'];

/** IP configuration being collected for one layer. */
export interface IpAcc {
  addresses: string[];
  /** False when an address failed to parse (gateways are then not checked against the rest). */
  addressesOk: boolean;
  gateway?: { v4?: string; v6?: string };
  routes: RouteSpec[];
  dhcp?: DhcpMode;
  acceptRa?: boolean;
  /** The IP keys written for this layer (a bridge port may not have any). */
  written: string[];
}

export function newIpAcc(): IpAcc {
  return { addresses: [], addressesOk: true, routes: [], written: [] };
}

/** The model's IpConfig fields (optional ones only when set). */
export function ipFields(acc: IpAcc): IpConfig {
  return {
    addresses: acc.addresses,
    ...(acc.gateway && (acc.gateway.v4 !== undefined || acc.gateway.v6 !== undefined) ? { gateway: acc.gateway } : {}),
    routes: acc.routes,
    ...(acc.dhcp !== undefined && acc.dhcp !== 'none' ? { dhcp: acc.dhcp } : {}),
    ...(acc.acceptRa !== undefined ? { acceptRa: acc.acceptRa } : {}),
  };
}

/**
 * Parses one key of a layer if it is an IP key (returns false otherwise). `p` is the YAML key
 * path, `prefix` the logical reference prefix of the layer ('' for the bond, `vlans.100.`).
 */
export function parseIpKey(w: Walker, key: string, keyNode: Node, value: Node | null, p: string, acc: IpAcc, refs: Refs, prefix: string): boolean {
  if (!(IP_KEYS as readonly string[]).includes(key)) return false;
  acc.written.push(key);
  refs.set(`${prefix}${key}`, value ?? keyNode, p);
  if (value === null) {
    if (key === 'addresses' || key === 'routes') return true; // an empty list
    w.error(keyNode, p, 'needs a value');
    return true;
  }
  switch (key) {
    case 'addresses':
      parseAddresses(w, value, p, acc, refs, prefix);
      break;
    case 'gateway':
      acc.gateway = parseGateway(w, value, p, refs, prefix);
      break;
    case 'routes':
      if (!isSeq(value)) {
        w.error(value, p, `must be a list of {to: ..., via: ..., metric: ...}, not ${describe(value)}`);
        break;
      }
      value.items.forEach((item, i) => {
        const r = parseRoute(w, w.deref(item), `${p}[${i}]`, `${prefix}routes[${acc.routes.length}]`, refs);
        if (r) acc.routes.push(r);
      });
      break;
    case 'dhcp': {
      // `dhcp: true` / `false` read as both families / none (netplan's dhcp4: true habit).
      const v = isScalar(value) ? value.value : undefined;
      const s = v === true ? 'both' : v === false ? 'none' : typeof v === 'string' ? v : undefined;
      if (s !== undefined && (DHCP_MODES as readonly string[]).includes(s)) acc.dhcp = s as DhcpMode;
      else w.error(value, p, `${describe(value)} is not a DHCP mode (valid: ${DHCP_MODES.join(', ')})${typeof v === 'string' ? suggest(v, DHCP_MODES) : ''}`);
      break;
    }
    case 'accept_ra': {
      const b = isScalar(value) ? booleanOf(value.value) : undefined;
      if (b === undefined) w.error(value, p, `${describe(value)} is not true or false`);
      else acc.acceptRa = b;
      break;
    }
  }
  return true;
}

function parseAddresses(w: Walker, value: Node, p: string, acc: IpAcc, refs: Refs, prefix: string): void {
  const items = isSeq(value) ? value.items.map((x) => w.deref(x)) : [value];
  items.forEach((n, i) => {
    const ip = `${p}[${i}]`;
    const s = w.string(n, ip, 'an address in CIDR form (192.0.2.10/24)');
    if (s === undefined) {
      acc.addressesOk = false;
      return;
    }
    const c = parseCidr(s);
    if (typeof c === 'string') {
      acc.addressesOk = false;
      return w.error(n, ip, c);
    }
    const warn = hostAddressWarning(c);
    if (warn) w.warn(n, ip, warn);
    if (acc.addresses.includes(c.text)) return w.error(n, ip, `${c.text} is listed twice`);
    refs.set(`${prefix}addresses[${acc.addresses.length}]`, n!, ip);
    acc.addresses.push(c.text);
  });
}

export function parseGateway(w: Walker, node: Node, path: string, refs: Refs, prefix = ''): IpConfig['gateway'] {
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
      w.error(n, p, `a second IPv${ip.family} gateway (${ip.text}); a layer has at most one default gateway per family (use routes: for more)`);
      continue;
    }
    gw[fam] = ip.text;
    refs.set(`${prefix}gateway.${fam}`, n!, p);
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
