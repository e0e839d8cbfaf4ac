/**
 * The observed stack of a bond turned back into configuration: what rollback plans towards
 * (executor.ts restore) so that a failed apply puts back exactly the VLANs, bridges, MTUs, STP
 * settings, accept_ra and addresses/routes of every layer it found.
 */
import type { BridgeSpec, DesiredBond, IpConfig, VlanSpec } from '../config/types.js';
import type { ObservedHost, ObservedInterface } from './observed.js';

function ipOf(host: ObservedHost, i: ObservedInterface): IpConfig {
  return {
    addresses: host.addresses.get(i.name) ?? [],
    routes: host.routes.get(i.name) ?? [],
    // accept_ra is only written back when IPv6 is on: a bridge port's setting is the planner's.
    ...(i.inet6 && i.inet6.disableIpv6 === 0 ? { acceptRa: i.inet6.acceptRa > 0 } : {}),
  };
}

function bridgeAbove(host: ObservedHost, port: ObservedInterface): BridgeSpec | undefined {
  const br = port.master ? host.interfaces.find((i) => i.name === port.master && i.kind === 'bridge') : undefined;
  if (!br) return undefined;
  return {
    name: br.name,
    ...(br.bridge ? { stp: br.bridge.stp, forwardDelay: br.bridge.forwardDelay } : {}),
    ...(br.mtu !== undefined ? { mtu: br.mtu } : {}),
    ...ipOf(host, br),
  };
}

/** The VLANs on `bond` and the bridges on it or them, as the kernel has them now. */
export function snapshotStack(host: ObservedHost, bond: string): Pick<DesiredBond, 'vlans' | 'bridge'> {
  const vlans: VlanSpec[] = host.interfaces
    .filter((i) => i.kind === 'vlan' && i.vlan?.link === bond)
    .map((i) => {
      const bridge = bridgeAbove(host, i);
      return {
        id: i.vlan!.id,
        name: i.name,
        ...(i.mtu !== undefined ? { mtu: i.mtu } : {}),
        ...(bridge ? { addresses: [], routes: [], bridge } : ipOf(host, i)),
      };
    });
  const self = host.interfaces.find((i) => i.name === bond);
  const bridge = self ? bridgeAbove(host, self) : undefined;
  return { ...(vlans.length ? { vlans } : {}), ...(bridge ? { bridge } : {}) };
}

/** Every device of a configured stack, bottom up: the bond, its VLANs, the bridges. */
export function stackDevices(bond: Pick<DesiredBond, 'name' | 'vlans' | 'bridge'>): string[] {
  const out = [bond.name];
  for (const v of bond.vlans ?? []) out.push(v.name);
  if (bond.bridge) out.push(bond.bridge.name);
  for (const v of bond.vlans ?? []) if (v.bridge) out.push(v.bridge.name);
  return out;
}
