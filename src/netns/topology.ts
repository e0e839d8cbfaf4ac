/**
 * A lab network made of namespaces: a "host" namespace whose NICs are veth ends, and a "switch"
 * namespace holding their peers ("ports") on a bridge. Optionally a "partner" bond can be built
 * in the switch namespace instead of a bridge (802.3ad tests), which is why the bridge is optional.
 *
 *   host ns                      switch ns
 *   eth0 ───────── veth ───────── port0 ─┐
 *   eth1 ───────── veth ───────── port1 ─┴─ sw0 (bridge) 192.0.2.254/24, 2001:db8::254/64
 *
 * Fault injection works on the switch side, the way a pulled cable or a dead switch port looks to
 * the host: setting a port down drops the NIC's carrier (veth reports the peer's state as carrier).
 */
import { Namespace } from './namespace.js';

export interface TopologyOptions {
  /** Number of NICs (veth pairs). Default 2. */
  nics?: number;
  /** Build the sw0 bridge over the ports and give it switchAddresses. Default true. */
  bridge?: boolean;
  /** Addresses on the switch bridge. Default 192.0.2.254/24 and 2001:db8::254/64. */
  switchAddresses?: string[];
  /** Leave host-side NICs down (needed before enslaving them to a bond). Default true. */
  nicsDown?: boolean;
}

export interface Nic {
  /** Name in the host namespace, eth0.. */
  name: string;
  /** Name of the peer in the switch namespace, port0.. */
  port: string;
}

export const SWITCH_BRIDGE = 'sw0';
export const DEFAULT_SWITCH_ADDRESSES = ['192.0.2.254/24', '2001:db8::254/64'];

export class Topology {
  private constructor(
    readonly host: Namespace,
    readonly sw: Namespace,
    readonly nics: Nic[],
    readonly bridged: boolean,
  ) {}

  static async create(options: TopologyOptions = {}): Promise<Topology> {
    const count = options.nics ?? 2;
    if (!Number.isInteger(count) || count < 1 || count > 16) throw new RangeError(`nics must be 1..16, got ${count}`);
    const host = await Namespace.create('host');
    let sw: Namespace | undefined;
    try {
      sw = await Namespace.create('sw');
      const bridged = options.bridge ?? true;
      // Duplicate address detection would hold IPv6 addresses "tentative" for a second or more;
      // in a lab made of namespaces there is nobody to collide with.
      for (const ns of [host, sw]) {
        await ns.sysctl('net.ipv6.conf.all.accept_dad', '0').catch(() => undefined);
        await ns.sysctl('net.ipv6.conf.default.accept_dad', '0').catch(() => undefined);
      }
      if (bridged) {
        await sw.ip('link', 'add', SWITCH_BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
        await sw.ip('link', 'set', SWITCH_BRIDGE, 'up');
        for (const address of options.switchAddresses ?? DEFAULT_SWITCH_ADDRESSES) {
          await sw.ip('address', 'add', address, 'dev', SWITCH_BRIDGE, ...(address.includes(':') ? ['nodad'] : []));
        }
      }
      const topology = new Topology(host, sw, [], bridged);
      for (let i = 0; i < count; i++) await topology.addNic(options.nicsDown ?? true);
      return topology;
    } catch (error) {
      await sw?.destroy();
      await host.destroy();
      throw error;
    }
  }

  /** Adds one more NIC (e.g. to stand in for a NIC that appears late). */
  async addNic(leaveDown = true): Promise<Nic> {
    let i = 0;
    while (this.nics.some((n) => n.name === `eth${i}`)) i++;
    const nic = { name: `eth${i}`, port: `port${i}` };
    await this.host.ip('link', 'add', nic.name, 'type', 'veth', 'peer', 'name', nic.port, 'netns', this.sw.name);
    if (this.bridged) await this.sw.ip('link', 'set', nic.port, 'master', SWITCH_BRIDGE);
    await this.sw.ip('link', 'set', nic.port, 'up');
    if (!leaveDown) await this.host.ip('link', 'set', nic.name, 'up');
    this.nics.push(nic);
    return nic;
  }

  nic(name: string): Nic {
    const nic = this.nics.find((n) => n.name === name || n.port === name);
    if (!nic) throw new Error(`no NIC ${name} in this topology (have ${this.nics.map((n) => n.name).join(', ')})`);
    return nic;
  }

  /** Carrier loss on the NIC: its switch port goes down, like a pulled cable. */
  async cutCarrier(name: string): Promise<void> {
    await this.sw.ip('link', 'set', this.nic(name).port, 'down');
  }

  async restoreCarrier(name: string): Promise<void> {
    await this.sw.ip('link', 'set', this.nic(name).port, 'up');
  }

  /** The NIC disappears (hot unplug, driver unbind): both veth ends are deleted. */
  async deleteNic(name: string): Promise<void> {
    const nic = this.nic(name);
    await this.host.ip('link', 'del', nic.name);
    this.nics.splice(this.nics.indexOf(nic), 1);
  }

  /** Flaps the NIC's carrier `times` times, `intervalMs` between each edge. */
  async flap(name: string, times: number, intervalMs = 50): Promise<void> {
    if (!Number.isInteger(times) || times < 1 || times > 10_000) throw new RangeError(`flap times must be 1..10000, got ${times}`);
    for (let i = 0; i < times; i++) {
      await this.cutCarrier(name);
      await sleep(intervalMs);
      await this.restoreCarrier(name);
      if (i + 1 < times) await sleep(intervalMs);
    }
  }

  async destroy(): Promise<void> {
    await this.host.destroy();
    await this.sw.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
