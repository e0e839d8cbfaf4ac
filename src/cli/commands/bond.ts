/**
 * Direct commands: create, delete, up, down, enslave, release, set. They act on the kernel
 * through a bond backend and need no daemon.
 *
 * Every name and value is checked against the option table before the kernel is touched (a
 * UsageError, exit 2); what the kernel then refuses comes back as an explained BondError (exit 1).
 * `set` reads the bond first so that it can apply the table's mode and miimon rules to the mode
 * the bond is in.
 */
import type { Argv } from 'yargs';
import type { BondMode, BondOption, OptionValue } from '../../bond/option-types.js';
import { ACTIVE_SLAVE_OPTION, MIIMON_OPTION, MODE_OPTION, parseOptionValue, sameOptionValue, validateOptionSet } from '../../bond/options.js';
import { CommandFailed, UsageError } from '../exit-codes.js';
import { optionHelp, showValue } from '../render.js';
import {
  BACKEND_NAMES,
  applyListEdit,
  chooseBackend,
  ifnameArg,
  ifnameListArg,
  parseAssignments,
  toRecord,
  type Args,
  type ListEdit,
  type Context,
  type Runner,
} from './common.js';

export { BACKEND_NAMES, chooseBackend };

function modeArg(value: unknown): BondMode {
  return parseOptionValue(MODE_OPTION, String(value)) as BondMode;
}

/** The order options are written in: the planner's (the table's applyOrder: mode first, it resets others). */
async function ordered(options: Map<BondOption, OptionValue>): Promise<Record<string, OptionValue>> {
  const { orderOptions } = await import('../../plan/planner.js');
  return Object.fromEntries(orderOptions(toRecord(options)));
}

function assignmentsText(options: Record<string, OptionValue>): string {
  return Object.entries(options)
    .map(([n, v]) => `${n}=${showValue(v)}`)
    .join(' ');
}

/**
 * Cross-option rules of the table for options `given` in `mode`: errors throw UsageError (one
 * line per problem), warnings go to stderr. `context` supplies values the rules need that were
 * not given (the bond's current miimon); problems about them alone are not reported.
 */
function checkOptionSet(ctx: Context, bond: string, mode: BondMode, given: Map<BondOption, OptionValue>, context: Record<string, OptionValue> = {}): void {
  const names = new Set([...given.keys()].map((o) => o.name));
  const record = { ...context, ...toRecord(given) };
  const problems = validateOptionSet(mode, record).filter((p) => names.has(p.option) || names.size === 0);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new UsageError(errors.map((p) => `${bond}: ${p.message}`).join('\n'));
  for (const p of problems) if (p.severity === 'warning') ctx.err(`bondctl: warning: ${bond}: ${p.message}\n`);
}

/** Runs `step` per item; on failure says on stderr which items were already done. */
async function eachWithProgress(ctx: Context, items: string[], verb: string, step: (item: string) => Promise<void>): Promise<void> {
  const done: string[] = [];
  for (const item of items) {
    try {
      await step(item);
    } catch (error) {
      if (done.length) ctx.err(`bondctl: note: ${done.join(', ')} ${done.length === 1 ? 'was' : 'were'} ${verb} before this failure\n`);
      throw error;
    }
    done.push(item);
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Handlers                                                                                       */

export async function create(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const given = parseAssignments((a['options'] as unknown[]) ?? [], 'bond');
  const modeOption = MODE_OPTION;
  const flagMode = a[MODE_OPTION.name] !== undefined ? modeArg(a[MODE_OPTION.name]) : undefined;
  const optionMode = given.get(modeOption) as BondMode | undefined;
  if (flagMode && optionMode && flagMode !== optionMode) throw new UsageError(`--mode ${flagMode} and mode=${optionMode} disagree; give one`);
  const mode = flagMode ?? optionMode ?? 'balance-rr';
  given.delete(modeOption);
  if (given.has(ACTIVE_SLAVE_OPTION)) {
    throw new UsageError('active_slave can not be set on a new bond (it has no slaves yet); enslave first, then use bondctl failover');
  }
  checkOptionSet(ctx, bond, mode, given);
  const backendName = chooseBackend(a['backend'], given.keys());
  const options = await ordered(given);
  const backend = await ctx.backend(backendName);
  await backend.createBond(bond, mode, options);
  if (a['up'] === true) await backend.setUp(bond, true);
  const opts = assignmentsText(options);
  ctx.out(`${bond}: created, mode ${mode}${opts ? `, ${opts}` : ''} (${backendName})${a['up'] === true ? ', up' : ''}\n`);
}

export async function remove(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const backend = await ctx.backend(chooseBackend(a['backend']));
  await backend.deleteBond(bond);
  ctx.out(`${bond}: deleted\n`);
}

export function upDown(up: boolean) {
  return async (a: Args, ctx: Context): Promise<void> => {
    const bond = ifnameArg(a['bond'], 'bond');
    const backend = await ctx.backend(chooseBackend(a['backend']));
    await backend.setUp(bond, up);
    ctx.out(`${bond}: ${up ? 'up' : 'down'}\n`);
  };
}

export async function enslave(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const slaves = ifnameListArg(a['slaves'], 'slave');
  if (slaves.includes(bond)) throw new UsageError(`slave: ${bond} can not be enslaved to itself`);
  const backend = await ctx.backend(chooseBackend(a['backend']));
  await eachWithProgress(ctx, slaves, 'enslaved', (slave) => backend.enslave(bond, slave));
  ctx.out(`${bond}: enslaved ${slaves.join(', ')}\n`);
}

export async function release(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const slaves = ifnameListArg(a['slaves'], 'slave');
  const backend = await ctx.backend(chooseBackend(a['backend']));
  await eachWithProgress(ctx, slaves, 'released', (slave) => backend.release(bond, slave));
  ctx.out(`${bond}: released ${slaves.join(', ')}\n`);
}

export async function set(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const slave = a['slave'] !== undefined ? ifnameArg(a['slave'], '--slave') : undefined;
  const edits = new Map<BondOption, ListEdit>();
  const given = parseAssignments((a['options'] as unknown[]) ?? [], slave ? 'slave' : 'bond', edits);
  if (given.size + edits.size === 0) throw new UsageError(`give at least one <option>=<value> to set (see bondctl set --help)`);
  const backendName = chooseBackend(a['backend'], [...given.keys(), ...edits.keys()]);

  // Reading is harmless; it tells the mode (and miimon) the table's rules depend on, and the
  // lists that +addr / -addr change.
  const backend = await ctx.backend(backendName);
  const before = await backend.readBond(bond);
  if (!before) throw new CommandFailed(`${bond}: no such bond`);
  for (const [option, edit] of edits) {
    const current = before.options[option.name];
    given.set(option, applyListEdit(option, Array.isArray(current) ? current : [], edit));
  }

  if (slave) {
    if (!before.slaves.some((s) => s.name === slave)) {
      throw new CommandFailed(`${bond}: ${slave} is not a slave of ${bond}${before.slaves.length ? ` (slaves: ${before.slaves.map((s) => s.name).join(', ')})` : ''}`);
    }
    for (const option of given.keys()) {
      if (!option.modes.includes(before.mode)) {
        throw new UsageError(`${bond}: ${option.name} is not supported in mode ${before.mode} (supported in: ${option.modes.join(', ')})`);
      }
    }
    const options = toRecord(given);
    await backend.setSlaveOptions(bond, slave, options);
    const after = (await backend.readBond(bond))?.slaves.find((s) => s.name === slave);
    const shown = Object.fromEntries(Object.entries(options).map(([n, v]) => [n, after?.options[n] ?? v]));
    ctx.out(`${bond}: ${slave} ${assignmentsText(shown)}\n`);
    return;
  }

  const mode = (given.get(MODE_OPTION) as BondMode | undefined) ?? before.mode;
  // Delays are checked against the miimon the bond will have.
  const context: Record<string, OptionValue> = {};
  const miimon = before.options[MIIMON_OPTION.name];
  if ([...given.keys()].some((o) => o.needsMiimon) && typeof miimon === 'number') context[MIIMON_OPTION.name] = miimon;
  checkOptionSet(ctx, bond, mode, given, context);

  const options = await ordered(given);
  await backend.setOptions(bond, options);
  const after = await backend.readBond(bond);
  const readBack = (name: string): OptionValue | undefined => (name === MODE_OPTION.name ? after?.mode : after?.options[name]);
  const shown: Record<string, OptionValue> = {};
  for (const [name, wanted] of Object.entries(options)) {
    const got = readBack(name);
    shown[name] = got ?? wanted;
    // primary reads back empty until the named interface is enslaved (sysfs keeps the name).
    if (got !== undefined && !sameOptionValue(name, got, wanted) && name !== 'primary') {
      ctx.err(`bondctl: warning: ${bond}: ${name} reads back ${showValue(got)}, not ${showValue(wanted)}\n`);
    }
  }
  ctx.out(`${bond}: ${assignmentsText(shown)}\n`);
}

/* ---------------------------------------------------------------------------------------------- */
/* Registration                                                                                   */

const backendOption = {
  choices: BACKEND_NAMES as string[],
  describe: 'kernel interface to use (default sysfs; netlink when an option has no sysfs file)',
  type: 'string',
} as const;

export function register(y: Argv, run: Runner): Argv {
  return y
    .command(
      'create <bond> [options..]',
      'create a bond (admin down, no slaves) with its mode and options',
      (b) =>
        b
          .positional('bond', { type: 'string', describe: 'name of the new bond' })
          .positional('options', { type: 'string', array: true, describe: 'bond options as name=value' })
          .option(MODE_OPTION.name, { type: 'string', describe: 'bonding mode (default balance-rr); same as mode=M' })
          .option('up', { type: 'boolean', describe: 'set the bond up once created' })
          .option('backend', backendOption)
          .example('$0 create bond0 --mode active-backup miimon=100 updelay=200 --up', '')
          // The option list is a table: yargs' wrapping would break its columns.
          .wrap(null)
          .epilogue(optionHelp('bond')),
      run(create),
    )
    .command(
      'delete <bond>',
      'delete a bond (its slaves are released)',
      (b) => b.positional('bond', { type: 'string' }).option('backend', backendOption),
      run(remove),
    )
    .command('up <bond>', 'set a bond administratively up', (b) => b.positional('bond', { type: 'string' }).option('backend', backendOption), run(upDown(true)))
    .command('down <bond>', 'set a bond administratively down', (b) => b.positional('bond', { type: 'string' }).option('backend', backendOption), run(upDown(false)))
    .command(
      'enslave <bond> <slaves..>',
      'add interfaces to a bond (each is set down first, as the kernel requires)',
      (b) => b.positional('bond', { type: 'string' }).positional('slaves', { type: 'string', array: true }).option('backend', backendOption),
      run(enslave),
    )
    .command(
      'release <bond> <slaves..>',
      'remove interfaces from a bond',
      (b) => b.positional('bond', { type: 'string' }).positional('slaves', { type: 'string', array: true }).option('backend', backendOption),
      run(release),
    )
    .command(
      'set <bond> [options..]',
      'change bond options, or slave options with --slave',
      (b) =>
        b
          .positional('bond', { type: 'string' })
          .positional('options', { type: 'string', array: true, describe: 'options as name=value' })
          .option('slave', { type: 'string', describe: 'set per-slave options of this slave instead' })
          .option('backend', backendOption)
          .example('$0 set bond0 miimon=100 updelay=200', '')
          .example('$0 set bond0 arp_ip_target=+192.0.2.3', 'add to (or with -, remove from) an address list, as in sysfs')
          .example('$0 set bond0 --slave eth0 prio=10 queue_id=1', '')
          .wrap(null)
          .epilogue(`${optionHelp('bond')}\n\n${optionHelp('slave')}`),
      run(set),
    );
}
