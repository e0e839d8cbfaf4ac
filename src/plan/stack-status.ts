/**
 * The layers above a bond as status shows them: VLANs on the bond, the bridge on the bond or on
 * a VLAN, each with admin state, carrier, MTU, static addresses, DHCP/SLAAC lease addresses and
 * (for bridges) every port, including ports bondd does not manage (VM taps). Built from one
 * observation (ObservedHost), so it works for any bond, configured or not.
 *
 * This shape is part of `bondctl status --json` (docs/cli.md): add fields, never rename.
 */
import type { ObservedHost, ObservedInterface } from './observed.js';

export interface LayerView {
  name: string;
  kind: 'vlan' | 'bridge';
  up: boolean;
  carrier: boolean;
  mtu: number | null;
  /** Static (permanent) global addresses. */
  addresses: string[];
  /** Addresses with a lifetime: DHCP leases and SLAAC. */
  lease: string[];
  /** bondd created it (alias bondd:<bond>). */
  managed: boolean;
}

export interface BridgeLayerView extends LayerView {
  kind: 'bridge';
  stp: boolean | null;
  forwardDelay: number | null;
  /** Every port of the bridge, the stack's own first. */
  ports: string[];
}

export interface VlanLayerView extends LayerView {
  kind: 'vlan';
  id: number;
  bridge: BridgeLayerView | null;
}

export interface StackView {
  vlans: VlanLayerView[];
  /** The bridge the bond itself is a port of. */
  bridge: BridgeLayerView | null;
}

function layer(host: ObservedHost, i: ObservedInterface, bond: string): LayerView {
  return {
    name: i.name,
    kind: i.kind === 'bridge' ? 'bridge' : 'vlan',
    up: i.up,
    carrier: i.carrier ?? false,
    mtu: i.mtu ?? null,
    addresses: host.addresses.get(i.name) ?? [],
    lease: host.leases?.get(i.name) ?? [],
    managed: i.alias === `bondd:${bond}`,
  };
}

function bridgeOf(host: ObservedHost, port: ObservedInterface | undefined, bond: string): BridgeLayerView | null {
  const br = port?.master ? host.interfaces.find((i) => i.name === port.master && i.kind === 'bridge') : undefined;
  if (!br || !port) return null;
  const others = host.interfaces.filter((i) => i.master === br.name && i.name !== port.name).map((i) => i.name).sort();
  return {
    ...layer(host, br, bond),
    kind: 'bridge',
    stp: br.bridge?.stp ?? null,
    forwardDelay: br.bridge?.forwardDelay ?? null,
    ports: [port.name, ...others],
  };
}

export function stackView(host: ObservedHost, bond: string): StackView {
  const vlans = host.interfaces
    .filter((i) => i.kind === 'vlan' && i.vlan?.link === bond)
    .sort((a, b) => a.vlan!.id - b.vlan!.id)
    .map((i): VlanLayerView => ({ ...layer(host, i, bond), kind: 'vlan', id: i.vlan!.id, bridge: bridgeOf(host, i, bond) }));
  return { vlans, bridge: bridgeOf(host, host.interfaces.find((i) => i.name === bond), bond) };
}

/** Every layer of a stack view, flat (metrics). */
export function stackLayers(view: StackView, bond: string): Array<{ bond: string; layer: string; kind: 'vlan' | 'bridge'; up: boolean; carrier: boolean; leaseAddresses: number }> {
  const all: LayerView[] = [...(view.bridge ? [view.bridge] : []), ...view.vlans.flatMap((v) => [v, ...(v.bridge ? [v.bridge] : [])])];
  return all.map((l) => ({ bond, layer: l.name, kind: l.kind, up: l.up, carrier: l.carrier, leaseAddresses: l.lease.length }));
}
