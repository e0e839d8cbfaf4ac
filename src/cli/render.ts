/**
 * Human views, rendered from the same JSON objects `--json` prints (status.ts), so the two can
 * never disagree. Pure: strings in, strings out.
 */
import type { DhcpClientStatus } from '../dhcp/supervisor.js';
import type { BridgeLayerView, LayerView, StackView } from '../plan/stack-status.js';
import type { BondMode, BondOption, OptionValue } from '../bond/option-types.js';
import { BOND_OPTIONS, SLAVE_OPTIONS, describeValues, displayLine, effectiveDefaults, effectiveIn, isListOption, namesASlave } from '../bond/options.js';
import type { JournalEntry } from '../state/journal.js';
import type { BondView, LacpPortView, ListView, SlaveView, StatusView } from './status.js';

/* ---------------------------------------------------------------------------------------------- */
/* Small helpers                                                                                  */

export function showValue(value: OptionValue | null | undefined): string {
  if (Array.isArray(value)) return value.length ? value.join(',') : '(none)';
  if (value === null || value === undefined || value === '') return '(none)';
  return String(value);
}

/** Aligned columns; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time with its UTC offset: 2024-05-01T14:00:00.123+02:00. */
export function formatTime(t: number): string {
  const d = new Date(t);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}` +
    `.${String(d.getMilliseconds()).padStart(3, '0')}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  );
}

/** "3 s ago", "5 min ago", "2 h ago", "4 d ago". */
export function formatAgo(t: number, now: number): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function has(view: BondView, name: string): boolean {
  return view.options[name] !== undefined;
}

/** `name value unit`, as the summary lines show an option. */
function setting(view: BondView, option: BondOption): string {
  const value = view.options[option.name];
  return `${option.name} ${showValue(value)}${option.unit && typeof value === 'number' ? ` ${option.unit}` : ''}`;
}

/** What a summary line shows: the options the kernel reports; an empty address list only when no list of the line has entries. */
function lineSettings(view: BondView, options: readonly BondOption[]): string[] {
  const present = options.filter((o) => has(view, o.name));
  const filled = (o: BondOption) => !Array.isArray(view.options[o.name]) || (view.options[o.name] as string[]).length > 0;
  const anyList = present.some((o) => isListOption(o) && filled(o));
  return present.filter((o) => !isListOption(o) || filled(o) || !anyList).map((o) => setting(view, o));
}

/* ---------------------------------------------------------------------------------------------- */
/* Bond                                                                                           */

/** The running link monitor: the first monitor line whose interval (its first option) is nonzero. */
function linkMonitor(view: BondView): string {
  const monitors = [displayLine('mii-monitor'), displayLine('arp-monitor')];
  for (const options of monitors) {
    if (Number(view.options[options[0]!.name] ?? 0) > 0) return lineSettings(view, options).join(', ');
  }
  return `none (${monitors.map((m) => m[0]!.name).join(' and ')} are 0: link failures go unnoticed)`;
}

/**
 * Active slave and primary as /proc/net/bonding prints them ("Primary Slave: eth0
 * (primary_reselect better)"): the line's first setting that is not a slave name joins the
 * primary row, further ones get a row each. Only the ones that have an effect in the mode.
 */
function failoverRows(view: BondView): string[][] {
  const options = displayLine('failover').filter((o) => effectiveIn(o, view.mode));
  if (options.length === 0) return [];
  const [first, ...more] = options.filter((o) => !namesASlave(o));
  const rows = [['active slave', view.activeSlave ?? 'none']];
  rows.push(['primary', `${view.primary ?? 'none'}${first ? ` (${first.name} ${showValue(view.options[first.name])})` : ''}`]);
  for (const o of more) rows.push([o.name, showValue(view.options[o.name])]);
  return rows;
}

function speed(s: SlaveView): string {
  return s.speedMbps === null ? 'unknown' : `${s.speedMbps}Mb/s`;
}

function portLine(label: string, p: LacpPortView | null): string {
  if (!p) return `${label}  (no details: reading them needs CAP_NET_ADMIN)`;
  const field = (name: string, v: number | string | null) => (v === null ? '' : `${name} ${v}`);
  const state = p.portState === null ? '' : `state ${p.portState} <${p.portStateFlags.join(',') || 'none'}>`;
  return [
    label,
    p.systemPriority !== null || p.systemMac !== null ? `system ${p.systemPriority ?? '?'}/${p.systemMac ?? '?'}` : '',
    field('key', p.key),
    field('port', p.portNumber),
    field('priority', p.portPriority),
    state,
  ]
    .filter(Boolean)
    .join('  ');
}

/** Options the summary lines above already show. */
const SUMMARISED = new Set(BOND_OPTIONS.filter((o) => o.display).map((o) => o.name));

export interface RenderBondOptions {
  /** List every option the kernel reports (show), not only the ones that differ from the default (status). */
  allOptions?: boolean;
}

/**
 * A bond as operators read /proc/net/bonding: mode, active slave, primary, monitors and delays,
 * 802.3ad system and aggregator, then a table of slaves and, in 802.3ad, per-port LACP details.
 */
export function renderBond(view: BondView, opts: RenderBondOptions = {}): string {
  const lines: string[] = [];
  const state = `${view.up ? 'up' : 'admin down'}, carrier ${view.carrier ? 'up' : 'down'}`;
  lines.push(`${view.name}: ${view.mode}, ${state}, mtu ${view.mtu}, mac ${view.mac || '(none)'}`);
  const rows: string[][] = [];
  rows.push(...failoverRows(view));
  rows.push(['link monitor', linkMonitor(view)]);
  for (const o of displayLine('hash')) if (effectiveIn(o, view.mode)) rows.push([o.name, showValue(view.options[o.name])]);
  if (view.lacp) {
    rows.push(['802.3ad', lineSettings(view, displayLine('lacp')).join(', ')]);
    rows.push(['lacp system', `priority ${view.lacp.systemPriority ?? '?'}, mac ${view.lacp.systemMac ?? '?'}`]);
    const a = view.lacp.activeAggregator;
    rows.push([
      'active aggregator',
      a ? `id ${a.aggregatorId}, ${a.numPorts} port(s), actor key ${a.actorKey}, partner key ${a.partnerKey}, partner mac ${a.partnerMac}` : 'none',
    ]);
  }
  const others = Object.entries(view.options).filter(([name, value]) => {
    if (SUMMARISED.has(name)) return false;
    if (opts.allOptions) return true;
    const defaults = effectiveDefaults(view.mode);
    return name in defaults && showValue(defaults[name]) !== showValue(value);
  });
  if (others.length) rows.push([opts.allOptions ? 'other options' : 'non-default', others.map(([n, v]) => `${n}=${showValue(v)}`).join(' ')]);
  lines.push(...table(rows.map(([k, v]) => [`${k}:`, v!]), '  '));

  const up = view.slaves.filter((s) => s.mii === 'up').length;
  lines.push(`  slaves: ${view.slaves.length} (${up} with MII up)`);
  if (view.slaves.length) {
    const slaveOptions = [...new Set(view.slaves.flatMap((s) => Object.keys(s.options)))].filter((n) => n !== 'queue_id');
    const header = ['SLAVE', 'STATE', 'MII', 'SPEED', 'DUPLEX', 'FAILURES', 'PERMANENT-MAC', 'QUEUE', ...slaveOptions.map((n) => n.toUpperCase())];
    if (view.lacp) header.push('AGGREGATOR');
    const body = view.slaves.map((s) => {
      const row = [
        s.name,
        s.state,
        s.mii,
        speed(s),
        s.duplex ?? 'unknown',
        String(s.linkFailureCount),
        s.permMac ?? 'unknown',
        String(s.queueId),
        ...slaveOptions.map((n) => showValue(s.options[n])),
      ];
      if (view.lacp) row.push(s.lacp?.aggregatorId === null || s.lacp?.aggregatorId === undefined ? 'N/A' : String(s.lacp.aggregatorId));
      return row;
    });
    lines.push(...table([header, ...body], '    '));
  }
  if (view.lacp && view.slaves.length) {
    lines.push('  802.3ad ports:');
    for (const s of view.slaves) {
      const l = s.lacp;
      if (!l) continue;
      const churn = (who: string, state: string | null, count: number | null) =>
        `${who} churn ${state ?? '?'}${count === null ? '' : ` (${count} times)`}`;
      lines.push(`    ${s.name}: aggregator ${l.aggregatorId ?? 'N/A'}, ${churn('actor', l.actorChurnState, l.actorChurnedCount)}, ${churn('partner', l.partnerChurnState, l.partnerChurnedCount)}`);
      lines.push(`      ${portLine('actor  ', l.actor)}`);
      lines.push(`      ${portLine('partner', l.partner)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/* ---------------------------------------------------------------------------------------------- */
/* Status, list, events                                                                           */

export function renderStatus(status: StatusView, now: number): string {
  const parts: string[] = [];
  const head = status.bondd.note ? `${status.bondd.note}\n` : '';
  if (status.bonds.length === 0) return `${head}no bonds\n`;
  for (const bond of status.bonds) {
    let text = bond.kernel ? renderBond(bond.kernel) : `${bond.name}: configured in bondd but not present in the kernel\n`;
    const d = bond.bondd;
    if (d) {
      const rows: string[][] = [];
      if (!d.configured) rows.push(['bondd:', 'not in the configuration (bondd leaves it alone)']);
      else {
        const drift = d.drift && d.drift.differences.length
          ? `DRIFT from the configuration (policy ${d.drift.policy}):`
          : `matches the configuration${d.drift ? ` (drift policy ${d.drift.policy})` : ''}`;
        rows.push(['bondd:', `configured, backend ${d.backend ?? 'default'}, ${drift}`]);
      }
      const extra = d.drift?.differences.map((line) => `      - ${line}`) ?? [];
      const pending = d.pendingSlaves.length ? [`    pending slaves: ${d.pendingSlaves.join(', ')} (enslaved when they appear)`] : [];
      const last = d.lastFailover
        ? `${formatTime(d.lastFailover.t)} (${formatAgo(d.lastFailover.t, now)}): ${d.lastFailover.message}`
        : 'none recorded';
      text += [...table(rows, '  '), ...extra, ...pending, `  last failover: ${last}`].join('\n') + '\n';
    }
    text += renderStack(bond.stack ?? null, bond.dhcp ?? []);
    parts.push(text);
  }
  return head + parts.join('\n');
}

export function renderList(list: ListView): string {
  if (list.bonds.length === 0) return 'no bonds\n';
  const rows = [['BOND', 'MODE', 'STATE', 'ACTIVE', 'SLAVES']];
  for (const b of list.bonds) rows.push([b.name, b.mode, b.state, b.activeSlave ?? '-', `${b.slaves} (${b.slavesUp} up)`]);
  return table(rows).join('\n') + '\n';
}

export function renderEvent(entry: JournalEntry): string {
  return `${formatTime(entry.t)}  ${entry.kind.padEnd(14)} ${(entry.bond ?? '-').padEnd(8)} ${entry.message}\n`;
}

/* ---------------------------------------------------------------------------------------------- */
/* The option table                                                                               */

/** `bondctl options --json`: one entry per option. */
export interface OptionView {
  name: string;
  scope: 'bond' | 'slave';
  aliases: string[];
  kind: BondOption['kind'];
  values: Array<{ name: string; value: number }> | null;
  min: number | null;
  max: number | null;
  unit: string | null;
  maxItems: number | null;
  /** The kernel default (for the mode asked about, when --mode is given). */
  default: OptionValue | null;
  /** What the option accepts, in words. */
  accepts: string;
  modes: BondMode[];
  effectiveModes: BondMode[] | null;
  needsDown: boolean;
  needsNoSlaves: boolean;
  needsMiimon: boolean;
  /** sysfs file, null for netlink-only options. */
  sysfs: string | null;
  netlink: boolean;
  description: string;
}

export interface OptionsView {
  mode: BondMode | null;
  options: OptionView[];
}

export function optionsView(mode: BondMode | null): OptionsView {
  const defaults = mode ? effectiveDefaults(mode) : {};
  const pick = (o: BondOption) => !mode || o.modes.includes(mode);
  const view = (o: BondOption): OptionView => ({
    name: o.name,
    scope: o.perSlave ? 'slave' : 'bond',
    aliases: [...o.aliases],
    kind: o.kind,
    values: o.values ? o.values.map((v) => ({ name: v.name, value: v.value })) : null,
    min: o.min ?? null,
    max: o.max ?? null,
    unit: o.unit ?? null,
    maxItems: o.maxItems ?? null,
    default: (mode && !o.perSlave ? defaults[o.name] : undefined) ?? o.default,
    accepts: describeValues(o),
    modes: [...o.modes],
    effectiveModes: o.effectiveModes ? [...o.effectiveModes] : null,
    needsDown: o.needsDown,
    needsNoSlaves: o.needsNoSlaves,
    needsMiimon: o.needsMiimon,
    sysfs: o.sysfs,
    netlink: o.ifla !== null,
    description: o.description,
  });
  return { mode, options: [...BOND_OPTIONS.filter(pick), ...SLAVE_OPTIONS.filter(pick)].map(view) };
}

function shortValues(o: OptionView): string {
  if (o.values) return o.values.map((v) => v.name).join('|');
  if (o.kind === 'int') return `${o.min}..${o.max}${o.unit ? ` ${o.unit}` : ''}`;
  if (o.kind === 'ifname') return 'IFNAME or empty';
  if (o.kind === 'mac') return 'MAC';
  return `IPv${o.kind === 'ipv4-list' ? 4 : 6},... (up to ${o.maxItems})`;
}

function modesText(modes: readonly string[]): string {
  return modes.length === 7 ? 'all modes' : modes.join(', ');
}

function conditions(o: OptionView): string[] {
  const out: string[] = [];
  if (o.needsDown && o.needsNoSlaves) out.push('only while the bond is down and has no slaves');
  else if (o.needsDown) out.push('only while the bond is down');
  else if (o.needsNoSlaves) out.push('only while the bond has no slaves');
  if (o.needsMiimon) out.push('needs miimon, a multiple of it');
  if (o.sysfs === null) out.push('netlink backend only');
  return out;
}

/** The detailed listing of `bondctl options`. */
export function renderOptions(view: OptionsView): string {
  const lines: string[] = [view.mode ? `Options accepted in mode ${view.mode} (defaults for that mode):` : 'Bond options:'];
  let scope: 'bond' | 'slave' = 'bond';
  for (const o of view.options) {
    if (o.scope !== scope) {
      scope = o.scope;
      lines.push('', 'Slave options (bondctl set BOND --slave IF name=value):');
    }
    const aliases = o.aliases.length ? ` (alias ${o.aliases.join(', ')})` : '';
    lines.push('', `${o.name}${aliases}`);
    lines.push(`    ${o.description}`);
    lines.push(`    values:  ${o.accepts}`);
    lines.push(`    default: ${showValue(o.default)}`);
    lines.push(`    modes:   ${modesText(o.modes)}${o.effectiveModes ? `; has an effect in ${o.effectiveModes.join(', ')}` : ''}`);
    const c = conditions(o);
    if (c.length) lines.push(`    changes: ${c.join('; ')}`);
  }
  return lines.join('\n') + '\n';
}

/** Compact option list for --help epilogues: generated from the table, one line per option. */
export function optionHelp(scope: 'bond' | 'slave'): string {
  const view = optionsView(null).options.filter((o) => o.scope === scope);
  const rows = view.map((o) => {
    const notes = [`default ${showValue(o.default)}`];
    if (o.modes.length < 7) notes.push(o.modes.join('/'));
    notes.push(...conditions(o));
    return [`  ${o.name}${o.aliases.length ? ` (${o.aliases.join(', ')})` : ''}`, `${shortValues(o)}  [${notes.join('; ')}]`];
  });
  const title = scope === 'bond'
    ? 'Bond options (name=value; names as in /sys/class/net/BOND/bonding/, "-" same as "_"; details: bondctl options):'
    : 'Slave options (with --slave IF):';
  return [title, ...table(rows)].join('\n');
}

/* ---------------------------------------------------------------------------------------------- */
/* Plans                                                                                          */

/** `bondctl plan --json`. */
export interface PlanView {
  /** bondd: the running daemon's plan for its configuration; local: computed by bondctl. */
  source: 'bondd' | 'local';
  config: string | null;
  impact: string;
  steps: Array<{ bond: string; op: string; step: string; impact: string; reason: string }>;
  pending: Array<{ bond: string; reason: string }>;
  problems: Array<{ bond: string; message: string }>;
}

export function renderPlan(plan: PlanView): string {
  const lines: string[] = [];
  const where = plan.source === 'bondd' ? 'bondd' : `computed locally${plan.config ? ` from ${plan.config}` : ''}`;
  if (plan.steps.length === 0) lines.push(`plan (${where}): nothing to do, the kernel matches the configuration`);
  else {
    lines.push(`plan (${where}): ${plan.steps.length} step(s), impact ${plan.impact}`);
    plan.steps.forEach((s, i) => lines.push(`${String(i + 1).padStart(3)}. ${s.step}  [impact ${s.impact}] ${s.reason}`));
  }
  for (const p of plan.pending) lines.push(`pending: ${p.reason}`);
  for (const p of plan.problems) lines.push(`problem: ${p.message}`);
  return lines.join('\n') + '\n';
}

/* ---------------------------------------------------------------------------------------------- */
/* The bond's stack                                                                               */

function layerState(l: LayerView): string {
  return `${l.up ? 'up' : 'admin down'}, carrier ${l.carrier ? 'up' : 'down'}${l.mtu !== null ? `, mtu ${l.mtu}` : ''}${l.managed ? '' : ', not created by bondd'}`;
}

function layerDetails(l: LayerView, dhcp: readonly DhcpClientStatus[], indent: string): string[] {
  const out: string[] = [];
  if (l.addresses.length) out.push(`${indent}addresses: ${l.addresses.join(', ')}`);
  for (const c of dhcp.filter((x) => x.device === l.name)) {
    const who = c.pid !== null ? `dhcpcd pid ${c.pid}${c.adopted ? ', adopted' : ''}${c.restarts ? `, ${c.restarts} restart(s)` : ''}` : 'dhcpcd restarting';
    const mine = l.lease.filter((a) => (c.family === 4 ? !a.includes(':') : a.includes(':')));
    out.push(`${indent}dhcp ipv${c.family} (${who}): ${mine.length ? `lease ${mine.join(', ')}` : 'no lease yet'}`);
  }
  const unclaimed = l.lease.filter((a) => !dhcp.some((c) => c.device === l.name && (c.family === 4 ? !a.includes(':') : a.includes(':'))));
  if (unclaimed.length) out.push(`${indent}dynamic: ${unclaimed.join(', ')} (SLAAC or another client)`);
  return out;
}

function bridgeLines(b: BridgeLayerView, dhcp: readonly DhcpClientStatus[], indent: string): string[] {
  const stp = b.stp === null ? '' : `, stp ${b.stp ? 'on' : 'off'}${b.forwardDelay !== null ? `, forward delay ${b.forwardDelay} s` : ''}`;
  return [`${indent}└─ ${b.name} (bridge${stp}): ${layerState(b)}; ports ${b.ports.join(', ')}`, ...layerDetails(b, dhcp, `${indent}     `)];
}

/** bond → VLANs → bridge, with addresses, DHCP leases and carrier on every layer. */
export function renderStack(stack: StackView | null, dhcp: readonly DhcpClientStatus[]): string {
  if (!stack || (stack.vlans.length === 0 && !stack.bridge)) return '';
  const lines = ['  stack:'];
  if (stack.bridge) lines.push(...bridgeLines(stack.bridge, dhcp, '    '));
  for (const v of stack.vlans) {
    lines.push(`    ├─ ${v.name} (VLAN ${v.id}): ${layerState(v)}`);
    lines.push(...layerDetails(v, dhcp, '    │    '));
    if (v.bridge) lines.push(...bridgeLines(v.bridge, dhcp, '    │    '));
  }
  return lines.join('\n') + '\n';
}
