/**
 * The lab of the stack guest tests: a partner 802.3ad bond `lag0` in the switch namespace with
 * tagged VLANs 10, 20, 30, 40 on it, and the checks the tests share (bounded pings per layer,
 * routes and a settled snapshot of links, addresses and routes).
 */
import { existsSync } from 'node:fs';
import { type Namespace, waitFor } from '../../netns/index.js';
import { addressSnapshot, linkSnapshot, runIn } from './daemon-harness.js';

const PING = existsSync('/usr/bin/busybox') || existsSync('/bin/busybox') ? ['busybox', 'ping'] : ['ping'];

export async function ping(ns: Namespace, address: string): Promise<boolean> {
  const argv = address.includes(':') ? [...PING, '-6'] : [...PING];
  return (await runIn(ns, [...argv, '-q', '-c', '1', '-W', '2', address], { timeoutMs: 15_000 })).code === 0;
}

export const TARGETS = ['192.0.2.1', '192.0.2.200', '2001:db8:a::1', '198.51.100.1'];

/** Every layer passes traffic (bounded: at most `ms` per target, one ping at a time). */
export async function allLayersPass(ns: Namespace, ms = 60_000): Promise<void> {
  for (const t of TARGETS) await waitFor(() => ping(ns, t), `ping ${t}`, ms, 250);
}

export async function routesOf(ns: Namespace, dev: string): Promise<string[]> {
  const r4 = await ns.ipJson<Array<{ dst: string; gateway?: string }>>('-4', 'route', 'show', 'dev', dev);
  const r6 = await ns.ipJson<Array<{ dst: string; gateway?: string }>>('-6', 'route', 'show', 'dev', dev);
  return [...r4, ...r6].map((r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}`).sort();
}

export interface StackState {
  links: Awaited<ReturnType<typeof linkSnapshot>>;
  addresses: Record<string, string[]>;
  routes: string[];
}

/** What the stack looks like: links (ip -d, counters aside), global addresses, main routes. */
export async function stackState(ns: Namespace): Promise<StackState> {
  const links = await linkSnapshot(ns);
  for (const l of Object.values(links)) {
    // LACP port states and aggregator details move while the partner renegotiates.
    const sd = l.linkinfo?.info_slave_data as Record<string, unknown> | undefined;
    if (sd) for (const k of Object.keys(sd)) if (k.startsWith('ad_')) delete sd[k];
    const d = l.linkinfo?.info_data as Record<string, unknown> | undefined;
    if (d && l.linkinfo?.info_kind === 'bond') delete d['ad_info'];
    // STP dynamics, not configuration: timers run on their own, and a port that went through
    // listening/learning under STP leaves a topology change flagged until its timer (max_age +
    // forward_delay, ~24 s) expires, also after STP is off again. stp_state and forward_delay
    // themselves stay compared.
    for (const data of [d, sd]) {
      if (!data) continue;
      for (const k of Object.keys(data)) if (k.endsWith('_timer') || k.startsWith('topology_change') || k === 'config_pending') delete data[k];
    }
  }
  const all = [...(await ns.ipJson<Array<Record<string, unknown>>>('-4', 'route', 'show', 'table', 'main')), ...(await ns.ipJson<Array<Record<string, unknown>>>('-6', 'route', 'show', 'table', 'main'))];
  return { links, addresses: await addressSnapshot(ns), routes: all.map((r) => JSON.stringify(r)).sort() };
}

/** The stack is settled: bond and VLANs with carrier, operstates caught up. */
export async function settled(ns: Namespace): Promise<void> {
  await waitFor(async () => {
    for (const l of Object.values(await linkSnapshot(ns))) {
      if (l.ifname === 'lo' || !l.flags.includes('UP')) continue;
      if (!l.flags.includes('LOWER_UP')) return false;
      if (l.operstate !== 'UP' && l.operstate !== 'UNKNOWN') return false;
    }
    return true;
  }, 'the stack to settle', 60_000, 100);
}

export async function buildPartner(sw: Namespace): Promise<void> {
  await sw.ip('link', 'add', 'lag0', 'type', 'bond', 'mode', '802.3ad', 'miimon', '100', 'lacp_rate', 'fast', 'xmit_hash_policy', 'layer2+3');
  for (const port of ['port0', 'port1']) {
    await sw.ip('link', 'set', port, 'down');
    await sw.ip('link', 'set', port, 'master', 'lag0');
  }
  await sw.ip('link', 'set', 'lag0', 'up');
  for (const id of [10, 20, 30, 40]) {
    await sw.ip('link', 'add', 'link', 'lag0', 'name', `lag0.${id}`, 'type', 'vlan', 'id', String(id));
    await sw.ip('link', 'set', `lag0.${id}`, 'up');
  }
  await sw.ip('address', 'add', '192.0.2.1/25', 'dev', 'lag0.10');
  await sw.ip('address', 'add', '2001:db8:a::1/64', 'dev', 'lag0.10');
  await sw.ip('address', 'add', '192.0.2.200/32', 'dev', 'lo');
  await sw.ip('address', 'add', '198.51.100.1/24', 'dev', 'lag0.20');
  await sw.ip('address', 'add', '203.0.113.1/25', 'dev', 'lag0.40');
  await sw.ip('address', 'add', '203.0.113.129/25', 'dev', 'lag0.30');
}

