/**
 * `bondctl failover`: switch the active slave (active-backup, balance-tlb, balance-alb). Through
 * bondd when it runs (it records the failover and its cause in the journal), else directly by
 * writing active_slave. Either way the change is read back before it is reported.
 */
import type { Argv } from 'yargs';
import type { ObservedBond } from '../../bond/backend.js';
import { ACTIVE_SLAVE_OPTION } from '../../bond/options.js';
import { CommandFailed } from '../exit-codes.js';
import { BACKEND_NAMES, chooseBackend, ifnameArg, type Args, type Context, type Runner } from './common.js';

/** `bondctl failover --json`. */
export interface FailoverView {
  bond: string;
  from: string | null;
  to: string;
  /** bondd: the daemon did it; kernel: bondctl wrote active_slave itself. */
  via: 'bondd' | 'kernel';
}

const VERIFY_MS = 1000;
const VERIFY_STEP_MS = 50;

/** The next backup with MII up after the active slave, in enslavement order (wrapping round). */
export function nextBackup(bond: ObservedBond): string | undefined {
  const slaves = bond.slaves;
  const start = slaves.findIndex((s) => s.name === bond.activeSlave);
  const rotated = [...slaves.slice(start + 1), ...slaves.slice(0, start + 1)];
  return rotated.find((s) => s.name !== bond.activeSlave && s.mii === 'up')?.name;
}

async function direct(ctx: Context, bond: string, to: string | undefined, backendFlag: unknown): Promise<FailoverView | null> {
  const backend = await ctx.backend(chooseBackend(backendFlag));
  const before = await backend.readBond(bond);
  if (!before) throw new CommandFailed(`${bond}: no such bond`);
  const modes = ACTIVE_SLAVE_OPTION.modes;
  if (!modes.includes(before.mode)) {
    throw new CommandFailed(`${bond}: mode ${before.mode} has no active slave to switch (failover works in ${modes.join(', ')})`);
  }
  const slaves = before.slaves.map((s) => `${s.name} ${s.mii}`).join(', ') || 'none';
  let target = to;
  if (target !== undefined) {
    if (!before.slaves.some((s) => s.name === target)) throw new CommandFailed(`${bond}: ${target} is not a slave of ${bond} (slaves: ${slaves})`);
    if (target === before.activeSlave) {
      ctx.out(`${bond}: ${target} is already the active slave\n`);
      return null;
    }
  } else {
    target = nextBackup(before);
    if (!target) throw new CommandFailed(`${bond}: no backup slave has its link up to take over (slaves: ${slaves})`);
  }
  await backend.setOptions(bond, { active_slave: target });
  // The switch happens inside the write; read back (briefly retrying) before claiming it.
  let after = await backend.readBond(bond);
  for (let i = 0; i < VERIFY_MS / VERIFY_STEP_MS && after?.activeSlave !== target; i++) {
    await ctx.deps.sleep(VERIFY_STEP_MS);
    after = await backend.readBond(bond);
  }
  if (after?.activeSlave !== target) {
    throw new CommandFailed(`${bond}: the kernel accepted active_slave ${target} but ${after?.activeSlave ?? 'no slave'} is active`);
  }
  return { bond, from: before.activeSlave, to: target, via: 'kernel' };
}

export async function failover(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const to = a['to'] !== undefined ? ifnameArg(a['to'], '--to') : undefined;
  let view: FailoverView | null;
  const viaDaemon = await ctx.daemonIfRunning<{ from: string | null; to: string }>('failover', { bond, ...(to ? { to } : {}) }, { timeoutMs: 15_000 });
  if (viaDaemon) view = { bond, from: viaDaemon.from, to: viaDaemon.to, via: 'bondd' };
  else view = await direct(ctx, bond, to, a['backend']);
  if (!view) return;
  ctx.out(a['json'] ? JSON.stringify(view, null, 2) + '\n' : `${bond}: active slave ${view.from ?? 'none'} → ${view.to}${view.via === 'bondd' ? ' (via bondd)' : ''}\n`);
}

export function register(y: Argv, run: Runner): Argv {
  return y.command(
    'failover <bond>',
    'switch the active slave (to the next backup with link up, or --to IF); via bondd when it runs',
    (b) =>
      b
        .positional('bond', { type: 'string' })
        .option('to', { type: 'string', describe: 'the slave to make active' })
        .option('backend', { choices: BACKEND_NAMES as string[], type: 'string', describe: 'kernel interface to use without bondd' })
        .option('json', { type: 'boolean', describe: 'print {bond, from, to, via} as JSON' }),
    run(failover),
  );
}
