/**
 * plan, apply, confirm: the configuration workflow. bondd keeps the configuration, applies it and
 * can roll an apply back, so apply and confirm need it (exit 3 without it). plan asks bondd when
 * it runs; `plan --config F`, or plan without bondd, computes the plan here from the file and
 * the kernel (nothing is changed).
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { Plan, Step } from '../../plan/planner.js';
import { CommandFailed, DaemonNeeded, UsageError, isDaemonUnavailable } from '../exit-codes.js';
import { formatTime, renderPlan, type PlanView } from '../render.js';
import { parseDuration, type Args, type Context, type Runner } from './common.js';

/** What bondd's `plan` method returns: the Plan plus one line per step. */
type DaemonPlan = Plan & { lines?: Array<{ step: string; impact: string; reason: string }> };

function planView(plan: Plan, source: PlanView['source'], config: string | null, describe: (s: Step) => string): PlanView {
  return {
    source,
    config,
    impact: plan.impact,
    steps: plan.steps.map((s) => ({ bond: s.bond, op: s.op, step: describe(s), impact: s.impact, reason: s.reason })),
    pending: plan.pending.map((p) => ({ bond: p.bond, reason: p.reason })),
    problems: plan.problems.map((p) => ({ bond: p.bond, message: p.message })),
  };
}

function configArg(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (text.trim() === '') throw new UsageError('--config: give a file name');
  return text;
}

export async function plan(a: Args, ctx: Context): Promise<void> {
  const configFile = configArg(a['config']);
  const { describeStep } = await import('../../plan/planner.js');
  let view: PlanView | undefined;
  if (configFile === undefined) {
    const fromDaemon = await ctx.daemonIfRunning<DaemonPlan>('plan', {}, { timeoutMs: 30_000 });
    if (fromDaemon) view = planView(fromDaemon, 'bondd', null, describeStep);
  }
  if (!view) {
    const local = await ctx.deps.planLocally(configFile);
    if (configFile === undefined) ctx.err(`bondctl: bondd is not running: planning ${local.source} here\n`);
    for (const warning of local.warnings) ctx.err(`bondctl: warning: ${warning}\n`);
    view = planView(local.plan, 'local', local.source, describeStep);
  }
  ctx.out(a['json'] ? JSON.stringify(view, null, 2) + '\n' : renderPlan(view));
}

function needsDaemon(what: string) {
  return (error: unknown): never => {
    if (isDaemonUnavailable(error)) throw new DaemonNeeded(`${(error as Error).message}; ${what}`);
    throw error;
  };
}

const CONFIRM_MIN_MS = 1000;
const CONFIRM_MAX_MS = 3_600_000;

export async function apply(a: Args, ctx: Context): Promise<void> {
  const configFile = configArg(a['config']);
  let confirmWithinMs: number | undefined;
  if (a['confirm-within'] !== undefined) {
    confirmWithinMs = parseDuration(a['confirm-within'], '--confirm-within');
    if (confirmWithinMs < CONFIRM_MIN_MS || confirmWithinMs > CONFIRM_MAX_MS) {
      throw new UsageError(`--confirm-within: ${String(a['confirm-within'])} is outside 1s..1h`);
    }
  }
  const unavailable = needsDaemon('apply needs it (it applies its configuration and can roll back); start bondd, or preview with bondctl plan --config FILE');
  if (configFile !== undefined) {
    // bondd applies the configuration it was started with; make sure that is the file meant.
    const ping = await ctx.daemon<{ source: string }>('ping', {}, { timeoutMs: 5000 }).catch(unavailable);
    if (resolve(configFile) !== resolve(ping.source)) {
      throw new UsageError(`--config: bondd applies ${ping.source}, not ${configFile}; edit ${ping.source} (or restart bondd with --config ${configFile}) and run bondctl apply`);
    }
  }
  const result = await ctx
    .daemon<{ message: string; plan: string[]; confirmDeadline: number | null }>('apply', confirmWithinMs !== undefined ? { confirmWithinMs } : {})
    .catch(unavailable);
  if (a['json']) {
    ctx.out(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const lines = [result.message];
  if (result.plan.length === 0) lines.push('nothing to do: the kernel already matched the configuration');
  result.plan.forEach((step, i) => lines.push(`${String(i + 1).padStart(3)}. ${step}`));
  if (result.confirmDeadline !== null) {
    lines.push(`run bondctl confirm before ${formatTime(result.confirmDeadline)}, or bondd restores the state from before this apply`);
  }
  ctx.out(lines.join('\n') + '\n');
}

export async function confirm(a: Args, ctx: Context): Promise<void> {
  let extendMs: number | undefined;
  if (a['extend'] !== undefined) {
    extendMs = parseDuration(a['extend'], '--extend');
    if (extendMs < CONFIRM_MIN_MS || extendMs > CONFIRM_MAX_MS) throw new UsageError(`--extend: ${String(a['extend'])} is outside 1s..1h`);
  }
  const result = await ctx
    .daemon<{ message: string; confirmDeadline?: number | null }>('confirm', extendMs !== undefined ? { extendMs } : {}, { timeoutMs: 10_000 })
    .catch(needsDaemon('confirm needs it (it holds the pending apply)'));
  if (a['json']) ctx.out(JSON.stringify(result, null, 2) + '\n');
  else if (extendMs !== undefined && result.confirmDeadline) ctx.out(`${result.message}: run bondctl confirm before ${formatTime(result.confirmDeadline)}\n`);
  else ctx.out(`${result.message}: the applied configuration stays\n`);
}

/** Reverts an apply that waits for confirmation, now. */
export async function rollback(a: Args, ctx: Context): Promise<void> {
  const result = await ctx.daemon<{ message: string }>('rollback', {}, { timeoutMs: 120_000 }).catch(needsDaemon('rollback needs it (it holds the pending apply)'));
  ctx.out(a['json'] ? JSON.stringify(result, null, 2) + '\n' : `${result.message}\n`);
}

/**
 * Makes bondd re-read its configuration and waits for the outcome: exit 0 when the new
 * configuration is applied (or nothing changed), 1 with the reason when bondd rejected it and
 * kept the running one. The unit's ExecReload, so `systemctl reload bondd` fails visibly.
 */
export async function reload(a: Args, ctx: Context): Promise<void> {
  const result = await ctx
    .daemon<{ ok: boolean; message: string }>('reload', {}, { timeoutMs: 300_000 })
    .catch(needsDaemon('reload needs it; start it with systemctl start bondd'));
  if (a['json']) ctx.out(JSON.stringify(result, null, 2) + '\n');
  if (!result.ok) throw new CommandFailed(`reload rejected, bondd keeps the running configuration: ${result.message}`);
  if (!a['json']) ctx.out(`${result.message}\n`);
}

const jsonOption = { type: 'boolean', describe: 'print JSON (docs/cli.md)' } as const;

export function register(y: Argv, run: Runner): Argv {
  return y
    .command(
      'plan',
      'the steps that would make the kernel match the configuration, with their impact',
      (b) =>
        b
          .option('config', { alias: 'c', type: 'string', describe: 'plan this bondd.yaml here instead of asking bondd' })
          .option('json', jsonOption),
      run(plan),
    )
    .command(
      'apply',
      "make bondd apply its configuration now (needs bondd)",
      (b) =>
        b
          .option('config', { alias: 'c', type: 'string', describe: 'refuse unless bondd runs with this file' })
          .option('confirm-within', { type: 'string', describe: 'roll back unless bondctl confirm follows within this time (60s, 5m)' })
          .option('json', jsonOption),
      run(apply),
    )
    .command(
      'confirm',
      'keep an apply made with --confirm-within (needs bondd)',
      (b) =>
        b
          .option('extend', { type: 'string', describe: 'do not confirm yet: move the deadline to this long from now (5m)' })
          .option('json', jsonOption),
      run(confirm),
    )
    .command('rollback', 'revert an apply made with --confirm-within now (needs bondd)', (b) => b.option('json', jsonOption), run(rollback))
    .command('reload', 'make bondd re-read its configuration; fails with the reason if bondd rejects it (needs bondd)', (b) => b.option('json', jsonOption), run(reload));
}
