/**
 * Planning the layers above a bond: its VLANs, the bridge on the bond or on a VLAN, and the IP
 * configuration of every layer. Pure, like planner.ts, which calls it per bond.
 *
 * Order: devices are built bond → VLANs → bridges (ports enslaved) → device settings → up →
 * addresses → routes, and torn down in reverse (bridges before the VLANs they sit on). Only
 * devices bondd created (marked with the alias `bondd:<bond>`) or that the configuration names
 * are ever deleted; anything else on the bond (a VLAN another tool made, a tap port in a
 * bridge) is left alone.
 *
 * Kernel behaviour this encodes:
 * - a VLAN's id and lower device are fixed at creation (vlan_changelink ignores IFLA_VLAN_ID):
 *   a VLAN with the configured name but another id or lower device is deleted and re-created;
 * - a VLAN cannot be opened while its lower device is down (vlan_dev_open: ENETDOWN), so VLANs
 *   come up after the bond;
 * - taking the bond down closes every VLAN on it (vlan_device_event NETDEV_DOWN) and opens them
 *   again when the bond comes back up (NETDEV_UP). While closed, a VLAN loses its IPv4 routes
 *   (fib_disable_ip) and its IPv6 addresses and routes (addrconf_ifdown); its IPv4 addresses
 *   stay. A bridge on the bond or a VLAN stays up (only its port is disabled) and keeps its own.
 *   What a VLAN had is put back after the bond is up again, configured or not (VIPs, routes
 *   other tools added), as planner.ts does for the bond itself;
 * - a bridge port's frames belong to the bridge, so a port carries no addresses; bondd sets
 *   disable_ipv6=1 on the ports it enslaves so they grow no link-local or SLAAC addresses;
 * - with STP on the kernel refuses a forward delay outside 2..30 s; the kernel applies the
 *   forward delay before the STP state within one request, so the executor turns STP off before
 *   lowering the delay.
 */
import type { DesiredBond, IpConfig, RouteSpec } from '../config/types.js';
import type { ObservedHost, ObservedInterface } from './observed.js';

export type DevconfKey = 'accept_ra' | 'disable_ipv6';

export type StackAction =
  | { op: 'create-vlan'; device: string; id: number; link: string }
  | { op: 'create-bridge'; device: string; stp?: boolean; forwardDelay?: number }
  | { op: 'set-bridge'; device: string; stp?: boolean; forwardDelay?: number }
  | { op: 'set-link-mtu'; device: string; mtu: number }
  | { op: 'set-master'; device: string; master: string | null }
  | { op: 'set-link-up'; device: string }
  | { op: 'set-devconf'; device: string; key: DevconfKey; value: number }
  | { op: 'delete-link'; device: string };

/** The alias bondd gives the VLANs and bridges it creates for `bond` (IFLA_IFALIAS). */
export function stackMarker(bond: string): string {
  return `bondd:${bond}`;
}

/** One device of a bond's stack with IP configuration of its own (not a bridge port). */
export interface IpLayer {
  device: string;
  kind: 'bond' | 'vlan' | 'bridge';
  ip: IpConfig;
}

/** A bridge of the stack with the device that is its port. */
export interface StackBridge {
  port: string;
  spec: NonNullable<DesiredBond['bridge']>;
}

export function stackBridges(bond: DesiredBond): StackBridge[] {
  const out: StackBridge[] = [];
  if (bond.bridge) out.push({ port: bond.name, spec: bond.bridge });
  for (const v of bond.vlans ?? []) if (v.bridge) out.push({ port: v.name, spec: v.bridge });
  return out;
}

/** The layers above the bond that carry IP configuration: VLANs that are not bridge ports, and bridges. */
export function upperIpLayers(bond: DesiredBond): IpLayer[] {
  const out: IpLayer[] = [];
  for (const v of bond.vlans ?? []) {
    if (v.bridge) out.push({ device: v.bridge.name, kind: 'bridge', ip: v.bridge });
    else out.push({ device: v.name, kind: 'vlan', ip: v });
  }
  if (bond.bridge) out.push({ device: bond.bridge.name, kind: 'bridge', ip: bond.bridge });
  return out;
}

/** Steps of one kind of work, in the phase order the planner concatenates across bonds. */
export interface StackPhases {
  teardown: StackStep[];
  devices: StackStep[];
  up: StackStep[];
  addresses: StackStep[];
  routes: StackStep[];
}

/** A stack step before planner.ts adds the bond name; addresses/routes use planner.ts's own ops. */
export type StackStep =
  | (StackAction & { impact: 'none' | 'brief' | 'outage'; reason: string })
  | { op: 'add-address'; device: string; address: string; impact: 'none'; reason: string }
  | { op: 'add-route'; device: string; route: RouteSpec; impact: 'none'; reason: string };

export interface StackContext {
  /** The bond is taken down by this plan while it should stay up (its VLANs lose what planner.ts restores). */
  bondCycled: boolean;
  /** The bond is (or will be) up at the end of the plan: VLANs can only be up then. */
  bondUp: boolean;
  problems: string[];
}

export function sameRoute(a: RouteSpec, b: RouteSpec): boolean {
  return a.to === b.to && (a.via ?? '') === (b.via ?? '') && (b.metric === undefined || a.metric === b.metric);
}

export function routeText(route: RouteSpec): string {
  return `route ${route.to}${route.via ? ` via ${route.via}` : ''}`;
}

/** Plans the stack of one bond. */
export function planStack(desired: DesiredBond, host: ObservedHost, ctx: StackContext): StackPhases {
  const out: StackPhases = { teardown: [], devices: [], up: [], addresses: [], routes: [] };
  const links = new Map(host.interfaces.map((i) => [i.name, i]));
  const fresh = new Set<string>(); // devices this plan creates (or re-creates)
  teardown(desired, host, links, out, fresh, ctx);
  planVlans(desired, links, out, fresh, ctx);
  planBridges(desired, links, out, fresh, ctx);
  for (const layer of upperIpLayers(desired)) planLayerIp(layer, host, links.get(layer.device), out, fresh, ctx);
  // The bond's own addresses and routes are planner.ts's; its accept_ra is set here like any layer's,
  // also on a bond this plan creates (the kernel gives a new device the `default` value, accept_ra 1).
  const self = links.get(desired.name);
  const raDiffers = !self || (self.kind === 'bond' && (self.inet6 === undefined || (self.inet6.acceptRa > 0) !== desired.acceptRa));
  if (desired.acceptRa !== undefined && desired.dhcp !== 'ipv6' && desired.dhcp !== 'both' && raDiffers) {
    out.devices.push({ op: 'set-devconf', device: desired.name, key: 'accept_ra', value: desired.acceptRa ? 1 : 0, impact: 'none', reason: `accept_ra ${self ? (self.inet6?.acceptRa ?? '?') : '(new)'} → ${desired.acceptRa ? 1 : 0}` });
  }
  return out;
}

/** Devices bondd made for this bond that the configuration no longer has; misnamed VLANs. */
function teardown(desired: DesiredBond, host: ObservedHost, links: Map<string, ObservedInterface>, out: StackPhases, fresh: Set<string>, ctx: StackContext): void {
  const marker = stackMarker(desired.name);
  const wantBridges = new Set(stackBridges(desired).map((b) => b.spec.name));
  const wantVlans = new Map((desired.vlans ?? []).map((v) => [v.name, v]));
  // Bridges first: deleting a bridge releases its ports, so the VLANs under it can go next.
  for (const i of host.interfaces) {
    if (i.kind === 'bridge' && i.alias === marker && !wantBridges.has(i.name)) {
      out.teardown.push({ op: 'delete-link', device: i.name, impact: 'outage', reason: `bridge ${i.name} was created by bondd for ${desired.name} and is no longer configured` });
    }
  }
  for (const i of host.interfaces) {
    if (i.kind !== 'vlan' || i.vlan?.link !== desired.name) continue;
    const want = wantVlans.get(i.name);
    if (!want && i.alias === marker) {
      out.teardown.push({ op: 'delete-link', device: i.name, impact: 'outage', reason: `VLAN ${i.name} was created by bondd for ${desired.name} and is no longer configured` });
    }
  }
  for (const v of desired.vlans ?? []) {
    const i = links.get(v.name);
    if (!i) continue;
    if (i.kind !== 'vlan') {
      ctx.problems.push(`${desired.name}: ${v.name} exists as ${i.kind ? `a ${i.kind} device` : 'a network interface'}, not a VLAN; bondd does not replace it`);
      continue;
    }
    if (i.vlan?.id !== v.id || i.vlan.link !== desired.name) {
      out.teardown.push({
        op: 'delete-link',
        device: v.name,
        impact: 'outage',
        reason: `${v.name} is VLAN ${i.vlan?.id ?? '?'} on ${i.vlan?.link ?? '?'}, configured as VLAN ${v.id} on ${desired.name}: re-created (the kernel cannot change a VLAN's id or lower device)`,
      });
      fresh.add(v.name);
    }
  }
  for (const b of stackBridges(desired)) {
    const i = links.get(b.spec.name);
    if (i && i.kind !== 'bridge') ctx.problems.push(`${desired.name}: ${b.spec.name} exists as ${i.kind ? `a ${i.kind} device` : 'a network interface'}, not a bridge; bondd does not replace it`);
  }
}

function planVlans(desired: DesiredBond, links: Map<string, ObservedInterface>, out: StackPhases, fresh: Set<string>, ctx: StackContext): void {
  for (const v of desired.vlans ?? []) {
    const i = links.get(v.name);
    if (i && i.kind !== 'vlan') continue; // a problem (teardown)
    const create = !i || fresh.has(v.name);
    if (create) {
      out.devices.push({ op: 'create-vlan', device: v.name, id: v.id, link: desired.name, impact: 'none', reason: `VLAN ${v.id} on ${desired.name} is configured` });
      fresh.add(v.name);
    }
    if (v.mtu !== undefined && (create || i!.mtu !== v.mtu)) {
      out.devices.push({ op: 'set-link-mtu', device: v.name, mtu: v.mtu, impact: create ? 'none' : 'brief', reason: `MTU ${create ? '(new VLAN)' : i!.mtu} → ${v.mtu}` });
    }
    // A VLAN opens only on an up bond; on a cycled bond the kernel re-opens it by itself.
    if (ctx.bondUp && (create || (!i!.up && !ctx.bondCycled))) out.up.push({ op: 'set-link-up', device: v.name, impact: 'none', reason: `${v.name} is configured up` });
  }
}

function planBridges(desired: DesiredBond, links: Map<string, ObservedInterface>, out: StackPhases, fresh: Set<string>, ctx: StackContext): void {
  for (const { port, spec } of stackBridges(desired)) {
    const i = links.get(spec.name);
    if (i && i.kind !== 'bridge') continue; // a problem (teardown)
    const settings = { ...(spec.stp !== undefined ? { stp: spec.stp } : {}), ...(spec.forwardDelay !== undefined ? { forwardDelay: spec.forwardDelay } : {}) };
    if (!i) {
      out.devices.push({ op: 'create-bridge', device: spec.name, ...settings, impact: 'none', reason: `bridge ${spec.name} on ${port} is configured` });
      fresh.add(spec.name);
    } else {
      const diff: string[] = [];
      if (spec.stp !== undefined && i.bridge && i.bridge.stp !== spec.stp) diff.push(`stp ${i.bridge.stp ? 'on' : 'off'} → ${spec.stp ? 'on' : 'off'}`);
      if (spec.forwardDelay !== undefined && i.bridge && Math.abs(i.bridge.forwardDelay - spec.forwardDelay) > 0.005) diff.push(`forward_delay ${i.bridge.forwardDelay} → ${spec.forwardDelay}`);
      if (diff.length) out.devices.push({ op: 'set-bridge', device: spec.name, ...settings, impact: 'brief', reason: `${spec.name} ${diff.join(', ')}` });
    }
    const portNow = fresh.has(port) ? undefined : links.get(port);
    if (portNow?.master !== spec.name) {
      out.devices.push({ op: 'set-master', device: port, master: spec.name, impact: 'brief', reason: `${port} is configured as a port of ${spec.name}${portNow?.master ? ` (now in ${portNow.master})` : ''}` });
    }
    if (portNow?.inet6?.disableIpv6 !== 1) {
      out.devices.push({ op: 'set-devconf', device: port, key: 'disable_ipv6', value: 1, impact: 'none', reason: `${port} is a bridge port: no IPv6 addresses of its own` });
    }
    if (spec.mtu !== undefined && (!i || i.mtu !== spec.mtu)) {
      out.devices.push({ op: 'set-link-mtu', device: spec.name, mtu: spec.mtu, impact: i ? 'brief' : 'none', reason: `MTU ${i?.mtu ?? '(new bridge)'} → ${spec.mtu}` });
    }
    if (!i || !i.up) out.up.push({ op: 'set-link-up', device: spec.name, impact: 'none', reason: `${spec.name} is configured up` });
  }
}

function wantsIpv6(ip: IpConfig): boolean {
  return ip.addresses.some((a) => a.includes(':')) || ip.dhcp === 'ipv6' || ip.dhcp === 'both' || ip.acceptRa === true || ip.gateway?.v6 !== undefined;
}

/** accept_ra and disable_ipv6, then addresses and routes of one VLAN or bridge. */
function planLayerIp(layer: IpLayer, host: ObservedHost, now: ObservedInterface | undefined, out: StackPhases, fresh: Set<string>, ctx: StackContext): void {
  const { device, ip } = layer;
  const isNew = fresh.has(device) || !now;
  const inet6 = isNew ? undefined : now.inet6;
  // A device that was a bridge port before has IPv6 switched off; it needs it back for IPv6 work.
  if (inet6?.disableIpv6 === 1 && wantsIpv6(ip)) {
    out.devices.push({ op: 'set-devconf', device, key: 'disable_ipv6', value: 0, impact: 'none', reason: `${device} carries IPv6 configuration` });
  }
  // With DHCPv6 dhcpcd handles router advertisements itself and switches the kernel's off.
  const dhcpOwnsRa = ip.dhcp === 'ipv6' || ip.dhcp === 'both';
  if (ip.acceptRa !== undefined && !dhcpOwnsRa && (isNew || inet6 === undefined || (inet6.acceptRa > 0) !== ip.acceptRa)) {
    out.devices.push({ op: 'set-devconf', device, key: 'accept_ra', value: ip.acceptRa ? 1 : 0, impact: 'none', reason: `accept_ra ${inet6 ? inet6.acceptRa : '(new)'} → ${ip.acceptRa ? 1 : 0}` });
  }
  const observedAddresses = isNew ? [] : host.addresses.get(device) ?? [];
  const observedRoutes = isNew ? [] : host.routes.get(device) ?? [];
  // Only a VLAN goes down with the bond; a bridge above keeps what it has.
  const cycled = ctx.bondCycled && layer.kind === 'vlan' && now?.up === true && !isNew;
  const haveAddresses = cycled ? observedAddresses.filter((a) => !a.includes(':')) : observedAddresses;
  const haveRoutes = cycled ? [] : observedRoutes;
  const why = cycled ? ` (the kernel drops it while ${device} is down with its bond)` : '';
  for (const address of ip.addresses) {
    if (!haveAddresses.includes(address)) out.addresses.push({ op: 'add-address', device, address, impact: 'none', reason: `address ${address} is configured${observedAddresses.includes(address) ? why : ''}` });
  }
  for (const address of observedAddresses) {
    if (!haveAddresses.includes(address) && !ip.addresses.includes(address)) out.addresses.push({ op: 'add-address', device, address, impact: 'none', reason: `address ${address} was there${why}` });
  }
  const wantRoutes: RouteSpec[] = [...ip.routes];
  if (ip.gateway?.v4) wantRoutes.unshift({ to: '0.0.0.0/0', via: ip.gateway.v4 });
  if (ip.gateway?.v6) wantRoutes.unshift({ to: '::/0', via: ip.gateway.v6 });
  for (const route of wantRoutes) {
    if (!haveRoutes.some((r) => sameRoute(r, route))) {
      out.routes.push({ op: 'add-route', device, route, impact: 'none', reason: `${routeText(route)} is configured${observedRoutes.some((r) => sameRoute(r, route)) ? why : ''}` });
    }
  }
  if (cycled) {
    for (const route of observedRoutes) {
      if (!wantRoutes.some((w) => sameRoute(route, w))) out.routes.push({ op: 'add-route', device, route, impact: 'none', reason: `${routeText(route)} was there${why}` });
    }
  }
}
