/**
 * Static routes of the classic network-scripts: route-<dev> and route6-<dev> beside the ifcfg
 * files. initscripts' ifup-routes reads them in one of two formats:
 *
 *   - key=value (IPv4 only), recognised by ADDRESS<n>= lines:
 *       ADDRESS0=198.51.100.0  NETMASK0=255.255.255.0  GATEWAY0=192.0.2.1  METRIC0=100
 *   - `ip route add` arguments, one route a line (`dev <dev>` is implied):
 *       198.51.100.0/24 via 192.0.2.1 metric 100
 *       default via 192.0.2.254
 *       203.0.113.0/24 dev bond0
 *
 * Anything a bondd route cannot express (table, src, proto, scope, onlink, type words such as
 * `unreachable`, another dev) is an error naming the line: dropping it silently would route
 * differently than the host does today.
 */
import { type Cidr, networkOf, netmaskToPrefix, parseCidr, parseIPv4, parseIp, formatIPv4 } from './addr.js';
import type { Place } from './check.js';
import type { Diagnostics } from './errors.js';
import type { RouteSpec } from './types.js';

export interface ImportedRoute {
  route: RouteSpec;
  /** Where the destination was written (for later checks such as "next hop outside the subnets"). */
  place: Place;
}

const METRIC_MAX = 0xffffffff;

/** Routes of one route-<dev> (family 4) or route6-<dev> (family 6) file. */
export function parseRouteFile(text: string, path: string, family: 4 | 6, dev: string, diag: Diagnostics): ImportedRoute[] {
  const lines = text.split(/\r?\n/).map((raw, i) => ({ text: raw.replace(/#.*$/, '').trim(), line: i + 1 }));
  const content = lines.filter((l) => l.text !== '');
  if (family === 4 && content.some((l) => /^ADDRESS[0-9]+=/.test(l.text))) return keyValueRoutes(content, path, diag);
  const out: ImportedRoute[] = [];
  for (const l of content) {
    const r = ipRouteLine(l.text, { file: path, line: l.line, path: '' }, family, dev, diag);
    if (r) out.push(r);
  }
  return out;
}

function keyValueRoutes(lines: { text: string; line: number }[], file: string, diag: Diagnostics): ImportedRoute[] {
  const values = new Map<string, { value: string; line: number }>();
  for (const l of lines) {
    const m = /^([A-Z]+)([0-9]+)=(.*)$/.exec(l.text);
    if (!m || !['ADDRESS', 'NETMASK', 'GATEWAY', 'METRIC', 'OPTIONS'].includes(m[1]!)) {
      diag.error({ file, line: l.line, path: l.text.split('=')[0] ?? '', message: `'${l.text}' is not ADDRESSn=, NETMASKn=, GATEWAYn= or METRICn=` });
      continue;
    }
    values.set(`${m[1]}${m[2]}`, { value: m[3]!.replace(/^(["'])(.*)\1$/, '$2'), line: l.line });
  }
  const out: ImportedRoute[] = [];
  // ifup-routes walks ADDRESS0, ADDRESS1, ... and stops at the first gap.
  for (let n = 0; values.has(`ADDRESS${n}`); n++) {
    const address = values.get(`ADDRESS${n}`)!;
    const place = (key: string): Place => ({ file, line: values.get(`${key}${n}`)?.line ?? address.line, path: `${key}${n}` });
    const ip = parseIPv4(address.value);
    if (ip === undefined) {
      diag.error({ ...place('ADDRESS'), message: `'${address.value}' is not a valid IPv4 address` });
      continue;
    }
    let prefix = 32;
    const mask = values.get(`NETMASK${n}`);
    if (mask) {
      const p = netmaskToPrefix(mask.value);
      if (p === undefined) {
        diag.error({ ...place('NETMASK'), message: `'${mask.value}' is not a netmask (e.g. 255.255.255.0)` });
        continue;
      }
      prefix = p;
    }
    const to = destination({ family: 4, addr: ip, prefix, text: `${formatIPv4(ip)}/${prefix}` }, place('ADDRESS'), diag);
    if (!to) continue;
    const route: RouteSpec = { to };
    const gw = values.get(`GATEWAY${n}`);
    if (gw) {
      const via = parseIPv4(gw.value);
      if (via === undefined) {
        diag.error({ ...place('GATEWAY'), message: `'${gw.value}' is not a valid IPv4 address` });
        continue;
      }
      route.via = formatIPv4(via);
    }
    const metric = values.get(`METRIC${n}`);
    if (metric) {
      const m = metricValue(metric.value);
      if (m === undefined) {
        diag.error({ ...place('METRIC'), message: `'${metric.value}' is not a metric (a whole number from 0 to ${METRIC_MAX})` });
        continue;
      }
      route.metric = m;
    }
    if (values.has(`OPTIONS${n}`)) {
      diag.error({ ...place('OPTIONS'), message: `OPTIONS${n} (extra ip route arguments) can not be imported; write the route under routes: in bondd.yaml without them, or keep it outside bondd` });
      continue;
    }
    out.push({ route, place: place('ADDRESS') });
  }
  for (const key of values.keys()) {
    const n = Number(/[0-9]+$/.exec(key)![0]);
    if (!values.has(`ADDRESS${n}`) || [...Array(n).keys()].some((k) => !values.has(`ADDRESS${k}`))) {
      const v = values.get(key)!;
      diag.warn({ file, line: v.line, path: key, message: `${key} is ignored: ifup-routes reads ADDRESS0, ADDRESS1, ... and stops at the first missing number` });
    }
  }
  return out;
}

/** One route in `ip route add` argument form (destination first, `dev` must be `dev` if given). */
export function ipRouteLine(text: string, place: Place, family: 4 | 6, dev: string, diag: Diagnostics): ImportedRoute | undefined {
  const words = text.split(/\s+/);
  const fail = (message: string): undefined => {
    diag.error({ ...place, message: `'${text}': ${message}` });
    return undefined;
  };
  const first = words.shift()!;
  let to: string | undefined;
  let defaultRoute = false;
  if (first === 'default' || (family === 4 && first === '0.0.0.0/0') || (family === 6 && first === '::/0')) defaultRoute = true;
  else {
    const c = parseCidr(first, { 4: 32, 6: 128 });
    if (typeof c === 'string') return fail(`${c}; a route line starts with its destination (198.51.100.0/24, or default)`);
    if (c.family !== family) return fail(`${first} is IPv${c.family}, but ${family === 4 ? `route-${dev}` : `route6-${dev}`} holds IPv${family} routes`);
    to = destination(c, place, diag);
    if (!to) return undefined;
  }
  const route: Partial<RouteSpec> = {};
  while (words.length) {
    const word = words.shift()!;
    const arg = words.shift();
    if (arg === undefined) return fail(`'${word}' needs a value`);
    if (word === 'via') {
      const ip = parseIp(arg);
      if (!ip) return fail(`'${arg}' is not an IP address`);
      if (ip.family !== family) return fail(`next hop ${ip.text} is IPv${ip.family}, the route is IPv${family}`);
      route.via = ip.text;
    } else if (word === 'dev') {
      if (arg !== dev) return fail(`dev ${arg}: only routes through ${dev} can be imported from this file`);
    } else if (word === 'metric' || word === 'preference' || word === 'priority') {
      const m = metricValue(arg);
      if (m === undefined) return fail(`'${arg}' is not a metric (a whole number from 0 to ${METRIC_MAX})`);
      route.metric = m;
    } else {
      return fail(`'${word}' is not supported: bondd routes have a destination, via and metric only; write the route under routes: in bondd.yaml without it, or keep it outside bondd`);
    }
  }
  if (defaultRoute) {
    if (!route.via) return fail('a default route needs via (or use GATEWAY in the ifcfg file)');
    to = family === 4 ? '0.0.0.0/0' : '::/0';
  }
  return { route: { to: to!, ...route }, place };
}

function destination(c: Cidr, place: Place, diag: Diagnostics): string | undefined {
  if (networkOf(c) === c.text) return c.text;
  diag.error({ ...place, message: `${c.text} has host bits set; a route destination is a network (${networkOf(c)})` });
  return undefined;
}

function metricValue(s: string): number | undefined {
  if (!/^[0-9]{1,10}$/.test(s) || Number(s) > METRIC_MAX) return undefined;
  return Number(s);
}
