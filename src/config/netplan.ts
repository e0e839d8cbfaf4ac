/**
 * Importer for netplan (`network: version: 2`), as Ubuntu servers, cloud-init, curtin/MAAS and
 * subiquity write it. Files: every *.yaml of /lib/netplan, /etc/netplan and /run/netplan; a file
 * in /run shadows the same name in /etc, which shadows /lib; the remaining files are read in
 * order of their names and merged (maps key by key, a later scalar wins, a later list appends).
 *
 * What becomes what:
 * - `bonds.<name>`: the bond; `interfaces` lists ethernet ids (the slaves), `parameters` the bond
 *   options in netplan's spelling (mii-monitor-interval, lacp-rate, transmit-hash-policy, up-delay
 *   ... times in ms unless suffixed; learn-packet-interval in s).
 * - `ethernets.<id>` used as a slave: matched by `match: {name, macaddress, driver}` or by its
 *   id; `set-name` is not done by bondd (the slave is matched by its hardware instead).
 * - `vlans.<name>` with `link: <bond>`: a VLAN on the bond; `bridges.<name>` whose interfaces
 *   include the bond or one of its VLANs: that layer's bridge. When a bridge has `parameters:`,
 *   netplan turns STP on unless `stp: false` (networkd's and the kernel's default is off), so such
 *   a bridge without `stp` gets stp on, as netplan made it; without `parameters:` the kernel
 *   default (off) stays.
 * - On every layer: addresses, gateway4/gateway6, routes (to/via/metric), dhcp4/dhcp6,
 *   accept-ra, mtu.
 * - With `renderer: NetworkManager` NetworkManager built the bond, and it sets miimon 100 when
 *   neither miimon nor arp_interval is given; the import does too.
 * Everything else is a warning that says what bondd does not do (DNS, policy routing, DHCP
 * overrides, OVS, wifi, tunnels), or an error when bondd would build something different.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MIIMON_OPTION, MODE_OPTION, optionBySpelling, PRIMARY_OPTION, spellingsOf } from '../bond/options.js';
import {
  assemble,
  crOnlyProblem,
  type DraftBond,
  type DraftBridge,
  type DraftIp,
  type DraftOption,
  type DraftSlave,
  type DraftVlan,
  emptyIp,
  type ImportResult,
  Ledger,
  parseBool,
  parseDuration,
  type Place,
  type Placed,
  suggestion,
} from './assemble.js';
import { Diagnostics } from './errors.js';
import { mergeTree, type PMap, type PNode, parseYamlTree, scalarText, treePlaces } from './placed-tree.js';

export const NETPLAN_DIRS = ['lib/netplan', 'etc/netplan', 'run/netplan'];

/** The files netplan reads under `root`, in its order (later overrides earlier), with shadowed ones. */
export async function netplanFiles(root = '/'): Promise<{ files: string[]; shadowed: string[] }> {
  const byName = new Map<string, string>();
  const shadowed: string[] = [];
  for (const d of NETPLAN_DIRS) {
    const dir = join(root, d);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.yaml')).sort()) {
      const prev = byName.get(n);
      if (prev) shadowed.push(prev);
      byName.set(n, join(dir, n));
    }
  }
  const files = [...byName.keys()].sort().map((n) => byName.get(n)!);
  return { files, shadowed };
}

/** Imports a netplan file, a directory of them, or (no path) the system's netplan directories. */
export async function importNetplan(path?: string, root = '/'): Promise<ImportResult> {
  const diag = new Diagnostics();
  let files: string[];
  if (path === undefined) files = (await netplanFiles(root)).files;
  else if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    files = (await readdir(path)).filter((n) => n.endsWith('.yaml')).sort().map((n) => join(path, n));
  } else files = [path];
  if (files.length === 0) diag.error({ file: path ?? join(root, 'etc/netplan'), line: 0, path: '', message: 'no netplan *.yaml files found' });
  const ledger = new Ledger();
  const merged: PMap = { kind: 'map', entries: new Map(), place: { file: files[0] ?? '', line: 0, path: '' } };
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      diag.error({ file: f, line: 0, path: '', message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    const cr = crOnlyProblem(text, f);
    if (cr) {
      diag.error(cr);
      continue;
    }
    const tree = parseYamlTree(text, f, diag);
    if (!tree) continue;
    if (tree.kind !== 'map') {
      if (tree.kind === 'scalar' && tree.value === null) continue; // empty file
      diag.error({ ...tree.place, message: "a netplan file is a map with a top-level 'network:' key" });
      continue;
    }
    for (const p of treePlaces(tree)) ledger.see(p);
    mergeTree(merged, tree, diag);
  }
  const np = new Netplan(ledger, diag);
  np.read(merged);
  return assemble({ source: path ?? root, sourceFiles: files, bonds: np.bonds, defined: np.defined, tool: 'netplan', ledger }, diag);
}

/** The device types netplan knows besides ethernets, bonds, vlans, bridges; none is imported. */
const OTHER_TYPES = ['wifis', 'tunnels', 'vrfs', 'modems', 'dummy-devices', 'virtual-ethernets', 'nm-devices'];

/** Keys of a device that describe things bondd does not manage, with what to do instead. */
const NOT_DONE: Record<string, string> = {
  nameservers: 'bondd does not configure DNS; keep the servers in systemd-resolved or /etc/resolv.conf',
  'routing-policy': 'bondd adds no policy-routing rules; keep them (ip rule) in a unit ordered after bondd',
  'dhcp4-overrides': 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf',
  'dhcp6-overrides': 'the DHCP client bondd runs (dhcpcd) uses its defaults; tune it in /etc/dhcpcd.conf',
  'ipv6-privacy': 'bondd leaves IPv6 privacy addresses to the kernel sysctl use_tempaddr',
  'ipv6-address-generation': 'bondd leaves the IPv6 address generation mode to the kernel (addr_gen_mode)',
  'ipv6-address-token': 'bondd does not set IPv6 tokens',
  'ipv6-mtu': 'bondd does not set the IPv6 MTU separately',
  'dhcp-identifier': 'the DHCP client bondd runs uses its default client identifier',
  openvswitch: 'bondd builds Linux bonds, not Open vSwitch bonds',
  'ignore-carrier': 'bondd does not emulate carrier',
  'activation-mode': 'bondd brings every configured device up (up: false in bondd.yaml keeps a bond down)',
  wakeonlan: 'bondd does not set Wake-on-LAN (ethtool -s <nic> wol g)',
  'emit-lldp': 'bondd does not send LLDP',
  'receive-checksum-offload': 'bondd does not change offloads (ethtool -K)',
  'transmit-checksum-offload': 'bondd does not change offloads (ethtool -K)',
  'tcp-segmentation-offload': 'bondd does not change offloads (ethtool -K)',
  'tcp6-segmentation-offload': 'bondd does not change offloads (ethtool -K)',
  'generic-segmentation-offload': 'bondd does not change offloads (ethtool -K)',
  'generic-receive-offload': 'bondd does not change offloads (ethtool -K)',
  'large-receive-offload': 'bondd does not change offloads (ethtool -K)',
  'infiniband-mode': 'bondd does not configure InfiniBand',
  'link-local': 'bondd leaves link-local addressing as the kernel does it (IPv6 fe80::/64 on every layer)',
  critical: 'bondd never takes an address away from a running device while it restarts',
  'dhcp6-pd': 'the DHCP client bondd runs does not request prefix delegation',
};

interface Ethernet {
  id: string;
  map: PMap;
  keyPlace: Place;
}

class Netplan {
  readonly bonds: DraftBond[] = [];
  readonly defined: Array<{ name: string; place: Place; kind: string }> = [];
  private ethernets = new Map<string, Ethernet>();
  private renderer = 'networkd';

  constructor(
    private readonly ledger: Ledger,
    private readonly diag: Diagnostics,
  ) {}

  private use(p: Place): void {
    this.ledger.use(p);
  }

  /** Marks a whole subtree as accounted for by one message on its key. */
  private cover(n: PNode): void {
    for (const p of treePlaces(n)) this.ledger.cover(p);
  }

  private warnCover(keyPlace: Place, node: PNode, message: string): void {
    this.diag.warn({ ...keyPlace, message });
    this.cover(node);
  }

  read(root: PMap): void {
    for (const [key, e] of root.entries) {
      if (key !== 'network') {
        this.diag.error({ ...e.keyPlace, message: `unknown top-level key '${key}'${suggestion(key, ['network'])}; netplan reads only network:` });
        continue;
      }
      this.use(e.keyPlace);
      if (e.node.kind !== 'map') {
        this.diag.error({ ...e.keyPlace, message: 'network: must be a map' });
        continue;
      }
      this.network(e.node);
    }
  }

  private network(net: PMap): void {
    const known = ['version', 'renderer', 'ethernets', 'bonds', 'vlans', 'bridges', ...OTHER_TYPES];
    const get = (k: string) => net.entries.get(k);
    const version = get('version');
    if (version) {
      this.use(version.keyPlace);
      if (scalarText(version.node) !== '2') this.diag.error({ ...version.keyPlace, message: `version ${scalarText(version.node)} is not supported (netplan reads version 2)` });
    }
    const renderer = get('renderer');
    if (renderer) {
      this.use(renderer.keyPlace);
      this.renderer = scalarText(renderer.node) ?? 'networkd';
    }
    for (const [key, e] of net.entries) {
      if (!known.includes(key)) {
        this.diag.error({ ...e.keyPlace, message: `unknown key '${key}'${suggestion(key, known)}; netplan would refuse the file` });
        this.cover(e.node);
      }
    }
    const ethernets = get('ethernets');
    if (ethernets) {
      this.use(ethernets.keyPlace);
      for (const [id, e] of this.devices(ethernets.node)) this.ethernets.set(id, { id, map: e.node as PMap, keyPlace: e.keyPlace });
    }
    const bonds = get('bonds');
    const vlans = get('vlans');
    const bridges = get('bridges');
    const usedEthernets = new Set<string>();
    if (bonds) {
      this.use(bonds.keyPlace);
      for (const [name, e] of this.devices(bonds.node)) {
        const b = this.bond(name, e.node as PMap, e.keyPlace, usedEthernets);
        this.bonds.push(b);
      }
    }
    const bondNames = new Set(this.bonds.map((b) => b.name));
    const vlanDrafts = new Map<string, DraftVlan>();
    if (vlans) {
      this.use(vlans.keyPlace);
      for (const [name, e] of this.devices(vlans.node)) {
        const map = e.node as PMap;
        const link = scalarText(map.entries.get('link')?.node);
        const bond = this.bonds.find((b) => b.name === link);
        this.defined.push({ name, place: e.keyPlace, kind: 'vlan' });
        if (!bond) {
          this.cover(map);
          continue;
        }
        const v = this.vlan(name, map, e.keyPlace);
        bond.vlans.push(v);
        vlanDrafts.set(name, v);
      }
    }
    if (bridges) {
      this.use(bridges.keyPlace);
      for (const [name, e] of this.devices(bridges.node)) this.bridge(name, e.node as PMap, e.keyPlace, bondNames, vlanDrafts);
    }
    for (const [id, eth] of this.ethernets) {
      if (usedEthernets.has(id)) continue;
      this.defined.push({ name: this.ethName(eth), place: eth.keyPlace, kind: 'ethernet' });
      this.cover(eth.map);
    }
    for (const t of OTHER_TYPES) {
      const e = get(t);
      if (!e) continue;
      this.use(e.keyPlace);
      for (const [name, d] of this.devices(e.node)) {
        this.defined.push({ name, place: d.keyPlace, kind: t.replace(/s$/, '') });
        this.cover(d.node);
      }
    }
  }

  /** The devices of a `ethernets:`-like map (each a map; `{}` allowed). */
  private devices(n: PNode): Array<[string, { keyPlace: Place; node: PMap }]> {
    if (n.kind === 'scalar' && n.value === null) return [];
    if (n.kind !== 'map') {
      this.diag.error({ ...n.place, message: 'must be a map of device id: settings' });
      return [];
    }
    const out: Array<[string, { keyPlace: Place; node: PMap }]> = [];
    for (const [id, e] of n.entries) {
      const node: PMap = e.node.kind === 'map' ? e.node : { kind: 'map', entries: new Map(), place: e.keyPlace };
      if (e.node.kind !== 'map' && !(e.node.kind === 'scalar' && e.node.value === null)) this.diag.error({ ...e.keyPlace, message: `${id} must be a map of settings ({} for none)` });
      out.push([id, { keyPlace: e.keyPlace, node }]);
    }
    return out;
  }

  private ethName(eth: Ethernet): string {
    const m = eth.map.entries.get('match')?.node;
    const setName = scalarText(eth.map.entries.get('set-name')?.node);
    const matchName = m?.kind === 'map' ? scalarText(m.entries.get('name')?.node) : undefined;
    return setName ?? (matchName && !/[*?[]/.test(matchName) ? matchName : eth.id);
  }

  private bond(name: string, map: PMap, keyPlace: Place, usedEthernets: Set<string>): DraftBond {
    this.use(keyPlace);
    const d: DraftBond = { name, place: keyPlace, options: [], slaves: [], vlans: [], ...emptyIp() };
    if (this.renderer === 'NetworkManager') d.toolDefaults = [{ value: { name: MIIMON_OPTION.name, raw: 100 }, place: keyPlace }];
    for (const [key, e] of map.entries) {
      if (key === 'interfaces') {
        this.use(e.keyPlace);
        for (const item of e.node.kind === 'seq' ? e.node.items : []) {
          const id = scalarText(item);
          const eth = id === undefined ? undefined : this.ethernets.get(id);
          if (!eth) {
            this.diag.error({ ...item.place, message: `${id} is not defined under ethernets:; netplan refuses a bond member it does not know${suggestion(id ?? '', this.ethernets.keys())}` });
            continue;
          }
          if (usedEthernets.has(eth.id)) {
            this.diag.error({ ...item.place, message: `${eth.id} is already a member of another bond; an interface can belong to one bond only` });
            continue;
          }
          this.use(item.place);
          usedEthernets.add(eth.id);
          d.slaves.push(this.slave(eth, name));
        }
      } else if (key === 'parameters') {
        this.use(e.keyPlace);
        this.parameters(e.node, d);
      } else if (key === 'macaddress') {
        this.use(e.keyPlace);
        d.mac = { value: scalarText(e.node) ?? '', place: e.keyPlace };
      } else this.ipKey(key, e.keyPlace, e.node, d, name);
    }
    return d;
  }

  private parameters(n: PNode, d: DraftBond): void {
    if (n.kind !== 'map') return;
    for (const [key, e] of n.entries) {
      const text = scalarText(e.node);
      const place = e.keyPlace;
      const opt = optionBySpelling('netplan', key);
      if (!opt) {
        this.diag.error({ ...place, message: `unknown bond parameter '${key}'${suggestion(key, spellingsOf('netplan'))}` });
        continue;
      }
      if (opt === MODE_OPTION) {
        this.use(place);
        d.mode = { value: text ?? '', place };
        continue;
      }
      if (opt === PRIMARY_OPTION) {
        this.use(place);
        const eth = this.ethernets.get(text ?? '');
        d.primary = { value: eth ? this.ethName(eth) : text ?? '', place };
        continue;
      }
      this.use(place);
      let raw: DraftOption['raw'];
      if (e.node.kind === 'seq') {
        raw = e.node.items.map((it) => scalarText(it) ?? '');
        for (const it of e.node.items) this.use(it.place);
      } else if (opt.unit === 'ms' || opt.unit === 's') {
        const ms = parseDuration(text ?? '', opt.unit);
        if (ms === undefined) {
          this.diag.error({ ...place, message: `'${text}' is not a time (a number, in ${opt.unit} unless suffixed: 100, 100ms, 1s)` });
          continue;
        }
        raw = opt.unit === 's' ? Math.floor(ms / 1000) : ms;
      } else if (opt.kind === 'int' && opt.min === 0 && opt.max === 1) {
        // A boolean in netplan (all-members-active: true), 0/1 in the kernel.
        const b = parseBool(text ?? '');
        if (b === undefined) {
          this.diag.error({ ...place, message: `'${text}' is not true or false` });
          continue;
        }
        raw = b ? 1 : 0;
      } else raw = text ?? '';
      d.options.push({ value: { name: opt.name, raw }, place });
    }
  }

  private slave(eth: Ethernet, bond: string): DraftSlave {
    this.use(eth.keyPlace);
    const s: DraftSlave = { options: [], place: eth.keyPlace };
    const match = eth.map.entries.get('match');
    const setName = eth.map.entries.get('set-name');
    if (match && match.node.kind === 'map') {
      this.use(match.keyPlace);
      for (const [k, e] of match.node.entries) {
        const v = scalarText(e.node) ?? '';
        if (k === 'macaddress' || k === 'permanentmacaddress') {
          this.use(e.keyPlace);
          s.permMac = { value: v, place: e.keyPlace };
        } else if (k === 'name') {
          this.use(e.keyPlace);
          if (/[*?[]/.test(v)) s.match = { ...s.match, name: v };
          else if (!setName) s.name = v;
        } else if (k === 'driver') {
          this.use(e.keyPlace);
          s.match = { ...s.match, driver: v };
        } else this.diag.error({ ...e.keyPlace, message: `match: ${k} is not a netplan match key (name, macaddress, driver)${suggestion(k, ['name', 'macaddress', 'driver'])}` });
      }
    } else if (!match) s.name = eth.id;
    if (setName) {
      const how = s.permMac ? 'by its MAC address' : s.match ? 'by its match' : `as ${scalarText(setName.node)}`;
      this.diag.warn({ ...setName.keyPlace, message: `set-name ${scalarText(setName.node)}: bondd does not rename interfaces (netplan did it through a udev .link file, which goes away with netplan). The slave is matched ${how}; keep a systemd .link file if other tools need the name` });
      if (!s.permMac && !s.match) s.name = scalarText(setName.node);
    }
    if (!s.name && !s.permMac && !s.match) s.name = eth.id;
    for (const [k, e] of eth.map.entries) {
      if (k === 'match' || k === 'set-name') continue;
      const v = scalarText(e.node);
      if ((k === 'dhcp4' || k === 'dhcp6') && parseBool(v ?? '') === false) this.use(e.keyPlace);
      else if (k === 'optional' || k === 'renderer') this.use(e.keyPlace); // bondd enslaves a slave whenever it appears
      else if (k === 'mtu') this.diag.warn({ ...e.keyPlace, message: `mtu ${v} on ${eth.id}: the kernel gives every slave the bond's MTU when it is enslaved, so a slave's own MTU is not used. Set mtu on ${bond}` });
      else if (k === 'accept-ra' && parseBool(v ?? '') === false) this.use(e.keyPlace);
      else if (k in NOT_DONE) this.warnCover(e.keyPlace, e.node, `${k} on ${eth.id} is not imported: ${NOT_DONE[k]}`);
      else this.warnCover(e.keyPlace, e.node, `${k} on ${eth.id} is not imported: ${eth.id} is a slave of ${bond}, and a slave carries no IP configuration of its own`);
    }
    return s;
  }

  private vlan(name: string, map: PMap, keyPlace: Place): DraftVlan {
    this.use(keyPlace);
    const id = map.entries.get('id');
    const v: DraftVlan = { name, place: keyPlace, id: { value: scalarText(id?.node) ?? '', place: id?.keyPlace ?? keyPlace }, ...emptyIp() };
    if (!id) this.diag.error({ ...keyPlace, message: `VLAN ${name} has no id:` });
    for (const [key, e] of map.entries) {
      if (key === 'id' || key === 'link') this.use(e.keyPlace);
      else this.ipKey(key, e.keyPlace, e.node, v, name);
    }
    return v;
  }

  private bridge(name: string, map: PMap, keyPlace: Place, bonds: Set<string>, vlans: Map<string, DraftVlan>): void {
    this.defined.push({ name, place: keyPlace, kind: 'bridge' });
    const ports = map.entries.get('interfaces');
    const items = ports?.node.kind === 'seq' ? ports.node.items.map((it) => ({ id: scalarText(it) ?? '', place: it.place })) : [];
    const stackPorts = items.filter((p) => bonds.has(p.id) || vlans.has(p.id));
    if (stackPorts.length === 0) {
      this.cover(map);
      return;
    }
    if (stackPorts.length > 1) {
      this.diag.error({ ...stackPorts[1]!.place, message: `${name} has ${stackPorts.map((p) => p.id).join(' and ')} as ports; bondd puts one layer of a bond's stack into a bridge` });
      this.cover(map);
      return;
    }
    const port = stackPorts[0]!;
    this.use(keyPlace);
    this.use(ports!.keyPlace);
    this.use(port.place);
    for (const p of items) {
      if (p !== port) this.diag.warn({ ...p.place, message: `${p.id} is also a port of ${name}; bondd does not add it (it enslaves only ${port.id}). Add it with the tool that manages ${p.id}` });
    }
    const b: DraftBridge = { name, place: keyPlace, ...emptyIp() };
    // With a parameters: block netplan writes STP=true unless it says stp: false (the kernel
    // default is off); without one it writes no bridge settings at all.
    const params = map.entries.get('parameters');
    if (params) b.stp = { value: true, place: params.keyPlace };
    for (const [key, e] of map.entries) {
      if (key === 'interfaces') continue;
      if (key === 'parameters' && e.node.kind === 'map') {
        this.use(e.keyPlace);
        for (const [pk, pe] of e.node.entries) {
          const v = scalarText(pe.node) ?? '';
          if (pk === 'stp') {
            const on = parseBool(v);
            if (on === undefined) this.diag.error({ ...pe.keyPlace, message: `'${v}' is not true or false` });
            else {
              this.use(pe.keyPlace);
              b.stp = { value: on, place: pe.keyPlace };
            }
          } else if (pk === 'forward-delay') {
            const ms = parseDuration(v, 's');
            if (ms === undefined) this.diag.error({ ...pe.keyPlace, message: `'${v}' is not a time (seconds unless suffixed)` });
            else {
              this.use(pe.keyPlace);
              b.forwardDelay = { value: ms / 1000, place: pe.keyPlace };
            }
          } else this.diag.warn({ ...pe.keyPlace, message: `bridge parameter ${pk} is not imported: bondd sets a bridge's STP and forward delay only, the kernel defaults apply to the rest. Set it with ip link set ${name} type bridge ... from a unit if it matters` });
        }
      } else this.ipKey(key, e.keyPlace, e.node, b, name);
    }
    const vlan = vlans.get(port.id);
    if (vlan) vlan.bridge = b;
    else this.bonds.find((x) => x.name === port.id)!.bridge = b;
  }

  /** Keys every layer can carry (addresses, gateways, routes, DHCP, RA, MTU) and the rest. */
  private ipKey(key: string, keyPlace: Place, node: PNode, d: DraftIp, dev: string): void {
    const text = scalarText(node);
    const bool = (): Placed<boolean> | undefined => {
      const b = parseBool(text ?? '');
      if (b === undefined) {
        this.diag.error({ ...keyPlace, message: `'${text}' is not true or false` });
        return undefined;
      }
      this.use(keyPlace);
      return { value: b, place: keyPlace };
    };
    switch (key) {
      case 'addresses':
        this.use(keyPlace);
        for (const it of node.kind === 'seq' ? node.items : []) {
          if (it.kind === 'map') {
            // { 192.0.2.10/24: { label: ..., lifetime: ... } }
            for (const [addr, ae] of it.entries) {
              d.addresses.push({ value: addr, place: ae.keyPlace });
              this.use(ae.keyPlace);
              if (ae.node.kind === 'map' && ae.node.entries.size) this.warnCover(ae.keyPlace, ae.node, `address options (label, lifetime) of ${addr} are not imported: bondd adds plain permanent addresses`);
            }
          } else {
            d.addresses.push({ value: scalarText(it) ?? '', place: it.place });
            this.use(it.place);
          }
        }
        return;
      case 'gateway4':
      case 'gateway6':
        this.use(keyPlace);
        d.gateways.push({ value: text ?? '', place: keyPlace });
        return;
      case 'routes':
        this.use(keyPlace);
        for (const it of node.kind === 'seq' ? node.items : []) this.route(it, d, dev);
        return;
      case 'dhcp4':
        d.dhcp4 = bool();
        return;
      case 'dhcp6':
        d.dhcp6 = bool();
        return;
      case 'accept-ra':
        d.acceptRa = bool();
        return;
      case 'mtu':
        this.use(keyPlace);
        d.mtu = { value: text ?? '', place: keyPlace };
        return;
      case 'renderer':
      case 'optional':
        this.use(keyPlace);
        return;
      case 'macaddress':
        this.diag.warn({ ...keyPlace, message: `macaddress on ${dev} is not imported: bondd sets the MAC of the bond only (a VLAN or bridge takes the bond's)` });
        return;
      default:
        if (key in NOT_DONE) this.warnCover(keyPlace, node, `${key} on ${dev} is not imported: ${NOT_DONE[key]}`);
        else {
          this.diag.error({ ...keyPlace, message: `unknown key '${key}' on ${dev}${suggestion(key, ['addresses', 'gateway4', 'gateway6', 'routes', 'dhcp4', 'dhcp6', 'accept-ra', 'mtu', 'macaddress', 'interfaces', 'parameters', ...Object.keys(NOT_DONE)])}` });
          this.cover(node);
        }
    }
  }

  private route(n: PNode, d: DraftIp, dev: string): void {
    if (n.kind !== 'map') {
      this.diag.error({ ...n.place, message: 'a route is a map {to: ..., via: ...}' });
      return;
    }
    const get = (k: string) => n.entries.get(k);
    const to = scalarText(get('to')?.node);
    const via = scalarText(get('via')?.node);
    const metric = scalarText(get('metric')?.node);
    const where = get('to')?.keyPlace ?? n.place;
    let ok = true;
    for (const [k, e] of n.entries) {
      const v = scalarText(e.node);
      if (k === 'to' || k === 'via' || k === 'metric') this.use(e.keyPlace);
      else if (k === 'on-link' && parseBool(v ?? '') === false) this.use(e.keyPlace);
      else if (k === 'on-link') {
        this.diag.error({ ...e.keyPlace, message: `an on-link route (next hop outside ${dev}'s subnets) cannot be expressed in bondd: its routes need a next hop inside one of the device's subnets. Add an address whose subnet holds ${via}, or keep this route outside bondd` });
        ok = false;
      } else if (k === 'table' && v === '254') this.use(e.keyPlace);
      else if (k === 'table' || k === 'from' || k === 'type' || k === 'scope') {
        if ((k === 'type' && v === 'unicast') || (k === 'scope' && v === 'global') || (k === 'scope' && v === 'link' && via === undefined)) {
          this.use(e.keyPlace);
          continue;
        }
        const why = k === 'table' ? `bondd adds routes to the main table only; routes in table ${v} belong with the policy routing it serves (a unit after bondd)` : `bondd routes have a destination, next hop and metric only`;
        this.diag.warn({ ...e.keyPlace, message: `route to ${to} with ${k} ${v} is not imported: ${why}` });
        ok = false;
      } else {
        this.diag.warn({ ...e.keyPlace, message: `route to ${to}: ${k} is not imported (bondd routes have a destination, next hop and metric only); the route is imported without it` });
      }
    }
    if (to === undefined) {
      this.diag.error({ ...n.place, message: 'a route needs to:' });
      return;
    }
    if (ok) d.routes.push({ value: { to, ...(via !== undefined ? { via } : {}), ...(metric !== undefined ? { metric } : {}) }, place: where });
  }
}

export function isNetplanFile(name: string): boolean {
  return basename(name).endsWith('.yaml');
}
