/**
 * Importer for Debian's ifupdown configuration, /etc/network/interfaces (interfaces(5)) with the
 * `bond-*` stanza options of ifenslave, and the ifupdown2 dialect Proxmox and Cumulus write:
 *
 *   auto bond0
 *   iface bond0 inet manual            (ifupdown2: `iface bond0` without family and method)
 *       bond-slaves eth0 eth1          (or `bond-slaves none` and `bond-master bond0` on each slave)
 *       bond-mode 802.3ad              (old spelling: bond_mode, bond_miimon, bond_slaves)
 *   auto bond0.100                     (or `iface vlan100` with `vlan-raw-device bond0`)
 *   iface bond0.100 inet static
 *       address 192.0.2.10/24
 *       gateway 192.0.2.1
 *   auto vmbr0
 *   iface vmbr0 inet dhcp              (a bridge whose port is the bond or one of its VLANs)
 *       bridge-ports bond0             (or bridge_ports)
 *       bridge-stp off
 *       bridge-fd 0
 *
 * ifupdown passes every option to its scripts as IF_<NAME> with `-` and `_` both turned into
 * `_`, so `bond_mode` and `bond-mode` are the same option; both are read. `bond-<option>` is the
 * sysfs option (ifenslave writes it to /sys/class/net/<bond>/bonding/<option>); yes/no is read
 * as 1/0 (ifupdown2 spelling). As in ifenslave 2.13, a slave stanza contributes only bond-master,
 * bond-primary and queue ids; other bond options there are ignored with a warning.
 * `bond-primary a b` picks the first listed interface that is a slave. Alias stanzas
 * (`iface bond0:1`) add their addresses to their device, as ifupdown does. Methods: static,
 * manual, dhcp (DHCP for that family), inet6 auto (router advertisements, SLAAC); ifupdown's
 * inet6 static turns off address autoconfiguration (autoconf 0), which bondd does not manage: a
 * warning says so. Hooks (`up`, `post-up`) are imported when they add a route through the stanza's device
 * (`ip route add ...`, also with `|| true`); other hooks are named in a warning. The building
 * itself (options, addresses, checks, accounting) is the shared assembly of assemble.ts.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { findOption, findSlaveOption, isListOption } from '../bond/options.js';
import { netmaskToPrefix, parseCidr } from './addr.js';
import {
  assemble,
  crOnlyProblem,
  type DraftBond,
  type DraftBridge,
  type DraftIp,
  type DraftSlave,
  type DraftVlan,
  emptyIp,
  type ImportResult,
  Ledger,
  parseBool,
  type Place,
  suggestion,
} from './assemble.js';
import { Diagnostics } from './errors.js';
import { ipRouteLine } from './ifcfg-routes.js';

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

/** Reads `file` (default /etc/network/interfaces) into a DesiredConfig, or throws ImportError. */
export async function importInterfaces(file: string = DEFAULT_INTERFACES_FILE): Promise<ImportResult> {
  const diag = new Diagnostics();
  const ledger = new Ledger();
  const parsed: Parsed = { stanzas: [], auto: new Map(), files: [] };
  await readInterfaces(file, parsed, diag, new Set(), { file, line: 0, path: '' }, ledger);
  // Every problem of every file is reported at once (assemble() throws at the end).
  return build(file, parsed, diag, ledger);
}

async function readInterfaces(file: string, out: Parsed, diag: Diagnostics, seen: Set<string>, from: Place, ledger: Ledger): Promise<void> {
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
  const cr = crOnlyProblem(text, file);
  if (cr) {
    diag.error(cr);
    return;
  }

  // Lines, with backslash continuations joined; a comment is a line starting with '#'.
  const raw = text.split(/\r?\n/);
  let current: Stanza | undefined;
  let inMapping = false;
  for (let i = 0; i < raw.length; i++) {
    const lineNo = i + 1;
    let line = raw[i]!;
    const first = i;
    while (line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + ' ' + raw[++i]!;
    for (let c = first + 1; c <= i; c++) ledger.continuation(file, c + 1, lineNo);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [keyword = '', ...words] = trimmed.split(/\s+/);
    const place: Place = { file, line: lineNo, path: keyword };
    ledger.see(place);
    switch (keyword) {
      case 'iface': {
        inMapping = false;
        // ifupdown2 allows `iface bond0` alone: the family follows from the addresses.
        const [name, family = '', method = ''] = words;
        if (!name || (family !== '' && method === '')) {
          diag.error({ ...place, message: `'${trimmed}' is not 'iface <name> <inet|inet6> <method>' (or ifupdown2's 'iface <name>')` });
          current = undefined;
          break;
        }
        current = { name, family, method, place, options: [] };
        out.stanzas.push(current);
        break;
      }
      case 'auto':
      case 'allow-auto':
      case 'allow-hotplug':
        inMapping = false;
        current = undefined;
        for (const name of words) if (!out.auto.has(name)) out.auto.set(name, place);
        ledger.use(place);
        break;
      case 'mapping':
        inMapping = true;
        current = undefined;
        diag.warn({ ...place, message: `mapping stanzas choose a logical interface at ifup time; bondd does not import them (write the interface the mapping picks as a plain stanza)` });
        break;
      case 'source':
      case 'source-directory':
        inMapping = false;
        current = undefined;
        ledger.use(place);
        for (const pattern of words) {
          const path = isAbsolute(pattern) ? pattern : join(dirname(file), pattern);
          for (const f of await expand(path, keyword === 'source-directory', diag, place)) await readInterfaces(f, out, diag, seen, place, ledger);
        }
        break;
      default:
        if (keyword.startsWith('allow-') || keyword === 'no-auto-down' || keyword === 'no-scripts' || keyword === 'rename') {
          inMapping = false;
          current = undefined;
          if (keyword.startsWith('allow-')) ledger.use(place);
          else diag.warn({ ...place, message: `'${keyword}' is an ifupdown control line; bondd does not import it` });
        } else if (current) {
          // ifupdown hands options to its scripts as IF_<NAME>, '-' and '_' alike: bond_mode = bond-mode.
          current.options.push({ key: keyword.replace(/_/g, '-'), value: words.join(' '), place });
        } else if (inMapping) {
          ledger.cover(place);
        } else {
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

/** One device of a bond's stack with the stanzas that describe it. */
interface Device {
  name: string;
  stanzas: Stanza[];
  /** The first stanza's place, or where the device is first named. */
  place: Place;
}

interface Stack {
  bond: Device;
  slaves: Array<{ name: string; place: Place; stanzas: Stanza[] }>;
  vlans: Array<{ dev: Device; id: number | string; idPlace: Place }>;
  /** Bridges by the name of their port (the bond or one of its VLANs). */
  bridges: Map<string, Device>;
}

const opt = (s: Stanza, key: string) => s.options.find((o) => o.key === key);
const optOf = (stanzas: Stanza[], key: string) => stanzas.map((s) => opt(s, key)).find((o) => o !== undefined);

/** Options every layer reads (IP configuration); the rest of a stanza is role-specific. */
const IP_KEYS = ['address', 'netmask', 'gateway', 'mtu', 'hwaddress', 'up', 'post-up', 'accept-ra', 'broadcast', 'description'];

/** Options understood and not done by bondd, with what to do instead. */
const NOT_DONE: Array<[RegExp, string]> = [
  [/^dns-/, 'bondd does not configure DNS; keep it in resolvconf/systemd-resolved'],
  [/^(pre-up)$/, 'hooks are not run by bondd; if the device needs it, run it from a unit ordered before bondd.service'],
  [/^(down|pre-down|post-down)$/, 'down hooks are not run by bondd (it never takes the stack down on stop)'],
  [/^metric$/, 'bondd adds the default route without a metric; add it as a route with a metric if several default routes compete'],
  [/^(hostname|client|leasetime|leasehours|vendor)$/, 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf'],
  [/^(autoconf|privext|dad-attempts|dad-interval|request-prefix|ll-attempts|ll-interval|preferred-lifetime|scope)$/, 'bondd leaves this IPv6 setting to the kernel defaults'],
  [/^bridge-(maxwait|waitport|hello|maxage|ageing|gcint|bridgeprio|portprio|pathcost|mcsnoop|mcquerier|vlan-aware|vids|pvid|hashmax|hashel)$/, "bondd sets a bridge's STP and forward delay only (the kernel defaults apply to the rest); VLAN filtering bridges are not built"],
  [/^(pointopoint|media|ethernet-autoneg|link-speed|link-duplex|link-autoneg)$/, 'bondd does not set this; use ethtool from a unit if the NIC needs it'],
];

function notDone(key: string): string | undefined {
  return NOT_DONE.find(([re]) => re.test(key))?.[1];
}

function build(source: string, parsed: Parsed, diag: Diagnostics, ledger: Ledger): ImportResult {
  // Stanzas by device; an alias stanza (iface bond0:1) belongs to its device.
  const byName = new Map<string, Stanza[]>();
  for (const s of parsed.stanzas) {
    const dev = s.name.replace(/:[A-Za-z0-9_]+$/, '');
    byName.set(dev, [...(byName.get(dev) ?? []), s]);
  }
  const device = (name: string, fallback: Place): Device => {
    const stanzas = byName.get(name) ?? [];
    return { name, stanzas, place: stanzas[0]?.place ?? fallback };
  };

  const stacks = findBonds(byName, device, diag);
  const bondNames = new Set(stacks.map((st) => st.bond.name));
  findVlans(byName, stacks, device);
  findBridges(byName, stacks, diag);

  const drafts: DraftBond[] = [];
  const inStack = new Set<string>();
  for (const st of stacks) {
    inStack.add(st.bond.name);
    for (const s of st.slaves) inStack.add(s.name);
    for (const v of st.vlans) inStack.add(v.dev.name);
    for (const b of st.bridges.values()) inStack.add(b.name);
    if (st.bond.stanzas.length === 0) continue; // reported in findBonds
    drafts.push(draftBond(st, parsed, diag, ledger));
  }
  const defined: Array<{ name: string; place: Place; kind: string }> = [];
  for (const [name, stanzas] of byName) {
    if (inStack.has(name)) continue;
    if (stanzas.every((s) => s.method === 'loopback')) {
      // The loopback needs nothing from a network manager that bondd would have to take over.
      for (const s of stanzas) ledger.use(s.place);
      continue;
    }
    const kind = 'interface';
    defined.push({ name, place: stanzas[0]!.place, kind });
    for (const s of stanzas) for (const o of s.options) ledger.cover(o.place);
    for (const s of stanzas.slice(1)) ledger.cover(s.place);
  }
  void bondNames;
  return assemble({ source, sourceFiles: parsed.files, bonds: drafts, defined, tool: 'ifupdown', ledger }, diag);
}

function findBonds(byName: Map<string, Stanza[]>, device: (n: string, p: Place) => Device, diag: Diagnostics): Stack[] {
  const stacks = new Map<string, Stack>();
  const stackOf = (name: string, p: Place): Stack => {
    let st = stacks.get(name);
    if (!st) stacks.set(name, (st = { bond: device(name, p), slaves: [], vlans: [], bridges: new Map() }));
    return st;
  };
  const masterOf = new Map<string, Option>();
  for (const [name, stanzas] of byName) {
    // ifenslave examples repeat bond-mode on slave stanzas: with bond-master it marks a slave.
    if (stanzas.some((s) => opt(s, 'bond-slaves') || opt(s, 'slaves') || (opt(s, 'bond-mode') && !opt(s, 'bond-master')))) stackOf(name, stanzas[0]!.place);
    const m = optOf(stanzas, 'bond-master');
    if (m) masterOf.set(name, m);
  }
  for (const [, m] of masterOf) stackOf(m.value, m.place);
  for (const st of stacks.values()) {
    const b = st.bond;
    if (b.stanzas.length === 0) diag.error({ ...b.place, message: `bond-master ${b.name}, but there is no 'iface ${b.name}' stanza; add one (iface ${b.name} inet manual at least)` });
    if (masterOf.has(b.name)) diag.error({ ...masterOf.get(b.name)!.place, message: `${b.name} is a bond and also names bond-master; nested bonds are not supported by bondd` });
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
        if (!st.slaves.some((x) => x.name === n)) st.slaves.push({ name: n, place: list.place, stanzas: byName.get(n) ?? [] });
      }
    }
    for (const [slave, m] of masterOf) {
      if (m.value === b.name && !st.slaves.some((x) => x.name === slave)) st.slaves.push({ name: slave, place: m.place, stanzas: byName.get(slave) ?? [] });
    }
  }
  return [...stacks.values()];
}

/** VLANs on a bond: `bond0.100`, or any name with `vlan-raw-device bond0` (id from vlan-id or the name). */
function findVlans(byName: Map<string, Stanza[]>, stacks: Stack[], device: (n: string, p: Place) => Device): void {
  for (const [name, stanzas] of byName) {
    const raw = optOf(stanzas, 'vlan-raw-device');
    const dotted = /^(.+)\.([0-9]+)$/.exec(name);
    const lower = raw?.value ?? dotted?.[1];
    const st = stacks.find((x) => x.bond.name === lower);
    if (!st) continue;
    const idOpt = optOf(stanzas, 'vlan-id');
    const fromName = dotted?.[2] ?? /^vlan0*([0-9]+)$/.exec(name)?.[1];
    const id = idOpt?.value ?? fromName ?? '';
    st.vlans.push({ dev: device(name, stanzas[0]!.place), id, idPlace: idOpt?.place ?? stanzas[0]!.place });
  }
}

/** Bridges whose ports include the bond or one of its VLANs (bridge-ports, bridge_ports). */
function findBridges(byName: Map<string, Stanza[]>, stacks: Stack[], diag: Diagnostics): void {
  for (const [name, stanzas] of byName) {
    const ports = optOf(stanzas, 'bridge-ports');
    if (!ports) continue;
    const words = ports.value.split(/\s+/).filter((w) => w && w !== 'none');
    for (const st of stacks) {
      const mine = words.filter((w) => w === st.bond.name || st.vlans.some((v) => v.dev.name === w));
      if (mine.length === 0) continue;
      if (mine.length > 1) {
        diag.error({ ...ports.place, message: `${name} has ${mine.join(' and ')} as ports; bondd puts one layer of a bond's stack into a bridge` });
        continue;
      }
      st.bridges.set(mine[0]!, { name, stanzas, place: stanzas[0]!.place });
      for (const w of words) {
        if (w !== mine[0]) diag.warn({ ...ports.place, message: `${w} is also a port of ${name}; bondd does not add it (it puts only ${mine[0]} into ${name}). Add it with the tool that manages ${w}` });
      }
    }
  }
}

function draftBond(st: Stack, parsed: Parsed, diag: Diagnostics, ledger: Ledger): DraftBond {
  const b = st.bond;
  const d: DraftBond = { name: b.name, place: b.place, options: [], slaves: [], vlans: [], ...emptyIp() };
  d.up = parsed.auto.has(b.name);
  if (!d.up) diag.warn({ ...b.place, message: `${b.name} is not in an 'auto' line: ifupdown would not bring it up at boot, so bondd creates it and leaves it down (up: false)` });
  for (const s of b.stanzas) ledger.use(s.place);
  bondOptions(st, d, diag, ledger);
  const bridgeOfBond = st.bridges.get(b.name);
  layerOptions(b, d, 'bond', diag, ledger, (o) => {
    if (o.key.startsWith('bond-') || o.key === 'slaves') return true;
    if (o.key === 'hwaddress') {
      const words = o.value.split(/\s+/);
      d.mac = { value: words[0] === 'ether' ? words[1] ?? '' : words[0] ?? '', place: o.place };
      return true;
    }
    return false;
  });
  if (bridgeOfBond) d.bridge = draftBridge(bridgeOfBond, diag, ledger);
  for (const v of st.vlans) {
    const vd: DraftVlan = { name: v.dev.name, place: v.dev.place, id: { value: v.id, place: v.idPlace }, ...emptyIp() };
    for (const s of v.dev.stanzas) ledger.use(s.place);
    layerOptions(v.dev, vd, 'vlan', diag, ledger, (o) => o.key === 'vlan-raw-device' || o.key === 'vlan-id');
    const br = st.bridges.get(v.dev.name);
    if (br) vd.bridge = draftBridge(br, diag, ledger);
    d.vlans.push(vd);
  }
  return d;
}

function draftBridge(dev: Device, diag: Diagnostics, ledger: Ledger): DraftBridge {
  const br: DraftBridge = { name: dev.name, place: dev.place, ...emptyIp() };
  for (const s of dev.stanzas) ledger.use(s.place);
  layerOptions(dev, br, 'bridge', diag, ledger, (o) => {
    if (o.key === 'bridge-ports') return true;
    if (o.key === 'bridge-stp') {
      const on = parseBool(o.value);
      if (on === undefined) diag.error({ ...o.place, message: `'${o.value}' is not on or off` });
      else br.stp = { value: on, place: o.place };
      return true;
    }
    if (o.key === 'bridge-fd') {
      br.forwardDelay = { value: o.value, place: o.place };
      return true;
    }
    return false;
  });
  return br;
}

/** Bond options from the bond's stanzas and what ifenslave takes from slave stanzas; the slaves. */
function bondOptions(st: Stack, d: DraftBond, diag: Diagnostics, ledger: Ledger): void {
  const b = st.bond;
  const slaveOpts = new Map<string, DraftSlave>();
  for (const s of st.slaves) {
    const ds: DraftSlave = { name: s.name, options: [], place: s.place };
    slaveOpts.set(s.name, ds);
    d.slaves.push(ds);
  }
  const sources = [...b.stanzas.map((stanza) => ({ stanza, slave: undefined as string | undefined })), ...st.slaves.flatMap((s) => s.stanzas.map((stanza) => ({ stanza, slave: s.name })))];
  for (const { stanza, slave } of sources) {
    for (const o of stanza.options) {
      if (o.key === 'bond-slaves' || o.key === 'slaves' || o.key === 'bond-master') {
        ledger.use(o.place);
        continue;
      }
      if (o.key === 'bond-give-a-chance') {
        diag.warn({ ...o.place, message: `${o.place.path} is an ifenslave wait for the slaves to come up; bondd enslaves slaves whenever they appear. Not imported` });
        continue;
      }
      if (!o.key.startsWith('bond-')) continue;
      const name = o.key.slice('bond-'.length).replace(/-/g, '_');
      ledger.use(o.place);
      if (name === 'primary') {
        // ifenslave: the first listed interface that is a slave of the bond becomes primary.
        const words = o.value.split(/\s+/).filter(Boolean);
        const pick = words.find((w) => st.slaves.some((x) => x.name === w)) ?? words[0] ?? '';
        if (pick && pick !== 'none' && !d.primary) d.primary = { value: pick, place: o.place };
        continue;
      }
      if (name === 'queue_id') {
        // ifenslave: `bond-queue-id eth0:1 eth1:2`; a bare number on a slave stanza is that slave's.
        for (const word of o.value.split(/\s+/).filter(Boolean)) {
          const m = /^([^:]+):(.*)$/.exec(word);
          const target = m ? slaveOpts.get(m[1]!) : slave ? slaveOpts.get(slave) : undefined;
          if (!m && !slave) diag.error({ ...o.place, message: `'${word}' is not <slave>:<queue id> (bond-queue-id eth0:1 eth1:2)` });
          else if (!target) diag.error({ ...o.place, message: `${m![1]} is not a slave of ${b.name}` });
          else target.options.push({ value: { name: 'queue_id', raw: m ? m[2]! : word }, place: o.place });
        }
        continue;
      }
      const slaveOpt = findSlaveOption(name);
      if (slaveOpt && slave) {
        slaveOpts.get(slave)!.options.push({ value: { name: slaveOpt.name, raw: o.value }, place: o.place });
        continue;
      }
      if (slaveOpt) {
        diag.error({ ...o.place, message: `${slaveOpt.name} is a per-slave option; put ${o.place.path} in the slave's stanza` });
        continue;
      }
      if (slave) {
        diag.warn({ ...o.place, message: `${o.place.path} on the slave stanza ${slave} is ignored, as ifenslave ignores it (ifup configures ${b.name} from its own stanza); put it in 'iface ${b.name}'` });
        continue;
      }
      const option = findOption(name);
      if (name === 'mode') {
        d.mode = { value: o.value, place: o.place };
        continue;
      }
      // ifenslave takes address lists space-separated, as several words; ifupdown2 writes yes/no.
      let raw: string | string[] = o.value;
      if (option && isListOption(option)) raw = o.value.split(/[\s,]+/).filter(Boolean).map((a) => a.replace(/^\+/, ''));
      else if (option && option.kind !== 'ifname' && parseBool(o.value) !== undefined && !/^[0-9]+$/.test(o.value) && !option.values?.some((v) => v.name === o.value)) raw = parseBool(o.value) ? '1' : '0';
      d.options.push({ value: { name, raw }, place: o.place });
    }
  }
  // Whatever else a slave stanza says.
  for (const s of st.slaves) {
    for (const stanza of s.stanzas) {
      ledger.use(stanza.place);
      if (stanza.method === 'static' || stanza.method === 'dhcp') {
        diag.warn({ ...stanza.place, message: `${s.name} is a slave of ${b.name} but its stanza is '${stanza.family} ${stanza.method}'; a slave carries no addresses (use 'inet manual'); its addresses are not imported` });
      }
      for (const o of stanza.options) {
        if (o.key.startsWith('bond-') || o.key === 'slaves') continue;
        if (o.key === 'mtu' && optOf(b.stanzas, 'mtu')?.value === o.value) ledger.use(o.place); // the bond gives it that MTU anyway
        else if (o.key === 'mtu') diag.warn({ ...o.place, message: `mtu ${o.value} on the slave ${s.name} is not imported: bondd sets the bond's MTU, which the kernel gives every slave when it is enslaved. Set mtu on ${b.name} if the slaves need ${o.value}` });
        else if (o.key === 'hwaddress') diag.warn({ ...o.place, message: `hwaddress on the slave ${s.name} is not imported: a slave takes the bond's MAC (set hwaddress on ${b.name})` });
        else if (['address', 'netmask', 'gateway', 'broadcast'].includes(o.key)) ledger.cover(o.place);
        else if (o.key === 'description') ledger.use(o.place);
        else diag.warn({ ...o.place, message: `${o.place.path} on the slave ${s.name} is not imported: ${notDone(o.key) ?? `a slave of ${b.name} is configured by the bond`}` });
      }
    }
  }
}

/**
 * Methods and IP options of one layer's stanzas into `d`; `own` takes the role's own options
 * (bond-*, vlan-*, bridge-*) and returns whether it used them.
 */
function layerOptions(dev: Device, d: DraftIp, role: string, diag: Diagnostics, ledger: Ledger, own: (o: Option) => boolean): void {
  for (const s of dev.stanzas) {
    const family = s.family === 'inet' ? 4 : s.family === 'inet6' ? 6 : s.family === '' ? 0 : undefined;
    if (family === undefined) {
      diag.warn({ ...s.place, message: `address family '${s.family}' is not imported (inet and inet6 are)` });
      for (const o of s.options) ledger.cover(o.place);
      continue;
    }
    method(s, family, d, diag);
    const netmask = opt(s, 'netmask');
    for (const o of s.options) {
      if (own(o)) {
        ledger.use(o.place);
        continue;
      }
      if (!IP_KEYS.includes(o.key)) {
        const why = notDone(o.key);
        if (why) diag.warn({ ...o.place, message: `${o.place.path} on ${dev.name} is not imported: ${why}` });
        else {
          const known = [...IP_KEYS, 'bond-slaves', 'bond-mode', 'bridge-ports', 'bridge-stp', 'bridge-fd', 'vlan-raw-device', 'dns-nameservers', 'pre-up', 'post-down'];
          diag.warn({ ...o.place, message: `${o.place.path} on ${dev.name} is not imported (bondd does not know this ${role} option${suggestion(o.key, known) || '; ifupdown passes it to its scripts only'})` });
        }
        continue;
      }
      ipOption(o, s, family, netmask, d, dev.name, diag, ledger);
    }
  }
}

/** The stanza's method: static/manual, dhcp, inet6 auto; ifupdown's accept_ra defaults for inet6. */
function method(s: Stanza, family: number, d: DraftIp, diag: Diagnostics): void {
  const m = s.method;
  if (family === 0 || m === 'static' || m === 'manual') {
    // ifupdown 0.8's inet6 static method leaves accept_ra alone but writes autoconf 0 (no SLAAC
    // addresses, RA routes still taken); bondd does not manage autoconf.
    if (family === 6 && m === 'static' && !opt(s, 'autoconf')) {
      diag.warn({ ...s.place, message: `ifupdown turns IPv6 address autoconfiguration off here (autoconf 0); bondd leaves the kernel default, so a router advertising a prefix would add a SLAAC address. Set accept_ra: false on this layer in bondd.yaml if the network sends RAs and none should be taken` });
    }
    return;
  }
  if (m === 'dhcp' && family === 4) d.dhcp4 = { value: true, place: s.place };
  else if (m === 'dhcp' && family === 6) {
    d.dhcp6 = { value: true, place: s.place };
    d.acceptRa = { value: true, place: s.place };
  } else if (m === 'auto' && family === 6) d.acceptRa = { value: true, place: s.place };
  else diag.error({ ...s.place, message: `method '${s.family} ${m}' is not imported (valid: static, manual, dhcp; inet6 auto)` });
}

function ipOption(o: Option, s: Stanza, family: number, netmask: Option | undefined, d: DraftIp, dev: string, diag: Diagnostics, ledger: Ledger): void {
  const isStatic = s.method === 'static' || family === 0;
  switch (o.key) {
    case 'address':
      if (!isStatic) {
        diag.warn({ ...o.place, message: `address in a '${s.family} ${s.method}' stanza is not used by ifupdown; not imported` });
        return;
      }
      for (let text of o.value.split(/\s+/).filter(Boolean)) {
        if (!text.includes('/') && netmask) {
          const fam = family || (text.includes(':') ? 6 : 4);
          const p = fam === 4 ? netmaskToPrefix(netmask.value) ?? (/^[0-9]{1,2}$/.test(netmask.value) ? Number(netmask.value) : undefined) : /^[0-9]{1,3}$/.test(netmask.value) ? Number(netmask.value) : undefined;
          if (p === undefined || p > (fam === 4 ? 32 : 128)) {
            diag.error({ ...netmask.place, message: `'${netmask.value}' is not a ${fam === 4 ? 'netmask (255.255.255.0 or 24)' : 'prefix length (0..128)'}` });
            return;
          }
          text = `${text}/${p}`;
        }
        const c = parseCidr(text, family === 6 || text.includes(':') ? { 6: 64 } : undefined);
        if (typeof c === 'string') {
          diag.error({ ...o.place, message: `${c}${family === 4 ? '; give the prefix (address 192.0.2.10/24) or a netmask line' : ''}` });
          return;
        }
        if (family !== 0 && c.family !== family) {
          diag.error({ ...o.place, message: `${o.value} is IPv${c.family} in an ${s.family} stanza` });
          return;
        }
        d.addresses.push({ value: c.text, place: o.place });
      }
      ledger.use(o.place);
      return;
    case 'netmask':
    case 'broadcast':
    case 'description':
      ledger.use(o.place); // netmask is read with address; ifupdown computes the broadcast itself
      return;
    case 'gateway':
      d.gateways.push({ value: o.value, place: o.place });
      ledger.use(o.place);
      return;
    case 'mtu':
      d.mtu = { value: o.value, place: o.place };
      ledger.use(o.place);
      return;
    case 'accept-ra': {
      const n = o.value.trim();
      if (!['0', '1', '2'].includes(n)) diag.error({ ...o.place, message: `'${o.value}' is not 0, 1 or 2` });
      else {
        if (n === '2') diag.warn({ ...o.place, message: `accept_ra 2 (accept even when forwarding) is imported as on; bondd writes 1, which is the same unless ${dev} forwards` });
        d.acceptRa = { value: n !== '0', place: o.place };
        ledger.use(o.place);
      }
      return;
    }
    case 'hwaddress':
      diag.warn({ ...o.place, message: `hwaddress on ${dev} is not imported: bondd sets the MAC of the bond only (a VLAN or bridge takes the bond's)` });
      return;
    default: {
      // up / post-up
      const route = hookRoute(o, dev, diag);
      if (route) {
        d.routes.push({ value: { to: route.route.to, ...(route.route.via ? { via: route.route.via } : {}), ...(route.route.metric !== undefined ? { metric: route.route.metric } : {}) }, place: o.place });
        ledger.use(o.place);
      } else if (route === undefined) diag.warn({ ...o.place, message: `hook '${o.place.path} ${o.value}' is not imported (only 'ip route add' through ${dev} is); run it from a unit after bondd.service if it is still needed` });
    }
  }
}

/**
 * A route from an `up`/`post-up` hook: `ip [-4|-6] route add|replace <dst> [via GW] [dev BOND]
 * [metric N]`. Returns null when the hook is a route but one bondd cannot take (an error says
 * why), undefined when it is no route at all.
 */
function hookRoute(o: Option, dev: string, diag: Diagnostics): ReturnType<typeof ipRouteLine> | null {
  // `|| true` and output redirections only keep ifup quiet when the route already exists.
  const text = o.value.replace(/(\s*(\|\|\s*(true|:|\/bin\/true)|[12]?>\s*\/dev\/null|2>&1))+\s*$/, '');
  const words = text.split(/\s+/);
  if (words[0] === '/sbin/ip' || words[0] === '/usr/sbin/ip' || words[0] === '/bin/ip') words[0] = 'ip';
  if (words[0] !== 'ip') return undefined;
  const args = words.slice(1);
  let family: 4 | 6 | undefined;
  while (args[0] === '-4' || args[0] === '-6') family = args.shift() === '-4' ? 4 : 6;
  if (args[0] !== 'route' && args[0] !== 'r' && args[0] !== 'ro') return undefined;
  if (args[1] !== 'add' && args[1] !== 'replace' && args[1] !== 'a') return undefined;
  const rest = args.slice(2);
  family ??= rest[0]?.includes(':') || rest.some((w, i) => rest[i - 1] === 'via' && w.includes(':')) ? 6 : 4;
  return ipRouteLine(rest.join(' '), o.place, family, dev, diag) ?? null;
}
