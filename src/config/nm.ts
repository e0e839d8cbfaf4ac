/**
 * Importer for NetworkManager keyfiles (/etc/NetworkManager/system-connections/*.nmconnection,
 * the format RHEL 9+ writes instead of ifcfg; also /run/... and /usr/lib/...). One file is one
 * connection profile:
 *
 * - `[connection] type=bond` with `[bond]` options (kernel option names: mode, miimon, lacp_rate,
 *   xmit_hash_policy, ...). NetworkManager sets miimon 100 when neither miimon nor arp_interval is
 *   given, and leaves out options the mode does not use; the import does the same (the second
 *   with a warning, since keyfiles often list every option).
 * - ports: `master=` or `controller=` (an interface name, a connection id or a UUID) with
 *   `slave-type=`/`port-type=` `bond` or `bridge`; an ethernet port's NIC is its
 *   `interface-name`, or its `[ethernet] mac-address` (a permanent-MAC match); `[bond-port]`
 *   queue-id and prio are per-slave options.
 * - `type=vlan` with `[vlan] parent=` (name or UUID) and `id=`: a VLAN on the bond.
 * - `type=bridge` with `[bridge] stp=` (NetworkManager's default is on) and `forward-delay=`
 *   (default 15 s): the bridge whose port is the bond or one of its VLANs.
 * - `[ipv4]`/`[ipv6]`: `method=manual` (addressN=, address list, gateway=, routeN=), `auto`
 *   (DHCP for IPv4; router advertisements for IPv6), `dhcp` (IPv6 DHCP), `disabled`/`ignore`.
 *   NetworkManager handles RAs itself and keeps the kernel's accept_ra at 0 otherwise, so an
 *   IPv6 `manual` layer imports with router advertisements off.
 * - `autoconnect=false`: NetworkManager does not bring the profile up by itself; it is reported
 *   and not imported.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BOND_OPTIONS, findOption, findSlaveOption, MIIMON_OPTION, MODE_OPTION, PRIMARY_OPTION } from '../bond/options.js';
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
import { type IniEntry, type IniFile, parseIni } from './ini.js';

export const NM_DIRS = ['etc/NetworkManager/system-connections', 'run/NetworkManager/system-connections', 'usr/lib/NetworkManager/system-connections'];

function isProfileName(n: string): boolean {
  return !n.startsWith('.') && !/(~|\.bak|\.orig|\.rpmnew|\.rpmsave|\.swp|\.tmp)$/.test(n);
}

/** The keyfiles NetworkManager reads under `root`. */
export async function nmFiles(root = '/'): Promise<string[]> {
  const out: string[] = [];
  for (const d of NM_DIRS) {
    const dir = join(root, d);
    for (const n of (await readdir(dir).catch(() => [] as string[])).filter(isProfileName).sort()) out.push(join(dir, n));
  }
  return out;
}

interface Profile {
  file: IniFile;
  get: (section: string, key: string) => IniEntry | undefined;
  id: string;
  uuid: string;
  type: string;
  ifname: string;
  controller?: IniEntry;
  portType?: string;
  place: Place;
  used: boolean;
}

/** Keys of [connection] with no effect on what bondd builds (profile bookkeeping). */
const CONNECTION_NO_EFFECT = ['id', 'uuid', 'type', 'interface-name', 'autoconnect', 'master', 'controller', 'slave-type', 'port-type', 'timestamp', 'permissions', 'autoconnect-priority', 'autoconnect-retries', 'autoconnect-slaves', 'autoconnect-ports', 'read-only', 'stable-id', 'secondaries', 'gateway-ping-timeout', 'metered', 'auth-retries', 'wait-device-timeout'];

/** Options NetworkManager writes that bondd does not set, with what to do instead. */
const NOT_DONE: Record<string, string> = {
  'connection.zone': 'bondd does not assign firewalld zones; run firewall-cmd --zone=<zone> --add-interface=<dev> --permanent',
  'connection.lldp': 'bondd does not receive LLDP',
  'connection.mdns': 'bondd does not configure name resolution',
  'connection.llmnr': 'bondd does not configure name resolution',
  dns: 'bondd does not configure DNS; keep it in systemd-resolved or /etc/resolv.conf',
  'dns-search': 'bondd does not configure DNS search domains',
  'dns-options': 'bondd does not configure DNS',
  'dns-priority': 'bondd does not configure DNS',
  'ignore-auto-dns': 'bondd does not configure DNS',
  'ignore-auto-routes': 'the DHCP client bondd runs installs the routes it is given',
  'dhcp-hostname': 'the DHCP client bondd runs (dhcpcd) sends the host name by its own defaults; tune it in /etc/dhcpcd.conf',
  'dhcp-client-id': 'the DHCP client bondd runs uses its default client identifier; set clientid in /etc/dhcpcd.conf',
  'dhcp-timeout': 'bondd supervises its DHCP client without a timeout',
  'dhcp-send-hostname': 'tune the DHCP client in /etc/dhcpcd.conf',
  'route-metric': 'bondd adds routes without a metric unless the route has one',
  'addr-gen-mode': 'bondd leaves the IPv6 address generation mode to the kernel (addr_gen_mode)',
  'ip6-privacy': 'bondd leaves IPv6 privacy addresses to the use_tempaddr sysctl',
  'may-fail': 'bondd keeps trying DHCP on a layer whatever the other family does',
  'dhcp-iaid': 'tune the DHCP client in /etc/dhcpcd.conf',
  'dhcp-duid': 'tune the DHCP client in /etc/dhcpcd.conf',
  'route-table': 'bondd adds routes to the main table',
  'auto-route-ext-gw': 'bondd adds routes as configured',
  'required-timeout': 'bondd does not wait for addresses',
  'dad-timeout': 'bondd leaves duplicate address detection to the kernel',
};

/** Imports a keyfile, a directory of them, or the system's NetworkManager profile directories. */
export async function importNm(path?: string, root = '/'): Promise<ImportResult> {
  const diag = new Diagnostics();
  const ledger = new Ledger();
  let files: string[];
  if (path === undefined) files = await nmFiles(root);
  else if ((await stat(path).catch(() => undefined))?.isDirectory()) files = (await readdir(path)).filter(isProfileName).sort().map((n) => join(path, n));
  else files = [path];
  if (files.length === 0) diag.error({ file: path ?? join(root, NM_DIRS[0]!), line: 0, path: '', message: 'no NetworkManager keyfiles found' });
  const profiles: Profile[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch((e: Error) => {
      diag.error({ file: f, line: 0, path: '', message: `cannot read: ${e.message}` });
      return undefined;
    });
    if (text === undefined) continue;
    const cr = crOnlyProblem(text, f);
    if (cr) {
      diag.error(cr);
      continue;
    }
    const p = profile(parseIni(text, f, diag, ledger), diag);
    if (p) profiles.push(p);
  }
  const nm = new Nm(profiles, diag, ledger);
  nm.read();
  return assemble({ source: path ?? root, sourceFiles: files, bonds: nm.bonds, defined: nm.defined, tool: 'NetworkManager', ledger }, diag);
}

function profile(file: IniFile, diag: Diagnostics): Profile | undefined {
  const get = (section: string, key: string): IniEntry | undefined => {
    let out: IniEntry | undefined;
    for (const s of file.sections) if (s.name === section) for (const e of s.entries) if (e.key === key) out = e;
    return out;
  };
  const conn = file.sections.find((s) => s.name === 'connection');
  if (!conn) {
    diag.error({ file: file.path, line: 1, path: '[connection]', message: 'a keyfile needs a [connection] section' });
    return undefined;
  }
  const rawType = get('connection', 'type')?.value ?? '';
  const type = rawType === '802-3-ethernet' ? 'ethernet' : rawType === '802-11-wireless' ? 'wifi' : rawType;
  const controller = get('connection', 'controller') ?? get('connection', 'master');
  const portType = (get('connection', 'port-type') ?? get('connection', 'slave-type'))?.value;
  return {
    file,
    get,
    id: get('connection', 'id')?.value ?? '',
    uuid: get('connection', 'uuid')?.value ?? '',
    type,
    ifname: get('connection', 'interface-name')?.value ?? '',
    ...(controller ? { controller } : {}),
    ...(portType ? { portType } : {}),
    place: get('connection', 'id')?.place ?? conn.place,
    used: false,
  };
}

class Nm {
  readonly bonds: DraftBond[] = [];
  readonly defined: Array<{ name: string; place: Place; kind: string; reason?: string }> = [];

  constructor(
    private readonly profiles: Profile[],
    private readonly diag: Diagnostics,
    private readonly ledger: Ledger,
  ) {}

  /** A profile referred to by interface name, connection id or UUID. */
  private find(ref: string, type?: string): Profile | undefined {
    return this.profiles.find((p) => (p.uuid === ref || p.ifname === ref || p.id === ref) && (type === undefined || p.type === type) && this.autoconnects(p));
  }

  private autoconnects(p: Profile): boolean {
    return parseBool(p.get('connection', 'autoconnect')?.value ?? 'yes') !== false;
  }

  private controlledBy(c: Profile, portType: string): Profile[] {
    return this.profiles.filter((p) => p.controller && p.portType === portType && this.autoconnects(p) && [c.uuid, c.ifname, c.id].includes(p.controller.value));
  }

  read(): void {
    for (const p of this.profiles.filter((x) => x.type === 'bond' && this.autoconnects(x))) this.bonds.push(this.bond(p));
    for (const p of this.profiles) {
      if (p.used) continue;
      const name = p.ifname || p.id || p.file.path;
      const manual = !this.autoconnects(p);
      this.defined.push({
        name,
        place: manual ? p.get('connection', 'autoconnect')!.place : p.place,
        kind: `${p.type || 'connection'} profile for`,
        ...(manual ? { reason: `profile '${p.id}' (${name}) has autoconnect=false: NetworkManager does not bring it up by itself, so it is not imported. If it is activated by hand today and belongs to a bond's stack, add it to bondd.yaml` } : {}),
      });
      for (const s of p.file.sections) {
        this.ledger.cover(s.place);
        for (const e of s.entries) this.ledger.cover(e.place);
      }
    }
  }

  /** [connection] keys, and sections bondd does not read at all. */
  private common(p: Profile, known: string[]): void {
    for (const s of p.file.sections) {
      if (s.name === 'connection') {
        this.ledger.use(s.place);
        for (const e of s.entries) {
          if (CONNECTION_NO_EFFECT.includes(e.key)) this.ledger.use(e.place);
          else this.diag.warn({ ...e.place, message: `connection.${e.key} is not imported: ${NOT_DONE[`connection.${e.key}`] ?? 'bondd does not do this'}` });
        }
      } else if (s.name === 'proxy' && s.entries.length === 0) this.ledger.use(s.place);
      else if (!known.includes(s.name)) {
        this.diag.warn({ ...s.place, message: `[${s.name}] of '${p.id}' is not imported: ${s.name === 'ethtool' ? 'bondd does not run ethtool; run it from a unit before bondd.service' : 'bondd does not read this section'}` });
        for (const e of s.entries) this.ledger.cover(e.place);
      }
    }
  }

  private bond(p: Profile): DraftBond {
    p.used = true;
    const name = p.ifname || p.id;
    const d: DraftBond = { name, place: p.place, options: [], slaves: [], vlans: [], ...emptyIp() };
    // NetworkManager's own default when neither monitor is set.
    d.toolDefaults = [{ value: { name: MIIMON_OPTION.name, raw: 100 }, place: p.place }];
    this.common(p, ['bond', 'ethernet', 'ipv4', 'ipv6']);
    for (const s of p.file.sections.filter((x) => x.name === 'bond')) {
      this.ledger.use(s.place);
      for (const e of s.entries) this.bondOption(e, d);
    }
    this.ethernet(p, d, true);
    this.ip(p, d, name);
    for (const port of this.controlledBy(p, 'bond')) d.slaves.push(this.slave(port, name));
    for (const v of this.profiles.filter((x) => x.type === 'vlan' && this.autoconnects(x))) {
      const parent = v.get('vlan', 'parent');
      if (parent && [p.uuid, p.ifname, p.id].includes(parent.value)) d.vlans.push(this.vlan(v, d));
    }
    d.bridge = this.bridgeOf(p, name);
    return d;
  }

  private bondOption(e: IniEntry, d: DraftBond): void {
    if (e.key === MODE_OPTION.name) {
      d.mode = { value: e.value, place: e.place };
      return this.ledger.use(e.place);
    }
    if (e.key === PRIMARY_OPTION.name) {
      d.primary = { value: e.value, place: e.place };
      return this.ledger.use(e.place);
    }
    const opt = findOption(e.key);
    if (!opt || opt.perSlave) {
      this.diag.error({ ...e.place, message: `unknown bond option '${e.key}'${suggestion(e.key, BOND_OPTIONS.map((o) => o.name))}` });
      return;
    }
    const raw = opt.kind === 'ipv4-list' || opt.kind === 'ipv6-list' ? e.value.split(/[,\s]+/).filter(Boolean) : e.value;
    d.options.push({ value: { name: opt.name, raw }, place: e.place });
    this.ledger.use(e.place);
  }

  /** [ethernet]: mac-address (a port's permanent MAC), cloned-mac-address (the bond's MAC), mtu. */
  private ethernet(p: Profile, d: { mtu?: DraftIp['mtu']; mac?: DraftBond['mac'] }, isBond: boolean, slave?: DraftSlave): void {
    for (const s of p.file.sections.filter((x) => x.name === 'ethernet' || x.name === '802-3-ethernet')) {
      this.ledger.use(s.place);
      for (const e of s.entries) {
        if (e.key === 'mtu' && isBond) {
          d.mtu = { value: e.value, place: e.place };
          this.ledger.use(e.place);
        } else if (e.key === 'cloned-mac-address' && isBond && /^[0-9a-f:-]{17}$/i.test(e.value)) {
          d.mac = { value: e.value, place: e.place };
          this.ledger.use(e.place);
        } else if (e.key === 'mac-address' && slave) {
          slave.permMac = { value: e.value, place: e.place };
          this.ledger.use(e.place);
        } else if (e.key === 'mtu' && slave) {
          this.diag.warn({ ...e.place, message: `mtu on the port '${p.id}' is not imported: the kernel gives every slave the bond's MTU when it is enslaved; set the bond's mtu` });
        } else if (['auto-negotiate', 'wake-on-lan', 'speed', 'duplex'].includes(e.key)) {
          this.diag.warn({ ...e.place, message: `ethernet.${e.key} is not imported: bondd does not set link parameters (ethtool -s from a unit if needed)` });
        } else this.diag.warn({ ...e.place, message: `ethernet.${e.key} on '${p.id}' is not imported (bondd does not set it)` });
      }
    }
  }

  private slave(p: Profile, bond: string): DraftSlave {
    p.used = true;
    const s: DraftSlave = { options: [], place: p.controller!.place };
    if (p.ifname) s.name = p.ifname;
    this.common(p, ['ethernet', '802-3-ethernet', 'bond-port', 'ipv4', 'ipv6']);
    this.ethernet(p, {}, false, s);
    for (const sec of p.file.sections.filter((x) => x.name === 'bond-port')) {
      this.ledger.use(sec.place);
      for (const e of sec.entries) {
        // NetworkManager spells the slave options with '-' (queue-id, prio).
        const opt = findSlaveOption(e.key);
        if (opt) {
          s.options.push({ value: { name: opt.name, raw: e.value }, place: e.place });
          this.ledger.use(e.place);
        } else this.diag.warn({ ...e.place, message: `bond-port.${e.key} is not imported (bondd does not know this per-slave option)` });
      }
    }
    // A port's own [ipv4]/[ipv6] (NetworkManager writes method=disabled/ignore there) carries nothing.
    for (const sec of p.file.sections.filter((x) => x.name === 'ipv4' || x.name === 'ipv6')) {
      this.ledger.use(sec.place);
      for (const e of sec.entries) {
        if (e.key === 'method' && ['disabled', 'ignore', 'link-local', 'auto'].includes(e.value)) this.ledger.use(e.place);
        else this.diag.warn({ ...e.place, message: `${sec.name}.${e.key} on the port '${p.id}' of ${bond} is not imported: a slave carries no IP configuration` });
      }
    }
    if (p.type !== 'ethernet') this.diag.warn({ ...p.place, message: `port '${p.id}' of ${bond} is of type ${p.type}; bondd enslaves it by name like a NIC` });
    return s;
  }

  private vlan(v: Profile, d: DraftBond): DraftVlan {
    v.used = true;
    const id = v.get('vlan', 'id');
    const name = v.ifname || `${d.name}.${id?.value ?? ''}`;
    const dv: DraftVlan = { name, place: v.place, id: { value: id?.value ?? '', place: id?.place ?? v.place }, ...emptyIp() };
    if (!id) this.diag.error({ ...v.place, message: `VLAN profile '${v.id}' has no [vlan] id=` });
    this.common(v, ['vlan', 'ethernet', 'ipv4', 'ipv6']);
    for (const s of v.file.sections.filter((x) => x.name === 'vlan')) {
      this.ledger.use(s.place);
      for (const e of s.entries) {
        if (e.key === 'id' || e.key === 'parent') this.ledger.use(e.place);
        else if (e.key === 'flags' && (e.value === '1' || e.value === '0')) this.ledger.use(e.place); // reorder_hdr, the kernel default
        else this.diag.warn({ ...e.place, message: `vlan.${e.key} is not imported: bondd creates VLANs with the kernel defaults (no priority maps, GVRP/MVRP off)` });
      }
    }
    this.ethernet(v, dv, true);
    this.ip(v, dv, name);
    dv.bridge = this.bridgeOf(v, name);
    return dv;
  }

  /** The bridge profile that this profile is a port of (port-type=bridge), if any. */
  private bridgeOf(port: Profile, portName: string): DraftBridge | undefined {
    if (port.portType !== 'bridge' || !port.controller) return undefined;
    const br = this.find(port.controller.value, 'bridge');
    if (!br) {
      this.diag.error({ ...port.controller.place, message: `${port.controller.key}=${port.controller.value} names no bridge profile (by interface name, id or UUID)` });
      return undefined;
    }
    br.used = true;
    const name = br.ifname || br.id;
    const d: DraftBridge = { name, place: br.place, ...emptyIp() };
    // NetworkManager's defaults differ from the kernel's: STP on, forward delay 15 s.
    d.stp = { value: true, place: br.place };
    this.common(br, ['bridge', 'ethernet', 'ipv4', 'ipv6']);
    for (const s of br.file.sections.filter((x) => x.name === 'bridge')) {
      this.ledger.use(s.place);
      for (const e of s.entries) {
        if (e.key === 'stp') {
          const on = parseBool(e.value);
          if (on === undefined) this.diag.error({ ...e.place, message: `'${e.value}' is not true or false` });
          else d.stp = { value: on, place: e.place };
          this.ledger.use(e.place);
        } else if (e.key === 'forward-delay') {
          d.forwardDelay = { value: e.value, place: e.place };
          this.ledger.use(e.place);
        } else this.diag.warn({ ...e.place, message: `bridge.${e.key} is not imported: bondd sets a bridge's STP and forward delay only (the kernel defaults apply to the rest)` });
      }
    }
    this.ethernet(br, d, true);
    this.ip(br, d, name);
    void portName;
    return d;
  }

  /** [ipv4] and [ipv6] of a layer. */
  private ip(p: Profile, d: DraftIp, dev: string): void {
    for (const s of p.file.sections.filter((x) => x.name === 'ipv4' || x.name === 'ipv6')) {
      this.ledger.use(s.place);
      const fam = s.name === 'ipv4' ? 4 : 6;
      const method = s.entries.filter((e) => e.key === 'method').pop();
      const m = method?.value ?? 'auto';
      const neverDefault = parseBool(s.entries.find((e) => e.key === 'never-default')?.value ?? 'no') === true;
      if (fam === 4 && m === 'auto') d.dhcp4 = { value: true, place: method?.place ?? s.place };
      else if (fam === 6 && (m === 'auto' || m === 'dhcp')) {
        d.acceptRa = { value: m === 'auto', place: method?.place ?? s.place };
        if (m === 'dhcp') d.dhcp6 = { value: true, place: method!.place };
      } else if (fam === 6 && m === 'manual') d.acceptRa = { value: false, place: method!.place };
      for (const e of s.entries) {
        const at = e.place;
        if (e.key === 'method') {
          if (['manual', 'auto', 'disabled', 'ignore'].includes(m) || (fam === 6 && m === 'dhcp')) this.ledger.use(at);
          else if (m === 'link-local' && fam === 6) this.ledger.use(at); // fe80:: only: what the kernel does anyway
          else this.diag.warn({ ...at, message: `${s.name}.method=${m} is not imported: bondd configures static addresses, DHCP and router advertisements only${m === 'shared' ? ' (no NAT or DHCP server for guests)' : ''}` });
        } else if (/^address(es|[0-9]+)?$/.test(e.key)) {
          // addressN=192.0.2.10/24[,gateway]; addresses=a;b (older keyfiles).
          for (const item of e.value.split(';').filter(Boolean)) {
            const [addr, gw] = item.split(',');
            d.addresses.push({ value: addr!.trim(), place: at });
            if (gw && !neverDefault) d.gateways.push({ value: gw.trim(), place: at });
          }
          this.ledger.use(at);
        } else if (e.key === 'gateway') {
          if (neverDefault) this.diag.warn({ ...at, message: `gateway is not imported because never-default=true (NetworkManager adds no default route then)` });
          else {
            d.gateways.push({ value: e.value, place: at });
            this.ledger.use(at);
          }
        } else if (/^routes?[0-9]*$/.test(e.key)) {
          const opts = s.entries.find((x) => x.key === `${e.key}_options`)?.value ?? '';
          const table = /(?:^|,)table=([0-9]+)/.exec(opts)?.[1];
          if (table !== undefined && table !== '254' && table !== '0') {
            this.diag.warn({ ...at, message: `${s.name}.${e.key} (${e.value}) goes to table ${table} and is not imported: bondd adds routes to the main table only; keep it with the policy routing it serves (a unit after bondd)` });
            continue;
          }
          for (const item of e.value.split(';').filter(Boolean)) {
            const [to, via, metric] = item.split(',').map((x) => x.trim());
            const gw = via && via !== '0.0.0.0' && via !== '::' ? via : undefined;
            d.routes.push({ value: { to: to!, ...(gw ? { via: gw } : {}), ...(metric ? { metric } : {}) }, place: at });
          }
          this.ledger.use(at);
        } else if (/^routes?[0-9]*_options$/.test(e.key)) {
          this.diag.warn({ ...at, message: `${s.name}.${e.key} (${e.value}) is not imported: bondd routes have a destination, next hop and metric in the main table only` });
        } else if (e.key === 'never-default') this.ledger.use(at);
        else if (/^routing-rule/.test(e.key)) this.diag.warn({ ...at, message: `${s.name}.${e.key} is not imported: bondd adds no policy-routing rules; keep them (ip rule) in a unit after bondd` });
        else if (NOT_DONE[e.key]) this.diag.warn({ ...at, message: `${s.name}.${e.key} on ${dev} is not imported: ${NOT_DONE[e.key]}` });
        else this.diag.warn({ ...at, message: `${s.name}.${e.key} on ${dev} is not imported (bondd does not do this)` });
      }
    }
  }
}
