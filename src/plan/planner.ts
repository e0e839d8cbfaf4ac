/**
 * The planner: a pure function from (desired configuration, observed host) to an ordered list of
 * steps that respects the bonding driver's rules, each labelled with its impact on traffic.
 *
 * Kernel rules encoded here (docs/kernel-notes.md §1, §2):
 * - `mode` needs the bond down and without slaves; a mode change also resets arp_validate,
 *   zeroes arp_interval and may switch miimon on, so every configured option is re-applied after it.
 * - needs-down options (lacp_rate, ad_select, ...) take the bond down for the change;
 *   needs-no-slaves options (fail_over_mac) release and re-enslave every slave.
 * - miimon before updelay/downdelay/peer_notif_delay, which are stored as multiples of it and
 *   must be re-applied whenever miimon changes.
 * - a slave must be down before it is enslaved (the backend does that), `primary` and per-slave
 *   options only once the slave is enslaved.
 * - across bonds, every release happens before any enslave, so a NIC can move between bonds.
 * When observed already matches desired, the plan is empty: re-applying never flaps a bond.
 */
import type { ObservedBond } from '../bond/backend.js';
import type { BondMode, OptionValue } from '../bond/option-types.js';
import { BOND_OPTIONS, FAIL_OVER_MAC_OPTION, applyOrderNames, findOption, findSlaveOption, miimonMultiples, namesASlave, sameOptionValue } from '../bond/options.js';
import type { DesiredBond, DesiredConfig, RouteSpec, SlaveSpec } from '../config/types.js';
import type { ObservedHost, ObservedInterface } from './observed.js';
import { planStack, routeText, sameRoute, type StackAction, type StackPhases } from './stack-planner.js';

/** none: traffic unaffected; brief: a short carrier loss or a failover; outage: the bond stops passing traffic. */
export type Impact = 'none' | 'brief' | 'outage';

export type StepAction =
  | { op: 'load-module' }
  | { op: 'create'; mode: BondMode; options: Array<[string, OptionValue]> }
  | { op: 'set-down' }
  | { op: 'set-up' }
  | { op: 'set-mode'; mode: BondMode }
  | { op: 'set-options'; options: Array<[string, OptionValue]> }
  | { op: 'set-mac'; mac: string }
  | { op: 'set-mtu'; mtu: number }
  | { op: 'release'; slave: string }
  | { op: 'enslave'; slave: string }
  | { op: 'set-slave-options'; slave: string; options: Array<[string, OptionValue]> }
  | { op: 'add-address'; address: string; device?: string }
  | { op: 'add-route'; route: RouteSpec; device?: string }
  | StackAction;

export type Step = StepAction & {
  /**
   * The bond the step acts on, or whose stack the step's `device` (a VLAN, a bridge) belongs to
   * ('' for host-wide steps such as loading the module).
   */
  bond: string;
  impact: Impact;
  /** Why: what differs, in words an operator reads in `bondctl plan`. */
  reason: string;
};

export interface PendingSlave {
  bond: string;
  slave: SlaveSpec;
  reason: string;
}

export interface PlanProblem {
  bond: string;
  message: string;
}

export interface Plan {
  steps: Step[];
  /** Configured slaves that are not present yet; the daemon enslaves them when they appear. */
  pending: PendingSlave[];
  /** Conflicts the plan cannot resolve safely (it leaves those bonds' affected parts alone). */
  problems: PlanProblem[];
  impact: Impact;
}

/** Order in which bond options are written: the table's applyOrder (its header gives the rules). */
const APPLY_ORDER = applyOrderNames();
/** Stored as multiples of miimon, so re-applied whenever miimon changes. */
const MIIMON_MULTIPLES = miimonMultiples().map((o) => o.name);
/** Options that name a slave: applied after the slaves are enslaved, never at creation. */
const AFTER_ENSLAVE = new Set(BOND_OPTIONS.filter(namesASlave).map((o) => o.name));
const IMPACT_RANK: Record<Impact, number> = { none: 0, brief: 1, outage: 2 };

function orderKey(name: string): number {
  const i = APPLY_ORDER.indexOf(name);
  return i < 0 ? APPLY_ORDER.length : i;
}

export function orderOptions(options: Record<string, OptionValue>): Array<[string, OptionValue]> {
  return Object.entries(options).sort(([a], [b]) => orderKey(a) - orderKey(b) || a.localeCompare(b));
}

export function sameValue(a: OptionValue | null | undefined, b: OptionValue | null | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    const x = Array.isArray(a) ? a : a == null || a === '' ? [] : [String(a)];
    const y = Array.isArray(b) ? b : b == null || b === '' ? [] : [String(b)];
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (a == null || a === '') return b == null || b === '';
  return a === b;
}

/** Compares with the option table's notion of equality (address lists compare as sets: the kernel reorders them). */
function sameOption(name: string, a: OptionValue | null | undefined, b: OptionValue | null | undefined): boolean {
  const option = findOption(name) ?? findSlaveOption(name);
  if (option && a != null && b != null && a !== '' && b !== '') return sameOptionValue(option, a, b);
  return sameValue(a, b);
}

function show(value: OptionValue | null | undefined): string {
  if (Array.isArray(value)) return value.length ? value.join(',') : '(none)';
  if (value === null || value === undefined || value === '') return '(none)';
  return String(value);
}

function maxImpact(impacts: Impact[]): Impact {
  return impacts.reduce<Impact>((worst, i) => (IMPACT_RANK[i] > IMPACT_RANK[worst] ? i : worst), 'none');
}

/** Finds the interface a slave spec refers to: by name, by permanent MAC, or both. */
export function resolveSlave(spec: SlaveSpec, interfaces: readonly ObservedInterface[]): ObservedInterface | { problem: string } | null {
  if (spec.name !== undefined) {
    const byName = interfaces.find((i) => i.name === spec.name);
    if (!byName) return null;
    if (spec.permMac && byName.permMac && byName.permMac !== spec.permMac) {
      return { problem: `${spec.name} has permanent MAC ${byName.permMac}, not the configured ${spec.permMac}; not enslaving it` };
    }
    return byName;
  }
  const byMac = interfaces.filter((i) => i.permMac === spec.permMac && i.kind !== 'bond');
  if (byMac.length > 1) return { problem: `more than one interface has permanent MAC ${spec.permMac}: ${byMac.map((i) => i.name).join(', ')}` };
  return byMac[0] ?? null;
}

export function describeSlave(spec: SlaveSpec): string {
  if (spec.match && spec.name === undefined && spec.permMac === undefined) return `a NIC matching ${describeMatch(spec.match)}`;
  return spec.name ?? `permanent MAC ${spec.permMac}`;
}

function describeMatch(m: NonNullable<SlaveSpec['match']>): string {
  return [m.name !== undefined ? `name ${m.name}` : '', m.driver !== undefined ? `driver ${m.driver}` : ''].filter(Boolean).join(' and ');
}

/** fnmatch-style glob (`*`, `?`, `[...]`, `[!...]`), as netplan and networkd match names and drivers. */
function globMatches(glob: string, text: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    const end = c === '[' ? glob.indexOf(']', i + 1) : -1;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (end > i) {
      re += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(text);
}

/** Whether an interface called `name` could be selected by the spec's hardware match (its driver is checked when planning). */
export function mayMatch(spec: SlaveSpec, name: string): boolean {
  if (!spec.match || spec.name !== undefined || spec.permMac !== undefined) return false;
  return spec.match.name === undefined || globMatches(spec.match.name, name);
}

/**
 * Slave specs with a hardware match (name glob, driver) resolved against the interfaces present
 * now: one spec per matching NIC, in name order, carrying the spec's per-slave options. A match
 * that finds nothing stays as it is (a pending slave, re-resolved when NICs appear). Bonds,
 * VLANs and bridges never match.
 */
export function expandMatches(specs: readonly SlaveSpec[], interfaces: readonly ObservedInterface[]): SlaveSpec[] {
  return specs.flatMap((spec) => {
    const m = spec.match;
    if (!m || spec.name !== undefined || spec.permMac !== undefined) return [spec];
    const found = interfaces
      .filter((i) => i.kind !== 'bond' && i.kind !== 'vlan' && i.kind !== 'bridge')
      .filter((i) => (m.name === undefined || globMatches(m.name, i.name)) && (m.driver === undefined || (i.driver !== undefined && globMatches(m.driver, i.driver))))
      .map((i) => i.name)
      .sort();
    if (found.length === 0) return [spec];
    return found.map((name) => ({ ...spec, name }));
  });
}

interface BondPlan {
  early: Step[]; // create, down, release, mode, options, mac, mtu
  enslave: Step[]; // enslave, slave options, primary
  late: Step[]; // up, addresses, routes
  /** The plan takes the up bond down and brings it back (what the kernel drops then is restored). */
  cycled: boolean;
  /** The bond is up when the plan ends. */
  upAtEnd: boolean;
}

function planBond(desired: DesiredBond, host: ObservedHost, pending: PendingSlave[], problems: PlanProblem[], claimed: Map<string, string>): BondPlan {
  const bond = desired.name;
  const observed = host.bonds.get(bond) ?? null;
  const out: BondPlan = { early: [], enslave: [], late: [], cycled: false, upAtEnd: false };
  const step = (list: Step[], action: StepAction, impact: Impact, reason: string) => list.push({ ...action, bond, impact, reason });

  // Resolve configured slaves to interfaces present now.
  const wanted: string[] = [];
  for (const spec of expandMatches(desired.slaves, host.interfaces)) {
    const found = resolveSlave(spec, host.interfaces);
    if (found === null) {
      pending.push({ bond, slave: spec, reason: `${describeSlave(spec)} is not present; it will be enslaved when it appears` });
      continue;
    }
    if ('problem' in found) {
      problems.push({ bond, message: `${bond}: ${found.problem}` });
      continue;
    }
    const owner = claimed.get(found.name);
    if (owner && owner !== bond) {
      problems.push({ bond, message: `${bond}: ${found.name} is configured for ${owner} as well; leaving it there` });
      continue;
    }
    claimed.set(found.name, bond);
    if (found.master && found.master !== bond && !host.bonds.has(found.master)) {
      problems.push({ bond, message: `${bond}: ${found.name} is enslaved to ${found.master}, which bondd does not manage; release it there first` });
      continue;
    }
    if (found.kind === 'bond') {
      problems.push({ bond, message: `${bond}: ${found.name} is itself a bond; bondd does not stack bonds` });
      continue;
    }
    wanted.push(found.name);
  }

  const optionsToSet = Object.fromEntries(Object.entries(desired.options).filter(([name]) => !AFTER_ENSLAVE.has(name)));

  if (!observed) {
    step(out.early, { op: 'create', mode: desired.mode, options: orderOptions(optionsToSet) }, 'none', `${bond} does not exist`);
  } else {
    const modeChange = observed.mode !== desired.mode;
    const changed: Record<string, OptionValue> = {};
    for (const [name, value] of Object.entries(optionsToSet)) {
      if (!sameOption(name, observed.options[name], value)) changed[name] = value;
    }
    // Delays are kept as counts of miimon ticks: when miimon changes they change in ms too.
    if ('miimon' in changed) {
      for (const name of MIIMON_MULTIPLES) if (name in optionsToSet) changed[name] = optionsToSet[name]!;
    }
    const needsNoSlaves = modeChange || Object.keys(changed).some((n) => findOption(n)?.needsNoSlaves);
    const needsDown = modeChange || Object.keys(changed).some((n) => findOption(n)?.needsDown);
    const reasons = Object.entries(changed).map(([n, v]) => `${n} ${show(observed.options[n])} → ${show(v)}`);

    if (needsDown && observed.up) {
      const why = modeChange ? `mode ${observed.mode} → ${desired.mode}` : reasons.filter((r) => findOption(r.split(' ')[0]!)?.needsDown).join(', ');
      step(out.early, { op: 'set-down' }, 'outage', `${why} needs ${bond} down`);
    }
    if (needsNoSlaves) {
      for (const slave of observed.slaves) {
        step(out.early, { op: 'release', slave: slave.name }, 'outage', `${modeChange ? 'mode' : 'fail_over_mac'} can only change while ${bond} has no slaves`);
      }
    }
    if (modeChange) {
      step(out.early, { op: 'set-mode', mode: desired.mode }, 'outage', `mode ${observed.mode} → ${desired.mode}`);
      // The mode change resets monitors and arp_validate: write every configured option again.
      if (Object.keys(optionsToSet).length) step(out.early, { op: 'set-options', options: orderOptions(optionsToSet) }, 'none', 're-apply options after the mode change');
    } else if (Object.keys(changed).length) {
      step(out.early, { op: 'set-options', options: orderOptions(changed) }, 'none', reasons.join(', '));
    }
    if (needsDown && observed.up && desired.up) step(out.late, { op: 'set-up' }, 'none', `bring ${bond} back up`);
  }

  const observedSlaves = observed && !(out.early.some((s) => s.op === 'release')) ? observed.slaves.map((s) => s.name) : [];
  const hasSlavesNow = observedSlaves.length > 0;

  // MAC and MTU.
  if (desired.macAddress && desired.macAddress !== 'first-slave' && desired.macAddress !== 'random') {
    if (!observed || observed.mac !== desired.macAddress) {
      step(out.early, { op: 'set-mac', mac: desired.macAddress }, hasSlavesNow ? 'brief' : 'none', `MAC ${observed?.mac ?? '(new bond)'} → ${desired.macAddress}`);
    }
  }
  const firstSlaveMac = expectedFirstSlaveMac(desired, observed, wanted, host, hasSlavesNow);
  if (firstSlaveMac) step(out.early, { op: 'set-mac', mac: firstSlaveMac.mac }, 'brief', firstSlaveMac.reason);
  if (desired.mtu !== undefined && (!observed || observed.mtu !== desired.mtu)) {
    step(out.early, { op: 'set-mtu', mtu: desired.mtu }, hasSlavesNow ? 'brief' : 'none', `MTU ${observed?.mtu ?? '(new bond)'} → ${desired.mtu}`);
  }

  // Slaves that should not be there go first; releasing the active one causes a failover.
  for (const name of observedSlaves) {
    if (wanted.includes(name)) continue;
    const isActive = observed?.activeSlave === name || observed?.mode !== 'active-backup';
    step(out.early, { op: 'release', slave: name }, isActive ? 'brief' : 'none', `${name} is not configured for ${bond}`);
  }
  for (const name of wanted) {
    if (observedSlaves.includes(name)) continue;
    step(out.enslave, { op: 'enslave', slave: name }, 'none', `${name} is configured for ${bond}`);
  }
  // Per-slave options, compared with what the kernel reports for slaves already in place.
  for (const spec of expandMatches(desired.slaves, host.interfaces)) {
    const found = resolveSlave(spec, host.interfaces);
    if (!found || 'problem' in found || !wanted.includes(found.name)) continue;
    const current = observed?.slaves.find((s) => s.name === found.name && observedSlaves.includes(s.name));
    const diff = Object.entries(spec.options).filter(([n, v]) => !current || !sameOption(n, current.options[n], v));
    if (diff.length) {
      step(out.enslave, { op: 'set-slave-options', slave: found.name, options: diff }, 'none',
        diff.map(([n, v]) => `${found.name} ${n} ${show(current?.options[n])} → ${show(v)}`).join(', '));
    }
  }
  // primary and active_slave name a slave, so they follow the enslaves.
  const after: Array<[string, OptionValue]> = [];
  const desiredPrimary = desired.primary ?? (desired.options['primary'] as string | undefined);
  if (desiredPrimary !== undefined && !sameValue(observed?.primary, desiredPrimary)) after.push(['primary', desiredPrimary]);
  if (desired.options['active_slave'] !== undefined && !sameValue(observed?.activeSlave, desired.options['active_slave'])) {
    after.push(['active_slave', desired.options['active_slave']]);
  }
  if (after.length) {
    step(out.enslave, { op: 'set-options', options: after }, 'brief', after.map(([n, v]) => `${n} ${show(n === 'primary' ? observed?.primary : observed?.activeSlave)} → ${show(v)}`).join(', '));
  }

  // Up/down.
  const willBeDown = !observed || !observed.up || out.early.some((s) => s.op === 'set-down');
  const alreadyRaising = out.late.some((s) => s.op === 'set-up');
  if (desired.up && willBeDown && !alreadyRaising) step(out.late, { op: 'set-up' }, 'none', `${bond} is configured up`);
  if (!desired.up && observed?.up && !out.early.some((s) => s.op === 'set-down')) step(out.late, { op: 'set-down' }, 'outage', `${bond} is configured down`);

  // Addresses and routes (never removes addresses it did not configure: VIPs, DHCP and
  // keepalived addresses on a bond are common and are not bondd's to take away).
  //
  // Taking an up bond down for a change makes the kernel drop what hangs on it: every IPv4 route
  // through it (fib_sync_down_dev on NETDEV_DOWN) and, unless keep_addr_on_down is set, its IPv6
  // addresses and routes (addrconf_ifdown). Whatever was there, configured or not, is put back
  // once the bond is up again (adds replace, so one that survived is harmless).
  const observedAddresses = host.addresses.get(bond) ?? [];
  const observedRoutes = host.routes.get(bond) ?? [];
  const cycled = desired.up && observed?.up === true && out.early.some((s) => s.op === 'set-down');
  out.cycled = cycled;
  out.upAtEnd = desired.up; // a bond configured down is taken down by this plan
  const haveAddresses = cycled ? observedAddresses.filter((a) => !a.includes(':')) : observedAddresses;
  const haveRoutes = cycled ? [] : observedRoutes;
  for (const address of desired.addresses) {
    if (!haveAddresses.includes(address)) step(out.late, { op: 'add-address', address }, 'none', `address ${address} is configured${observedAddresses.includes(address) ? restoring(bond) : ''}`);
  }
  for (const address of observedAddresses) {
    if (!haveAddresses.includes(address) && !desired.addresses.includes(address)) step(out.late, { op: 'add-address', address }, 'none', `address ${address} was there${restoring(bond)}`);
  }
  const wantRoutes: RouteSpec[] = [...desired.routes];
  if (desired.gateway?.v4) wantRoutes.unshift({ to: '0.0.0.0/0', via: desired.gateway.v4 });
  if (desired.gateway?.v6) wantRoutes.unshift({ to: '::/0', via: desired.gateway.v6 });
  for (const route of wantRoutes) {
    const present = haveRoutes.some((r) => sameRoute(r, route));
    if (!present) step(out.late, { op: 'add-route', route }, 'none', `${routeText(route)} is configured${observedRoutes.some((r) => sameRoute(r, route)) ? restoring(bond) : ''}`);
  }
  if (cycled) {
    for (const route of observedRoutes) {
      if (!wantRoutes.some((w) => sameRoute(route, w))) step(out.late, { op: 'add-route', route }, 'none', `${routeText(route)} was there${restoring(bond)}`);
    }
  }
  return out;
}

/**
 * The `first-slave` MAC policy, verified like any other setting. The kernel gives a bond the MAC
 * of its first slave only while the bond's address is still the random one it was created with
 * (addr_assign_type 1); once userspace has set one (type 3) the bond keeps it and programs it into
 * every slave. udev's 99-default.link (MACAddressPolicy=persistent) sets one on every new bond
 * when it handles the bond's uevent, racing the first enslave: if udev wins, the bond keeps
 * udev's MAC. So a bond that has slaves and a MAC that is none of theirs gets its first
 * configured slave's permanent MAC. Not with fail_over_mac=active, where the bond's MAC follows the active slave.
 */
function expectedFirstSlaveMac(desired: DesiredBond, observed: ObservedBond | null, wanted: string[], host: ObservedHost, hasSlavesNow: boolean): { mac: string; reason: string } | null {
  if (desired.macAddress !== undefined && desired.macAddress !== 'first-slave') return null;
  if (!observed || !hasSlavesNow || !wanted.length) return null;
  const fom = FAIL_OVER_MAC_OPTION.name;
  const failOverMac = String(desired.options[fom] ?? observed.options[fom] ?? 'none');
  if (FAIL_OVER_MAC_OPTION.effectiveModes?.includes(observed.mode) && (failOverMac === 'active' || failOverMac === '1')) return null;
  const first = host.interfaces.find((i) => i.name === wanted[0]);
  if (!first?.permMac || !observed.slaves.some((s) => s.name === first.name)) return null;
  if (observed.mac === first.permMac) return null;
  // A MAC that came from a NIC of this host (a slave, or one released since) is the kernel's
  // doing, not a rewrite by someone else: left alone, changing it would only disturb the
  // neighbours (and a rollback must put back exactly what was there).
  const nicMacs = new Set(host.interfaces.filter((i) => i.kind !== 'bond').map((i) => i.permMac));
  if (nicMacs.has(observed.mac)) return null;
  return { mac: first.permMac, reason: `MAC ${observed.mac} is not the first slave's (${first.name} ${first.permMac}; policy first-slave)` };
}

function restoring(bond: string): string {
  return ` (the kernel drops it while ${bond} is down)`;
}

export function plan(config: Pick<DesiredConfig, 'bonds'>, host: ObservedHost): Plan {
  const pending: PendingSlave[] = [];
  const problems: PlanProblem[] = [];
  const claimed = new Map<string, string>();
  const perBond = config.bonds.map((b) => planBond(b, host, pending, problems, claimed));
  const stacks = config.bonds.map((b, i) => {
    const messages: string[] = [];
    const phases = planStack(b, host, { bondCycled: perBond[i]!.cycled, bondUp: perBond[i]!.upAtEnd, problems: messages });
    for (const message of messages) problems.push({ bond: b.name, message });
    return { bond: b.name, phases };
  });
  const stackPhase = (phase: keyof StackPhases): Step[] => stacks.flatMap(({ bond, phases }) => phases[phase].map((s) => ({ ...s, bond }) as Step));
  const steps: Step[] = [];
  // Layers above the bonds that are no longer configured go first, top down.
  steps.push(...stackPhase('teardown'));
  if (perBond.some((p) => p.early.some((s) => s.op === 'create')) && !host.bondingAvailable) {
    steps.push({ op: 'load-module', bond: '', impact: 'none', reason: 'the bonding driver is not loaded' });
  }
  // All releases and option changes, then every enslave, then up/addresses/routes: a NIC that
  // moves from one bond to another is free before it is claimed.
  for (const p of perBond) steps.push(...p.early);
  for (const p of perBond) steps.push(...p.enslave);
  for (const p of perBond) steps.push(...p.late);
  // Then each bond's stack: VLANs and bridges, their settings, up, addresses, routes.
  for (const phase of ['devices', 'up', 'addresses', 'routes'] as const) steps.push(...stackPhase(phase));
  return { steps, pending, problems, impact: maxImpact(steps.map((s) => s.impact)) };
}

/** One line per step, as `bondctl plan` prints it. */
export function describeStep(s: Step): string {
  const target = s.bond || 'host';
  switch (s.op) {
    case 'load-module': return 'load the bonding driver (max_bonds=0)';
    case 'create': return `create ${target} mode ${s.mode}${s.options.length ? ' ' + s.options.map(([n, v]) => `${n}=${show(v)}`).join(' ') : ''}`;
    case 'set-down': return `set ${target} down`;
    case 'set-up': return `set ${target} up`;
    case 'set-mode': return `set ${target} mode ${s.mode}`;
    case 'set-options': return `set ${target} ${s.options.map(([n, v]) => `${n}=${show(v)}`).join(' ')}`;
    case 'set-mac': return `set ${target} address ${s.mac}`;
    case 'set-mtu': return `set ${target} mtu ${s.mtu}`;
    case 'release': return `release ${s.slave} from ${target}`;
    case 'enslave': return `enslave ${s.slave} to ${target}`;
    case 'set-slave-options': return `set ${s.slave} ${s.options.map(([n, v]) => `${n}=${show(v)}`).join(' ')}`;
    case 'add-address': return `add address ${s.address} to ${s.device ?? target}`;
    case 'add-route': return `add route ${s.route.to}${s.route.via ? ` via ${s.route.via}` : ''}${s.route.metric !== undefined ? ` metric ${s.route.metric}` : ''} dev ${s.device ?? target}`;
    case 'create-vlan': return `create VLAN ${s.device} id ${s.id} on ${s.link}`;
    case 'create-bridge': return `create bridge ${s.device}${bridgeSettings(s)}`;
    case 'set-bridge': return `set bridge ${s.device}${bridgeSettings(s)}`;
    case 'set-link-mtu': return `set ${s.device} mtu ${s.mtu}`;
    case 'set-master': return s.master ? `add ${s.device} to bridge ${s.master}` : `remove ${s.device} from its bridge`;
    case 'set-link-up': return `set ${s.device} up`;
    case 'set-devconf': return `set ${s.device} ${s.key}=${s.value}`;
    case 'delete-link': return `delete ${s.device}`;
  }
}

function bridgeSettings(s: { stp?: boolean; forwardDelay?: number }): string {
  return `${s.stp !== undefined ? ` stp ${s.stp ? 'on' : 'off'}` : ''}${s.forwardDelay !== undefined ? ` forward_delay ${s.forwardDelay}` : ''}`;
}
