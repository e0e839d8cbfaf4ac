/**
 * The topology kit for tests. The implementation lives in src/netns (the failover drill ships
 * it); this entry adds what tests need on top: a topology that is always destroyed after the
 * test file, even when a test fails.
 */
import { afterAll } from 'vitest';
import { Topology, type TopologyOptions } from '../../src/netns/topology.js';
import { Namespace } from '../../src/netns/namespace.js';

export { Topology, type TopologyOptions, type Nic, sleep, SWITCH_BRIDGE } from '../../src/netns/topology.js';
export { Namespace, runCommand, sweepStaleNamespaces, CommandError } from '../../src/netns/namespace.js';

const created: Array<{ destroy(): Promise<void> }> = [];
afterAll(async () => {
  for (const item of created.splice(0).reverse()) await item.destroy().catch(() => undefined);
});

/** A topology removed automatically in afterAll of the calling test file. */
export async function useTopology(options?: TopologyOptions): Promise<Topology> {
  const topology = await Topology.create(options);
  created.push(topology);
  return topology;
}

/** A bare namespace removed automatically in afterAll of the calling test file. */
export async function useNamespace(role: string): Promise<Namespace> {
  const ns = await Namespace.create(role);
  created.push(ns);
  return ns;
}

/** Polls `check` until it returns a truthy value (which it resolves to) or the time runs out. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 5000, stepMs = 20): Promise<Exclude<T, null | undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, null | undefined | false>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
