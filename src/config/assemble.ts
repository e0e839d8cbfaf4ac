/**
 * One config assembly for every importer (netplan, NetworkManager keyfiles, systemd-networkd,
 * and the stack parts of ifcfg and interfaces). A format parser only reads its syntax and yields
 * *placed settings*: each value with the file:line (and key) it was written at, in the format's
 * own vocabulary translated to bondd's names (a `Draft`). This module turns drafts into the
 * desired-state model (types.ts) with one address parser (addr.ts), one option converter (the
 * option table), one "did you mean" (errors.ts closest()), and one value comparison.
 *
 * Two properties hold for every importer built on it:
 *
 * - **Import what runs today.** An importer reproduces what the old tool made the kernel do and
 *   warns at each difference instead of refusing input that runs today: a delay that is not a
 *   multiple of miimon is stored rounded down by the kernel, so it is imported rounded down with
 *   a warning; an option the mode ignores or refuses never reached the bond, so it is dropped with
 *   a warning. (bondd.yaml stays strict: it goes through yaml.ts, not through here.)
 * - **Nothing is lost silently.** A Ledger records every key or line the parser saw; the parser
 *   marks what it used; a key that was neither used nor named by a warning or an error gets a
 *   warning at the end, and every interface the input defines is either part of a bond's stack or
 *   named as not imported. The accounting is returned with the result, so a test can check it.
 */
import { ARP_INTERVAL_OPTION, BOND_OPTIONS, findOption, findSlaveOption, MIIMON_OPTION, MODE_OPTION, PRIMARY_OPTION, sameOptionValue } from '../bond/options.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { hostAddressWarning, macProblem, normaliseMac, networkOf, parseCidr, parseIp } from './addr.js';
import { checkBond, checkBondSet, convertOption, ifnameProblem, lookupBondOption, type Locator, type Place } from './check.js';
import { closest, ConfigError, type ConfigProblem, type ConfigResult, type ConfigWarning, Diagnostics, sortProblems } from './errors.js';
import {
  type BridgeSpec,
  DEFAULT_BACKEND,
  DEFAULT_DRIFT,
  DEFAULT_MAC_POLICY,
  type DesiredBond,
  type DhcpMode,
  type IpConfig,
  MTU_MAX,
  MTU_MIN,
  type RouteSpec,
  type SlaveMatch,
  type SlaveSpec,
  type VlanSpec,
} from './types.js';

export type { Place };

/** A value with where it was written. */
export interface Placed<T> {
  value: T;
  place: Place;
}

/** A route as written: `to` is a CIDR or `default`; numbers still text. */
export interface DraftRoute {
  to: string;
  via?: string;
  metric?: string | number;
}

/** IP configuration of one layer as written. */
export interface DraftIp {
  addresses: Placed<string>[];
  gateways: Placed<string>[];
  routes: Placed<DraftRoute>[];
  dhcp4?: Placed<boolean>;
  dhcp6?: Placed<boolean>;
  acceptRa?: Placed<boolean>;
  mtu?: Placed<string | number>;
}

/** A bond or slave option by kernel name (or an alias the option table knows). */
export interface DraftOption {
  name: string;
  raw: string | number | boolean | string[];
}

export interface DraftSlave {
  name?: string;
  permMac?: Placed<string>;
  match?: SlaveMatch;
  options: Placed<DraftOption>[];
  place: Place;
}

export interface DraftBridge extends DraftIp {
  name: string;
  place: Place;
  stp?: Placed<boolean>;
  /** Seconds. */
  forwardDelay?: Placed<string | number>;
}

export interface DraftVlan extends DraftIp {
  id: Placed<string | number>;
  name: string;
  place: Place;
  bridge?: DraftBridge;
}

export interface DraftBond extends DraftIp {
  name: string;
  place: Place;
  mode?: Placed<string>;
  options: Placed<DraftOption>[];
  primary?: Placed<string>;
  slaves: DraftSlave[];
  mac?: Placed<string>;
  up?: boolean;
  vlans: DraftVlan[];
  bridge?: DraftBridge;
  /**
   * Options the old tool sets when the input does not (NetworkManager: miimon 100 when no link
   * monitor is given). Applied only when the input sets neither the option nor a conflicting one.
   */
  toolDefaults?: Placed<DraftOption>[];
}

export function emptyIp(): DraftIp {
  return { addresses: [], gateways: [], routes: [] };
}

// ---------------------------------------------------------------------------------------------
// Accounting
// ---------------------------------------------------------------------------------------------

export type Outcome = 'imported' | 'warning' | 'error';

export interface AccountEntry {
  file: string;
  line: number;
  /** The key (or statement) as written. */
  key: string;
  outcome: Outcome;
}

/** An interface the input defines that is not part of any bond's stack. */
export interface NotImported {
  name: string;
  place: Place;
  reason: string;
}

export interface ImportResult extends ConfigResult {
  /** Every key or line the parser saw, with what became of it. */
  accounting: AccountEntry[];
  /** Interfaces the input defines that bondd leaves alone. */
  notImported: NotImported[];
}

/** A failed import: the problems, plus the accounting up to the failure (for tests). */
export class ImportError extends ConfigError {
  constructor(
    problems: ConfigProblem[],
    warnings: ConfigWarning[],
    readonly accounting: AccountEntry[],
  ) {
    super(problems, warnings);
  }
}

const lineKey = (file: string, line: number) => `${file}\0${line}`;

/**
 * Records every key or line the parser saw. `see` registers an item, `use` marks it imported.
 * Items on a line that has a warning or error are accounted for by that message.
 */
export class Ledger {
  private readonly items: Array<{ place: Place; used: boolean; covered: boolean }> = [];
  private readonly byLine = new Map<string, Array<{ place: Place; used: boolean; covered: boolean }>>();

  see(place: Place): void {
    if (place.line <= 0) return;
    const k = lineKey(place.file, place.line);
    const list = this.byLine.get(k) ?? [];
    if (list.some((x) => x.place.path === place.path)) return;
    const item = { place, used: false, covered: false };
    list.push(item);
    this.byLine.set(k, list);
    this.items.push(item);
  }

  private mark(place: Place, field: 'used' | 'covered'): void {
    if (place.line <= 0) return;
    const k = lineKey(place.file, place.line);
    if (!this.byLine.has(k)) this.see(place);
    const list = this.byLine.get(k)!;
    const hit = list.filter((x) => x.place.path === place.path);
    for (const x of hit.length ? hit : list) x[field] = true;
  }

  /** Marks the item at this place (without a matching key: every item on its line) as imported. */
  use(place: Place): void {
    this.mark(place, 'used');
  }

  /**
   * Marks an item as accounted for by a message placed elsewhere (a device named as not imported
   * covers its settings, one warning per cause rather than one per line).
   */
  cover(place: Place): void {
    this.mark(place, 'covered');
  }

  /** A physical line that continues `firstLine` (backslash-newline) shares its outcome. */
  continuation(file: string, line: number, firstLine: number): void {
    this.followers.push({ file, line, firstLine });
  }

  private readonly followers: Array<{ file: string; line: number; firstLine: number }> = [];

  /**
   * Closes the books: every item neither used, covered nor on a line with a message gets a
   * warning (`unknownHint` says what to do with it), then returns the accounting.
   */
  finish(diag: Diagnostics, unknownHint: (p: Place) => string): AccountEntry[] {
    const msgLines = (list: readonly ConfigProblem[]) => new Set(list.map((p) => lineKey(p.file, p.line)));
    const errs = msgLines(diag.errors);
    const warnsBefore = msgLines(diag.warnings);
    for (const it of this.items) {
      const k = lineKey(it.place.file, it.place.line);
      if (!it.used && !it.covered && !errs.has(k) && !warnsBefore.has(k)) diag.warn({ ...it.place, message: unknownHint(it.place) });
    }
    const warns = msgLines(diag.warnings);
    const out = this.items.map((it) => {
      const k = lineKey(it.place.file, it.place.line);
      const outcome: Outcome = errs.has(k) ? 'error' : warns.has(k) && !it.used ? 'warning' : it.covered && !it.used ? 'warning' : 'imported';
      return { file: it.place.file, line: it.place.line, key: it.place.path, outcome };
    });
    // Lines the parser did not register but a message names are accounted for by that message.
    const listed = new Set(out.map((e) => lineKey(e.file, e.line)));
    for (const [list, outcome] of [[diag.errors, 'error'], [diag.warnings, 'warning']] as const) {
      for (const p of list) {
        if (p.line <= 0 || listed.has(lineKey(p.file, p.line))) continue;
        listed.add(lineKey(p.file, p.line));
        out.push({ file: p.file, line: p.line, key: p.path, outcome });
      }
    }
    for (const f of this.followers) {
      const head = out.find((e) => e.file === f.file && e.line === f.firstLine);
      if (head) out.push({ ...head, line: f.line });
    }
    return out;
  }
}

/** The one "did you mean" of the importers: ` (did you mean 'x'?)` or ''. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}

/** The one value comparison of the importers. */
export function sameValue(a: OptionValue | undefined, b: OptionValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** yes/no, true/false, on/off, 1/0 (every format's boolean spellings). */
export function parseBool(v: string | boolean | number): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const l = String(v).trim().toLowerCase();
  if (['yes', 'true', 'on', '1', 'y'].includes(l)) return true;
  if (['no', 'false', 'off', '0', 'n'].includes(l)) return false;
  return undefined;
}

/**
 * A duration in milliseconds: `100` (in `bareUnit`), `100ms`, `1s`, `1.5s`, `1min`, `100msec`,
 * `2 s`; undefined when it is none.
 */
export function parseDuration(v: string | number, bareUnit: 'ms' | 's'): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|usec|ms|msec|s|sec|second|seconds|m|min|minute|minutes)?\s*$/.exec(String(v));
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  const factor = /^(us|usec)$/.test(unit) ? 0.001 : /^(ms|msec)$/.test(unit) ? 1 : /^(s|sec|second|seconds)$/.test(unit) ? 1000 : 60_000;
  return Math.round(n * factor);
}

// ---------------------------------------------------------------------------------------------
// The builder
// ---------------------------------------------------------------------------------------------

export interface AssembleInput {
  /** What the configuration came from (directory or file). */
  source: string;
  sourceFiles: string[];
  bonds: DraftBond[];
  /** Every interface the input defines, with where (for "not imported" notes). */
  defined: Array<{ name: string; place: Place; kind: string; reason?: string }>;
  /** Tool name for messages ("netplan", "NetworkManager", ...). */
  tool: string;
  ledger: Ledger;
  /** What to say about a key the parser saw but did not use. */
  unknownHint?: (p: Place) => string;
}

/** Turns drafts into a DesiredConfig, or throws ImportError listing every problem. */
export function assemble(input: AssembleInput, diag: Diagnostics): ImportResult {
  const bonds: DesiredBond[] = [];
  const locators = new Map<DesiredBond, Locator>();
  for (const d of input.bonds) {
    const built = buildBond(d, input.tool, diag);
    if (built) {
      bonds.push(built.bond);
      locators.set(built.bond, built.at);
    }
  }
  checkBondSet(bonds, (b) => locators.get(b)!, diag);
  const inStack = new Set<string>();
  for (const b of input.bonds) {
    inStack.add(b.name);
    for (const s of b.slaves) if (s.name) inStack.add(s.name);
    if (b.bridge) inStack.add(b.bridge.name);
    for (const v of b.vlans) {
      inStack.add(v.name);
      if (v.bridge) inStack.add(v.bridge.name);
    }
  }
  const notImported: NotImported[] = [];
  const named = new Set<string>();
  for (const d of input.defined) {
    if (inStack.has(d.name) || named.has(d.name)) continue;
    named.add(d.name);
    const reason = d.reason ?? `${d.kind} ${d.name} is not part of any bond's stack; not imported (it stays with ${input.tool} or whatever manages it after the switch)`;
    notImported.push({ name: d.name, place: d.place, reason });
    diag.warn({ ...d.place, message: reason });
  }
  const hint = input.unknownHint ?? ((p: Place) => `${p.path} is not imported: bondd does not read this key. If it matters for the bond, configure it outside bondd`);
  const accounting = input.ledger.finish(diag, hint);
  if (diag.failed) throw new ImportError(diag.errors, diag.warnings, accounting);
  return {
    config: { bonds, source: input.source, sourceFiles: input.sourceFiles },
    warnings: sortProblems(diag.warnings),
    accounting,
    notImported,
  };
}

/** Per-bond reference → place, for checkBond's messages. */
class Refs {
  readonly map = new Map<string, Place>();
  constructor(readonly fallback: Place) {}
  set(ref: string, p: Place | undefined): void {
    if (p) this.map.set(ref, p);
  }
  locator(): Locator {
    return (ref) => this.map.get(ref) ?? this.map.get(ref.replace(/\.[^.]+$/, '')) ?? this.map.get(ref.split(/[.[]/)[0]!) ?? this.fallback;
  }
}

function buildBond(d: DraftBond, tool: string, diag: Diagnostics): { bond: DesiredBond; at: Locator } | undefined {
  const errorsBefore = diag.errors.length;
  const refs = new Refs(d.place);
  const bad = ifnameProblem(d.name);
  if (bad) diag.error({ ...d.place, message: bad });

  let mode: BondMode = 'balance-rr';
  if (d.mode) {
    const conv = convertOption(MODE_OPTION, d.mode.value);
    if (conv.ok) mode = conv.value as BondMode;
    else diag.error({ ...d.mode.place, message: conv.error });
    refs.set(MODE_OPTION.name, d.mode.place);
  }
  const placed = resolveOptions(d, refs, diag);
  let primary: string | undefined;
  const fromOptions = placed.get(PRIMARY_OPTION.name);
  const primaryPlaced = d.primary ?? (fromOptions ? { value: String(fromOptions.value), place: fromOptions.place } : undefined);
  placed.delete(PRIMARY_OPTION.name);
  if (primaryPlaced) {
    const modes = PRIMARY_OPTION.modes;
    if (primaryPlaced.value !== '' && !modes.includes(mode)) {
      diag.warn({ ...primaryPlaced.place, message: `primary ${primaryPlaced.value} is refused by the kernel in mode ${mode} (EACCES); it applies to ${modes.join(', ')}. Not imported (it never reached the bond under ${tool})` });
    } else if (primaryPlaced.value !== '') primary = primaryPlaced.value;
    refs.set(PRIMARY_OPTION.name, primaryPlaced.place);
  }
  applyToolDefaults(d, placed, diag);
  runsToday(mode, placed, tool, diag);
  const options: Record<string, OptionValue> = {};
  for (const o of BOND_OPTIONS) {
    const p = placed.get(o.name);
    if (p && o !== MODE_OPTION) options[o.name] = p.value;
  }

  const slaves = d.slaves.map((s, i) => buildSlave(s, i, refs, diag)).filter((s): s is SlaveSpec => s !== undefined);
  if (slaves.length === 0) diag.warn({ ...d.place, message: `${d.name} has no slaves; it will come up without carrier` });

  const ip = buildIp(d, d.name, refs, '', diag);
  let mtu: number | undefined;
  if (d.mtu) mtu = mtuOf(d.mtu, diag);
  let macAddress: string = DEFAULT_MAC_POLICY;
  if (d.mac) {
    const mac = normaliseMac(d.mac.value);
    const problem = mac === undefined ? 'is not a MAC address (six hex octets such as 52:54:00:12:34:56)' : macProblem(mac);
    if (problem || mac === undefined) diag.error({ ...d.mac.place, message: `'${d.mac.value}' ${problem}` });
    else macAddress = mac;
  }
  // Cross-layer rules (a bridge port carries no IP configuration, a VLAN's MTU fits the bond's,
  // STP forward delays, gateways inside each layer's subnets) are checkStack's, run by checkBond.
  const vlans = buildVlans(d, refs, diag);
  const bridge = d.bridge ? buildBridge(d.bridge, refs, 'bridge.', diag) : undefined;
  if (diag.errors.length > errorsBefore) return undefined;

  const bond: DesiredBond = {
    name: d.name,
    mode,
    options,
    slaves,
    ...(primary !== undefined ? { primary } : {}),
    ...ip,
    ...(mtu !== undefined ? { mtu } : {}),
    macAddress,
    backend: DEFAULT_BACKEND,
    drift: DEFAULT_DRIFT,
    up: d.up ?? true,
    origin: { file: d.place.file, line: d.place.line, ...(d.place.column ? { column: d.place.column } : {}) },
    ...(vlans.length ? { vlans } : {}),
    ...(bridge ? { bridge } : {}),
  };
  const at = refs.locator();
  checkBond(bond, at, diag);
  return diag.errors.length > errorsBefore ? undefined : { bond, at };
}

interface PlacedValue {
  value: OptionValue;
  place: Place;
  text: string;
}

/** Options by canonical name; a later setting of the same option wins, with a warning when it differs. */
function resolveOptions(d: DraftBond, refs: Refs, diag: Diagnostics): Map<string, PlacedValue> {
  const out = new Map<string, PlacedValue>();
  const known = BOND_OPTIONS.flatMap((o) => [o.name, ...o.aliases]);
  for (const { value: o, place } of d.options) {
    const found = lookupBondOption(o.name, known);
    if (!found.ok) {
      diag.error({ ...place, message: found.error });
      continue;
    }
    const opt = found.value;
    if (opt === MODE_OPTION) {
      diag.error({ ...place, message: `mode is given twice; keep one` });
      continue;
    }
    const conv = convertOption(opt, o.raw);
    if (!conv.ok) {
      diag.error({ ...place, message: conv.error });
      continue;
    }
    const prev = out.get(opt.name);
    if (prev && !sameOptionValue(opt, prev.value, conv.value)) {
      diag.warn({ ...place, message: `${opt.name} ${showRaw(o.raw)} overrides ${prev.text} from ${prev.place.file}:${prev.place.line}; the last one wins` });
    }
    out.set(opt.name, { value: conv.value, place, text: showRaw(o.raw) });
    refs.set(`options.${opt.name}`, place);
  }
  return out;
}

function showRaw(v: DraftOption['raw']): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Defaults the old tool applies when the input does not set them (NetworkManager's miimon 100). */
function applyToolDefaults(d: DraftBond, placed: Map<string, PlacedValue>, diag: Diagnostics): void {
  for (const { value: o, place } of d.toolDefaults ?? []) {
    const opt = findOption(o.name);
    if (!opt || placed.has(opt.name)) continue;
    if (opt === MIIMON_OPTION && (placed.get(ARP_INTERVAL_OPTION.name)?.value ?? 0) !== 0) continue;
    const conv = convertOption(opt, o.raw);
    if (conv.ok) placed.set(opt.name, { value: conv.value, place, text: showRaw(o.raw) });
    else diag.error({ ...place, message: conv.error });
  }
}

/**
 * Adjusts options to what the kernel made of them under the old tool, with a warning at each
 * difference: options the mode refuses (EACCES) or ignores are dropped; delays without miimon
 * (EPERM) are dropped; delays are rounded down to a multiple of miimon, as the kernel stores
 * them (it keeps a count of miimon ticks); arp_validate with miimon is dropped (sysfs miimon
 * resets it to none, netlink refuses the pair).
 */
function runsToday(mode: BondMode, placed: Map<string, PlacedValue>, tool: string, diag: Diagnostics): void {
  for (const [name, p] of [...placed]) {
    const opt = findOption(name);
    if (!opt) continue;
    const modes = opt.effectiveModes ?? opt.modes;
    if (!modes.includes(mode)) {
      const what = opt.modes.includes(mode) ? `has no effect in mode ${mode}` : `is refused by the kernel in mode ${mode} (EACCES)`;
      diag.warn({ ...p.place, message: `${name} ${p.text} ${what}; it applies to ${modes.join(', ')}. Not imported (it never reached the bond under ${tool})` });
      placed.delete(name);
    }
  }
  const miimon = Number(placed.get(MIIMON_OPTION.name)?.value ?? 0);
  for (const [name, p] of [...placed]) {
    const opt = findOption(name);
    if (!opt?.needsMiimon || typeof p.value !== 'number' || p.value === 0) continue;
    if (miimon === 0) {
      diag.warn({ ...p.place, message: `${name} ${p.value} needs miimon, which is 0 here: the kernel refuses it (EPERM), so the bond ran without it. Not imported` });
      placed.delete(name);
    } else if (p.value % miimon !== 0) {
      const rounded = Math.floor(p.value / miimon) * miimon;
      diag.warn({ ...p.place, message: `${name} ${p.value} is not a multiple of miimon ${miimon}: the kernel stores it rounded down, so the bond ran with ${rounded}. Imported as ${rounded}` });
      placed.set(name, { ...p, value: rounded, text: String(rounded) });
    }
  }
  const validate = placed.get('arp_validate');
  if (validate && miimon > 0 && validate.value !== 'none') {
    diag.warn({ ...validate.place, message: `arp_validate ${validate.text} has no effect with miimon (it validates ARP monitor replies; the kernel resets it when miimon is set). Not imported` });
    placed.delete('arp_validate');
  }
}

function buildSlave(s: DraftSlave, i: number, refs: Refs, diag: Diagnostics): SlaveSpec | undefined {
  refs.set(`slaves[${i}]`, s.place);
  if (s.name !== undefined) {
    const bad = ifnameProblem(s.name);
    if (bad) {
      diag.error({ ...s.place, message: bad });
      return undefined;
    }
  }
  let permMac: string | undefined;
  if (s.permMac) {
    const mac = normaliseMac(s.permMac.value);
    const problem = mac === undefined ? 'is not a MAC address (six hex octets such as 52:54:00:12:34:56)' : macProblem(mac);
    if (problem || mac === undefined) {
      diag.error({ ...s.permMac.place, message: `'${s.permMac.value}' ${problem}` });
      return undefined;
    }
    permMac = mac;
    refs.set(`slaves[${i}].mac`, s.permMac.place);
  }
  const options: Record<string, OptionValue> = {};
  for (const { value: o, place } of s.options) {
    const opt = findSlaveOption(o.name);
    if (!opt) {
      diag.error({ ...place, message: `${o.name} is not a per-slave option` });
      continue;
    }
    const conv = convertOption(opt, o.raw);
    if (!conv.ok) diag.error({ ...place, message: conv.error });
    else {
      options[opt.name] = conv.value;
      refs.set(`slaves[${i}].${opt.name}`, place);
    }
  }
  if (s.name === undefined && permMac === undefined && s.match === undefined) {
    diag.error({ ...s.place, message: 'a slave needs a name, a MAC address or a hardware match (driver, name pattern)' });
    return undefined;
  }
  return {
    ...(s.name !== undefined ? { name: s.name } : {}),
    ...(s.match ? { match: s.match } : {}),
    ...(permMac !== undefined ? { permMac } : {}),
    options,
    origin: { file: s.place.file, line: s.place.line },
  };
}

function mtuOf(m: Placed<string | number>, diag: Diagnostics): number | undefined {
  const n = Number(m.value);
  if (!/^[0-9]+$/.test(String(m.value)) || n < MTU_MIN || n > MTU_MAX) {
    diag.error({ ...m.place, message: `'${m.value}' is not a valid MTU (valid: ${MTU_MIN}..${MTU_MAX})` });
    return undefined;
  }
  return n;
}

/** Addresses, gateways, routes, DHCP and RA of one layer; `prefix` is the ref prefix for the bond's Locator. */
function buildIp(d: DraftIp, dev: string, refs: Refs, prefix: string, diag: Diagnostics): IpConfig {
  const addresses: string[] = [];
  for (const a of d.addresses) {
    const c = parseCidr(a.value);
    if (typeof c === 'string') {
      diag.error({ ...a.place, message: c });
      continue;
    }
    const w = hostAddressWarning(c);
    if (w) diag.warn({ ...a.place, message: w });
    if (addresses.includes(c.text)) {
      diag.warn({ ...a.place, message: `${c.text} is listed twice; the duplicate is ignored` });
      continue;
    }
    refs.set(`${prefix}addresses[${addresses.length}]`, a.place);
    addresses.push(c.text);
  }
  const gateway: { v4?: string; v6?: string } = {};
  const dhcp = dhcpMode(d);
  for (const g of d.gateways) {
    const ip = parseIp(g.value);
    if (!ip) {
      diag.error({ ...g.place, message: `'${g.value}' is not an IPv4 or IPv6 address` });
      continue;
    }
    const fam = ip.family === 4 ? 'v4' : 'v6';
    if (gateway[fam] !== undefined && gateway[fam] !== ip.text) {
      diag.error({ ...g.place, message: `a second IPv${ip.family} default gateway (${ip.text}, first ${gateway[fam]}); ${dev} has one default gateway per family (add others as routes)` });
      continue;
    }
    gateway[fam] = ip.text;
    refs.set(`${prefix}gateway.${fam}`, g.place);
  }
  const routes: RouteSpec[] = [];
  for (const r of d.routes) {
    const route = buildRoute(r, diag);
    if (route) {
      refs.set(`${prefix}routes[${routes.length}]`, r.place);
      routes.push(route);
    }
  }
  refs.set(`${prefix}addresses`, d.addresses[0]?.place);
  refs.set(`${prefix}gateway`, d.gateways[0]?.place);
  refs.set(`${prefix}routes`, d.routes[0]?.place);
  refs.set(`${prefix}dhcp`, d.dhcp4?.place ?? d.dhcp6?.place);
  refs.set(`${prefix}accept_ra`, d.acceptRa?.place);
  refs.set(`${prefix}mtu`, d.mtu?.place);
  return {
    addresses,
    ...(gateway.v4 || gateway.v6 ? { gateway } : {}),
    routes,
    ...(dhcp !== 'none' ? { dhcp } : {}),
    ...(d.acceptRa ? { acceptRa: d.acceptRa.value } : {}),
  };
}

function dhcpMode(d: DraftIp): DhcpMode {
  const v4 = d.dhcp4?.value === true;
  const v6 = d.dhcp6?.value === true;
  return v4 && v6 ? 'both' : v4 ? 'ipv4' : v6 ? 'ipv6' : 'none';
}

function buildRoute(r: Placed<DraftRoute>, diag: Diagnostics): RouteSpec | undefined {
  const { to, via, metric } = r.value;
  const fail = (m: string): undefined => {
    diag.error({ ...r.place, message: m });
    return undefined;
  };
  let viaIp = via === undefined ? undefined : parseIp(via);
  if (via !== undefined && !viaIp) return fail(`'${via}' is not an IPv4 or IPv6 address (the route's next hop)`);
  let dest: string;
  if (to === 'default' || to === '0.0.0.0/0' || to === '::/0') {
    if (!viaIp) return fail('a default route needs a next hop (via)');
    dest = viaIp.family === 4 ? '0.0.0.0/0' : '::/0';
  } else {
    const c = parseCidr(to, { 4: 32, 6: 128 });
    if (typeof c === 'string') return fail(c);
    if (networkOf(c) !== c.text) return fail(`${c.text} has host bits set; a route destination is a network (${networkOf(c)})`);
    if (viaIp && viaIp.family !== c.family) return fail(`next hop ${viaIp.text} is IPv${viaIp.family}, the destination ${c.text} IPv${c.family}`);
    dest = c.text;
  }
  const route: RouteSpec = { to: dest };
  if (viaIp) route.via = viaIp.text;
  if (metric !== undefined) {
    if (!/^[0-9]{1,10}$/.test(String(metric)) || Number(metric) > 0xffffffff) return fail(`'${metric}' is not a metric (a whole number from 0 to 4294967295)`);
    route.metric = Number(metric);
  }
  viaIp = undefined;
  return route;
}

function buildVlans(d: DraftBond, refs: Refs, diag: Diagnostics): VlanSpec[] {
  const out: VlanSpec[] = [];
  const ids = new Map<number, Place>();
  for (const v of d.vlans) {
    const id = Number(v.id.value);
    if (!/^[0-9]+$/.test(String(v.id.value)) || id < 1 || id > 4094) {
      diag.error({ ...v.id.place, message: `'${v.id.value}' is not a VLAN id (valid: 1..4094)` });
      continue;
    }
    const dup = ids.get(id);
    if (dup) {
      diag.error({ ...v.id.place, message: `VLAN ${id} on ${d.name} is already defined at ${dup.file}:${dup.line}` });
      continue;
    }
    ids.set(id, v.id.place);
    const bad = ifnameProblem(v.name);
    if (bad) {
      diag.error({ ...v.place, message: bad });
      continue;
    }
    const prefix = `vlans.${id}.`;
    refs.set(`vlans.${id}`, v.place);
    const mtu = v.mtu ? mtuOf(v.mtu, diag) : undefined;
    const ip = buildIp(v, v.name, refs, prefix, diag);
    const bridge = v.bridge ? buildBridge(v.bridge, refs, `${prefix}bridge.`, diag) : undefined;
    out.push({ id, name: v.name, ...ip, ...(mtu !== undefined ? { mtu } : {}), ...(bridge ? { bridge } : {}), origin: { file: v.place.file, line: v.place.line } });
  }
  return out;
}

function buildBridge(b: DraftBridge, refs: Refs, prefix: string, diag: Diagnostics): BridgeSpec | undefined {
  const bad = ifnameProblem(b.name);
  if (bad) {
    diag.error({ ...b.place, message: bad });
    return undefined;
  }
  let forwardDelay: number | undefined;
  if (b.forwardDelay) {
    const n = Number(b.forwardDelay.value);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(String(b.forwardDelay.value))) diag.error({ ...b.forwardDelay.place, message: `'${b.forwardDelay.value}' is not a forward delay in seconds` });
    else if (b.stp?.value === true && n > 30) {
      diag.error({ ...b.forwardDelay.place, message: `forward delay ${n} s with STP on: the kernel accepts 2..30 s (ERANGE)` });
    } else forwardDelay = n;
  }
  refs.set(prefix.replace(/\.$/, ''), b.place);
  refs.set(`${prefix}forward_delay`, b.forwardDelay?.place);
  refs.set(`${prefix}stp`, b.stp?.place);
  const mtu = b.mtu ? mtuOf(b.mtu, diag) : undefined;
  const ip = buildIp(b, b.name, refs, prefix, diag);
  return {
    name: b.name,
    ...(b.stp ? { stp: b.stp.value } : {}),
    ...(forwardDelay !== undefined ? { forwardDelay } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...ip,
    origin: { file: b.place.file, line: b.place.line },
  };
}

/** CR-only line endings (old Mac editors) make a whole file one line: name them instead of garbling. */
export function crOnlyProblem(text: string, file: string): ConfigProblem | undefined {
  if (!/\r[^\n]/.test(text) || text.includes('\n')) return undefined;
  return {
    file,
    line: 1,
    path: '',
    message: `the file uses CR-only line endings (old Mac style): every line ends in \\r, not \\n, so the tools read it as one line. Convert it (e.g. tr '\\r' '\\n') and import again`,
  };
}
