/**
 * Importer for the classic RHEL network-scripts format: /etc/sysconfig/network-scripts/ifcfg-*
 * plus the bonding lines of the modprobe configuration (see modprobe.ts).
 *
 * What makes a device a bond: TYPE=Bond/Bonding, BONDING_MASTER=yes, BONDING_OPTS, an
 * `alias <dev> bonding` line, or a slave file whose MASTER= names it (the oldest recipe has none
 * of the others). A slave is a file with MASTER= (and SLAVE=yes). Slaves are enslaved in file-name
 * order, which is the order initscripts' `grep -l MASTER=...` finds them in.
 *
 * Option precedence for a bond, lowest first: `options bonding ...` (module parameters, which the
 * kernel copies into every new bond), `options <bond> ...` (old per-instance style), BONDING_OPTS.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BOND_OPTIONS, findSlaveOption, isListOption } from '../bond/options.js';
import type { BondMode, BondOption, OptionValue } from '../bond/option-types.js';
import {
  type Cidr,
  classfulPrefix,
  formatIPv4,
  hostAddressWarning,
  macProblem,
  netmaskToPrefix,
  normaliseMac,
  parseCidr,
  parseIPv4,
  parseIp,
} from './addr.js';
import { checkBond, checkBondSet, convertOption, ifnameProblem, lookupBondOption, type Locator, type Place, suggest } from './check.js';
import { type ConfigResult, Diagnostics, sortProblems } from './errors.js';
import { type ImportedRoute, parseRouteFile } from './ifcfg-routes.js';
import { readModprobeFiles, type ModprobeConfig, type ModprobeOption } from './modprobe.js';
import { DEFAULT_BACKEND, DEFAULT_DRIFT, DEFAULT_MAC_POLICY, type DesiredBond, type DesiredConfig, MTU_MAX, MTU_MIN, type SlaveSpec } from './types.js';

export const DEFAULT_IFCFG_DIR = '/etc/sysconfig/network-scripts';

export interface ImportOptions {
  /** modprobe files to read for `alias`/`options` lines, in order. Default: none. */
  modprobeFiles?: string[];
}

/** Keys this importer uses. */
const USED_KEYS = new Set([
  'DEVICE', 'TYPE', 'ONBOOT', 'BOOTPROTO', 'IPADDR', 'NETMASK', 'PREFIX', 'GATEWAY', 'DEFROUTE',
  'IPV6INIT', 'IPV6ADDR', 'IPV6ADDR_SECONDARIES', 'IPV6_DEFAULTGW', 'MTU', 'MACADDR', 'HWADDR',
  'BONDING_OPTS', 'BONDING_MASTER', 'MASTER', 'SLAVE', 'BOND_PORT_QUEUE_ID', 'BOND_PORT_PRIO',
]);

/** Keys that are understood and deliberately ignored: they do not describe the bond. */
const IGNORED_KEYS = new Set([
  'NAME', 'USERCTL', 'NM_CONTROLLED', 'UUID', 'PEERDNS', 'PEERROUTES', 'IPV4_FAILURE_FATAL',
  'IPV6_FAILURE_FATAL', 'IPV6_AUTOCONF', 'IPV6_DEFROUTE', 'IPV6_PEERDNS', 'IPV6_PEERROUTES',
  'IPV6_ADDR_GEN_MODE', 'IPV6_PRIVACY', 'PROXY_METHOD', 'BROWSER_ONLY', 'AUTOCONNECT_PRIORITY',
  'AUTOCONNECT_SLAVES', 'ZONE', 'HOTPLUG', 'LINKDELAY', 'NOZEROCONF', 'ARPCHECK',
]);

const NUMBERED = /^(IPADDR|PREFIX|NETMASK)([0-9]{1,3})$/;

/** Keys of an alias file (ifcfg-bond0:1) besides its addresses: understood, not needed. */
const ALIAS_KEYS = new Set(['ONBOOT', 'ONPARENT', 'BOOTPROTO', 'TYPE', 'GATEWAY']);

/** Module parameters that are not bond options: noted, never applied per bond. */
const MODULE_ONLY: Record<string, string> = {
  max_bonds:
    'a module parameter (how many bonds the module creates when it loads); bondd loads the module with max_bonds=0 and creates each configured bond itself, so it is not imported',
  tx_queues:
    'a module parameter (transmit queues per bond, default 16; it bounds queue_id); bondd does not set it. Keep it in /etc/modprobe.d if you need it',
};

/** initscripts skips these names (`*.rpmnew|*.rpmorig|*.rpmsave|*~|*.bak|*.orig|*.old`), and ifcfg-lo. */
export function isIgnoredIfcfgName(name: string): boolean {
  if (!name.startsWith('ifcfg-')) return true;
  if (name === 'ifcfg-lo') return true;
  return isBackupName(name);
}

function isBackupName(name: string): boolean {
  return /(~|\.bak|\.orig|\.old|\.rpmnew|\.rpmorig|\.rpmsave|\.swp|\.dpkg-[a-z]+)$/.test(name);
}

export interface IfcfgEntry {
  key: string;
  value: string;
  line: number;
}

export interface IfcfgFile {
  path: string;
  /** The part of the file name after `ifcfg-`. */
  suffix: string;
  /** Last assignment of each key wins, as in the shell. */
  entries: Map<string, IfcfgEntry>;
  /** Problems found while reading (reported only for files that matter to bonds). */
  diag: Diagnostics;
}

/**
 * Reads shell-style assignments: `KEY=value`, `KEY="value"`, `KEY='value'`, `export KEY=...`,
 * spaces around `=` (not shell, but common in hand-edited files), `#` comments.
 */
export function parseIfcfgText(text: string, path: string): IfcfgFile {
  const diag = new Diagnostics();
  const entries = new Map<string, IfcfgEntry>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    // Backslash-newline continues the line (outside single quotes; close enough for ifcfg).
    while (/\\$/.test(raw) && i + 1 < lines.length) raw = raw.slice(0, -1) + lines[++i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) {
      diag.error({ file: path, line: lineNo, path: trimmed.split(/[\s=]/)[0] ?? '', message: `'${trimmed}' is not a KEY=value assignment` });
      continue;
    }
    const key = m[1]!;
    const v = shellWord(m[2]!);
    if (typeof v === 'string') {
      diag.error({ file: path, line: lineNo, path: key, message: v });
      continue;
    }
    const prev = entries.get(key);
    if (prev && prev.value !== v.value) {
      diag.warn({ file: path, line: lineNo, path: key, message: `${key} is set again (line ${prev.line} set '${prev.value}'); the last value '${v.value}' wins` });
    }
    entries.set(key, { key, value: v.value, line: lineNo });
  }
  const suffix = basename(path).replace(/^ifcfg-/, '');
  return { path, suffix, entries, diag };
}

/** One shell word with quotes removed; anything but a trailing comment after it is an error. */
function shellWord(s: string): { value: string } | string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) break;
    if (ch === '\\') {
      if (i + 1 < s.length) out += s[i + 1];
      i += 2;
    } else if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return `the single quote opened in ${s.trim()} is never closed (unterminated single quote); add a closing '`;
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < s.length && '$`"\\'.includes(s[i + 1]!)) {
          out += s[i + 1];
          i += 2;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return `the double quote opened in ${s.trim()} is never closed (unterminated double quote); add a closing "`;
    } else {
      out += ch;
      i++;
    }
  }
  const rest = s.slice(i).trim();
  if (rest !== '' && !rest.startsWith('#')) {
    return `the value has an unquoted space before '${rest}'; the shell would run '${rest}' as a command. Quote the whole value: "${s.trim()}"`;
  }
  return { value: out };
}

function yesNo(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (l === 'yes' || l === 'true' || l === 'y' || l === '1') return true;
  if (l === 'no' || l === 'false' || l === 'n' || l === '0') return false;
  return undefined;
}

interface Device {
  file: IfcfgFile;
  name: string;
  nameLine: number;
}

/** A resolved option with where it came from. */
interface PlacedValue {
  value: OptionValue;
  /** The text form, for messages. */
  text: string;
  place: Place;
}

interface OptionLayer {
  mode?: PlacedValue;
  options: Map<string, PlacedValue>;
  /** Some option of this source did not resolve (cross-option checks would be misleading). */
  failed: boolean;
}

/** Reads every ifcfg-* in `dir` (plus modprobe files) into a DesiredConfig, or throws ConfigError. */
export async function importIfcfg(dir: string, opts: ImportOptions = {}): Promise<ConfigResult> {
  const diag = new Diagnostics();
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    diag.error({ file: dir, line: 0, path: '', message: `cannot read the ifcfg directory: ${(e as Error).message}` });
    diag.throwIfFailed();
    throw new Error('unreachable');
  }
  const files: IfcfgFile[] = [];
  const routeFiles = new Map<string, string>();
  for (const n of names.filter((x) => /^route6?-[^/]+$/.test(x) && !isBackupName(x))) {
    const text = await readFile(join(dir, n), 'utf8').catch(() => undefined);
    if (text !== undefined) routeFiles.set(n, text);
  }
  for (const n of names.filter((x) => !isIgnoredIfcfgName(x))) {
    const p = join(dir, n);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (e) {
      // A directory named ifcfg-something, or unreadable: say so, it may hold a bond.
      diag.warn({ file: p, line: 0, path: '', message: `cannot read: ${(e as Error).message}; skipped` });
      continue;
    }
    files.push(parseIfcfgText(text, p));
  }
  const modprobe = await readModprobeFiles(opts.modprobeFiles ?? [], diag);
  return buildFromIfcfg(dir, files, modprobe, diag, routeFiles);
}

function buildFromIfcfg(dir: string, files: IfcfgFile[], modprobe: ModprobeConfig, diag: Diagnostics, routeFiles: Map<string, string>): ConfigResult {
  const get = (f: IfcfgFile, k: string) => f.entries.get(k);

  // Device names.
  const devices: Device[] = [];
  const byName = new Map<string, Device>();
  for (const file of files) {
    const dev = get(file, 'DEVICE');
    const name = dev?.value || file.suffix;
    const d: Device = { file, name, nameLine: dev?.line ?? 1 };
    devices.push(d);
  }

  // Which devices matter: bonds and slaves.
  const isBondFile = (f: IfcfgFile): boolean => {
    const type = get(f, 'TYPE')?.value.toLowerCase();
    return type === 'bond' || type === 'bonding' || yesNo(get(f, 'BONDING_MASTER')?.value ?? '') === true || f.entries.has('BONDING_OPTS');
  };
  const referenced = new Set<string>();
  for (const d of devices) {
    const m = get(d.file, 'MASTER')?.value;
    if (m) referenced.add(m);
  }
  const bonds: Device[] = [];
  const slaves: Device[] = [];
  const aliases: Device[] = [];
  for (const d of devices) {
    const bondish = isBondFile(d.file) || referenced.has(d.name) || modprobe.aliases.has(d.name);
    const master = get(d.file, 'MASTER');
    if (bondish && master) {
      diag.error({ file: d.file.path, line: master.line, path: 'MASTER', message: `${d.name} is a bond and also names MASTER=${master.value}; nested bonds are not supported by bondd` });
      continue;
    }
    if (!bondish && !master) {
      // An alias file (ifcfg-bond0:1) adds its addresses to its parent: collected below.
      if (/^[^:]+:[A-Za-z0-9_]+$/.test(d.name)) aliases.push(d);
      continue; // otherwise a plain interface: not ours
    }
    // Relevant file: its reading problems count.
    diag.errors.push(...d.file.diag.errors);
    diag.warnings.push(...d.file.diag.warnings);
    const bad = ifnameProblem(d.name);
    if (bad) {
      diag.error({ file: d.file.path, line: d.nameLine, path: 'DEVICE', message: bad });
      continue;
    }
    const dup = byName.get(d.name);
    if (dup) {
      diag.error({ file: d.file.path, line: d.nameLine, path: 'DEVICE', message: `${d.name} is already defined by ${dup.file.path}:${dup.nameLine}; remove one of the files` });
      continue;
    }
    byName.set(d.name, d);
    (bondish ? bonds : slaves).push(d);
    if (get(d.file, 'DEVICE') && d.name !== d.file.suffix) {
      diag.warn({ file: d.file.path, line: d.nameLine, path: 'DEVICE', message: `DEVICE=${d.name} differs from the file name (ifcfg-${d.file.suffix}); DEVICE is used` });
    }
    checkKeys(d, bondish, diag);
  }

  // Modprobe lines for bonds without an ifcfg file.
  for (const [name, where] of modprobe.aliases) {
    if (!bonds.some((b) => b.name === name)) {
      diag.warn({ file: where.file, line: where.line, path: `alias ${name}`, message: `alias ${name} bonding, but there is no ifcfg file for ${name} in ${dir}; not imported` });
    }
  }
  for (const [name, list] of modprobe.instanceOptions) {
    if (modprobe.aliases.has(name) && !bonds.some((b) => b.name === name) && list[0]) {
      diag.warn({ file: list[0].file, line: list[0].line, path: `options ${name}`, message: `options for ${name}, but there is no ifcfg file for ${name} in ${dir}; not imported` });
    }
  }

  // Module-wide defaults, resolved once.
  const moduleLayer = resolveLayer(
    modprobe.moduleOptions.map((o) => ({ key: o.key, value: o.value, place: modprobePlace(o, 'bonding') })),
    'module',
    diag,
  );

  const desired: DesiredBond[] = [];
  const locators = new Map<DesiredBond, Locator>();
  for (const b of bonds) {
    const myAliases = aliases.filter((a) => a.name.split(':')[0] === b.name);
    const built = buildBond(b, slaves, myAliases, modprobe, moduleLayer, diag, routeFiles);
    if (built) {
      desired.push(built.bond);
      locators.set(built.bond, built.at);
    }
  }

  // Slaves whose master has no ifcfg file.
  for (const s of slaves) {
    const m = get(s.file, 'MASTER')!;
    if (!bonds.some((b) => b.name === m.value)) {
      diag.error({ file: s.file.path, line: m.line, path: 'MASTER', message: `MASTER=${m.value}, but there is no ifcfg file for ${m.value} in ${dir}; add ifcfg-${m.value} or fix MASTER` });
    }
  }

  checkBondSet(desired, (b) => locators.get(b)!, diag);
  diag.throwIfFailed();

  const bondAliases = aliases.filter((a) => bonds.some((b) => a.name.split(':')[0] === b.name));
  const routeSources = [...routeFiles.keys()].filter((n) => bonds.some((b) => n === `route-${b.name}` || n === `route6-${b.name}`)).map((n) => join(dir, n));
  const sourceFiles = [...bonds.map((b) => b.file.path), ...bondAliases.map((a) => a.file.path), ...slaves.map((s) => s.file.path), ...routeSources, ...modprobe.files];
  const config: DesiredConfig = { bonds: desired, source: dir, sourceFiles };
  return { config, warnings: sortProblems(diag.warnings) };
}

function modprobePlace(o: ModprobeOption, mod: string): Place {
  return { file: o.file, line: o.line, path: `options ${mod} ${o.key}` };
}

/** Flags unknown keys (with a suggestion) and keys that mean nothing on this kind of file. */
function checkKeys(d: Device, isBond: boolean, diag: Diagnostics): void {
  const known = [...USED_KEYS, ...IGNORED_KEYS];
  for (const e of d.file.entries.values()) {
    const at = { file: d.file.path, line: e.line, path: e.key };
    if (USED_KEYS.has(e.key) || IGNORED_KEYS.has(e.key) || NUMBERED.test(e.key)) {
      if (!isBond && /^(IPADDR|NETMASK|PREFIX|GATEWAY|IPV6ADDR|IPV6ADDR_SECONDARIES|IPV6_DEFAULTGW)[0-9]*$/.test(e.key)) {
        diag.warn({ ...at, message: `${e.key} on a slave is ignored: addresses belong on the bond (${d.file.entries.get('MASTER')?.value ?? 'its master'})` });
      } else if (!isBond && (e.key === 'MTU' || e.key === 'MACADDR')) {
        diag.warn({ ...at, message: `${e.key} on a slave is ignored: the bond sets its slaves' ${e.key === 'MTU' ? 'MTU' : 'MAC address'}; set it on the bond` });
      } else if (isBond && (e.key === 'BOND_PORT_QUEUE_ID' || e.key === 'BOND_PORT_PRIO')) {
        diag.warn({ ...at, message: `${e.key} belongs on a slave's file; ignored on a bond` });
      }
      continue;
    }
    diag.warn({ ...at, message: `unknown key ${e.key}; ignored${suggest(e.key, known)}` });
  }
}

interface RawOpt {
  key: string;
  value: string;
  place: Place;
}

/** Splits BONDING_OPTS into k=v items (whitespace-separated). */
function splitBondingOpts(entry: IfcfgEntry, file: string, diag: Diagnostics): RawOpt[] {
  const out: RawOpt[] = [];
  for (const tok of entry.value.split(/\s+/).filter(Boolean)) {
    const eq = tok.indexOf('=');
    if (eq <= 0) {
      diag.error({ file, line: entry.line, path: `BONDING_OPTS.${tok}`, message: `'${tok}' is not option=value (e.g. BONDING_OPTS="mode=active-backup miimon=100")` });
      continue;
    }
    const key = tok.slice(0, eq);
    out.push({ key, value: tok.slice(eq + 1), place: { file, line: entry.line, path: `BONDING_OPTS.${key}` } });
  }
  return out;
}

/**
 * Resolves one source's options (a BONDING_OPTS line, `options bond0`, `options bonding`) against
 * the option table. Address lists accept `+addr` and comma lists and accumulate over repeated
 * keys; other repeated keys: the last wins.
 */
function resolveLayer(raw: RawOpt[], kind: 'module' | 'instance' | 'ifcfg', diag: Diagnostics): OptionLayer {
  const layer: OptionLayer = { options: new Map(), failed: false };
  const errorsBefore = diag.errors.length;
  const lists = new Map<string, { opt: BondOption; items: string[]; place: Place }>();
  const knownNames = allOptionNames();
  for (const r of raw) {
    const key = r.key.replace(/-/g, '_');
    if (key in MODULE_ONLY) {
      if (kind === 'module') diag.warn({ ...r.place, message: `${r.key}=${r.value} is ${MODULE_ONLY[key]}` });
      else diag.warn({ ...r.place, message: `${r.key} is ${MODULE_ONLY[key]}; it has no effect here and is ignored` });
      continue;
    }
    const found = lookupBondOption(r.key, knownNames);
    if (!found.ok) {
      diag.error({ ...r.place, message: found.error });
      continue;
    }
    const opt = found.value;
    if (isListOption(opt)) {
      const items: string[] = [];
      let bad = false;
      for (const part of r.value.split(',').filter(Boolean)) {
        if (part.startsWith('-')) {
          diag.error({ ...r.place, message: `'${part}' removes a target; an imported configuration can only list targets (write ${opt.name}=+addr or a comma list)` });
          bad = true;
          continue;
        }
        items.push(part.replace(/^\+/, ''));
      }
      if (bad) continue;
      const acc = lists.get(opt.name) ?? { opt, items: [], place: r.place };
      acc.items.push(...items);
      lists.set(opt.name, acc);
      continue;
    }
    const conv = convertOption(opt, r.value);
    if (!conv.ok) {
      diag.error({ ...r.place, message: conv.error });
      continue;
    }
    const placed = { value: conv.value, text: r.value, place: r.place };
    if (opt.name === 'mode') layer.mode = placed;
    else layer.options.set(opt.name, placed);
  }
  for (const [name, acc] of lists) {
    const conv = convertOption(acc.opt, acc.items);
    if (!conv.ok) {
      diag.error({ ...acc.place, message: conv.error });
      continue;
    }
    layer.options.set(name, { value: conv.value, text: acc.items.join(','), place: acc.place });
  }
  layer.failed = diag.errors.length > errorsBefore;
  return layer;
}

/** Every bond option name and alias the table knows, for suggestions. */
function allOptionNames(): string[] {
  return BOND_OPTIONS.flatMap((o) => [o.name, ...o.aliases]);
}

function sameValue(a: OptionValue, b: OptionValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function where(p: Place): string {
  return `${p.file}:${p.line}`;
}

function buildBond(
  b: Device,
  allSlaves: Device[],
  aliases: Device[],
  modprobe: ModprobeConfig,
  moduleLayer: OptionLayer,
  diag: Diagnostics,
  routeFiles: Map<string, string>,
): { bond: DesiredBond; at: Locator } | undefined {
  const f = b.file;
  const file = f.path;
  const e = (k: string) => f.entries.get(k);
  const place = (k: string): Place => ({ file, line: e(k)?.line ?? b.nameLine, path: k });
  const errorsBefore = diag.errors.length;

  // Options: module defaults < options <bond> < BONDING_OPTS.
  const instRaw = (modprobe.instanceOptions.get(b.name) ?? []).map((o) => ({ key: o.key, value: o.value, place: modprobePlace(o, b.name) }));
  const instance = resolveLayer(instRaw, 'instance', diag);
  const bo = e('BONDING_OPTS');
  const ifcfg = resolveLayer(bo ? splitBondingOpts(bo, file, diag) : [], 'ifcfg', diag);

  const merged = new Map<string, PlacedValue>(moduleLayer.options);
  for (const [k, v] of instance.options) merged.set(k, v);
  for (const [k, v] of ifcfg.options) {
    const prev = instance.options.get(k);
    if (prev && !sameValue(prev.value, v.value)) {
      diag.warn({ ...v.place, message: `${k}=${v.text} overrides ${k}=${prev.text} from ${where(prev.place)}; BONDING_OPTS wins` });
    }
    merged.set(k, v);
  }
  let modePlaced = moduleLayer.mode;
  if (instance.mode) modePlaced = instance.mode;
  if (ifcfg.mode) {
    if (instance.mode && !sameValue(instance.mode.value, ifcfg.mode.value)) {
      diag.warn({ ...ifcfg.mode.place, message: `mode=${ifcfg.mode.text} overrides mode=${instance.mode.text} from ${where(instance.mode.place)}; BONDING_OPTS wins` });
    }
    modePlaced = ifcfg.mode;
  }
  const mode = (modePlaced?.value ?? 'balance-rr') as BondMode;

  let primary: string | undefined;
  const primaryPlaced = merged.get('primary');
  if (primaryPlaced) {
    merged.delete('primary');
    if (typeof primaryPlaced.value === 'string' && primaryPlaced.value !== '') primary = primaryPlaced.value;
  }
  const options: Record<string, OptionValue> = {};
  for (const [k, v] of [...merged].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))) options[k] = v.value;

  // Boot protocol and ONBOOT.
  const proto = e('BOOTPROTO');
  if (proto) {
    const p = proto.value.toLowerCase();
    if (p === 'dhcp' || p === 'bootp' || p === 'autoip' || p === 'ibft') {
      diag.error({ ...place('BOOTPROTO'), message: `BOOTPROTO=${proto.value} is not supported: bondd configures static addresses only. Use BOOTPROTO=none with IPADDR/PREFIX, or leave this bond to a DHCP client` });
    } else if (p !== 'none' && p !== 'static' && p !== '') {
      diag.error({ ...place('BOOTPROTO'), message: `'${proto.value}' is not a boot protocol (valid: none, static; dhcp is not supported)` });
    }
  }
  let up = true;
  const onboot = e('ONBOOT');
  if (onboot) {
    const v = yesNo(onboot.value);
    if (v === undefined) diag.error({ ...place('ONBOOT'), message: `'${onboot.value}' is not yes or no` });
    else up = v;
  }
  const bm = e('BONDING_MASTER');
  if (bm && yesNo(bm.value) !== true) {
    diag.warn({ ...place('BONDING_MASTER'), message: `BONDING_MASTER=${bm.value}; only 'yes' means anything. ${b.name} is still a bond because ${e('BONDING_OPTS') ? 'it has BONDING_OPTS' : 'slaves name it as MASTER'}` });
  }
  if (e('HWADDR')) {
    diag.warn({ ...place('HWADDR'), message: `HWADDR on a bond is ignored (a bond has no permanent address); use MACADDR to set the bond's MAC` });
  }

  // Addresses.
  const addresses: string[] = [];
  const addrRefs: Place[] = [];
  const cidrs: Cidr[] = [];
  const addAddress = (c: Cidr, p: Place) => {
    const w = hostAddressWarning(c);
    if (w) diag.warn({ ...p, message: w });
    if (addresses.includes(c.text)) {
      diag.warn({ ...p, message: `${c.text} is listed twice; the duplicate is ignored` });
      return;
    }
    addresses.push(c.text);
    addrRefs.push(p);
    cidrs.push(c);
  };
  // IPv4 addresses: IPADDR, IPADDR<n>... of the bond's file, then of its alias files
  // (ifcfg-bond0:1), whose addresses initscripts adds to the bond itself.
  const readIPv4 = (src: IfcfgFile, at: (k: string) => Place): void => {
    const suffixes = new Set<string>();
    for (const k of src.entries.keys()) {
      const m = NUMBERED.exec(k);
      if (m) suffixes.add(m[2]!);
    }
    for (const sfx of ['', ...[...suffixes].sort((a, c) => Number(a) - Number(c))]) {
      const ip = src.entries.get(`IPADDR${sfx}`);
      const pfx = src.entries.get(`PREFIX${sfx}`);
      const mask = src.entries.get(`NETMASK${sfx}`);
      if (!ip) {
        for (const stray of [pfx, mask]) {
          if (stray) diag.warn({ ...at(stray.key), message: `${stray.key} without IPADDR${sfx}; ignored` });
        }
        continue;
      }
      const v4 = parseIPv4(ip.value);
      if (v4 === undefined) {
        diag.error({ ...at(ip.key), message: `'${ip.value}' is not a valid IPv4 address (dotted quad such as 192.0.2.10)` });
        continue;
      }
      let prefix: number | undefined;
      let prefixBad = false;
      if (pfx) {
        if (!/^[0-9]{1,2}$/.test(pfx.value) || Number(pfx.value) > 32) {
          diag.error({ ...at(pfx.key), message: `'${pfx.value}' is not a prefix length (valid: 0..32)` });
          prefixBad = true;
        } else prefix = Number(pfx.value);
      }
      if (mask) {
        const mp = netmaskToPrefix(mask.value);
        if (mp === undefined) {
          const what = parseIPv4(mask.value) === undefined ? 'is not a dotted-quad netmask' : 'is not a netmask: its one bits are not contiguous';
          diag.error({ ...at(mask.key), message: `'${mask.value}' ${what} (e.g. 255.255.255.0 = /24, or use PREFIX${sfx}=24)` });
          prefixBad = true;
        } else if (prefix !== undefined && mp !== prefix) {
          diag.warn({ ...at(mask.key), message: `${mask.key}=${mask.value} (/${mp}) disagrees with ${pfx!.key}=${prefix}; PREFIX wins, as in initscripts` });
        } else if (prefix === undefined && !prefixBad) prefix = mp;
      }
      if (prefixBad) continue;
      if (prefix === undefined) {
        prefix = classfulPrefix(v4);
        diag.warn({ ...at(ip.key), message: `no PREFIX${sfx} or NETMASK${sfx}; using the classful /${prefix} that initscripts' ipcalc would pick. Write PREFIX${sfx}=${prefix} to make it explicit` });
      }
      addAddress({ family: 4, addr: v4, prefix, text: `${formatIPv4(v4)}/${prefix}` }, at(ip.key));
    }
  };
  readIPv4(f, place);
  for (const a of [...aliases].sort((x, y) => (x.file.path < y.file.path ? -1 : 1))) {
    const at = (k: string): Place => ({ file: a.file.path, line: a.file.entries.get(k)?.line ?? a.nameLine, path: k });
    diag.errors.push(...a.file.diag.errors);
    diag.warnings.push(...a.file.diag.warnings);
    if (!a.file.entries.has('IPADDR')) diag.warn({ ...at('IPADDR'), message: `alias ${a.name} has no IPADDR; nothing to import` });
    for (const k of a.file.entries.keys()) {
      if (!/^(DEVICE|IPADDR|PREFIX|NETMASK)$/.test(k) && !NUMBERED.test(k) && !ALIAS_KEYS.has(k) && !IGNORED_KEYS.has(k)) {
        diag.warn({ ...at(k), message: `${k} in the alias file ${a.name} is ignored (an alias only adds addresses to ${b.name})` });
      }
    }
    readIPv4(a.file, at);
  }

  const ipv6init = e('IPV6INIT');
  const v6on = ipv6init ? yesNo(ipv6init.value) : false;
  if (ipv6init && v6on === undefined) diag.error({ ...place('IPV6INIT'), message: `'${ipv6init.value}' is not yes or no` });
  for (const k of ['IPV6ADDR', 'IPV6ADDR_SECONDARIES', 'IPV6_DEFAULTGW']) {
    if (e(k) && v6on === false) diag.warn({ ...place(k), message: `${k} is ignored because IPV6INIT is not yes (as initscripts does); set IPV6INIT=yes to import it` });
  }
  if (v6on) {
    const list: string[] = [];
    if (e('IPV6ADDR')) list.push(e('IPV6ADDR')!.value);
    const sec = e('IPV6ADDR_SECONDARIES');
    const items: { text: string; key: string }[] = [
      ...list.map((t) => ({ text: t, key: 'IPV6ADDR' })),
      ...(sec ? sec.value.split(/\s+/).filter(Boolean).map((t) => ({ text: t, key: 'IPV6ADDR_SECONDARIES' })) : []),
    ];
    for (const it of items) {
      const c = parseCidr(it.text, { 6: 64 });
      if (typeof c === 'string' || c.family !== 6) {
        diag.error({ ...place(it.key), message: typeof c === 'string' ? c : `'${it.text}' is an IPv4 address; IPv6 keys need an IPv6 address such as 2001:db8::10/64` });
        continue;
      }
      addAddress(c, place(it.key));
    }
  }

  // Gateways.
  let gateway: DesiredBond['gateway'];
  const gw = e('GATEWAY');
  const defroute = e('DEFROUTE');
  if (gw) {
    const ip = parseIPv4(gw.value);
    if (ip === undefined) diag.error({ ...place('GATEWAY'), message: `'${gw.value}' is not a valid IPv4 address` });
    else if (defroute && yesNo(defroute.value) === false) {
      diag.warn({ ...place('GATEWAY'), message: `GATEWAY is not imported because DEFROUTE=no (initscripts adds no default route then)` });
    } else gateway = { v4: formatIPv4(ip) };
  }
  const gw6 = e('IPV6_DEFAULTGW');
  if (gw6 && v6on) {
    const [addr, dev] = gw6.value.split('%');
    const ip = parseIp(addr ?? '');
    if (!ip || ip.family !== 6) diag.error({ ...place('IPV6_DEFAULTGW'), message: `'${gw6.value}' is not a valid IPv6 address (optionally with %${b.name})` });
    else {
      if (dev !== undefined && dev !== b.name) {
        diag.warn({ ...place('IPV6_DEFAULTGW'), message: `the gateway names interface %${dev}, not ${b.name}; it is imported as a gateway through ${b.name}` });
      }
      gateway = { ...gateway, v6: ip.text };
    }
  }

  // MTU and MAC.
  let mtu: number | undefined;
  const mtuE = e('MTU');
  if (mtuE) {
    if (!/^[0-9]+$/.test(mtuE.value) || Number(mtuE.value) < MTU_MIN || Number(mtuE.value) > MTU_MAX) {
      diag.error({ ...place('MTU'), message: `'${mtuE.value}' is not a valid MTU (valid: ${MTU_MIN}..${MTU_MAX})` });
    } else mtu = Number(mtuE.value);
  }
  let macAddress: string = DEFAULT_MAC_POLICY;
  const macE = e('MACADDR');
  if (macE) {
    const mac = normaliseMac(macE.value);
    const problem = mac === undefined ? 'is not a MAC address (six hex octets such as 52:54:00:12:34:56)' : macProblem(mac);
    if (problem || mac === undefined) diag.error({ ...place('MACADDR'), message: `'${macE.value}' ${problem}` });
    else macAddress = mac;
  }

  // Slaves, in file-name order.
  const mySlaves = allSlaves.filter((s) => s.file.entries.get('MASTER')?.value === b.name).sort((x, y) => (x.file.path < y.file.path ? -1 : 1));
  const slaveSpecs: SlaveSpec[] = [];
  const slaveFiles: Device[] = [];
  for (const s of mySlaves) {
    const se = (k: string) => s.file.entries.get(k);
    const sp = (k: string): Place => ({ file: s.file.path, line: se(k)?.line ?? s.nameLine, path: k });
    const slaveFlag = se('SLAVE');
    if (!slaveFlag || yesNo(slaveFlag.value) !== true) {
      diag.warn({ ...sp(slaveFlag ? 'SLAVE' : 'MASTER'), message: `MASTER=${b.name} without SLAVE=yes: initscripts would not enslave ${s.name}, NetworkManager would. Imported as a slave; add SLAVE=yes` });
    }
    const spec: SlaveSpec = { name: s.name, options: {}, origin: { file: s.file.path, line: s.nameLine } };
    const hw = se('HWADDR');
    if (hw) {
      const mac = normaliseMac(hw.value);
      if (mac === undefined) diag.error({ ...sp('HWADDR'), message: `'${hw.value}' is not a MAC address (six hex octets such as 52:54:00:12:34:56)` });
      else if (macProblem(mac)) diag.error({ ...sp('HWADDR'), message: `'${hw.value}' ${macProblem(mac)}` });
      else spec.permMac = mac;
    }
    for (const [key, optName] of [
      ['BOND_PORT_QUEUE_ID', 'queue_id'],
      ['BOND_PORT_PRIO', 'prio'],
    ] as const) {
      const pe = se(key);
      if (!pe) continue;
      const opt = findSlaveOption(optName);
      const conv = opt ? convertOption(opt, pe.value) : { ok: false as const, error: `the option table has no ${optName}` };
      if (!conv.ok) diag.error({ ...sp(key), message: conv.error });
      else spec.options[optName] = conv.value;
    }
    slaveSpecs.push(spec);
    slaveFiles.push(s);
  }
  if (slaveSpecs.length === 0) {
    diag.warn({ file, line: b.nameLine, path: 'DEVICE', message: `${b.name} has no slaves (no ifcfg file has MASTER=${b.name}); it will come up without carrier` });
  }

  // Static routes: route-<bond> (IPv4) and route6-<bond> (IPv6) beside the ifcfg files.
  const imported: ImportedRoute[] = [];
  for (const [name, family] of [[`route-${b.name}`, 4], [`route6-${b.name}`, 6]] as const) {
    const text = routeFiles.get(name);
    if (text !== undefined) imported.push(...parseRouteFile(text, join(file, '..', name), family, b.name, diag));
  }
  const routes = imported.map((r) => r.route);

  // A bond whose own fields failed is not built; its problems are already listed, and checks on
  // a half-built bond would only repeat them in other words.
  if (diag.errors.length > errorsBefore || f.diag.errors.length > 0) return undefined;

  const bond: DesiredBond = {
    name: b.name,
    mode,
    options,
    slaves: slaveSpecs,
    ...(primary !== undefined ? { primary } : {}),
    addresses,
    ...(gateway ? { gateway } : {}),
    routes,
    ...(mtu !== undefined ? { mtu } : {}),
    macAddress,
    backend: DEFAULT_BACKEND,
    drift: DEFAULT_DRIFT,
    up,
    origin: { file, line: b.nameLine },
  };

  const at: Locator = (ref) => {
    if (ref === 'mode') return modePlaced?.place ?? { file, line: b.nameLine, path: 'BONDING_OPTS.mode' };
    if (ref === 'primary') return primaryPlaced?.place ?? { file, line: b.nameLine, path: 'BONDING_OPTS.primary' };
    if (ref === 'options') return bo ? { file, line: bo.line, path: 'BONDING_OPTS' } : { file, line: b.nameLine, path: 'BONDING_OPTS' };
    let m = /^options\.(.+)$/.exec(ref);
    if (m) return merged.get(m[1]!)?.place ?? { file, line: bo?.line ?? b.nameLine, path: `BONDING_OPTS.${m[1]}` };
    if (ref === 'gateway.v4') return place('GATEWAY');
    if (ref === 'gateway.v6') return place('IPV6_DEFAULTGW');
    m = /^routes\[(\d+)\]/.exec(ref);
    if (m && imported[Number(m[1])]) return imported[Number(m[1])]!.place;
    m = /^addresses\[(\d+)\]$/.exec(ref);
    if (m) return addrRefs[Number(m[1])] ?? place('IPADDR');
    m = /^slaves\[(\d+)\](?:\.(.+))?$/.exec(ref);
    if (m) {
      const s = slaveFiles[Number(m[1])];
      if (s) {
        const key = m[2] === 'mac' ? 'HWADDR' : m[2] === 'queue_id' ? 'BOND_PORT_QUEUE_ID' : m[2] === 'prio' ? 'BOND_PORT_PRIO' : 'MASTER';
        return { file: s.file.path, line: s.file.entries.get(key)?.line ?? s.nameLine, path: key };
      }
    }
    return { file, line: b.nameLine, path: ref };
  };
  checkBond(bond, at, diag, { options: !moduleLayer.failed });
  return { bond, at };
}
