/**
 * Importer for systemd-networkd (.netdev and .network files), as Fedora CoreOS, Flatcar and many
 * cloud images use it. Directories, highest precedence first: /etc/systemd/network,
 * /run/systemd/network, /usr/lib/systemd/network (and /lib/systemd/network); a file shadows a
 * file of the same name in a lower directory; the rest are read in order of their names.
 *
 * - `.netdev` with `[NetDev] Kind=bond` is a bond; its `[Bond]` keys are the kernel options in
 *   networkd's spelling (MIIMonitorSec, LACPTransmitRate, TransmitHashPolicy, UpDelaySec, ...;
 *   times are systemd time spans, a bare number is seconds). `Kind=vlan` with `[VLAN] Id=` and
 *   `Kind=bridge` (STP=, ForwardDelaySec=) are the layers above it.
 * - `.network`: the first file (in name order) whose `[Match]` matches a device configures it.
 *   `[Network] Bond=<bond>` makes the matched NICs slaves: `[Match] Name=` (names or globs),
 *   `MACAddress=`/`PermanentMACAddress=`, `Driver=` become the slave's match, resolved when bondd
 *   applies; `PrimarySlave=yes` / `ActiveSlave=yes` name the primary / active slave. The bond's
 *   .network carries `VLAN=` (the VLANs on it) and `Bridge=`, and the IP configuration of every
 *   layer: `Address=` / `[Address]`, `Gateway=`, `[Route]`, `DHCP=`, `IPv6AcceptRA=`,
 *   `[Link] MTUBytes=`.
 * Everything else is a warning saying what bondd does not do, or an error when bondd would build
 * something different from what networkd builds.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ACTIVE_SLAVE_OPTION, MODE_OPTION, optionBySpelling, spellingsOf } from '../bond/options.js';
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
  parseDuration,
  type Place,
  suggestion,
} from './assemble.js';
import { Diagnostics } from './errors.js';
import { type IniEntry, type IniFile, lastValue, parseIni, sectionsNamed } from './ini.js';

export const NETWORKD_DIRS = ['etc/systemd/network', 'run/systemd/network', 'usr/lib/systemd/network', 'lib/systemd/network'];

/** The .netdev/.network files networkd reads under `root`, in name order, and the shadowed ones. */
export async function networkdFiles(root = '/'): Promise<{ files: string[]; shadowed: string[] }> {
  const byName = new Map<string, string>();
  const shadowed: string[] = [];
  for (const d of NETWORKD_DIRS) {
    const dir = join(root, d);
    for (const n of (await readdir(dir).catch(() => [] as string[])).filter((x) => /\.(netdev|network)$/.test(x)).sort()) {
      if (byName.has(n)) shadowed.push(join(dir, n));
      else byName.set(n, join(dir, n));
    }
  }
  return { files: [...byName.keys()].sort().map((n) => byName.get(n)!), shadowed };
}

/** Keys understood and not done by bondd, with what to do instead. */
const NOT_DONE: Record<string, string> = {
  DNS: 'bondd does not configure DNS; keep it in systemd-resolved (resolved.conf) or /etc/resolv.conf',
  Domains: 'bondd does not configure DNS search domains',
  NTP: 'bondd does not configure NTP servers',
  LLMNR: 'bondd does not configure name resolution',
  MulticastDNS: 'bondd does not configure name resolution',
  DNSSEC: 'bondd does not configure name resolution',
  LinkLocalAddressing: 'bondd leaves link-local addressing as the kernel does it (IPv6 fe80::/64 on every layer)',
  IPForward: 'bondd does not change forwarding; set net.ipv4.ip_forward in /etc/sysctl.d',
  IPMasquerade: 'bondd does not masquerade; keep the firewall rule',
  LLDP: 'bondd does not receive LLDP',
  EmitLLDP: 'bondd does not send LLDP',
  IPv6PrivacyExtensions: 'bondd leaves IPv6 privacy addresses to the use_tempaddr sysctl',
  BindCarrier: 'bondd does not tie a device to the carrier of others',
  ActivationPolicy: 'bondd brings every configured device up (up: false in bondd.yaml keeps a bond down)',
  RequiredForOnline: 'bondd does not take part in systemd-networkd-wait-online',
  ConfigureWithoutCarrier: 'bondd configures addresses whether or not there is carrier',
  IgnoreCarrierLoss: 'bondd keeps addresses when carrier is lost',
  KeepConfiguration: 'bondd keeps what it configured across its own restarts',
};

/** Sections of a .network bondd has nothing to do with, and why. */
const NOT_DONE_SECTIONS: Record<string, string> = {
  DHCPv4: 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf',
  DHCPv6: 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf',
  DHCP: 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf',
  IPv6AcceptRA: 'bondd turns router advertisements on or off per device (IPv6AcceptRA=), nothing finer',
  RoutingPolicyRule: 'bondd adds no policy-routing rules; keep them (ip rule) in a unit ordered after bondd',
  DHCPServer: 'bondd does not run a DHCP server',
  IPv6SendRA: 'bondd does not send router advertisements',
  IPv6Prefix: 'bondd does not send router advertisements',
  Neighbor: 'bondd does not add static neighbours',
  BridgeVLAN: 'bondd builds bridges without VLAN filtering',
  BridgeFDB: 'bondd does not add bridge FDB entries',
  QDisc: 'bondd does not configure traffic control',
  CAKE: 'bondd does not configure traffic control',
  NextHop: 'bondd routes name a next hop directly',
  SR_IOV: 'bondd does not configure SR-IOV',
  Bridge: 'bondd sets no per-port bridge settings (cost, priority, ...); the kernel defaults apply',
};

interface Network {
  file: IniFile;
  names: string[];
  macs: string[];
  drivers: string[];
  otherMatch: IniEntry[];
  matchPlace: Place;
  used: boolean;
}

interface Netdev {
  file: IniFile;
  name: string;
  kind: string;
  place: Place;
}

/** Imports a .netdev/.network directory (or the system's networkd directories). */
export async function importNetworkd(path?: string, root = '/'): Promise<ImportResult> {
  const diag = new Diagnostics();
  const ledger = new Ledger();
  let files: string[];
  if (path === undefined) files = (await networkdFiles(root)).files;
  else if ((await stat(path).catch(() => undefined))?.isDirectory()) files = (await readdir(path)).filter((n) => /\.(netdev|network)$/.test(n)).sort().map((n) => join(path, n));
  else files = [path];
  if (files.length === 0) diag.error({ file: path ?? join(root, 'etc/systemd/network'), line: 0, path: '', message: 'no .netdev or .network files found' });
  const parsed: IniFile[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch((e: Error) => {
      diag.error({ file: f, line: 0, path: '', message: `cannot read: ${e.message}` });
      return undefined;
    });
    if (text === undefined) continue;
    const cr = crOnlyProblem(text, f);
    if (cr) diag.error(cr);
    else parsed.push(parseIni(text, f, diag, ledger));
  }
  const nd = new Networkd(parsed, diag, ledger);
  nd.read();
  return assemble({ source: path ?? root, sourceFiles: files, bonds: nd.bonds, defined: nd.defined, tool: 'systemd-networkd', ledger }, diag);
}

class Networkd {
  readonly bonds: DraftBond[] = [];
  readonly defined: Array<{ name: string; place: Place; kind: string }> = [];
  private readonly netdevs: Netdev[] = [];
  private readonly networks: Network[] = [];

  constructor(
    private readonly files: IniFile[],
    private readonly diag: Diagnostics,
    private readonly ledger: Ledger,
  ) {}

  private use(e: { place: Place }): void {
    this.ledger.use(e.place);
  }

  read(): void {
    for (const f of this.files) {
      if (f.path.endsWith('.netdev')) this.readNetdev(f);
      else this.readNetwork(f);
    }
    for (const nd of this.netdevs.filter((x) => x.kind === 'bond')) this.bonds.push(this.bond(nd));
    for (const nd of this.netdevs) {
      const inStack = this.bonds.some((b) => b.name === nd.name || b.vlans.some((v) => v.name === nd.name || v.bridge?.name === nd.name) || b.bridge?.name === nd.name);
      if (!inStack) {
        this.defined.push({ name: nd.name, place: nd.place, kind: nd.kind || 'netdev' });
        this.coverFile(nd.file);
      }
    }
    for (const n of this.networks.filter((x) => !x.used)) {
      const name = n.names.join(' ') || n.macs.join(' ') || n.drivers.join(' ') || n.file.path;
      this.defined.push({ name, place: n.matchPlace, kind: 'network for' });
      this.coverFile(n.file);
    }
  }

  private coverFile(f: IniFile): void {
    for (const s of f.sections) {
      this.ledger.cover(s.place);
      for (const e of s.entries) this.ledger.cover(e.place);
    }
  }

  private readNetdev(f: IniFile): void {
    const name = lastValue(f, 'NetDev', 'Name');
    const kind = lastValue(f, 'NetDev', 'Kind');
    const head = sectionsNamed(f, 'NetDev')[0];
    if (!name || !kind || !head) {
      this.diag.error({ file: f.path, line: head?.place.line ?? 1, path: '[NetDev]', message: 'a .netdev needs [NetDev] with Name= and Kind=' });
      return;
    }
    this.netdevs.push({ file: f, name: name.value, kind: kind.value, place: name.place });
  }

  private readNetwork(f: IniFile): void {
    const match = sectionsNamed(f, 'Match');
    const n: Network = { file: f, names: [], macs: [], drivers: [], otherMatch: [], matchPlace: match[0]?.place ?? { file: f.path, line: 1, path: '[Match]' }, used: false };
    for (const s of match) {
      for (const e of s.entries) {
        const words = e.value.split(/\s+/).filter(Boolean);
        if (e.key === 'Name' || e.key === 'OriginalName') n.names.push(...words);
        else if (e.key === 'MACAddress' || e.key === 'PermanentMACAddress') n.macs.push(...words);
        else if (e.key === 'Driver') n.drivers.push(...words);
        else n.otherMatch.push(e);
      }
    }
    this.networks.push(n);
  }

  /** The first .network (name order) whose [Match] Name matches this virtual device. */
  private networkFor(name: string): Network | undefined {
    return this.networks.find((n) => n.names.some((g) => globMatch(g, name)) && n.macs.length === 0 && n.drivers.length === 0);
  }

  private netdevKeys(nd: Netdev, own: (sec: string, e: IniEntry) => boolean): void {
    for (const s of nd.file.sections) {
      this.ledger.use(s.place);
      for (const e of s.entries) {
        if (s.name === 'NetDev' && (e.key === 'Name' || e.key === 'Kind' || e.key === 'Description')) this.use(e);
        else if (own(s.name, e)) this.use(e);
        else if (s.name === 'NetDev' && e.key === 'MTUBytes') this.diag.warn({ ...e.place, message: `MTUBytes in the .netdev of ${nd.name} is not imported here; bondd reads the MTU from [Link] MTUBytes= of its .network` });
        else this.diag.warn({ ...e.place, message: `${e.key} in [${s.name}] of ${nd.name} is not imported (bondd does not set it)${suggestion(e.key, spellingsOf('networkd'))}` });
      }
    }
  }

  private bond(nd: Netdev): DraftBond {
    const d: DraftBond = { name: nd.name, place: nd.place, options: [], slaves: [], vlans: [], ...emptyIp() };
    this.netdevKeys(nd, (sec, e) => {
      if (sec === 'NetDev' && e.key === 'MACAddress') {
        d.mac = { value: e.value, place: e.place };
        return true;
      }
      if (sec !== 'Bond') return false;
      this.bondKey(e, d);
      return true;
    });
    // Slaves: every .network with Bond=<this bond>, in file order.
    for (const n of this.networks) {
      const bond = lastValue(n.file, 'Network', 'Bond');
      if (bond?.value !== nd.name) continue;
      n.used = true;
      this.slaveNetwork(n, d);
    }
    // Misspelt Bridge=<bond> on a NIC's .network (a common copy-paste): one error with the fix.
    for (const n of this.networks) {
      const br = lastValue(n.file, 'Network', 'Bridge');
      if (br?.value === nd.name) {
        // Left unused: it is named as not imported, and covered, with the other unused files.
        const nic = n.names.join(' ') || 'this NIC';
        this.diag.warn({ ...br.place, message: `Bridge=${nd.name}, but ${nd.name} is a Kind=bond netdev: networkd fails this link, so ${nic} is not in the bond today, and not imported as a slave. Did you mean Bond=${nd.name}?` });
      }
    }
    const own = this.networkFor(nd.name);
    if (own) {
      own.used = true;
      this.layerNetwork(own, d, nd.name, (e) => {
        if (e.key === 'VLAN') {
          for (const v of e.value.split(/\s+/).filter(Boolean)) this.vlan(v, e, d);
          return true;
        }
        if (e.key === 'Bridge') {
          d.bridge = this.bridge(e.value, e, nd.name);
          return true;
        }
        return false;
      });
    }
    return d;
  }

  private bondKey(e: IniEntry, d: DraftBond): void {
    const opt = optionBySpelling('networkd', e.key);
    if (!opt && e.key === 'Primary') {
      this.diag.warn({ ...e.place, message: `networkd has no [Bond] Primary=: it ignored the line, so the bond ran without a primary, and so is it imported. Write PrimarySlave=yes in [Network] of ${e.value}'s .network to have one` });
      return;
    }
    if (!opt) {
      this.diag.warn({ ...e.place, message: `unknown [Bond] key ${e.key}${suggestion(e.key, spellingsOf('networkd'))}: networkd ignored it, so the bond ran without it, and so is it imported. Fix the key to have it` });
      return;
    }
    if (opt === MODE_OPTION) {
      d.mode = { value: e.value, place: e.place };
      return;
    }
    let raw: string | number | string[] = e.value;
    if (opt.unit === 'ms' || opt.unit === 's') {
      const ms = parseDuration(e.value, 's');
      if (ms === undefined) {
        this.diag.error({ ...e.place, message: `'${e.value}' is not a time span (100ms, 1s; a bare number is seconds)` });
        return;
      }
      raw = opt.unit === 's' ? Math.floor(ms / 1000) : ms;
    } else if (opt.kind === 'ipv4-list' || opt.kind === 'ipv6-list') raw = e.value.split(/\s+/).filter(Boolean);
    else if ((opt.kind === 'int' && opt.min === 0 && opt.max === 1) || (opt.kind === 'enum' && opt.values?.map((v) => v.name).join() === 'off,on')) {
      // networkd booleans (AllSlavesActive=yes, DynamicTransmitLoadBalancing=no) are 0/1 to the kernel.
      const b = parseBool(e.value);
      if (b === undefined) {
        this.diag.error({ ...e.place, message: `'${e.value}' is not a boolean (yes/no)` });
        return;
      }
      raw = b ? 1 : 0;
    }
    d.options.push({ value: { name: opt.name, raw }, place: e.place });
  }

  private slaveNetwork(n: Network, d: DraftBond): void {
    const place = n.matchPlace;
    const names = n.names.filter((x) => !/[*?[]/.test(x));
    const globs = n.names.filter((x) => /[*?[]/.test(x));
    const slaves: DraftSlave[] = [];
    // [Match] keys all have to match (a list inside one key is any of its words): one name and
    // one MAC describe one NIC, as netplan writes them (PermanentMACAddress= and Name=).
    if (n.names.length <= 1 && n.macs.length === 1) {
      const s: DraftSlave = { permMac: { value: n.macs[0]!, place }, options: [], place };
      if (names[0]) s.name = names[0];
      if (globs[0]) s.match = { name: globs[0] };
      slaves.push(s);
    } else if (n.names.length > 1 && n.macs.length > 0) {
      this.diag.error({ ...place, message: `[Match] lists several names and MAC addresses; bondd matches a slave by one name pattern, one MAC address and one driver (write one .network per NIC)` });
    } else {
      for (const nm of names) slaves.push({ name: nm, options: [], place });
      for (const g of globs) slaves.push({ match: { name: g }, options: [], place });
      for (const m of n.macs) slaves.push({ permMac: { value: m, place }, options: [], place });
    }
    if (n.drivers.length > 1) this.diag.error({ ...place, message: `Driver= lists ${n.drivers.join(' ')}; bondd matches one driver pattern per slave entry (write one .network per driver)` });
    const driver = n.drivers[0];
    if (driver) {
      if (slaves.length === 0) slaves.push({ match: { driver }, options: [], place });
      for (const s of slaves) if (!s.permMac) s.match = { ...s.match, driver };
    }
    for (const e of n.otherMatch) this.diag.warn({ ...e.place, message: `[Match] ${e.key}= is not imported: bondd matches slaves by name, MAC address and driver only` });
    for (const s of n.file.sections) {
      this.ledger.use(s.place);
      for (const e of s.entries) {
        if (s.name === 'Match' && ['Name', 'OriginalName', 'MACAddress', 'PermanentMACAddress', 'Driver'].includes(e.key)) this.use(e);
        else if (s.name === 'Match') continue;
        else if (s.name === 'Network' && (e.key === 'Bond' || e.key === 'Description')) this.use(e);
        else if (s.name === 'Network' && (e.key === 'PrimarySlave' || e.key === 'ActiveSlave')) {
          const on = parseBool(e.value);
          if (on === undefined) this.diag.error({ ...e.place, message: `'${e.value}' is not yes or no` });
          else if (on && (slaves.length !== 1 || !slaves[0]!.name)) this.diag.error({ ...e.place, message: `${e.key}=yes needs exactly one slave named by [Match] Name= (the kernel option names an interface)` });
          else if (on && e.key === 'PrimarySlave') d.primary = { value: slaves[0]!.name!, place: e.place };
          else if (on) d.options.push({ value: { name: ACTIVE_SLAVE_OPTION.name, raw: slaves[0]!.name! }, place: e.place });
          this.use(e);
        } else if (s.name === 'Link' && e.key === 'MTUBytes') this.diag.warn({ ...e.place, message: `MTUBytes on a slave is not imported: the kernel gives every slave the bond's MTU when it is enslaved; set it on ${d.name}` });
        else if (NOT_DONE[e.key]) this.diag.warn({ ...e.place, message: `${e.key}= on a slave of ${d.name} is not imported: ${NOT_DONE[e.key]}` });
        else this.diag.warn({ ...e.place, message: `${e.key}= in [${s.name}] on a slave of ${d.name} is not imported: a slave carries no configuration of its own besides the bond's` });
      }
    }
    if (slaves.length === 0) this.diag.error({ ...place, message: `Bond=${d.name}, but [Match] names no interface (Name=, MACAddress= or Driver=)` });
    d.slaves.push(...slaves);
  }

  private vlan(name: string, e: IniEntry, d: DraftBond): void {
    const nd = this.netdevs.find((x) => x.name === name);
    if (!nd || nd.kind !== 'vlan') {
      this.diag.error({ ...e.place, message: `VLAN=${name}, but no .netdev defines ${name} with Kind=vlan${suggestion(name, this.netdevs.filter((x) => x.kind === 'vlan').map((x) => x.name))}` });
      return;
    }
    const id = lastValue(nd.file, 'VLAN', 'Id');
    const v: DraftVlan = { name, place: nd.place, id: { value: id?.value ?? '', place: id?.place ?? nd.place }, ...emptyIp() };
    if (!id) this.diag.error({ ...nd.place, message: `${name} has no [VLAN] Id=` });
    this.netdevKeys(nd, (sec, x) => sec === 'VLAN' && x.key === 'Id');
    const own = this.networkFor(name);
    if (own) {
      own.used = true;
      this.layerNetwork(own, v, name, (x) => {
        if (x.key === 'Bridge') {
          v.bridge = this.bridge(x.value, x, name);
          return true;
        }
        return false;
      });
    }
    d.vlans.push(v);
  }

  private bridge(name: string, e: IniEntry, port: string): DraftBridge | undefined {
    const nd = this.netdevs.find((x) => x.name === name);
    if (!nd || nd.kind !== 'bridge') {
      this.diag.error({ ...e.place, message: `Bridge=${name}, but no .netdev defines ${name} with Kind=bridge` });
      return undefined;
    }
    const br: DraftBridge = { name, place: nd.place, ...emptyIp() };
    this.netdevKeys(nd, (sec, x) => {
      if (sec !== 'Bridge') return false;
      if (x.key === 'STP') {
        const on = parseBool(x.value);
        if (on === undefined) this.diag.error({ ...x.place, message: `'${x.value}' is not yes or no` });
        else br.stp = { value: on, place: x.place };
        return true;
      }
      if (x.key === 'ForwardDelaySec') {
        const ms = parseDuration(x.value, 's');
        if (ms === undefined) this.diag.error({ ...x.place, message: `'${x.value}' is not a time span` });
        else br.forwardDelay = { value: ms / 1000, place: x.place };
        return true;
      }
      return false;
    });
    const own = this.networkFor(name);
    if (own) {
      own.used = true;
      this.layerNetwork(own, br, name, () => false);
    }
    void port;
    return br;
  }

  /** The IP configuration of a layer from its .network; `own` takes role-specific [Network] keys. */
  private layerNetwork(n: Network, d: DraftIp & { mac?: unknown }, dev: string, own: (e: IniEntry) => boolean): void {
    for (const s of n.file.sections) {
      this.ledger.use(s.place);
      if (s.name === 'Match') {
        for (const e of s.entries) {
          if (e.key === 'Name') this.use(e);
          else this.diag.warn({ ...e.place, message: `[Match] ${e.key}= is not imported: bondd configures ${dev} by name` });
        }
        continue;
      }
      if (s.name === 'Address') {
        for (const e of s.entries) {
          if (e.key === 'Address') {
            d.addresses.push({ value: e.value, place: e.place });
            this.use(e);
          } else this.diag.warn({ ...e.place, message: `[Address] ${e.key}= is not imported: bondd adds plain permanent addresses` });
        }
        continue;
      }
      if (s.name === 'Route') {
        this.route(s.entries, s.place, d, dev);
        continue;
      }
      if (s.name === 'Link') {
        for (const e of s.entries) {
          if (e.key === 'MTUBytes') {
            d.mtu = { value: e.value, place: e.place };
            this.use(e);
          } else if (e.key === 'MACAddress' && 'mac' in d) {
            (d as DraftBond).mac = { value: e.value, place: e.place };
            this.use(e);
          } else this.diag.warn({ ...e.place, message: `[Link] ${e.key}= on ${dev} is not imported${NOT_DONE[e.key] ? `: ${NOT_DONE[e.key]}` : ' (bondd does not set it)'}` });
        }
        continue;
      }
      if (s.name === 'Network') {
        for (const e of s.entries) this.networkKey(e, d, dev, own);
        continue;
      }
      const why = NOT_DONE_SECTIONS[s.name];
      this.diag.warn({ ...s.place, message: `[${s.name}] of ${dev} is not imported: ${why ?? 'bondd does not read this section'}` });
      for (const e of s.entries) this.ledger.cover(e.place);
    }
  }

  private networkKey(e: IniEntry, d: DraftIp, dev: string, own: (e: IniEntry) => boolean): void {
    if (own(e)) return this.use(e);
    switch (e.key) {
      case 'Address':
        d.addresses.push({ value: e.value, place: e.place });
        return this.use(e);
      case 'Gateway':
        d.gateways.push({ value: e.value, place: e.place });
        return this.use(e);
      case 'DHCP': {
        const v = e.value.toLowerCase();
        const map: Record<string, [boolean, boolean]> = { yes: [true, true], true: [true, true], both: [true, true], ipv4: [true, false], ipv6: [false, true], no: [false, false], false: [false, false] };
        const m = map[v];
        if (!m) return this.diag.error({ ...e.place, message: `'${e.value}' is not a DHCP= value (yes, no, ipv4, ipv6)` });
        if (m[0]) d.dhcp4 = { value: true, place: e.place };
        if (m[1]) d.dhcp6 = { value: true, place: e.place };
        return this.use(e);
      }
      case 'IPv6AcceptRA': {
        const b = parseBool(e.value);
        if (b === undefined) return this.diag.error({ ...e.place, message: `'${e.value}' is not yes or no` });
        d.acceptRa = { value: b, place: e.place };
        return this.use(e);
      }
      case 'Description':
        return this.use(e);
      default:
        if (NOT_DONE[e.key]) this.diag.warn({ ...e.place, message: `${e.key}= on ${dev} is not imported: ${NOT_DONE[e.key]}` });
        else this.diag.warn({ ...e.place, message: `${e.key}= on ${dev} is not imported (bondd does not do this)${suggestion(e.key, ['Address', 'Gateway', 'DHCP', 'IPv6AcceptRA', 'VLAN', 'Bridge', 'Bond', ...Object.keys(NOT_DONE)])}` });
    }
  }

  private route(entries: IniEntry[], place: Place, d: DraftIp, dev: string): void {
    const get = (k: string) => entries.filter((e) => e.key === k).pop();
    const to = get('Destination')?.value ?? 'default';
    const via = get('Gateway')?.value;
    const metric = get('Metric')?.value;
    let ok = true;
    for (const e of entries) {
      if (['Destination', 'Gateway', 'Metric'].includes(e.key)) this.use(e);
      else if (e.key === 'Table' && (e.value === 'main' || e.value === '254')) this.use(e);
      else if (e.key === 'GatewayOnLink' && parseBool(e.value) === false) this.use(e);
      else if (e.key === 'GatewayOnLink') {
        this.diag.error({ ...e.place, message: `an on-link route (next hop outside ${dev}'s subnets) cannot be expressed in bondd; add an address whose subnet holds ${via}, or keep this route outside bondd` });
        ok = false;
      } else if (e.key === 'Table' || e.key === 'Type' || e.key === 'Scope' || e.key === 'PreferredSource' || e.key === 'Source') {
        if ((e.key === 'Type' && e.value === 'unicast') || (e.key === 'Scope' && (e.value === 'global' || (e.value === 'link' && !via)))) {
          this.use(e);
          continue;
        }
        this.diag.warn({ ...e.place, message: `route to ${to} with ${e.key}=${e.value} is not imported: bondd routes have a destination, next hop and metric in the main table only; keep this route in a unit after bondd` });
        ok = false;
      } else this.diag.warn({ ...e.place, message: `route to ${to}: ${e.key}= is not imported (bondd routes have a destination, next hop and metric only); the route is imported without it` });
    }
    if (ok) d.routes.push({ value: { to, ...(via ? { via } : {}), ...(metric ? { metric } : {}) }, place: get('Destination')?.place ?? get('Gateway')?.place ?? place });
  }
}

/** fnmatch-style glob (`*`, `?`, `[...]`) as networkd's Name= uses it. */
export function globMatch(glob: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[\\^$.|+(){}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}
