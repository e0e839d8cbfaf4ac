/**
 * Importer for the classic RHEL network-scripts format: /etc/sysconfig/network-scripts/ifcfg-*
 * plus the bonding lines of the modprobe configuration (see modprobe.ts), built into the model by
 * the shared assembly (assemble.ts).
 *
 * What makes a device a bond: TYPE=Bond/Bonding, BONDING_MASTER=yes, BONDING_OPTS, an
 * `alias <dev> bonding` line, or a slave file whose MASTER= names it (the oldest recipe has none
 * of the others). A slave is a file with MASTER= (and SLAVE=yes). Slaves are enslaved in file-name
 * order, which is the order initscripts' `grep -l MASTER=...` finds them in.
 *
 * The bond's stack: a VLAN is a file with VLAN=yes (or TYPE=Vlan) whose PHYSDEV, or the part of
 * DEVICE before the dot (bond0.100), is a bond; its id is VLAN_ID or the part after the dot. A
 * bridge is a TYPE=Bridge file that the bond's or a VLAN's file names in BRIDGE=; STP= and DELAY=
 * (forward delay, s) are read. On every layer: IPADDR[n]/PREFIX[n]/NETMASK[n], GATEWAY, IPv6
 * (IPV6INIT, IPV6ADDR, IPV6ADDR_SECONDARIES, IPV6_DEFAULTGW), BOOTPROTO=dhcp (DHCP for IPv4),
 * DHCPV6C=yes (DHCPv6), IPV6_AUTOCONF (router advertisements), MTU, alias files (ifcfg-<dev>:N)
 * and route-<dev>/route6-<dev>.
 *
 * Option precedence for a bond, lowest first: `options bonding ...` (module parameters, which the
 * kernel copies into every new bond), `options <bond> ...` (old per-instance style), BONDING_OPTS.
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BOND_OPTIONS, isListOption } from '../bond/options.js';
import type { BondOption, OptionValue } from '../bond/option-types.js';
import { classfulPrefix, formatIPv4, netmaskToPrefix, parseCidr, parseIPv4, parseIp } from './addr.js';
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
  suggestion,
} from './assemble.js';
import { convertOption, ifnameProblem, lookupBondOption, type Place } from './check.js';
import { Diagnostics } from './errors.js';
import { parseRouteFile } from './ifcfg-routes.js';
import { readModprobeFiles, type ModprobeConfig, type ModprobeOption } from './modprobe.js';

export const DEFAULT_IFCFG_DIR = '/etc/sysconfig/network-scripts';

export interface ImportOptions {
  /** modprobe files to read for `alias`/`options` lines, in order. Default: none. */
  modprobeFiles?: string[];
}

/** Keys this importer reads (for "did you mean" on unknown keys). */
const USED_KEYS = [
  'DEVICE', 'TYPE', 'ONBOOT', 'BOOTPROTO', 'IPADDR', 'NETMASK', 'PREFIX', 'GATEWAY', 'DEFROUTE',
  'IPV6INIT', 'IPV6ADDR', 'IPV6ADDR_SECONDARIES', 'IPV6_DEFAULTGW', 'MTU', 'MACADDR', 'HWADDR',
  'BONDING_OPTS', 'BONDING_MASTER', 'MASTER', 'SLAVE', 'BOND_PORT_QUEUE_ID', 'BOND_PORT_PRIO',
  'VLAN', 'PHYSDEV', 'VLAN_ID', 'BRIDGE', 'STP', 'DELAY', 'DHCPV6C', 'IPV6_AUTOCONF',
];

/**
 * Keys understood and consumed without effect on what bondd builds: profile metadata, and
 * settings of the old tools that bondd's way of working makes moot (it waits for no link, runs no
 * duplicate-address check).
 */
const NO_EFFECT = new Set([
  'NAME', 'USERCTL', 'NM_CONTROLLED', 'UUID', 'IPV4_FAILURE_FATAL', 'IPV6_FAILURE_FATAL', 'PROXY_METHOD',
  'BROWSER_ONLY', 'AUTOCONNECT_PRIORITY', 'AUTOCONNECT_SLAVES', 'HOTPLUG', 'LINKDELAY', 'ARPCHECK',
  'NOZEROCONF', 'IPV6_DEFROUTE', 'ONPARENT', 'VLAN_NAME_TYPE', 'PEERROUTES', 'IPV6_PEERROUTES',
]);

/** Keys understood and not done by bondd, with what to do instead. */
const NOT_DONE: Record<string, string> = {
  PEERDNS: 'bondd does not configure DNS (the DHCP client it runs leaves resolv.conf alone); keep DNS in NetworkManager/systemd-resolved',
  IPV6_PEERDNS: 'bondd does not configure DNS',
  DNS1: 'bondd does not configure DNS; keep the servers in /etc/resolv.conf or systemd-resolved',
  DNS2: 'bondd does not configure DNS; keep the servers in /etc/resolv.conf or systemd-resolved',
  DNS3: 'bondd does not configure DNS; keep the servers in /etc/resolv.conf or systemd-resolved',
  DOMAIN: 'bondd does not configure DNS search domains',
  ZONE: 'bondd does not assign firewalld zones; run firewall-cmd --zone=<zone> --add-interface=<dev> --permanent',
  IPV6_PRIVACY: 'bondd leaves IPv6 privacy addresses to the use_tempaddr sysctl',
  IPV6_ADDR_GEN_MODE: 'bondd leaves the IPv6 address generation mode to the kernel (addr_gen_mode sysctl)',
  ETHTOOL_OPTS: 'bondd does not run ethtool; run it from a unit ordered before bondd.service',
  BRIDGING_OPTS: "bondd sets a bridge's STP and forward delay only; the kernel defaults apply to the rest",
  REORDER_HDR: 'bondd creates VLANs with the kernel default (reorder_hdr on)',
  GVRP: 'bondd does not register VLANs with GVRP',
  MVRP: 'bondd does not register VLANs with MVRP',
  DHCP_HOSTNAME: 'the DHCP client bondd runs (dhcpcd) sends the host name by its own defaults; tune it in /etc/dhcpcd.conf',
  PERSISTENT_DHCLIENT: 'bondd supervises its DHCP client and restarts it when it dies',
  METRIC: 'bondd adds the default route without a metric; write it as a route with a metric if several compete',
};

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
  /** Physical lines that continue an earlier one (backslash-newline), for the accounting. */
  continued: Array<{ line: number; of: number }>;
}

/**
 * Reads shell-style assignments: `KEY=value`, `KEY="value"`, `KEY='value'`, `export KEY=...`,
 * spaces around `=` (not shell, but common in hand-edited files), `#` comments.
 */
export function parseIfcfgText(text: string, path: string): IfcfgFile {
  const diag = new Diagnostics();
  const entries = new Map<string, IfcfgEntry>();
  const continued: Array<{ line: number; of: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    // Backslash-newline continues the line (outside single quotes; close enough for ifcfg).
    while (/\\$/.test(raw) && i + 1 < lines.length) {
      raw = raw.slice(0, -1) + lines[++i]!;
      continued.push({ line: i + 1, of: lineNo });
    }
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
    // `KEY=a B=c` is two assignments to the shell: KEY gets only `a`, which initscripts ran with.
    // Two real ifcfg keys on one line are fine; a word that is no ifcfg key was meant as part of KEY.
    const stray = v.more.filter((x) => !isIfcfgKey(x.key));
    if (stray.length) {
      const names = stray.map((x) => x.key);
      diag.warn({
        file: path,
        line: lineNo,
        path: key,
        message: `the value is not quoted: the shell set ${key}='${v.value}' and took ${names.map((n, j) => `'${n}=${stray[j]!.value}'`).join(', ')} as separate variable assignment${names.length > 1 ? 's' : ''}, so initscripts ran with ${key}='${v.value}'. Imported as it ran; quote the whole value ("${m[2]!.trim()}") to get all of it`,
      });
    }
    for (const x of v.more) if (isIfcfgKey(x.key)) entries.set(x.key, { key: x.key, value: x.value, line: lineNo });
    const prev = entries.get(key);
    if (prev && prev.value !== v.value) {
      diag.warn({ file: path, line: lineNo, path: key, message: `${key} is set again (line ${prev.line} set '${prev.value}'); the last value '${v.value}' wins` });
    }
    entries.set(key, { key, value: v.value, line: lineNo });
  }
  const suffix = basename(path).replace(/^ifcfg-/, '');
  return { path, suffix, entries, diag, continued };
}

/** One shell word with quotes removed; anything but a trailing comment after it is an error. */
function shellWord(s: string): { value: string; more: Array<{ key: string; value: string }> } | string {
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
    // More NAME=value words are more assignments (the shell runs nothing then); anything else
    // would be run as a command.
    const words = rest.replace(/\s+#.*$/, '').split(/\s+/);
    const more: Array<{ key: string; value: string }> = [];
    for (const w of words) {
      const a = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(w);
      const val = a ? shellWord(a[2]!) : undefined;
      if (!a || val === undefined || typeof val === 'string' || val.more.length) {
        return `the value has an unquoted space before '${rest}'; the shell would run '${rest}' as a command. Quote the whole value: "${s.trim()}"`;
      }
      more.push({ key: a[1]!, value: val.value });
    }
    return { value: out, more };
  }
  return { value: out, more: [] };
}


function yesNo(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (l === 'yes' || l === 'true' || l === 'y' || l === '1' || l === 'on') return true;
  if (l === 'no' || l === 'false' || l === 'n' || l === '0' || l === 'off') return false;
  return undefined;
}

interface Device {
  file: IfcfgFile;
  name: string;
  nameLine: number;
  /** Keys read so far (the rest is classified when the file is closed). */
  taken: Set<string>;
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
  /** Some option of this source did not resolve. */
  failed: boolean;
}

/** Reads every ifcfg-* in `dir` (plus modprobe files) into a DesiredConfig, or throws ImportError. */
export async function importIfcfg(dir: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const diag = new Diagnostics();
  const ledger = new Ledger();
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    diag.error({ file: dir, line: 0, path: '', message: `cannot read the ifcfg directory: ${(e as Error).message}` });
    return assemble({ source: dir, sourceFiles: [], bonds: [], defined: [], tool: 'initscripts', ledger }, diag);
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
    const cr = crOnlyProblem(text, p);
    if (cr) {
      diag.error(cr);
      continue;
    }
    files.push(parseIfcfgText(text, p));
  }
  const modprobe = await readModprobeFiles(opts.modprobeFiles ?? [], diag);
  modprobeLedger(modprobe, ledger, diag);
  return new IfcfgImport(dir, files, modprobe, diag, ledger, routeFiles).run();
}

/**
 * Every line of the modprobe files counts: bonding lines are imported or warned about where they
 * are read; lines about other modules get one warning per file (they are not bondd's business,
 * and stay where they are).
 */
function modprobeLedger(m: ModprobeConfig, ledger: Ledger, diag: Diagnostics): void {
  for (const [, w] of m.aliases) ledger.use({ file: w.file, line: w.line, path: '' });
  for (const o of m.moduleOptions) ledger.use({ file: o.file, line: o.line, path: '' });
  for (const [, list] of m.instanceOptions) for (const o of list) ledger.see({ file: o.file, line: o.line, path: '' });
  for (const file of new Set(m.otherLines.map((l) => l.file))) {
    const lines = m.otherLines.filter((l) => l.file === file);
    diag.warn({ file, line: lines[0]!.line, path: lines[0]!.text.split(/\s+/).slice(0, 2).join(' '), message: `${lines.length} line(s) of this file concern other modules (${[...new Set(lines.map((l) => l.text.split(/\s+/).slice(0, 2).join(' ')))].slice(0, 4).join(', ')}); not bondd's, not imported: they stay in modprobe.d` });
    for (const l of lines) ledger.cover({ file, line: l.line, path: '' });
  }
}

function modprobePlace(o: ModprobeOption, mod: string): Place {
  return { file: o.file, line: o.line, path: `options ${mod} ${o.key}` };
}

class IfcfgImport {
  private readonly devices: Device[] = [];
  private readonly byName = new Map<string, Device>();

  constructor(
    private readonly dir: string,
    private readonly files: IfcfgFile[],
    private readonly modprobe: ModprobeConfig,
    private readonly diag: Diagnostics,
    private readonly ledger: Ledger,
    private readonly routeFiles: Map<string, string>,
  ) {}

  private e(d: Device, k: string): IfcfgEntry | undefined {
    return d.file.entries.get(k);
  }

  /** Reads a key and marks it used. */
  private take(d: Device, k: string): IfcfgEntry | undefined {
    const en = d.file.entries.get(k);
    if (en) d.taken.add(k);
    return en;
  }

  private at(d: Device, k: string): Place {
    return { file: d.file.path, line: d.file.entries.get(k)?.line ?? d.nameLine, path: k };
  }

  run(): ImportResult {
    for (const file of this.files) {
      const dev = file.entries.get('DEVICE');
      const d: Device = { file, name: dev?.value || file.suffix, nameLine: dev?.line ?? 1, taken: new Set() };
      for (const en of file.entries.values()) this.ledger.see({ file: file.path, line: en.line, path: en.key });
      for (const c of file.continued) this.ledger.continuation(file.path, c.line, c.of);
      this.devices.push(d);
    }
    const roles = this.classify();
    const drafts: DraftBond[] = [];
    for (const b of roles.bonds) drafts.push(this.bond(b, roles));
    // Files that belong to no bond's stack: named, their keys covered by that one note.
    const inStack = new Set<Device>([...roles.bonds, ...roles.slaves, ...roles.vlans.map((v) => v.dev), ...roles.bridges.keys(), ...roles.aliasesUsed]);
    const defined: Array<{ name: string; place: Place; kind: string }> = [];
    for (const d of this.devices) {
      if (inStack.has(d)) {
        this.closeFile(d);
        continue;
      }
      if (roles.skipped.has(d)) continue;
      defined.push({ name: d.name, place: { file: d.file.path, line: d.nameLine, path: 'DEVICE' }, kind: 'interface' });
      for (const en of d.file.entries.values()) this.ledger.cover({ file: d.file.path, line: en.line, path: en.key });
      for (const er of d.file.diag.errors) this.ledger.cover({ ...er });
    }
    this.modprobeLeftovers(roles.bonds);
    const sourceFiles = [...[...inStack].map((d) => d.file.path).sort(), ...roles.routeSources, ...this.modprobe.files];
    return assemble({ source: this.dir, sourceFiles, bonds: drafts, defined, tool: 'initscripts', ledger: this.ledger }, this.diag);
  }

  private classify() {
    const get = (d: Device, k: string) => d.file.entries.get(k);
    const referenced = new Set<string>();
    for (const d of this.devices) {
      const m = get(d, 'MASTER')?.value;
      if (m && !isYesNoWord(m)) referenced.add(m);
    }
    const isBondFile = (d: Device): boolean => {
      const type = get(d, 'TYPE')?.value.toLowerCase();
      return type === 'bond' || type === 'bonding' || yesNo(get(d, 'BONDING_MASTER')?.value ?? '') === true || d.file.entries.has('BONDING_OPTS');
    };
    const bonds: Device[] = [];
    const slaves: Device[] = [];
    const others: Device[] = [];
    const skipped = new Set<Device>();
    for (const d of this.devices) {
      const bondish = isBondFile(d) || referenced.has(d.name) || this.modprobe.aliases.has(d.name);
      const master = get(d, 'MASTER');
      if (master && isYesNoWord(master.value)) {
        // One cause, one message: MASTER=yes is a typo, not a bond called "yes".
        const hint = bondish ? `on a bond you probably meant BONDING_MASTER=yes` : `MASTER names the bond this NIC belongs to (MASTER=bond0), and SLAVE=yes marks it a slave`;
        this.diag.error({ ...this.at(d, 'MASTER'), message: `MASTER=${master.value} names no interface: ${hint}` });
        d.taken.add('MASTER');
      } else if (bondish && master) {
        this.diag.error({ ...this.at(d, 'MASTER'), message: `${d.name} is a bond and also names MASTER=${master.value}; nested bonds are not supported by bondd` });
        skipped.add(d);
        continue;
      }
      if (!bondish && !(master && !isYesNoWord(master.value))) {
        others.push(d);
        continue;
      }
      this.diag.errors.push(...d.file.diag.errors);
      this.diag.warnings.push(...d.file.diag.warnings);
      const bad = ifnameProblem(d.name);
      if (bad) {
        this.diag.error({ ...this.at(d, 'DEVICE'), message: bad });
        skipped.add(d);
        continue;
      }
      const dup = this.byName.get(d.name);
      if (dup) {
        this.diag.error({ ...this.at(d, 'DEVICE'), message: `${d.name} is already defined by ${dup.file.path}:${dup.nameLine}; remove one of the files` });
        skipped.add(d);
        continue;
      }
      this.byName.set(d.name, d);
      if (get(d, 'DEVICE') && d.name !== d.file.suffix) {
        this.diag.warn({ ...this.at(d, 'DEVICE'), message: `DEVICE=${d.name} differs from the file name (ifcfg-${d.file.suffix}); DEVICE is used` });
      }
      (bondish ? bonds : slaves).push(d);
    }
    const bondNames = new Set(bonds.map((b) => b.name));
    // VLANs on a bond.
    const vlans: Array<{ dev: Device; bond: string; id: string; idPlace: Place }> = [];
    for (const d of others) {
      if (d.name.includes(':')) continue;
      const isVlan = yesNo(get(d, 'VLAN')?.value ?? '') === true || get(d, 'TYPE')?.value.toLowerCase() === 'vlan';
      if (!isVlan) continue;
      const dotted = /^(.+)\.([0-9]+)$/.exec(d.name);
      const phys = get(d, 'PHYSDEV')?.value ?? dotted?.[1];
      if (!phys || !bondNames.has(phys)) continue;
      const idE = get(d, 'VLAN_ID');
      vlans.push({ dev: d, bond: phys, id: idE?.value ?? dotted?.[2] ?? '', idPlace: this.at(d, idE ? 'VLAN_ID' : 'DEVICE') });
    }
    // Bridges named in BRIDGE= by the bond or one of its VLANs.
    const bridges = new Map<Device, string>();
    for (const port of [...bonds, ...vlans.map((v) => v.dev)]) {
      const br = get(port, 'BRIDGE');
      if (!br) continue;
      const d = others.find((x) => x.name === br.value);
      if (!d || get(d, 'TYPE')?.value.toLowerCase() !== 'bridge') {
        this.diag.error({ ...this.at(port, 'BRIDGE'), message: `BRIDGE=${br.value}, but there is no ifcfg-${br.value} with TYPE=Bridge in ${this.dir}; add it or remove BRIDGE` });
        continue;
      }
      if (bridges.has(d)) {
        this.diag.error({ ...this.at(port, 'BRIDGE'), message: `${br.value} already has ${bridges.get(d)} as its port; bondd puts one layer of a bond's stack into a bridge` });
        continue;
      }
      bridges.set(d, port.name);
    }
    // Alias files (ifcfg-bond0:1, ifcfg-bond0.100:1) add addresses to their device.
    const stackNames = new Set([...bondNames, ...vlans.map((v) => v.dev.name), ...[...bridges.keys()].map((b) => b.name)]);
    const aliasesUsed = others.filter((d) => /^[^:]+:[A-Za-z0-9_]+$/.test(d.name) && stackNames.has(d.name.split(':')[0]!));
    for (const a of aliasesUsed) {
      this.diag.errors.push(...a.file.diag.errors);
      this.diag.warnings.push(...a.file.diag.warnings);
    }
    for (const [b] of bridges) {
      this.diag.errors.push(...b.file.diag.errors);
      this.diag.warnings.push(...b.file.diag.warnings);
    }
    for (const v of vlans) {
      this.diag.errors.push(...v.dev.file.diag.errors);
      this.diag.warnings.push(...v.dev.file.diag.warnings);
    }
    const routeSources = [...this.routeFiles.keys()].filter((n) => stackNames.has(n.replace(/^route6?-/, ''))).map((n) => join(this.dir, n));
    return { bonds, slaves, vlans, bridges, aliasesUsed, skipped, routeSources };
  }

  private bond(b: Device, roles: ReturnType<IfcfgImport['classify']>): DraftBond {
    const d: DraftBond = { name: b.name, place: { file: b.file.path, line: b.nameLine, path: 'DEVICE' }, options: [], slaves: [], vlans: [], ...emptyIp() };
    for (const k of ['DEVICE', 'TYPE', 'BONDING_MASTER', 'BONDING_OPTS']) this.take(b, k);
    this.bondOptions(b, d);
    const bm = this.e(b, 'BONDING_MASTER');
    if (bm && yesNo(bm.value) !== true) {
      this.diag.warn({ ...this.at(b, 'BONDING_MASTER'), message: `BONDING_MASTER=${bm.value}; only 'yes' means anything. ${b.name} is still a bond because ${this.e(b, 'BONDING_OPTS') ? 'it has BONDING_OPTS' : 'slaves name it as MASTER'}` });
    }
    const onboot = this.take(b, 'ONBOOT');
    if (onboot) {
      const v = yesNo(onboot.value);
      if (v === undefined) this.diag.error({ ...this.at(b, 'ONBOOT'), message: `'${onboot.value}' is not yes or no` });
      else d.up = v;
    }
    if (this.e(b, 'HWADDR')) {
      this.take(b, 'HWADDR');
      this.diag.warn({ ...this.at(b, 'HWADDR'), message: `HWADDR on a bond is ignored (a bond has no permanent address); use MACADDR to set the bond's MAC` });
    }
    const mac = this.take(b, 'MACADDR');
    if (mac) d.mac = { value: mac.value, place: this.at(b, 'MACADDR') };
    this.ipOf(b, d, roles.aliasesUsed);
    this.slaves(b, d, roles.slaves);
    const bridgeOf = (port: string) => [...roles.bridges].find(([, p]) => p === port)?.[0];
    const br = bridgeOf(b.name);
    if (br) {
      this.take(b, 'BRIDGE');
      d.bridge = this.bridge(br, roles.aliasesUsed);
    }
    for (const v of roles.vlans.filter((x) => x.bond === b.name)) {
      const vd: DraftVlan = { name: v.dev.name, place: { file: v.dev.file.path, line: v.dev.nameLine, path: 'DEVICE' }, id: { value: v.id, place: v.idPlace }, ...emptyIp() };
      for (const k of ['DEVICE', 'VLAN', 'TYPE', 'PHYSDEV', 'VLAN_ID', 'ONBOOT']) this.take(v.dev, k);
      this.ipOf(v.dev, vd, roles.aliasesUsed);
      const vbr = bridgeOf(v.dev.name);
      if (vbr) {
        this.take(v.dev, 'BRIDGE');
        vd.bridge = this.bridge(vbr, roles.aliasesUsed);
      }
      d.vlans.push(vd);
    }
    return d;
  }

  private bridge(br: Device, aliases: Device[]): DraftBridge {
    const d: DraftBridge = { name: br.name, place: { file: br.file.path, line: br.nameLine, path: 'DEVICE' }, ...emptyIp() };
    for (const k of ['DEVICE', 'TYPE', 'ONBOOT']) this.take(br, k);
    const stp = this.take(br, 'STP');
    if (stp) {
      const on = yesNo(stp.value);
      if (on === undefined) this.diag.error({ ...this.at(br, 'STP'), message: `'${stp.value}' is not yes or no (on/off)` });
      else d.stp = { value: on, place: this.at(br, 'STP') };
    }
    const delay = this.take(br, 'DELAY');
    if (delay) d.forwardDelay = { value: delay.value, place: this.at(br, 'DELAY') };
    this.ipOf(br, d, aliases);
    return d;
  }

  /** Options: module defaults < options <bond> < BONDING_OPTS, resolved, then handed over canonical. */
  private moduleLayer?: OptionLayer;

  private bondOptions(b: Device, d: DraftBond): void {
    // Module-wide defaults, resolved once for every bond.
    this.moduleLayer ??= resolveLayer(this.modprobe.moduleOptions.map((o) => ({ key: o.key, value: o.value, place: modprobePlace(o, 'bonding') })), 'module', this.diag);
    const mod = this.moduleLayer;
    const instRaw = (this.modprobe.instanceOptions.get(b.name) ?? []).map((o) => ({ key: o.key, value: o.value, place: modprobePlace(o, b.name) }));
    for (const o of instRaw) this.ledger.use(o.place);
    const inst = resolveLayer(instRaw, 'instance', this.diag);
    const bo = this.e(b, 'BONDING_OPTS');
    const ifc = resolveLayer(bo ? splitBondingOpts(bo, b.file.path, this.diag) : [], 'ifcfg', this.diag);
    const merged = new Map<string, PlacedValue>(mod.options);
    for (const [k, v] of inst.options) merged.set(k, v);
    for (const [k, v] of ifc.options) {
      const prev = inst.options.get(k);
      if (prev && JSON.stringify(prev.value) !== JSON.stringify(v.value)) {
        this.diag.warn({ ...v.place, message: `${k}=${v.text} overrides ${k}=${prev.text} from ${prev.place.file}:${prev.place.line}; BONDING_OPTS wins` });
      }
      merged.set(k, v);
    }
    let mode = mod.mode;
    if (inst.mode) mode = inst.mode;
    if (ifc.mode) {
      if (inst.mode && inst.mode.value !== ifc.mode.value) {
        this.diag.warn({ ...ifc.mode.place, message: `mode=${ifc.mode.text} overrides mode=${inst.mode.text} from ${inst.mode.place.file}:${inst.mode.place.line}; BONDING_OPTS wins` });
      }
      mode = ifc.mode;
    }
    if (mode) d.mode = { value: String(mode.value), place: mode.place };
    const primary = merged.get('primary');
    merged.delete('primary');
    if (primary && typeof primary.value === 'string' && primary.value !== '') d.primary = { value: primary.value, place: primary.place };
    for (const [name, v] of merged) d.options.push({ value: { name, raw: v.value as string | number | string[] }, place: v.place });
  }

  private slaves(b: Device, d: DraftBond, all: Device[]): void {
    const mine = all.filter((s) => this.e(s, 'MASTER')?.value === b.name).sort((x, y) => (x.file.path < y.file.path ? -1 : 1));
    for (const s of mine) {
      for (const k of ['DEVICE', 'MASTER', 'TYPE', 'ONBOOT', 'BOOTPROTO']) this.take(s, k);
      const flag = this.take(s, 'SLAVE');
      if (!flag || yesNo(flag.value) !== true) {
        this.diag.warn({ ...this.at(s, flag ? 'SLAVE' : 'MASTER'), message: `MASTER=${b.name} without SLAVE=yes: initscripts would not enslave ${s.name}, NetworkManager would. Imported as a slave; add SLAVE=yes` });
      }
      const ds: DraftSlave = { name: s.name, options: [], place: { file: s.file.path, line: s.nameLine, path: 'MASTER' } };
      const hw = this.take(s, 'HWADDR');
      if (hw) ds.permMac = { value: hw.value, place: this.at(s, 'HWADDR') };
      for (const [key, optName] of [
        ['BOND_PORT_QUEUE_ID', 'queue_id'],
        ['BOND_PORT_PRIO', 'prio'],
      ] as const) {
        const pe = this.take(s, key);
        if (pe) ds.options.push({ value: { name: optName, raw: pe.value }, place: this.at(s, key) });
      }
      for (const en of s.file.entries.values()) {
        if (s.taken.has(en.key)) continue;
        if (/^(IPADDR|NETMASK|PREFIX|GATEWAY|IPV6ADDR|IPV6ADDR_SECONDARIES|IPV6_DEFAULTGW)[0-9]*$/.test(en.key)) {
          this.take(s, en.key);
          this.diag.warn({ ...this.at(s, en.key), message: `${en.key} on a slave is ignored: addresses belong on the bond (${b.name})` });
        } else if (en.key === 'MTU' || en.key === 'MACADDR') {
          this.take(s, en.key);
          this.diag.warn({ ...this.at(s, en.key), message: `${en.key} on a slave is ignored: the bond sets its slaves' ${en.key === 'MTU' ? 'MTU' : 'MAC address'}; set it on the bond` });
        }
      }
      d.slaves.push(ds);
    }
    if (mine.length === 0) this.diag.warn({ ...this.at(b, 'DEVICE'), message: `${b.name} has no slaves (no ifcfg file has MASTER=${b.name}); it will come up without carrier` });
  }

  /** The IP configuration of a layer's file, its alias files and its route files. */
  private ipOf(dev: Device, d: DraftIp, aliases: Device[]): void {
    const proto = this.take(dev, 'BOOTPROTO');
    if (proto) {
      const p = proto.value.toLowerCase();
      if (p === 'dhcp') d.dhcp4 = { value: true, place: this.at(dev, 'BOOTPROTO') };
      else if (p === 'bootp' || p === 'autoip' || p === 'ibft') {
        this.diag.error({ ...this.at(dev, 'BOOTPROTO'), message: `BOOTPROTO=${proto.value} is not supported: bondd runs a DHCP client (BOOTPROTO=dhcp) or configures static addresses (BOOTPROTO=none)` });
      } else if (p !== 'none' && p !== 'static' && p !== '') {
        this.diag.error({ ...this.at(dev, 'BOOTPROTO'), message: `'${proto.value}' is not a boot protocol (valid: none, static, dhcp)${suggestion(p, ['none', 'static', 'dhcp'])}` });
      }
    }
    this.ipv4(dev, d);
    for (const a of aliases.filter((x) => x.name.split(':')[0] === dev.name).sort((x, y) => (x.file.path < y.file.path ? -1 : 1))) {
      if (!a.file.entries.has('IPADDR')) this.diag.warn({ ...this.at(a, 'IPADDR'), message: `alias ${a.name} has no IPADDR; nothing to import` });
      for (const k of ['DEVICE', 'ONBOOT', 'ONPARENT', 'BOOTPROTO', 'TYPE']) this.take(a, k);
      this.ipv4(a, d);
      for (const en of a.file.entries.values()) {
        if (a.taken.has(en.key) || NO_EFFECT.has(en.key)) continue;
        this.take(a, en.key);
        this.diag.warn({ ...this.at(a, en.key), message: `${en.key} in the alias file ${a.name} is ignored (an alias only adds addresses to ${dev.name})` });
      }
    }
    this.ipv6(dev, d);
    const gw = this.take(dev, 'GATEWAY');
    const defroute = this.take(dev, 'DEFROUTE');
    if (gw) {
      if (defroute && yesNo(defroute.value) === false) this.diag.warn({ ...this.at(dev, 'GATEWAY'), message: `GATEWAY is not imported because DEFROUTE=no (initscripts adds no default route then)` });
      else if (parseIPv4(gw.value) === undefined) this.diag.error({ ...this.at(dev, 'GATEWAY'), message: `'${gw.value}' is not a valid IPv4 address` });
      else d.gateways.push({ value: gw.value, place: this.at(dev, 'GATEWAY') });
    }
    const mtu = this.take(dev, 'MTU');
    if (mtu) d.mtu = { value: mtu.value, place: this.at(dev, 'MTU') };
    for (const [name, family] of [[`route-${dev.name}`, 4], [`route6-${dev.name}`, 6]] as const) {
      const text = this.routeFiles.get(name);
      if (text === undefined) continue;
      const path = join(this.dir, name);
      text.split(/\r?\n/).forEach((l, i) => {
        if (l.replace(/#.*$/, '').trim() !== '') this.ledger.use({ file: path, line: i + 1, path: '' });
      });
      for (const r of parseRouteFile(text, path, family, dev.name, this.diag)) {
        d.routes.push({ value: { to: r.route.to, ...(r.route.via ? { via: r.route.via } : {}), ...(r.route.metric !== undefined ? { metric: r.route.metric } : {}) }, place: r.place });
      }
    }
  }

  /** IPADDR, IPADDR<n> with PREFIX/NETMASK of one file. */
  private ipv4(src: Device, d: DraftIp): void {
    const suffixes = new Set<string>();
    for (const k of src.file.entries.keys()) {
      const m = /^(IPADDR|PREFIX|NETMASK)([0-9]{1,3})$/.exec(k);
      if (m) suffixes.add(m[2]!);
    }
    for (const sfx of ['', ...[...suffixes].sort((a, c) => Number(a) - Number(c))]) {
      const ip = this.take(src, `IPADDR${sfx}`);
      const pfx = this.take(src, `PREFIX${sfx}`);
      const mask = this.take(src, `NETMASK${sfx}`);
      if (!ip) {
        for (const stray of [pfx, mask]) if (stray) this.diag.warn({ ...this.at(src, stray.key), message: `${stray.key} without IPADDR${sfx}; ignored` });
        continue;
      }
      const v4 = parseIPv4(ip.value);
      if (v4 === undefined) {
        this.diag.error({ ...this.at(src, ip.key), message: `'${ip.value}' is not a valid IPv4 address (dotted quad such as 192.0.2.10)` });
        continue;
      }
      let prefix: number | undefined;
      let bad = false;
      if (pfx) {
        if (!/^[0-9]{1,2}$/.test(pfx.value) || Number(pfx.value) > 32) {
          this.diag.error({ ...this.at(src, pfx.key), message: `'${pfx.value}' is not a prefix length (valid: 0..32)` });
          bad = true;
        } else prefix = Number(pfx.value);
      }
      if (mask) {
        const mp = netmaskToPrefix(mask.value);
        if (mp === undefined) {
          const what = parseIPv4(mask.value) === undefined ? 'is not a dotted-quad netmask' : 'is not a netmask: its one bits are not contiguous';
          this.diag.error({ ...this.at(src, mask.key), message: `'${mask.value}' ${what} (e.g. 255.255.255.0 = /24, or use PREFIX${sfx}=24)` });
          bad = true;
        } else if (prefix !== undefined && mp !== prefix) {
          this.diag.warn({ ...this.at(src, mask.key), message: `${mask.key}=${mask.value} (/${mp}) disagrees with ${pfx!.key}=${prefix}; PREFIX wins, as in initscripts` });
        } else if (prefix === undefined && !bad) prefix = mp;
      }
      if (bad) continue;
      if (prefix === undefined) {
        prefix = classfulPrefix(v4);
        this.diag.warn({ ...this.at(src, ip.key), message: `no PREFIX${sfx} or NETMASK${sfx}; using the classful /${prefix} that initscripts' ipcalc would pick. Write PREFIX${sfx}=${prefix} to make it explicit` });
      }
      d.addresses.push({ value: `${formatIPv4(v4)}/${prefix}`, place: this.at(src, ip.key) });
    }
  }

  private ipv6(dev: Device, d: DraftIp): void {
    const init = this.take(dev, 'IPV6INIT');
    const on = init ? yesNo(init.value) : false;
    if (init && on === undefined) this.diag.error({ ...this.at(dev, 'IPV6INIT'), message: `'${init.value}' is not yes or no` });
    for (const k of ['IPV6ADDR', 'IPV6ADDR_SECONDARIES', 'IPV6_DEFAULTGW', 'DHCPV6C', 'IPV6_AUTOCONF']) {
      if (this.e(dev, k) && on === false) {
        this.take(dev, k);
        this.diag.warn({ ...this.at(dev, k), message: `${k} is ignored because IPV6INIT is not yes (as initscripts does); set IPV6INIT=yes to import it` });
      }
    }
    if (!on) return;
    const addr = this.take(dev, 'IPV6ADDR');
    const sec = this.take(dev, 'IPV6ADDR_SECONDARIES');
    const items = [...(addr ? [{ text: addr.value, key: 'IPV6ADDR' }] : []), ...(sec ? sec.value.split(/\s+/).filter(Boolean).map((t) => ({ text: t, key: 'IPV6ADDR_SECONDARIES' })) : [])];
    for (const it of items) {
      const c = parseCidr(it.text, { 6: 64 });
      if (typeof c === 'string' || c.family !== 6) {
        this.diag.error({ ...this.at(dev, it.key), message: typeof c === 'string' ? c : `'${it.text}' is an IPv4 address; IPv6 keys need an IPv6 address such as 2001:db8::10/64` });
        continue;
      }
      d.addresses.push({ value: c.text, place: this.at(dev, it.key) });
    }
    const gw6 = this.take(dev, 'IPV6_DEFAULTGW');
    if (gw6) {
      const [a, via] = gw6.value.split('%');
      const ip = parseIp(a ?? '');
      if (!ip || ip.family !== 6) this.diag.error({ ...this.at(dev, 'IPV6_DEFAULTGW'), message: `'${gw6.value}' is not a valid IPv6 address (optionally with %${dev.name})` });
      else {
        if (via !== undefined && via !== dev.name) this.diag.warn({ ...this.at(dev, 'IPV6_DEFAULTGW'), message: `the gateway names interface %${via}, not ${dev.name}; it is imported as a gateway through ${dev.name}` });
        d.gateways.push({ value: ip.text, place: this.at(dev, 'IPV6_DEFAULTGW') });
      }
    }
    const dhcp6 = this.take(dev, 'DHCPV6C');
    if (dhcp6 && yesNo(dhcp6.value)) d.dhcp6 = { value: true, place: this.at(dev, 'DHCPV6C') };
    const auto = this.take(dev, 'IPV6_AUTOCONF');
    if (auto) {
      const v = yesNo(auto.value);
      if (v === undefined) this.diag.error({ ...this.at(dev, 'IPV6_AUTOCONF'), message: `'${auto.value}' is not yes or no` });
      else d.acceptRa = { value: v, place: this.at(dev, 'IPV6_AUTOCONF') };
    }
  }

  /** Every key of a file in the stack that no layer read: not done (with what to do), no effect, or unknown. */
  private closeFile(d: Device): void {
    for (const en of d.file.entries.values()) {
      if (d.taken.has(en.key)) {
        this.ledger.use({ file: d.file.path, line: en.line, path: en.key });
        continue;
      }
      const at = { file: d.file.path, line: en.line, path: en.key };
      if (NO_EFFECT.has(en.key)) this.ledger.use(at);
      else if (en.key in NOT_DONE) this.diag.warn({ ...at, message: `${en.key} is not imported: ${NOT_DONE[en.key]}` });
      else if (USED_KEYS.includes(en.key) || /^(IPADDR|PREFIX|NETMASK)[0-9]+$/.test(en.key)) this.diag.warn({ ...at, message: `${en.key} means nothing on ${d.name} (a ${this.roleOf(d)}); ignored` });
      else this.diag.warn({ ...at, message: `unknown key ${en.key}; ignored${suggestion(en.key, [...USED_KEYS, ...NO_EFFECT, ...Object.keys(NOT_DONE)])}` });
    }
  }

  private roleOf(d: Device): string {
    if (this.e(d, 'MASTER')) return 'slave';
    if (yesNo(this.e(d, 'VLAN')?.value ?? '')) return 'VLAN';
    if (this.e(d, 'TYPE')?.value.toLowerCase() === 'bridge') return 'bridge';
    return 'bond';
  }

  /** modprobe lines for bonds without an ifcfg file, and module-only parameters. */
  private modprobeLeftovers(bonds: Device[]): void {
    for (const [name, w] of this.modprobe.aliases) {
      if (!bonds.some((b) => b.name === name)) this.diag.warn({ file: w.file, line: w.line, path: `alias ${name}`, message: `alias ${name} bonding, but there is no ifcfg file for ${name} in ${this.dir}; not imported` });
    }
    for (const [name, list] of this.modprobe.instanceOptions) {
      if (bonds.some((b) => b.name === name)) continue;
      for (const o of list) this.ledger.cover({ file: o.file, line: o.line, path: '' });
      if (this.modprobe.aliases.has(name) && list[0]) {
        this.diag.warn({ file: list[0].file, line: list[0].line, path: `options ${name}`, message: `options for ${name}, but there is no ifcfg file for ${name} in ${this.dir}; not imported` });
      }
    }
    // Slaves whose master has no ifcfg file.
    for (const d of this.devices) {
      const m = this.e(d, 'MASTER');
      if (!m || isYesNoWord(m.value) || !this.byName.has(d.name) || bonds.some((b) => b.name === m.value)) continue;
      if (this.byName.get(d.name) !== d) continue;
      if (bonds.some((b) => b === d)) continue;
      this.diag.error({ ...this.at(d, 'MASTER'), message: `MASTER=${m.value}, but there is no ifcfg file for ${m.value} in ${this.dir}; add ifcfg-${m.value} or fix MASTER${suggestion(m.value, bonds.map((b) => b.name))}` });
    }
  }
}

function isIfcfgKey(k: string): boolean {
  return USED_KEYS.includes(k) || NO_EFFECT.has(k) || k in NOT_DONE || /^(IPADDR|PREFIX|NETMASK)[0-9]+$/.test(k);
}

function isYesNoWord(v: string): boolean {
  return /^(yes|no|true|false|y|n|on|off)$/i.test(v);
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

