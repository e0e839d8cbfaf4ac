/**
 * KernelHost: the executor's view of a real host (or of one network namespace): observation
 * through rtnetlink plus a full bond read, and the operations no bond backend covers (MAC, MTU,
 * addresses, routes, admin state of plain interfaces).
 *
 * Observation always reads bonds through the netlink backend, whatever backend a bond is managed
 * with: netlink is the only interface that reports every option (ns_ip6_target, coupled_control
 * and the per-slave prio/actor_port_prio have no sysfs file).
 */
import { existsSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import type { BondBackend } from '../bond/backend.js';
import { openBackend } from '../backend/open-backend.js';
import { parseCidr, networkOf } from '../config/addr.js';
import type { BackendKind, RouteSpec } from '../config/types.js';
import { AF_INET, AF_INET6, IFF_UP, IFLA_IFALIAS, IFLA_LINK } from '../netlink/constants.js';
import { str, u32 } from '../netlink/attributes.js';
import { writeDevconf } from '../netlink/devconf.js';
import type { LinkMessage } from '../netlink/link.js';
import { bridgeInfoData, vlanInfoData } from '../netlink/stack.js';
import { Rtnl } from '../netlink/rtnl.js';
import { ensureBondingLoaded } from '../sysfs/module.js';
import type { HostOps } from './executor.js';
import type { ObservedHost, ObservedInterface } from './observed.js';
import type { DevconfKey } from './stack-planner.js';

/** RT_SCOPE_UNIVERSE: addresses bondd manages (link-local ones belong to the kernel). */
const RT_SCOPE_UNIVERSE = 0;
/** IFA_F_PERMANENT: an address without a lifetime (static); leases and SLAAC addresses lack it. */
const IFA_F_PERMANENT = 0x80;
/**
 * Route protocols that are not configuration: RTPROT_KERNEL (2, prefix routes the kernel adds
 * for addresses), RTPROT_RA (9, router advertisements), RTPROT_DHCP (16, dhcpcd's lease routes).
 */
const FOREIGN_ROUTE_PROTOCOLS = new Set([2, 9, 16]);

export interface KernelHostOptions {
  /** Work inside this network namespace (/run/netns/NAME); the process's own by default. */
  netnsPath?: string;
}

export class KernelHost implements HostOps {
  readonly rtnl: Rtnl;
  readonly netnsPath: string | undefined;
  readonly #backends = new Map<BackendKind, BondBackend>();

  private constructor(options: KernelHostOptions) {
    this.netnsPath = options.netnsPath;
    this.rtnl = Rtnl.open({ netnsPath: options.netnsPath, timeoutMs: 10_000 });
  }

  static open(options: KernelHostOptions = {}): KernelHost {
    return new KernelHost(options);
  }

  backend(kind: BackendKind): BondBackend {
    let backend = this.#backends.get(kind);
    if (!backend) {
      backend = openBackend(kind, { netnsPath: this.netnsPath });
      this.#backends.set(kind, backend);
    }
    return backend;
  }

  async observe(): Promise<ObservedHost> {
    const links = await this.rtnl.getLinks();
    const byIndex = new Map(links.map((l) => [l.index, l]));
    const interfaces: ObservedInterface[] = links.filter((l) => l.name !== 'lo').map((l) => observedInterface(l, byIndex));
    // Drivers of hardware NICs, for slaves matched by driver; /sys shows this process's
    // namespace only, so not for a host opened in another one.
    if (this.netnsPath === undefined) await Promise.all(interfaces.filter((i) => i.kind === null).map(async (i) => nicDriver(i).catch(() => undefined)));
    const host: ObservedHost = {
      bondingAvailable: existsSync('/sys/module/bonding') || links.some((l) => l.kind === 'bond'),
      bonds: new Map(),
      interfaces,
      addresses: new Map(),
      routes: new Map(),
      leases: new Map(),
    };
    const bondLinks = links.filter((l) => l.kind === 'bond');
    if (bondLinks.length === 0) return host;
    const reader = this.backend('netlink');
    const [addresses, routes] = await Promise.all([this.rtnl.getAddresses(), this.rtnl.getRoutes()]);
    for (const link of bondLinks) {
      const bond = await reader.readBond(link.name);
      if (bond) host.bonds.set(link.name, bond);
    }
    // Addresses and routes of every layer a bond's stack can have: bonds, VLANs, bridges.
    for (const link of links.filter((l) => l.kind === 'bond' || l.kind === 'vlan' || l.kind === 'bridge')) {
      const mine = addresses.filter((a) => a.index === link.index && a.scope === RT_SCOPE_UNIVERSE);
      const cidrOf = (a: (typeof mine)[number]) => canonicalCidr(`${a.local ?? a.address}/${a.prefixlen}`);
      host.addresses.set(link.name, mine.filter((a) => a.flags & IFA_F_PERMANENT).map(cidrOf).filter((a): a is string => a !== null));
      const leases = mine.filter((a) => !(a.flags & IFA_F_PERMANENT)).map(cidrOf).filter((a): a is string => a !== null);
      if (leases.length) host.leases!.set(link.name, leases);
      host.routes.set(
        link.name,
        routes
          .filter((r) => r.oif === link.index && (r.gateway !== undefined || r.dst !== 'default'))
          .filter((r) => !FOREIGN_ROUTE_PROTOCOLS.has(r.protocol))
          .map((r): RouteSpec => ({
            to: r.dst === 'default' ? (r.family === AF_INET6 ? '::/0' : '0.0.0.0/0') : canonicalNetwork(r.dst) ?? r.dst,
            ...(r.gateway ? { via: r.gateway } : {}),
            ...(r.priority !== undefined ? { metric: r.priority } : {}),
          })),
      );
    }
    return host;
  }

  /** Addresses with a finite lifetime (DHCP leases, SLAAC) per device: cheaper than observe(). */
  async observeLeases(): Promise<Map<string, string[]>> {
    const [links, addresses] = await Promise.all([this.rtnl.getLinks(), this.rtnl.getAddresses()]);
    const names = new Map(links.map((l) => [l.index, l.name]));
    const out = new Map<string, string[]>();
    for (const a of addresses) {
      if (a.scope !== RT_SCOPE_UNIVERSE || a.flags & IFA_F_PERMANENT) continue;
      const name = names.get(a.index);
      const cidr = canonicalCidr(`${a.local ?? a.address}/${a.prefixlen}`);
      if (name === undefined || cidr === null) continue;
      out.set(name, [...(out.get(name) ?? []), cidr]);
    }
    return out;
  }

  async loadModule(): Promise<void> {
    await ensureBondingLoaded();
  }

  async #index(name: string): Promise<number> {
    return (await this.rtnl.getLink(name)).index;
  }

  async setMac(bond: string, mac: string): Promise<void> {
    await this.rtnl.setLink({ index: await this.#index(bond), address: mac });
  }

  async setMtu(bond: string, mtu: number): Promise<void> {
    await this.rtnl.setLink({ index: await this.#index(bond), mtu });
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    await this.rtnl.setLink({ index: await this.#index(name), flags: up ? IFF_UP : 0, change: IFF_UP });
  }

  async addAddress(bond: string, cidr: string): Promise<void> {
    await this.rtnl.addAddress({ index: await this.#index(bond), address: cidr }, { replace: true });
  }

  /**
   * Adds a route without NLM_F_REPLACE unless the configuration asks for it: with REPLACE the
   * kernel would silently take over a route to the same destination and metric through another
   * interface (the default route DHCP gave eth0), which can cut the host off. EEXIST says so.
   */
  async addRoute(bond: string, route: RouteSpec): Promise<void> {
    const index = await this.#index(bond);
    const add = (replace: boolean) =>
      this.rtnl.addRoute(
        { dst: route.to, oif: index, ...(route.via ? { gateway: route.via } : {}), ...(route.metric !== undefined ? { priority: route.metric } : {}) },
        { replace },
      );
    try {
      await add(route.replace === true);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      // The route in the way is on this bond (a changed gateway): that one is ours to replace.
      if (await this.#routeInWayIsOn(index, route)) return add(true);
      const what = `route ${route.to}${route.via ? ` via ${route.via}` : ''}${route.metric !== undefined ? ` metric ${route.metric}` : ''}`;
      throw Object.assign(
        new Error(`${bond}: ${what}: a route to ${route.to} with this metric already exists and bondd did not make it; bondd does not replace it. Give this route another metric, remove the other one, or set replace: true on it under routes:`),
        { cause: error, code: 'EEXIST' },
      );
    }
  }

  async #routeInWayIsOn(index: number, route: RouteSpec): Promise<boolean> {
    const family = route.to.includes(':') ? AF_INET6 : AF_INET;
    const routes = await this.rtnl.getRoutes({ family });
    const isDefault = route.to === '0.0.0.0/0' || route.to === '::/0';
    const same = routes.filter((r) => (isDefault ? r.dst === 'default' : canonicalNetwork(r.dst) === route.to) && (r.priority ?? 0) === (route.metric ?? (family === AF_INET6 ? 1024 : 0)));
    return same.length > 0 && same.every((r) => r.oif === index);
  }

  async createVlan(device: string, link: string, id: number, alias: string): Promise<void> {
    await this.rtnl.createLink({ name: device, kind: 'vlan', infoData: vlanInfoData(id), extra: [u32(IFLA_LINK, await this.#index(link))] });
    await this.#mark(device, alias);
  }

  /** The kernel ignores IFLA_IFALIAS when creating a link (only do_setlink applies it). */
  async #mark(device: string, alias: string): Promise<void> {
    await this.rtnl.setLink({ name: device, extra: [str(IFLA_IFALIAS, alias)] });
  }

  async createBridge(device: string, settings: { stp?: boolean; forwardDelay?: number }, alias: string): Promise<void> {
    // A new bridge has STP off, so any forward delay is accepted before STP is switched on.
    await this.rtnl.createLink({ name: device, kind: 'bridge', infoData: bridgeInfoData(settings) });
    await this.#mark(device, alias);
  }

  async setBridge(device: string, settings: { stp?: boolean; forwardDelay?: number }): Promise<void> {
    const index = await this.#index(device);
    // The kernel applies IFLA_BR_FORWARD_DELAY before IFLA_BR_STP_STATE and range-checks the
    // delay against the STP state it finds: switch STP off first when lowering the delay under 2 s.
    if (settings.stp === false && settings.forwardDelay !== undefined) {
      await this.rtnl.setLink({ index, kind: 'bridge', infoData: bridgeInfoData({ stp: false }) });
      await this.rtnl.setLink({ index, kind: 'bridge', infoData: bridgeInfoData({ forwardDelay: settings.forwardDelay }) });
      return;
    }
    await this.rtnl.setLink({ index, kind: 'bridge', infoData: bridgeInfoData(settings) });
  }

  async setMaster(device: string, master: string | null): Promise<void> {
    await this.rtnl.setLink({ index: await this.#index(device), master: master === null ? 0 : await this.#index(master) });
  }

  async deleteLink(device: string): Promise<void> {
    await this.rtnl.deleteLink(await this.#index(device));
  }

  async setDevconf(device: string, key: DevconfKey, value: number): Promise<void> {
    await writeDevconf(device, key, value, this.netnsPath);
  }

  async removeAddress(bond: string, cidr: string): Promise<void> {
    await this.rtnl.deleteAddress({ index: await this.#index(bond), address: cidr });
  }

  async removeRoute(bond: string, route: RouteSpec): Promise<void> {
    await this.rtnl.deleteRoute({ dst: route.to, oif: await this.#index(bond), ...(route.via ? { gateway: route.via } : {}), ...(route.metric !== undefined ? { priority: route.metric } : {}) });
  }

  async close(): Promise<void> {
    for (const backend of this.#backends.values()) await backend.close();
    this.rtnl.close();
  }
}

function canonicalCidr(text: string): string | null {
  const c = parseCidr(text);
  return typeof c === 'string' ? null : c.text;
}

function canonicalNetwork(text: string): string | null {
  const c = parseCidr(text);
  return typeof c === 'string' ? null : networkOf(c);
}

/** Sets `driver` from /sys/class/net/<if>/device/driver (a link to /sys/bus/.../drivers/<name>). */
async function nicDriver(i: ObservedInterface): Promise<void> {
  if (!/^[^/\0]{1,15}$/.test(i.name) || i.name === '.' || i.name === '..') return;
  const target = await readlink(`/sys/class/net/${i.name}/device/driver`);
  i.driver = target.slice(target.lastIndexOf('/') + 1);
}

function observedInterface(l: LinkMessage, byIndex: Map<number, LinkMessage>): ObservedInterface {
  return {
    name: l.name,
    index: l.index,
    // An enslaved NIC carries the bond's MAC; its own is in the slave data.
    permMac: l.bondSlave?.permHwaddr ?? l.permAddress ?? (l.master === undefined ? l.address ?? null : null),
    master: l.master !== undefined ? byIndex.get(l.master)?.name ?? null : null,
    up: l.up,
    kind: l.kind ?? null,
    mtu: l.mtu,
    carrier: l.lowerUp,
    ...(l.vlan ? { vlan: { id: l.vlan.id, link: l.link !== undefined ? byIndex.get(l.link)?.name ?? null : null } } : {}),
    ...(l.bridge ? { bridge: { stp: l.bridge.stp, forwardDelay: l.bridge.forwardDelay } } : {}),
    ...(l.ifalias !== undefined ? { alias: l.ifalias } : {}),
    ...(l.inet6 ? { inet6: { acceptRa: l.inet6.acceptRa, disableIpv6: l.inet6.disableIpv6 } } : {}),
  };
}
