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
import type { DesiredBond } from './types.js';

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

/** Parses the bond's addresses back (they are canonical already). */
function cidrs(bond: DesiredBond): Cidr[] {
  return bond.addresses.map((a) => parseCidr(a)).filter((c): c is Cidr => typeof c !== 'string');
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

  if (!reachability) return;
  const nets = cidrs(bond);
  for (const fam of ['v4', 'v6'] as const) {
    const gw = bond.gateway?.[fam];
    if (gw === undefined) continue;
    const ip = parseIp(gw);
    if (!ip) continue; // reported by the parser
    const want = fam === 'v4' ? 4 : 6;
    if (ip.family !== want) continue;
    const problem = gatewayProblem(ip, nets);
    if (problem) diag.error({ ...at(`gateway.${fam}`), message: problem });
  }

  bond.routes.forEach((r, i) => {
    if (r.via === undefined) return;
    const via = parseIp(r.via);
    const to = parseCidr(r.to);
    if (!via || typeof to === 'string') return;
    if (via.family !== to.family) return; // reported by the parser
    if (isIPv6LinkLocal(via)) return;
    if (!nets.some((n) => contains(n, via))) {
      const same = nets.filter((n) => n.family === via.family).map(networkOf);
      diag.error({
        ...at(`routes[${i}].via`),
        message: `next hop ${r.via} is outside the bond's IPv${via.family} subnets (${same.length ? same.join(', ') : 'none'}); the kernel would refuse the route (Network is unreachable)`,
      });
    }
  });
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

