/**
 * Importer for Debian's ifupdown configuration, /etc/network/interfaces (interfaces(5)) with the
 * `bond-*` stanza options of ifenslave (also used by ifupdown2):
 *
 *   auto bond0
 *   iface bond0 inet static
 *       address 192.0.2.10/24
 *       gateway 192.0.2.1
 *       bond-slaves eth0 eth1        (or `bond-slaves none` and `bond-master bond0` on each slave)
 *       bond-mode active-backup
 *       bond-miimon 100
 *       bond-primary eth0
 *   iface bond0 inet6 static
 *       address 2001:db8::10/64
 *
 * A stanza is a bond when it has bond-slaves or bond-mode, or another stanza names it in
 * bond-master. `bond-<option>` is the sysfs option with `-` for `_` (ifenslave writes it to
 * /sys/class/net/<bond>/bonding/<option>). As in ifenslave 2.13, a slave stanza contributes only
 * bond-master, bond-primary and queue ids; other bond options there are ignored with a warning
 * (ifup configures the master from its own stanza). `bond-primary a b` picks the first listed
 * interface that is a slave; `bond-queue-id eth0:1 eth1:2` gives per-slave queue ids. Slaves are
 * enslaved in bond-slaves order, then in file order of bond-master.
 * `source` and `source-directory` are followed. Hooks (`up`, `post-up`) are imported when they
 * add a route through the bond (`ip route add ...`); other hooks are named in a warning.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { BOND_OPTIONS, findSlaveOption, isListOption } from '../bond/options.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { formatIp, netmaskToPrefix, normaliseMac, macProblem, parseCidr, parseIp, hostAddressWarning } from './addr.js';
import { checkBond, checkBondSet, convertOption, ifnameProblem, lookupBondOption, type Locator, type Place } from './check.js';
import { type ConfigResult, Diagnostics, sortProblems } from './errors.js';
import { type ImportedRoute, ipRouteLine } from './ifcfg-routes.js';
import { DEFAULT_BACKEND, DEFAULT_DRIFT, DEFAULT_MAC_POLICY, type DesiredBond, MTU_MAX, MTU_MIN, type SlaveSpec } from './types.js';

export const DEFAULT_INTERFACES_FILE = '/etc/network/interfaces';

interface Option {
  key: string;
  value: string;
  place: Place;
}

interface Stanza {
  name: string;
  family: string;
  method: string;
  place: Place;
  options: Option[];
}

interface Parsed {
  stanzas: Stanza[];
  auto: Map<string, Place>;
  files: string[];
}

/** ifenslave options that are not kernel bond options. */
const IFENSLAVE_ONLY: Record<string, string> = {
  'bond-give-a-chance': 'an ifenslave wait for the slaves to come up; bondd enslaves slaves whenever they appear',
  'bond-slaves': '',
  'bond-master': '',
};

/** Options of an iface stanza that do not describe the bond and are left alone without a word. */
const QUIET = /^(dns-|hostname$|metric$|pre-down$|down$|post-down$|description$|accept_ra$|autoconf$|privext$|dad-)/;

/** Reads `file` (default /etc/network/interfaces) into a DesiredConfig, or throws ConfigError. */
export async function importInterfaces(file: string = DEFAULT_INTERFACES_FILE): Promise<ConfigResult> {
  const diag = new Diagnostics();
  const parsed: Parsed = { stanzas: [], auto: new Map(), files: [] };
  await readInterfaces(file, parsed, diag, new Set(), { file, line: 0, path: '' });
  // Every problem of every file is reported at once (build() throws at the end).
  return build(file, parsed, diag);
}

async function readInterfaces(file: string, out: Parsed, diag: Diagnostics, seen: Set<string>, from: Place): Promise<void> {
  let text: string;
  let real: string;
  try {
    real = await realpath(file);
    text = await readFile(real, 'utf8');
  } catch (e) {
    diag.error({ ...from, message: `cannot read ${file}: ${(e as Error).message}` });
    return;
  }
  if (seen.has(real)) {
    diag.warn({ ...from, message: `${file} is sourced twice; read once` });
    return;
  }
  seen.add(real);
  out.files.push(file);

  // Lines, with backslash continuations joined; a comment is a line starting with '#'.
  const raw = text.split(/\r?\n/);
  let current: Stanza | undefined;
  let inMapping = false;
  for (let i = 0; i < raw.length; i++) {
    const lineNo = i + 1;
    let line = raw[i]!;
    while (line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + ' ' + raw[++i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword = '', ...words] = trimmed.split(/\s+/);
    const place: Place = { file, line: lineNo, path: keyword };
    switch (keyword) {
      case 'iface': {
        inMapping = false;
        const [name, family, method] = words;
        if (!name || !family || !method) {
          diag.error({ ...place, message: `'${trimmed}' is not 'iface <name> <inet|inet6> <method>'` });
          current = undefined;
          break;
        }
        current = { name, family, method, place: { ...place, path: `iface ${name}` }, options: [] };
        out.stanzas.push(current);
        break;
      }
      case 'auto':
      case 'allow-auto':
      case 'allow-hotplug':
        inMapping = false;
        current = undefined;
        for (const name of words) if (!out.auto.has(name)) out.auto.set(name, place);
        break;
      case 'mapping':
        inMapping = true;
        current = undefined;
        diag.warn({ ...place, message: `mapping stanzas choose a logical interface at ifup time; bondd does not import them` });
        break;
      case 'source':
      case 'source-directory':
        inMapping = false;
        current = undefined;
        for (const pattern of words) {
          const path = isAbsolute(pattern) ? pattern : join(dirname(file), pattern);
          for (const f of await expand(path, keyword === 'source-directory', diag, place)) await readInterfaces(f, out, diag, seen, place);
        }
        break;
      default:
        if (keyword.startsWith('allow-') || keyword === 'no-auto-down' || keyword === 'no-scripts' || keyword === 'rename') {
          inMapping = false;
          current = undefined;
        } else if (current) {
          current.options.push({ key: keyword, value: words.join(' '), place });
        } else if (!inMapping) {
          diag.error({ ...place, message: `'${keyword}' outside an iface stanza (an option line must follow 'iface <name> ...')` });
        }
    }
  }
}

/** Files of a `source` glob, or of a `source-directory` (run-parts names only), sorted. */
async function expand(path: string, directory: boolean, diag: Diagnostics, place: Place): Promise<string[]> {
  const dir = directory ? path : dirname(path);
  const base = basename(path);
  if (!directory && !/[*?[]/.test(base)) return [path];
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    // ifup warns and goes on when a sourced directory is missing.
    diag.warn({ ...place, message: `cannot read ${dir}: ${(e as Error).message}; skipped` });
    return [];
  }
  const match = directory ? /^[A-Za-z0-9_-]+$/ : globRegExp(base);
  return names.filter((n) => match.test(n)).map((n) => join(dir, n));
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) re += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : /[\\^$.|+(){}[\]]/.test(c) && c !== '[' && c !== ']' ? `\\${c}` : c;
  return new RegExp(`^(?!\\.)${re}$`);
}

interface BondParts {
  name: string;
  stanzas: Stanza[];
  slaves: Array<{ name: string; place: Place; stanza?: Stanza }>;
}

function build(source: string, parsed: Parsed, diag: Diagnostics): ConfigResult {
  const byName = new Map<string, Stanza[]>();
  for (const s of parsed.stanzas) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const opt = (s: Stanza, key: string) => s.options.find((o) => o.key === key);

  // Bonds: stanzas with bond-slaves/bond-mode (or the old `slaves`), and names given as bond-master.
  const bonds = new Map<string, BondParts>();
  const bondOf = (name: string): BondParts => {
    let b = bonds.get(name);
    if (!b) bonds.set(name, (b = { name, stanzas: byName.get(name) ?? [], slaves: [] }));
    return b;
  };
  for (const s of parsed.stanzas) {
    // ifenslave examples repeat bond-mode on slave stanzas: with bond-master it marks a slave.
    if (opt(s, 'bond-slaves') || opt(s, 'slaves') || (opt(s, 'bond-mode') && !opt(s, 'bond-master'))) bondOf(s.name);
  }
  const masterOf = new Map<string, Option>();
  for (const s of parsed.stanzas) {
    const m = opt(s, 'bond-master');
    if (m && !masterOf.has(s.name)) masterOf.set(s.name, m);
  }
  for (const [, m] of masterOf) bondOf(m.value);

  for (const b of bonds.values()) {
    const problem = ifnameProblem(b.name);
    // A bond known only from bond-master lines is placed at the first of them.
    const first = b.stanzas[0]?.place ?? [...masterOf.values()].find((m) => m.value === b.name)!.place;
    if (problem) diag.error({ ...first, message: problem });
    if (b.stanzas.length === 0) diag.error({ ...first, message: `bond-master ${b.name}, but there is no 'iface ${b.name}' stanza; add one (iface ${b.name} inet manual at least)` });
    if (masterOf.has(b.name)) diag.error({ ...masterOf.get(b.name)!.place, message: `${b.name} is a bond and also names bond-master; nested bonds are not supported by bondd` });
    // Slaves from bond-slaves, then from bond-master lines in file order.
    for (const s of b.stanzas) {
      const list = opt(s, 'bond-slaves') ?? opt(s, 'slaves');
      if (!list) continue;
      if (list.key === 'slaves') diag.warn({ ...list.place, message: `'slaves' is the old ifenslave spelling; read as bond-slaves` });
      const names = list.value.split(/\s+/).filter(Boolean);
      if (names.length === 1 && names[0] === 'none') continue;
      for (const n of names) {
        if (/[*?[\]]|^glob$|^regex$/.test(n) || /^[a-z]+[0-9]+-[0-9]+$/.test(n)) {
          diag.error({ ...list.place, message: `'${n}': slave globs and ranges (ifupdown2 syntax) are not imported; list the interfaces by name` });
          continue;
        }
        if (b.slaves.some((x) => x.name === n)) continue;
        b.slaves.push({ name: n, place: list.place, stanza: byName.get(n)?.[0] });
      }
    }
    for (const [slave, m] of masterOf) {
      if (m.value === b.name && !b.slaves.some((x) => x.name === slave)) b.slaves.push({ name: slave, place: m.place, stanza: byName.get(slave)?.[0] });
    }
  }

  const desired: DesiredBond[] = [];
  const locators = new Map<DesiredBond, Locator>();
  for (const b of bonds.values()) {
    if (b.stanzas.length === 0) continue; // reported above
    const built = buildBond(b, parsed, diag);
    if (built) {
      desired.push(built.bond);
      locators.set(built.bond, built.at);
    }
  }
  // A slave stanza that configures addresses would fight the bond for them.
  for (const b of bonds.values()) {
    for (const sl of b.slaves) {
      for (const st of byName.get(sl.name) ?? []) {
        if (st.method === 'static' || st.method === 'dhcp') {
          diag.warn({ ...st.place, message: `${sl.name} is a slave of ${b.name} but its stanza is '${st.family} ${st.method}'; a slave carries no addresses (use 'inet manual'); its addresses are not imported` });
        }
      }
    }
  }
  checkBondSet(desired, (b) => locators.get(b)!, diag);
  diag.throwIfFailed();
  const sourceFiles = parsed.files;
  return { config: { bonds: desired, source, sourceFiles }, warnings: sortProblems(diag.warnings) };
}

function buildBond(b: BondParts, parsed: Parsed, diag: Diagnostics): { bond: DesiredBond; at: Locator } | undefined {
  const errorsBefore = diag.errors.length;
  const knownNames = BOND_OPTIONS.map((o) => o.name);
  const options = new Map<string, { value: OptionValue; text: string; place: Place }>();
  let mode: { value: BondMode; place: Place } | undefined;
  let primary: { value: string; place: Place } | undefined;
  const slaveOptions = new Map<string, { options: Record<string, OptionValue>; places: Record<string, Place> }>();

  // Bond options: the bond's own stanzas first, then its slaves' stanzas (ifenslave applies those
  // to the master too); a disagreement is an error naming both places.
  const sources: Array<{ stanza: Stanza; slave?: string }> = [
    ...b.stanzas.map((stanza) => ({ stanza })),
    ...b.slaves.flatMap((s) => (s.stanza ? [{ stanza: s.stanza, slave: s.name }] : [])),
  ];
  const setSlaveOption = (slave: string, name: string, raw: string, place: Place): void => {
    const slaveOpt = findSlaveOption(name)!;
    const conv = convertOption(slaveOpt, raw);
    if (!conv.ok) {
      diag.error({ ...place, message: conv.error });
      return;
    }
    const so = slaveOptions.get(slave) ?? { options: {}, places: {} };
    so.options[slaveOpt.name] = conv.value;
    so.places[slaveOpt.name] = place;
    slaveOptions.set(slave, so);
  };
  for (const { stanza, slave } of sources) {
    for (const o of stanza.options) {
      if (!o.key.startsWith('bond-') || o.key in IFENSLAVE_ONLY) {
        if (o.key in IFENSLAVE_ONLY && IFENSLAVE_ONLY[o.key]) diag.warn({ ...o.place, message: `${o.key} is ${IFENSLAVE_ONLY[o.key]}; ignored` });
        continue;
      }
      const name = o.key.slice('bond-'.length).replace(/-/g, '_');
      if (name === 'primary') {
        // ifenslave: the first listed interface that is a slave of the bond becomes primary.
        const words = o.value.split(/\s+/).filter(Boolean);
        const pick = words.find((w) => b.slaves.some((x) => x.name === w)) ?? words[0] ?? '';
        if (primary && primary.value !== pick) {
          diag.error({ ...o.place, message: `${o.key} ${o.value} disagrees with ${primary.place.file}:${primary.place.line} (${primary.value})` });
        } else if (pick && pick !== 'none') primary ??= { value: pick, place: o.place };
        continue;
      }
      if (name === 'queue_id') {
        // ifenslave: `bond-queue-id eth0:1 eth1:2` (written to the bond's queue_id file); a bare
        // number on a slave stanza is read as that slave's queue id.
        for (const word of o.value.split(/\s+/).filter(Boolean)) {
          const m = /^([^:]+):(.*)$/.exec(word);
          if (!m && slave) setSlaveOption(slave, 'queue_id', word, o.place);
          else if (!m) diag.error({ ...o.place, message: `'${word}' is not <slave>:<queue id> (bond-queue-id eth0:1 eth1:2)` });
          else if (!b.slaves.some((x) => x.name === m[1])) diag.error({ ...o.place, message: `${m[1]} is not a slave of ${b.name}` });
          else setSlaveOption(m[1]!, 'queue_id', m[2]!, o.place);
        }
        continue;
      }
      const slaveOpt = findSlaveOption(name);
      if (slaveOpt && slave) {
        setSlaveOption(slave, slaveOpt.name, o.value, o.place);
        continue;
      }
      if (slaveOpt) {
        diag.error({ ...o.place, message: `${slaveOpt.name} is a per-slave option; put ${o.key} in the slave's stanza` });
        continue;
      }
      if (slave) {
        diag.warn({ ...o.place, message: `${o.key} on the slave stanza ${slave} is ignored, as ifenslave ignores it (ifup configures ${b.name} from its own stanza); put it in 'iface ${b.name}'` });
        continue;
      }
      const found = lookupBondOption(name, knownNames);
      if (!found.ok) {
        diag.error({ ...o.place, message: found.error });
        continue;
      }
      const option = found.value;
      // ifenslave takes address lists space-separated, as several words.
      const raw = isListOption(option) ? o.value.split(/[\s,]+/).filter(Boolean).map((a) => a.replace(/^\+/, '')) : o.value;
      const conv = convertOption(option, raw);
      if (!conv.ok) {
        diag.error({ ...o.place, message: conv.error });
        continue;
      }
      if (option.name === 'mode') {
        if (mode && mode.value !== conv.value) {
          diag.error({ ...o.place, message: `${o.key} ${o.value} disagrees with ${mode.place.file}:${mode.place.line} (${mode.value})` });
          continue;
        }
        mode ??= { value: conv.value as BondMode, place: o.place };
        continue;
      }
      const prev = options.get(option.name);
      if (prev && JSON.stringify(prev.value) !== JSON.stringify(conv.value)) {
        diag.error({ ...o.place, message: `${o.key} ${o.value} disagrees with ${prev.place.file}:${prev.place.line} (${prev.text})` });
        continue;
      }
      if (!prev) options.set(option.name, { value: conv.value, text: o.value, place: o.place });
    }
  }

  // Addresses, gateways, MTU, MAC, routes from the bond's own stanzas.
  const addresses: string[] = [];
  const addrPlaces: Place[] = [];
  const gateway: DesiredBond['gateway'] = {};
  const gwPlaces: Record<string, Place> = {};
  const routes: ImportedRoute[] = [];
  let mtu: number | undefined;
  let mac: string = DEFAULT_MAC_POLICY;
  for (const s of b.stanzas) {
    const family = s.family === 'inet' ? 4 : s.family === 'inet6' ? 6 : undefined;
    if (family === undefined) {
      diag.warn({ ...s.place, message: `address family '${s.family}' is not imported (inet and inet6 are)` });
      continue;
    }
    if (s.method === 'dhcp' || (family === 4 && !['static', 'manual'].includes(s.method))) {
      if (s.method === 'dhcp' || s.method === 'bootp') {
        diag.error({ ...s.place, message: `'${s.family} ${s.method}' is not supported: bondd configures static addresses only. Use '${s.family} static' with address, or '${s.family} manual' and leave the addresses to a DHCP client` });
        continue;
      }
      diag.error({ ...s.place, message: `method '${s.method}' is not imported (valid: static, manual)` });
      continue;
    }
    if (family === 6 && !['static', 'manual'].includes(s.method)) {
      diag.warn({ ...s.place, message: `'inet6 ${s.method}': autoconfiguration is left to the kernel; nothing to import` });
      continue;
    }
    const netmask = s.options.find((o) => o.key === 'netmask');
    for (const o of s.options) {
      if (o.key.startsWith('bond-') || o.key === 'slaves' || o.key === 'netmask' || QUIET.test(o.key)) continue;
      if (o.key === 'address') {
        if (s.method !== 'static') {
          diag.warn({ ...o.place, message: `address in a '${s.family} ${s.method}' stanza is not used by ifupdown; not imported` });
          continue;
        }
        let text = o.value;
        if (!text.includes('/') && netmask) {
          const p = family === 4 ? netmaskToPrefix(netmask.value) ?? (/^[0-9]{1,2}$/.test(netmask.value) ? Number(netmask.value) : undefined) : /^[0-9]{1,3}$/.test(netmask.value) ? Number(netmask.value) : undefined;
          if (p === undefined || p > (family === 4 ? 32 : 128)) {
            diag.error({ ...netmask.place, message: `'${netmask.value}' is not a ${family === 4 ? 'netmask (255.255.255.0 or 24)' : 'prefix length (0..128)'}` });
            continue;
          }
          text = `${text}/${p}`;
        }
        const c = parseCidr(text, family === 6 ? { 6: 64 } : undefined);
        if (typeof c === 'string') {
          diag.error({ ...o.place, message: `${c}${family === 4 ? '; give the prefix (address 192.0.2.10/24) or a netmask line' : ''}` });
          continue;
        }
        if (c.family !== family) {
          diag.error({ ...o.place, message: `${o.value} is IPv${c.family} in an ${s.family} stanza` });
          continue;
        }
        const w = hostAddressWarning(c);
        if (w) diag.warn({ ...o.place, message: w });
        if (!addresses.includes(c.text)) {
          addresses.push(c.text);
          addrPlaces.push(o.place);
        }
      } else if (o.key === 'gateway') {
        const ip = parseIp(o.value);
        const fam = family === 4 ? 'v4' : 'v6';
        if (!ip || ip.family !== family) diag.error({ ...o.place, message: `'${o.value}' is not an IPv${family} address` });
        else if (gateway[fam] !== undefined) diag.error({ ...o.place, message: `a second IPv${family} gateway; a bond has one default gateway per family (add others as routes)` });
        else {
          gateway[fam] = formatIp(ip.family, ip.addr);
          gwPlaces[fam] = o.place;
        }
      } else if (o.key === 'mtu') {
        const n = Number(o.value);
        if (!/^[0-9]+$/.test(o.value) || n < MTU_MIN || n > MTU_MAX) diag.error({ ...o.place, message: `'${o.value}' is not a valid MTU (valid: ${MTU_MIN}..${MTU_MAX})` });
        else mtu = n;
      } else if (o.key === 'hwaddress') {
        const words = o.value.split(/\s+/);
        const value = words[0] === 'ether' ? words[1] ?? '' : words[0] ?? '';
        const m = normaliseMac(value);
        const problem = m === undefined ? 'is not a MAC address (six hex octets such as 52:54:00:12:34:56)' : macProblem(m);
        if (problem || m === undefined) diag.error({ ...o.place, message: `'${o.value}' ${problem}` });
        else mac = m;
      } else if (o.key === 'up' || o.key === 'post-up') {
        const route = hookRoute(o, b.name, diag);
        if (route) routes.push(route);
        else if (route === undefined) diag.warn({ ...o.place, message: `hook '${o.key} ${o.value}' is not imported (only 'ip route add' through ${b.name} is)` });
      } else if (o.key === 'pre-up') {
        diag.warn({ ...o.place, message: `hook 'pre-up ${o.value}' is not run by bondd; if ${b.name} needs it, run it from a unit ordered before bondd.service` });
      } else {
        diag.warn({ ...o.place, message: `${o.key} is not imported` });
      }
    }
  }

  const autoPlace = parsed.auto.get(b.name);
  const up = autoPlace !== undefined;
  if (!up && b.stanzas[0]) diag.warn({ ...b.stanzas[0].place, message: `${b.name} is not in an 'auto' line: ifupdown would not bring it up at boot, so bondd creates it and leaves it down (up: false)` });

  const slaves: SlaveSpec[] = [];
  for (const s of b.slaves) {
    const bad = ifnameProblem(s.name);
    if (bad) {
      diag.error({ ...s.place, message: bad });
      continue;
    }
    slaves.push({ name: s.name, options: slaveOptions.get(s.name)?.options ?? {}, origin: { file: s.place.file, line: s.place.line } });
  }
  if (slaves.length === 0) diag.warn({ ...(b.stanzas[0]?.place ?? { file: '', line: 0, path: '' }), message: `${b.name} has no slaves; it will come up without carrier` });
  if (diag.errors.length > errorsBefore) return undefined;

  const first = b.stanzas[0]!.place;
  const bond: DesiredBond = {
    name: b.name,
    mode: mode?.value ?? 'balance-rr',
    options: Object.fromEntries([...options].map(([k, v]) => [k, v.value])),
    slaves,
    ...(primary ? { primary: primary.value } : {}),
    addresses,
    ...(gateway.v4 || gateway.v6 ? { gateway } : {}),
    routes: routes.map((r) => r.route),
    ...(mtu !== undefined ? { mtu } : {}),
    macAddress: mac,
    backend: DEFAULT_BACKEND,
    drift: DEFAULT_DRIFT,
    up,
    origin: { file: first.file, line: first.line },
  };
  const at: Locator = (ref) => {
    if (ref === 'mode') return mode?.place ?? first;
    if (ref === 'primary') return primary?.place ?? first;
    let m = /^options\.(.+)$/.exec(ref);
    if (m) return options.get(m[1]!)?.place ?? first;
    if (ref === 'gateway.v4' || ref === 'gateway.v6') return gwPlaces[ref.slice(-2)] ?? first;
    m = /^addresses\[(\d+)\]$/.exec(ref);
    if (m) return addrPlaces[Number(m[1])] ?? first;
    m = /^routes\[(\d+)\]/.exec(ref);
    if (m) return routes[Number(m[1])]?.place ?? first;
    m = /^slaves\[(\d+)\](?:\.(.+))?$/.exec(ref);
    if (m) {
      const s = b.slaves[Number(m[1])];
      const optPlace = m[2] && s ? slaveOptions.get(s.name)?.places[m[2]] : undefined;
      return optPlace ?? s?.place ?? first;
    }
    return first;
  };
  checkBond(bond, at, diag);
  return { bond, at };
}

/**
 * A route from an `up`/`post-up` hook: `ip [-4|-6] route add|replace <dst> [via GW] [dev BOND]
 * [metric N]`. Returns null when the hook is a route but one bondd cannot take (an error says
 * why), undefined when it is no route at all.
 */
function hookRoute(o: Option, bond: string, diag: Diagnostics): ImportedRoute | null | undefined {
  const words = o.value.split(/\s+/);
  if (words[0] === '/sbin/ip' || words[0] === '/usr/sbin/ip' || words[0] === '/bin/ip') words[0] = 'ip';
  if (words[0] !== 'ip') return undefined;
  const args = words.slice(1);
  let family: 4 | 6 | undefined;
  while (args[0] === '-4' || args[0] === '-6') family = args.shift() === '-4' ? 4 : 6;
  if (args[0] !== 'route' && args[0] !== 'r' && args[0] !== 'ro') return undefined;
  if (args[1] !== 'add' && args[1] !== 'replace' && args[1] !== 'a') return undefined;
  const rest = args.slice(2);
  family ??= rest[0]?.includes(':') || rest.some((w, i) => rest[i - 1] === 'via' && w.includes(':')) ? 6 : 4;
  return ipRouteLine(rest.join(' '), o.place, family, bond, diag) ?? null;
}
