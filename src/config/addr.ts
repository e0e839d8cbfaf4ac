/**
 * Address, prefix and MAC helpers shared by the bondd.yaml parser and the ifcfg importer.
 * Functions return an error string (what is wrong and what is valid) instead of throwing, so the
 * parsers can attach a position and keep collecting problems.
 */

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Address as a 32- or 128-bit number. */
  addr: bigint;
  prefix: number;
  /** Canonical text: `192.0.2.10/24`, `2001:db8::10/64`. */
  text: string;
}

export function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are refused: inet_aton reads them as octal, ip(8) as decimal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

export function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

export function parseIPv6(s: string): bigint | undefined {
  if (s.length === 0 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  // Embedded IPv4 in the last 32 bits (::ffff:192.0.2.1): rewrite it as two hex groups.
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (lastColon < 0 || v4 === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return undefined;
  let groups: string[];
  if (dbl >= 0) {
    const a = text.slice(0, dbl);
    const b = text.slice(dbl + 2);
    const left = a === '' ? [] : a.split(':');
    const right = b === '' ? [] : b.split(':');
    if (left.length + right.length > 7) return undefined;
    groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  } else {
    groups = text.split(':');
    if (groups.length !== 8) return undefined;
  }
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/**
 * RFC 5952 text: lower case, longest run (>= 2) of zero groups compressed, first one on ties;
 * an IPv4-mapped address keeps its IPv4 part dotted (`::ffff:192.0.2.1`), as inet_ntop and `ip`
 * print it (RFC 5952 section 5), so the config, the kernel and the CLI agree on the text.
 */
export function formatIPv6(v: bigint): string {
  if (v >> 32n === 0xffffn) return `::ffff:${formatIPv4(v & 0xffffffffn)}`;
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export interface Ip {
  family: Family;
  addr: bigint;
  text: string;
}

export function parseIp(s: string): Ip | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 4, addr: v4, text: formatIPv4(v4) };
  const v6 = parseIPv6(s);
  if (v6 !== undefined) return { family: 6, addr: v6, text: formatIPv6(v6) };
  return undefined;
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function prefixMask(family: Family, prefix: number): bigint {
  const b = BigInt(bits(family));
  return prefix === 0 ? 0n : ((1n << b) - 1n) ^ ((1n << (b - BigInt(prefix))) - 1n);
}

export function formatIp(family: Family, addr: bigint): string {
  return family === 4 ? formatIPv4(addr) : formatIPv6(addr);
}

/**
 * Parses `addr/prefix`. `defaultPrefix` (per family) is used when there is no `/prefix`; without
 * it the prefix is required. Returns an error string on failure.
 */
export function parseCidr(s: string, defaultPrefix?: { 4?: number; 6?: number }): Cidr | string {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) {
    return `'${s}' is not a valid address (expected a dotted-quad IPv4 address such as 192.0.2.10/24 or an IPv6 address such as 2001:db8::10/64)`;
  }
  let prefix: number;
  const max = bits(ip.family);
  if (slash < 0) {
    const d = defaultPrefix?.[ip.family];
    if (d === undefined) return `'${s}' has no prefix length (write it as ${ip.text}/<0-${max}>)`;
    prefix = d;
  } else {
    const p = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) {
      return `'${s}' has an invalid prefix length '${p}' (valid: 0..${max} for IPv${ip.family})`;
    }
    prefix = Number(p);
  }
  return { family: ip.family, addr: ip.addr, prefix, text: `${ip.text}/${prefix}` };
}

/** The network of a CIDR in canonical text (host bits cleared). */
export function networkOf(c: Cidr): string {
  return `${formatIp(c.family, c.addr & prefixMask(c.family, c.prefix))}/${c.prefix}`;
}

export function contains(net: Cidr, ip: Ip): boolean {
  if (net.family !== ip.family) return false;
  const m = prefixMask(net.family, net.prefix);
  return (net.addr & m) === (ip.addr & m);
}

export function isIPv6LinkLocal(ip: Ip): boolean {
  return ip.family === 6 && ip.addr >> 118n === 0x3fan; // fe80::/10
}

/** A dotted netmask to a prefix length; undefined when the ones are not contiguous. */
export function netmaskToPrefix(mask: string): number | undefined {
  const v = parseIPv4(mask);
  if (v === undefined) return undefined;
  for (let p = 0; p <= 32; p++) if (prefixMask(4, p) === v) return p;
  return undefined;
}

/** Classful default prefix, as initscripts' ipcalc uses when an ifcfg file has neither PREFIX nor NETMASK. */
export function classfulPrefix(v4: bigint): number {
  const first = Number(v4 >> 24n);
  if (first < 128) return 8;
  if (first < 192) return 16;
  return 24;
}

/**
 * Normalises a MAC (`aa:bb:cc:dd:ee:ff`, also `-` separators, any case) to lower-case colon form.
 * Returns undefined when it is not six hex octets.
 */
export function normaliseMac(s: string): string | undefined {
  const m = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(s);
  if (!m) return undefined;
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase();
}

/** Why a (normalised) MAC cannot be an interface address, or undefined when it can. */
export function macProblem(mac: string): string | undefined {
  if (mac === '00:00:00:00:00:00') return 'the all-zero address cannot be assigned to an interface';
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    return 'is a multicast address (the low bit of the first octet is set); an interface address must be unicast, e.g. 52:54:00:12:34:56';
  }
  return undefined;
}

/**
 * Checks a gateway against the bond's addresses: it must be inside one of the subnets of its
 * family (an IPv6 link-local gateway is always reachable). Returns an error string or undefined.
 */
export function gatewayProblem(gw: Ip, addresses: readonly Cidr[], owner = 'the bond'): string | undefined {
  if (isIPv6LinkLocal(gw)) return undefined;
  const same = addresses.filter((a) => a.family === gw.family);
  if (same.some((a) => contains(a, gw))) return undefined;
  if (same.length === 0) {
    return `${gw.text} is not reachable: ${owner} has no IPv${gw.family} address (add one whose subnet contains the gateway)`;
  }
  return `${gw.text} is outside ${owner}'s IPv${gw.family} subnets (${same.map(networkOf).join(', ')}); the kernel would refuse the route (Network is unreachable)`;
}

/**
 * A warning for an IPv4 interface address that is its subnet's network or broadcast address
 * (legal for the kernel, almost always a typo), or undefined.
 */
export function hostAddressWarning(c: Cidr): string | undefined {
  if (c.family !== 4 || c.prefix > 30) return undefined;
  const m = prefixMask(4, c.prefix);
  if ((c.addr & ~m & 0xffffffffn) === 0n) return `${c.text} is the network address of ${networkOf(c)}; a host address was probably meant`;
  if ((c.addr | (~m & 0xffffffffn)) === c.addr) return `${c.text} is the broadcast address of ${networkOf(c)}; a host address was probably meant`;
  return undefined;
}
