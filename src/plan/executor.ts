/**
 * The executor: runs a plan, verifies the result by reading the kernel back, and restores the
 * state it found when anything fails.
 *
 * Verification is re-planning: after the steps ran, the kernel is observed again and planned
 * against the same configuration. Any step left over is something the kernel did not take
 * (it silently ignores some inputs, rounds delays, or an option got reset as a side effect), and
 * counts as a failure.
 *
 * Rollback is planning too: the observed state from before the apply is turned back into a
 * configuration (snapshotConfig) and applied the same way, bonds created by the failed apply
 * are deleted, and NICs that were up and free before are brought up again (the kernel closes a
 * released slave).
 */
import type { BondBackend, ObservedBond } from '../bond/backend.js';
import type { OptionValue } from '../bond/option-types.js';
import { findOption, findSlaveOption, isOptionSupported } from '../bond/options.js';
import type { BackendKind, DesiredBond, DesiredConfig, RouteSpec } from '../config/types.js';
import type { ObservedHost } from './observed.js';
import { describeStep, plan, type Plan, type Step } from './planner.js';
import { type DevconfKey, stackMarker } from './stack-planner.js';
import { snapshotStack, stackDevices } from './stack-snapshot.js';

/** What the executor needs from the host: observation plus the operations no backend covers. */
export interface HostOps {
  observe(): Promise<ObservedHost>;
  backend(kind: BackendKind): BondBackend;
  loadModule(): Promise<void>;
  setMac(bond: string, mac: string): Promise<void>;
  setMtu(bond: string, mtu: number): Promise<void>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  addAddress(bond: string, cidr: string): Promise<void>;
  addRoute(bond: string, route: RouteSpec): Promise<void>;
  /** The bond's stack (VLANs, bridges): see src/plan/stack-planner.ts. `alias` marks what bondd created. */
  createVlan?(device: string, link: string, id: number, alias: string): Promise<void>;
  createBridge?(device: string, settings: { stp?: boolean; forwardDelay?: number }, alias: string): Promise<void>;
  setBridge?(device: string, settings: { stp?: boolean; forwardDelay?: number }): Promise<void>;
  setMaster?(device: string, master: string | null): Promise<void>;
  deleteLink?(device: string): Promise<void>;
  setDevconf?(device: string, key: DevconfKey, value: number): Promise<void>;
  /** Rollback only: take away what a failed apply added (the planner itself never removes addresses or routes). */
  removeAddress?(bond: string, cidr: string): Promise<void>;
  removeRoute?(bond: string, route: RouteSpec): Promise<void>;
}

export interface ApplyOptions {
  /**
   * Called before each step runs (logs, progress). The apply waits for a returned promise; a
   * throw or rejection stops it before that step, and what ran is rolled back.
   */
  onStep?(step: Step, index: number, total: number): void | Promise<void>;
  /** Run only the steps this accepts (and verify only those): used to enslave a late slave without touching anything else. */
  filter?(step: Step): boolean;
}

export interface ApplyResult {
  plan: Plan;
  executed: Step[];
  before: ObservedHost;
  after: ObservedHost;
}

export class ApplyError extends Error {
  constructor(
    message: string,
    readonly failedStep: Step | null,
    readonly rolledBack: boolean,
    readonly rollbackErrors: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApplyError';
  }
}

function backendKindOf(config: Pick<DesiredConfig, 'bonds'>, bond: string): BackendKind {
  return config.bonds.find((b) => b.name === bond)?.backend ?? 'sysfs';
}

/**
 * Splits options into those the chosen backend can write and those only netlink can (no sysfs
 * file: ns_ip6_target, coupled_control, prio, actor_port_prio). The option table says which.
 */
function splitNetlinkOnly(kind: BackendKind, options: Array<[string, OptionValue]>): [Array<[string, OptionValue]>, Array<[string, OptionValue]>] {
  if (kind === 'netlink') return [options, []];
  const own = options.filter(([n]) => (findOption(n) ?? findSlaveOption(n))?.sysfs !== null);
  const netlinkOnly = options.filter(([n]) => (findOption(n) ?? findSlaveOption(n))?.sysfs === null);
  return [own, netlinkOnly];
}

export async function runStep(step: Step, ops: HostOps, kind: BackendKind): Promise<void> {
  const backend = ops.backend(kind);
  switch (step.op) {
    case 'load-module': return ops.loadModule();
    case 'create': {
      const [own, netlinkOnly] = splitNetlinkOnly(kind, step.options);
      await backend.createBond(step.bond, step.mode, Object.fromEntries(own));
      if (netlinkOnly.length) await ops.backend('netlink').setOptions(step.bond, Object.fromEntries(netlinkOnly));
      return;
    }
    case 'set-down': return backend.setUp(step.bond, false);
    case 'set-up': return backend.setUp(step.bond, true);
    case 'set-mode': return backend.setOptions(step.bond, { mode: step.mode });
    case 'set-options': {
      const [own, netlinkOnly] = splitNetlinkOnly(kind, step.options);
      if (own.length) await backend.setOptions(step.bond, Object.fromEntries(own));
      if (netlinkOnly.length) await ops.backend('netlink').setOptions(step.bond, Object.fromEntries(netlinkOnly));
      return;
    }
    case 'set-mac': return ops.setMac(step.bond, step.mac);
    case 'set-mtu': return ops.setMtu(step.bond, step.mtu);
    case 'release': return backend.release(step.bond, step.slave);
    case 'enslave': return backend.enslave(step.bond, step.slave);
    case 'set-slave-options': {
      const [own, netlinkOnly] = splitNetlinkOnly(kind, step.options);
      if (own.length) await backend.setSlaveOptions(step.bond, step.slave, Object.fromEntries(own));
      if (netlinkOnly.length) await ops.backend('netlink').setSlaveOptions(step.bond, step.slave, Object.fromEntries(netlinkOnly));
      return;
    }
    case 'add-address': return ops.addAddress(step.device ?? step.bond, step.address);
    case 'add-route': return ops.addRoute(step.device ?? step.bond, step.route);
    default: return runStackStep(step, ops);
  }
}

function need<T>(fn: T | undefined, what: string): T {
  if (fn === undefined) throw new Error(`this host cannot ${what}`);
  return fn;
}

async function runStackStep(step: Step, ops: HostOps): Promise<void> {
  switch (step.op) {
    case 'create-vlan': return need(ops.createVlan, 'create VLANs').call(ops, step.device, step.link, step.id, stackMarker(step.bond));
    case 'create-bridge': return need(ops.createBridge, 'create bridges').call(ops, step.device, bridgeSettings(step), stackMarker(step.bond));
    case 'set-bridge': return need(ops.setBridge, 'change bridges').call(ops, step.device, bridgeSettings(step));
    case 'set-link-mtu': return ops.setMtu(step.device, step.mtu);
    case 'set-master': return need(ops.setMaster, 'change bridge ports').call(ops, step.device, step.master);
    case 'set-link-up': return ops.setLinkUp(step.device, true);
    case 'set-devconf': return need(ops.setDevconf, 'write IPv6 device settings').call(ops, step.device, step.key, step.value);
    case 'delete-link': return need(ops.deleteLink, 'delete links').call(ops, step.device);
    default: throw new Error(`unknown step ${describeStep(step)}`);
  }
}

function bridgeSettings(s: { stp?: boolean; forwardDelay?: number }): { stp?: boolean; forwardDelay?: number } {
  return { ...(s.stp !== undefined ? { stp: s.stp } : {}), ...(s.forwardDelay !== undefined ? { forwardDelay: s.forwardDelay } : {}) };
}

async function runSteps(steps: Step[], ops: HostOps, config: Pick<DesiredConfig, 'bonds'>, options: ApplyOptions, executed: Step[]): Promise<void> {
  for (const [i, step] of steps.entries()) {
    await options.onStep?.(step, i, steps.length);
    await runStep(step, ops, backendKindOf(config, step.bond));
    executed.push(step);
  }
}

/** The configuration that reproduces what was observed for the given bonds. */
export function snapshotConfig(host: ObservedHost, bonds: Iterable<string>, backends: Map<string, BackendKind> = new Map()): DesiredConfig {
  const out: DesiredBond[] = [];
  for (const name of bonds) {
    const b: ObservedBond | undefined = host.bonds.get(name);
    if (!b) continue;
    // Only what the mode accepts: the kernel reports every option in every mode, but after a
    // mode change the planner writes them all again, and the driver refuses the others (EACCES).
    const options = Object.fromEntries(Object.entries(b.options).filter(([n]) => !findOption(n) || isOptionSupported(n, b.mode)));
    delete options['primary'];
    delete options['active_slave'];
    out.push({
      name,
      mode: b.mode,
      options,
      slaves: b.slaves.map((s) => ({ name: s.name, options: { ...s.options } })),
      ...(b.primary ? { primary: b.primary } : {}),
      addresses: host.addresses.get(name) ?? [],
      routes: host.routes.get(name) ?? [],
      mtu: b.mtu,
      backend: backends.get(name) ?? 'sysfs',
      drift: 'observe',
      up: b.up,
      origin: { file: 'snapshot', line: 0 },
      ...snapshotStack(host, name),
    });
  }
  return { bonds: out, source: 'snapshot' };
}

/** Returns the host to `before` for the bonds in `config`; returns the errors it met. */
export async function restore(before: ObservedHost, config: Pick<DesiredConfig, 'bonds'>, ops: HostOps): Promise<string[]> {
  const errors: string[] = [];
  const backends = new Map(config.bonds.map((b) => [b.name, b.backend] as const));
  const names = config.bonds.map((b) => b.name);
  let now: ObservedHost;
  try {
    now = await ops.observe();
  } catch (error) {
    return [`cannot observe the host to roll back: ${(error as Error).message}`];
  }
  // Bonds that did not exist before go away entirely (deleting releases their slaves).
  for (const name of names) {
    if (!before.bonds.has(name) && now.bonds.has(name)) {
      await ops.backend(backends.get(name) ?? 'sysfs').deleteBond(name).catch((e: Error) => errors.push(`delete ${name}: ${e.message}`));
    }
  }
  // VLANs and bridges the failed apply created go too (a VLAN also goes with its bond; a bridge
  // does not). Bridges first, so their ports are free before the VLANs under them are deleted.
  const markers = new Set(names.map(stackMarker));
  try {
    now = await ops.observe();
  } catch (error) {
    return [...errors, `cannot observe the host to roll back: ${(error as Error).message}`];
  }
  const created = now.interfaces.filter((i) => i.alias !== undefined && markers.has(i.alias) && !before.interfaces.some((b) => b.name === i.name));
  for (const i of [...created.filter((c) => c.kind === 'bridge'), ...created.filter((c) => c.kind !== 'bridge')]) {
    await ops.deleteLink?.(i.name).catch((e: Error) => errors.push(`delete ${i.name}: ${e.message}`));
  }
  const snapshot = snapshotConfig(before, names.filter((n) => before.bonds.has(n)), backends);
  try {
    now = await ops.observe();
    const back = plan(snapshot, now);
    for (const step of back.steps) {
      await runStep(step, ops, backends.get(step.bond) ?? 'sysfs').catch((e: Error) => errors.push(`${describeStep(step)}: ${e.message}`));
    }
    // The planner never removes addresses or routes (others put VIPs on bonds), so take away
    // those the failed apply added, on every layer. Routes first: deleting an address takes its
    // routes along.
    now = await ops.observe();
    const layers = snapshot.bonds.flatMap((b) => stackDevices(b));
    for (const name of layers) {
      if (!before.addresses.has(name) || !now.addresses.has(name)) continue;
      const hadRoutes = before.routes.get(name) ?? [];
      for (const route of now.routes.get(name) ?? []) {
        if (hadRoutes.some((r) => r.to === route.to && (r.via ?? '') === (route.via ?? '') && r.metric === route.metric)) continue;
        await ops.removeRoute?.(name, route).catch((e: Error) => errors.push(`remove route ${route.to} from ${name}: ${e.message}`));
      }
      const hadAddresses = before.addresses.get(name) ?? [];
      for (const address of now.addresses.get(name) ?? []) {
        if (hadAddresses.includes(address)) continue;
        await ops.removeAddress?.(name, address).catch((e: Error) => errors.push(`remove address ${address} from ${name}: ${e.message}`));
      }
    }
    // The kernel closes a released slave; bring NICs that were up and free before back up.
    now = await ops.observe();
    for (const iface of before.interfaces) {
      const current = now.interfaces.find((i) => i.name === iface.name);
      if (current && !current.master && !iface.master && current.up !== iface.up) {
        await ops.setLinkUp(iface.name, iface.up).catch((e: Error) => errors.push(`set ${iface.name} ${iface.up ? 'up' : 'down'}: ${e.message}`));
      }
    }
  } catch (error) {
    errors.push((error as Error).message);
  }
  return errors;
}

/**
 * Plans and applies `config`, verifies, and rolls back on failure. Throws ApplyError after a
 * rollback; the error says which step failed and whether the rollback was clean.
 */
export async function apply(config: Pick<DesiredConfig, 'bonds'>, ops: HostOps, options: ApplyOptions = {}): Promise<ApplyResult> {
  const before = await ops.observe();
  const full = plan(config, before);
  const keep = options.filter ?? (() => true);
  const thePlan: Plan = { ...full, steps: full.steps.filter(keep) };
  const executed: Step[] = [];
  let failure: unknown = null;
  try {
    await runSteps(thePlan.steps, ops, config, options, executed);
    if (thePlan.steps.length) {
      let check = plan(config, await ops.observe());
      check.steps = check.steps.filter(keep);
      // A new bond's MAC can be rewritten by udev right after it was created (its default
      // MACAddressPolicy=persistent, when no .link file of bondd's covers the bond): setting the
      // first slave's MAC once more is all that is left then, not a failed apply.
      if (check.steps.length && check.steps.every((s) => s.op === 'set-mac')) {
        await runSteps(check.steps, ops, config, options, []);
        check = plan(config, await ops.observe());
        check.steps = check.steps.filter(keep);
      }
      if (check.steps.length) {
        throw new Error(`the kernel did not take the change: still needed after apply: ${check.steps.map((s) => `${describeStep(s)} (${s.reason})`).join('; ')}`);
      }
    }
  } catch (error) {
    failure = error;
  }
  if (failure) {
    const failedStep = thePlan.steps[executed.length] ?? null;
    const rollbackErrors = await restore(before, config, ops);
    const where = failedStep ? `step ${executed.length + 1} of ${thePlan.steps.length} (${describeStep(failedStep)})` : 'verification';
    const rolled = rollbackErrors.length === 0 ? 'the previous state was restored' : `rollback was incomplete: ${rollbackErrors.join('; ')}`;
    throw new ApplyError(`apply failed at ${where}: ${(failure as Error).message}; ${rolled}`, failedStep, rollbackErrors.length === 0, rollbackErrors, { cause: failure });
  }
  return { plan: thePlan, executed, before, after: thePlan.steps.length ? await ops.observe() : before };
}
