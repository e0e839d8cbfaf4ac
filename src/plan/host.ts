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
import type { BondBackend } from '../bond/backend.js';
import { openBackend } from '../backend/open-backend.js';
import { parseCidr, networkOf } from '../config/addr.js';
import type { BackendKind, RouteSpec } from '../config/types.js';
import { AF_INET6, IFF_UP } from '../netlink/constants.js';
import { Rtnl } from '../netlink/rtnl.js';
import { ensureBondingLoaded } from '../sysfs/module.js';
import type { HostOps } from './executor.js';
import type { ObservedHost, ObservedInterface } from './observed.js';

/** RT_SCOPE_UNIVERSE: addresses bondd manages (link-local ones belong to the kernel). */
const RT_SCOPE_UNIVERSE = 0;

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
    const interfaces: ObservedInterface[] = links
      .filter((l) => l.name !== 'lo')
      .map((l) => ({
        name: l.name,
        index: l.index,
        // An enslaved NIC carries the bond's MAC; its own is in the slave data.
        permMac: l.bondSlave?.permHwaddr ?? l.permAddress ?? (l.master === undefined ? l.address ?? null : null),
        master: l.master !== undefined ? byIndex.get(l.master)?.name ?? null : null,
        up: l.up,
        kind: l.kind ?? null,
      }));
    const host: ObservedHost = {
      bondingAvailable: existsSync('/sys/module/bonding') || links.some((l) => l.kind === 'bond'),
      bonds: new Map(),
      interfaces,
      addresses: new Map(),
      routes: new Map(),
    };
    const bondLinks = links.filter((l) => l.kind === 'bond');
    if (bondLinks.length === 0) return host;
    const reader = this.backend('netlink');
    const [addresses, routes] = await Promise.all([this.rtnl.getAddresses(), this.rtnl.getRoutes()]);
    for (const link of bondLinks) {
      const bond = await reader.readBond(link.name);
      if (!bond) continue;
      host.bonds.set(link.name, bond);
      host.addresses.set(
        link.name,
        addresses
          .filter((a) => a.index === link.index && a.scope === RT_SCOPE_UNIVERSE)
          .map((a) => canonicalCidr(`${a.local ?? a.address}/${a.prefixlen}`))
          .filter((a): a is string => a !== null),
      );
      host.routes.set(
        link.name,
        routes
          .filter((r) => r.oif === link.index && (r.gateway !== undefined || r.dst !== 'default'))
          .filter((r) => r.protocol !== 2 /* RTPROT_KERNEL: prefix routes the kernel adds for addresses */)
          .map((r): RouteSpec => ({
            to: r.dst === 'default' ? (r.family === AF_INET6 ? '::/0' : '0.0.0.0/0') : canonicalNetwork(r.dst) ?? r.dst,
            ...(r.gateway ? { via: r.gateway } : {}),
            ...(r.priority !== undefined ? { metric: r.priority } : {}),
          })),
      );
    }
    return host;
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

  async addRoute(bond: string, route: RouteSpec): Promise<void> {
    await this.rtnl.addRoute(
      { dst: route.to, oif: await this.#index(bond), ...(route.via ? { gateway: route.via } : {}), ...(route.metric !== undefined ? { priority: route.metric } : {}) },
      { replace: true },
    );
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
