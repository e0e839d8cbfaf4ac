/**
 * Checks shared by the bondd.yaml parser and the ifcfg importer. They work on the built model and
 * report through a Locator, which maps a logical reference inside a bond (`options.miimon`,
 * `primary`, `slaves[1]`, `gateway.v4`, `routes[0].via`, ...) to a file position and key path in
 * whatever format the bond came from.
 */
import { findOption, findSlaveOption, parseOptionValue, validateOptionSet } from '../bond/options.js';
import { validateIfname } from '../bond/names.js';
import type { BondOption, OptionValue } from '../bond/option-types.js';
import { type Cidr, gatewayProblem, isIPv6LinkLocal, parseCidr, parseIp, contains, networkOf } from './addr.js';
import { closest, type ConfigProblem, type Diagnostics } from './errors.js';
import type { BridgeSpec, DesiredBond, IpConfig } from './types.js';

export type Place = Omit<ConfigProblem, 'message'>;
/** Logical reference inside one bond → where it is written. */
export type Locator = (ref: string) => Place;

export type Resolved<T> = { ok: true; value: T } | { ok: false; error: string };

/** The interface-name check from src/bond/names.ts, as an error string. */
export function ifnameProblem(name: string): string | undefined {
  try {
    validateIfname(name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Converts an option value with the table's parser; the error text says what is valid. */
export function convertOption(option: BondOption, raw: string | number | boolean | string[]): Resolved<OptionValue> {
  try {
    return { ok: true, value: parseOptionValue(option, raw) };
  } catch (e) {
    // The table's messages start with the option name, which the key path already shows.
    if (e instanceof RangeError || e instanceof TypeError) return { ok: false, error: e.message.startsWith(`${option.name}: `) ? e.message.slice(option.name.length + 2) : e.message };
    throw e;
  }
}

/** Bond option lookup that explains what went wrong for slave options and misspellings. */
export function lookupBondOption(name: string, knownNames: readonly string[]): Resolved<BondOption> {
  const opt = findOption(name);
  if (opt && !opt.perSlave) return { ok: true, value: opt };
  const slaveOpt = opt ?? findSlaveOption(name);
  if (slaveOpt) {
    return { ok: false, error: `${slaveOpt.name} is a per-slave option; set it on the slave (slaves: [{name: eth0, ${slaveOpt.name}: ...}])` };
  }
  return { ok: false, error: `unknown bond option '${name}'${suggest(name, knownNames)}` };
}

export function suggest(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}

/** Parses a layer's addresses back (they are canonical already). */
function cidrs(layer: IpConfig): Cidr[] {
  return layer.addresses.map((a) => parseCidr(a)).filter((c): c is Cidr => typeof c !== 'string');
}

/**
 * Everything about one bond that needs more than one field: option set (validateOptionSet),
 * primary/active_slave among the slaves, per-slave option modes and queue_id uniqueness,
 * gateways and route next hops inside the bond's subnets.
 */
export interface CheckScope {
  /** Run validateOptionSet (false when an option failed to parse). */
  options?: boolean;
  /** Check primary/active_slave membership and per-slave options (false when a slave failed to parse). */
  membership?: boolean;
  /** Check gateways and next hops against the addresses (false when an address failed to parse). */
  reachability?: boolean;
  /** Stack layers (`vlans.100.`, `bridge.`) whose addresses failed to parse: their gateways are not checked. */
  badAddressLayers?: ReadonlySet<string>;
}

export function checkBond(bond: DesiredBond, at: Locator, diag: Diagnostics, scope: CheckScope = {}): void {
  const { options: doOptions = true, membership = true, reachability = true } = scope;
  const slaveNames = bond.slaves.map((s) => s.name).filter((n): n is string => n !== undefined);
  const nameList = slaveNames.length ? slaveNames.join(', ') : 'none configured by name';

  if (membership && bond.primary !== undefined && !slaveNames.includes(bond.primary)) {
    diag.error({ ...at('primary'), message: `${bond.primary} is not among the slaves of ${bond.name} (slaves: ${nameList})` });
  }
  const active = bond.options['active_slave'];
  if (membership && typeof active === 'string' && active !== '' && !slaveNames.includes(active)) {
    diag.error({ ...at('options.active_slave'), message: `${active} is not among the slaves of ${bond.name} (slaves: ${nameList})` });
  }

  // Cross-option rules of the kernel (mode support, miimon/arp exclusivity, rounding, ...).
  const set: Record<string, OptionValue> = { ...bond.options };
  if (bond.primary !== undefined) set['primary'] = bond.primary;
  for (const p of doOptions ? validateOptionSet(bond.mode, set) : []) {
    const ref = p.option === 'mode' ? 'mode' : p.option === 'primary' && bond.primary !== undefined ? 'primary' : p.option in set ? `options.${p.option}` : 'options';
    const problem = { ...at(ref), message: p.message };
    if (p.severity === 'error') diag.error(problem);
    else diag.warn(problem);
  }

  // Per-slave options: mode support, and nonzero queue_ids must be unique (the kernel refuses
  // a duplicate with EPERM).
  const queueIds = new Map<number, number>();
  bond.slaves.forEach((s, i) => {
    for (const [name, value] of Object.entries(s.options)) {
      const opt = findSlaveOption(name);
      if (opt && !opt.modes.includes(bond.mode)) {
        diag.error({
          ...at(`slaves[${i}].${name}`),
          message: `${name} is not supported in mode ${bond.mode} (the kernel refuses it with EACCES); it applies to: ${opt.modes.join(', ')}`,
        });
      }
      if (name === 'queue_id' && typeof value === 'number' && value !== 0) {
        const first = queueIds.get(value);
        if (first !== undefined) {
          diag.error({
            ...at(`slaves[${i}].queue_id`),
            message: `queue_id ${value} is already used by ${describeSlave(bond, first)}; nonzero queue ids must be unique within a bond`,
          });
        } else queueIds.set(value, i);
      }
    }
  });

  if (reachability && !bond.bridge) checkReachability(bond, '', 'the bond', at, diag);
  checkStack(bond, at, diag, scope.badAddressLayers ?? new Set());
}

/**
 * Gateways and route next hops of one layer must lie inside that layer's own subnets: the kernel
 * resolves a next hop on the device the route names (RTA_OIF), not on another layer of the stack.
 */
function checkReachability(layer: IpConfig, prefix: string, owner: string, at: Locator, diag: Diagnostics): void {
  const nets = cidrs(layer);
  for (const fam of ['v4', 'v6'] as const) {
    const gw = layer.gateway?.[fam];
    if (gw === undefined) continue;
    const ip = parseIp(gw);
    if (!ip) continue; // reported by the parser
    const want = fam === 'v4' ? 4 : 6;
    if (ip.family !== want) continue;
    // With DHCP for the family, the lease brings the subnet; a gateway then cannot be checked here.
    if (coversFamily(layer, want)) continue;
    const problem = gatewayProblem(ip, nets, owner);
    if (problem) diag.error({ ...at(`${prefix}gateway.${fam}`), message: problem });
  }

  layer.routes.forEach((r, i) => {
    if (r.via === undefined) return;
    const via = parseIp(r.via);
    const to = parseCidr(r.to);
    if (!via || typeof to === 'string') return;
    if (via.family !== to.family) return; // reported by the parser
    if (isIPv6LinkLocal(via) || coversFamily(layer, via.family)) return;
    if (!nets.some((n) => contains(n, via))) {
      const same = nets.filter((n) => n.family === via.family).map(networkOf);
      diag.error({
        ...at(`${prefix}routes[${i}].via`),
        message: `next hop ${r.via} is outside ${owner}'s IPv${via.family} subnets (${same.length ? same.join(', ') : 'none'}); the kernel would refuse the route (Network is unreachable)`,
      });
    }
  });
}

/** DHCP of that family configured on the layer (the lease supplies the subnet). */
function coversFamily(layer: IpConfig, family: 4 | 6): boolean {
  const d = layer.dhcp ?? 'none';
  return d === 'both' || d === (family === 4 ? 'ipv4' : 'ipv6');
}

/** True when the layer carries any IP configuration. */
function ipKeysOf(layer: IpConfig): string[] {
  const keys: string[] = [];
  if (layer.addresses.length) keys.push('addresses');
  if (layer.gateway?.v4 !== undefined || layer.gateway?.v6 !== undefined) keys.push('gateway');
  if (layer.routes.length) keys.push('routes');
  if (layer.dhcp !== undefined && layer.dhcp !== 'none') keys.push('dhcp');
  if (layer.acceptRa !== undefined) keys.push('accept_ra');
  return keys;
}

/**
 * The bond's stack: a bridge port carries no IP configuration (its frames belong to the bridge:
 * the kernel hands what a port receives to the bridge's rx handler, so an address on the port is
 * unreachable for IPv4 and confuses neighbours), IP configuration of every layer is reachable,
 * a VLAN's MTU fits inside the bond's, STP bridges have a forward delay the kernel accepts.
 */
export function checkStack(bond: DesiredBond, at: Locator, diag: Diagnostics, badAddressLayers: ReadonlySet<string>): void {
  const port = (layer: IpConfig, prefix: string, device: string, bridge: BridgeSpec) => {
    for (const key of ipKeysOf(layer)) {
      diag.error({
        ...at(`${prefix}${key}`),
        message: `${device} is a port of bridge ${bridge.name}: a bridge port cannot carry ${key === 'accept_ra' ? 'IPv6 settings' : key === 'dhcp' ? 'a DHCP client' : key}; move ${key} under ${prefix}bridge (the bridge is the host's interface)`,
      });
    }
  };
  if (bond.bridge) {
    port(bond, '', bond.name, bond.bridge);
    checkBridge(bond.bridge, 'bridge.', bond.mtu, at, diag, badAddressLayers);
  }
  const ids = new Map<string, number>();
  for (const vlan of bond.vlans ?? []) {
    const prefix = `vlans.${vlan.id}.`;
    const other = ids.get(vlan.name);
    if (other !== undefined) diag.error({ ...at(`${prefix}name`), message: `${vlan.name} is already the name of VLAN ${other}; VLAN names must differ` });
    ids.set(vlan.name, vlan.id);
    if (vlan.name === bond.name) diag.error({ ...at(`${prefix}name`), message: `${vlan.name} is the bond's own name` });
    if (vlan.mtu !== undefined && bond.mtu !== undefined && vlan.mtu > bond.mtu) {
      diag.error({ ...at(`${prefix}mtu`), message: `MTU ${vlan.mtu} is larger than the bond's (${bond.mtu}); the kernel refuses a VLAN MTU above its lower device's (ERANGE)` });
    }
    if (vlan.bridge) {
      port(vlan, prefix, vlan.name, vlan.bridge);
      checkBridge(vlan.bridge, `${prefix}bridge.`, vlan.mtu ?? bond.mtu, at, diag, badAddressLayers);
    } else if (!badAddressLayers.has(prefix)) checkReachability(vlan, prefix, vlan.name, at, diag);
  }
}

function checkBridge(bridge: BridgeSpec, prefix: string, portMtu: number | undefined, at: Locator, diag: Diagnostics, bad: ReadonlySet<string>): void {
  // br_set_forward_delay refuses a delay outside 2..30 s while STP runs (ERANGE).
  if (bridge.stp === true && bridge.forwardDelay !== undefined && bridge.forwardDelay < 2) {
    diag.error({ ...at(`${prefix}forward_delay`), message: `${bridge.forwardDelay} s is too short with STP on: the kernel accepts 2 to 30 seconds (ERANGE); turn stp off for a shorter delay` });
  }
  if (bridge.mtu !== undefined && portMtu !== undefined && bridge.mtu > portMtu) {
    diag.error({ ...at(`${prefix}mtu`), message: `MTU ${bridge.mtu} is larger than its port's (${portMtu}); frames that large could not leave through the port` });
  }
  if (!bad.has(prefix)) checkReachability(bridge, prefix, bridge.name, at, diag);
}

export function describeSlave(bond: DesiredBond, i: number): string {
  const s = bond.slaves[i];
  return s?.name ?? s?.permMac ?? `slave ${i + 1}`;
}

/**
 * Checks across bonds: a slave (by name or permanent MAC) may belong to one bond only, and a bond
 * cannot also be listed as a slave of itself.
 */
export function checkBondSet(bonds: readonly DesiredBond[], at: (bond: DesiredBond) => Locator, diag: Diagnostics): void {
  checkDeviceNames(bonds, at, diag);
  const byName = new Map<string, { bond: DesiredBond; index: number }>();
  const byMac = new Map<string, { bond: DesiredBond; index: number }>();
  for (const bond of bonds) {
    bond.slaves.forEach((s, i) => {
      if (s.name !== undefined && s.name === bond.name) {
        diag.error({ ...at(bond)(`slaves[${i}].name`), message: `${bond.name} cannot be a slave of itself` });
      }
      for (const [key, map, ref] of [
        [s.name, byName, 'name'],
        [s.permMac, byMac, 'mac'],
      ] as const) {
        if (key === undefined) continue;
        const prev = map.get(key);
        if (prev) {
          const where = at(prev.bond)(`slaves[${prev.index}].${ref}`);
          const line = where.line > 0 ? ` (${where.file}:${where.line}${where.column ? `:${where.column}` : ''})` : '';
          const what = prev.bond === bond ? `is listed twice in ${bond.name}` : `is already a slave of ${prev.bond.name}${line}; an interface can belong to one bond only`;
          diag.error({ ...at(bond)(`slaves[${i}].${ref}`), message: `${key} ${what}${prev.bond === bond ? line : ''}` });
        } else map.set(key, { bond, index: i });
      }
    });
  }
}


/** Every device of every stack (bonds, slaves, VLANs, bridges) has a name of its own. */
function checkDeviceNames(bonds: readonly DesiredBond[], at: (bond: DesiredBond) => Locator, diag: Diagnostics): void {
  const seen = new Map<string, string>();
  const claim = (name: string, what: string, bond: DesiredBond, ref: string) => {
    const prev = seen.get(name);
    if (prev !== undefined) diag.error({ ...at(bond)(ref), message: `${name} is already ${prev}; every device of the configuration needs its own name` });
    else seen.set(name, what);
  };
  for (const bond of bonds) seen.set(bond.name, `bond ${bond.name}`);
  for (const bond of bonds) {
    if (bond.bridge) claim(bond.bridge.name, `the bridge on ${bond.name}`, bond, 'bridge.name');
    for (const v of bond.vlans ?? []) {
      claim(v.name, `VLAN ${v.id} of ${bond.name}`, bond, `vlans.${v.id}.name`);
      if (v.bridge) claim(v.bridge.name, `the bridge on ${v.name}`, bond, `vlans.${v.id}.bridge.name`);
    }
  }
  for (const bond of bonds) {
    bond.slaves.forEach((s, i) => {
      const prev = s.name !== undefined && s.name !== bond.name ? seen.get(s.name) : undefined;
      if (prev !== undefined && !prev.startsWith('bond ')) diag.error({ ...at(bond)(`slaves[${i}].name`), message: `${s.name} is ${prev}; it cannot also be a slave` });
    });
  }
}
