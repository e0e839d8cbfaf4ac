/**
 * `bondctl events`: bondd's event journal (failovers, carrier and MII changes, drift, applies).
 * The journal lives in the daemon, so this needs bondd (exit 3 without it).
 */
import type { Argv } from 'yargs';
import type { JournalEntry } from '../../state/journal.js';
import { DaemonNeeded, UsageError, isDaemonUnavailable } from '../exit-codes.js';
import { renderEvent } from '../render.js';
import { ifnameArg, parseSince, type Args, type Context, type Runner } from './common.js';

export async function events(a: Args, ctx: Context): Promise<void> {
  const params: Record<string, unknown> = {};
  if (a['since'] !== undefined) params['since'] = parseSince(a['since'], ctx.deps.now());
  if (a['bond'] !== undefined) params['bond'] = ifnameArg(a['bond'], '--bond');
  if (a['limit'] !== undefined) {
    const limit = Number(a['limit']);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: "${String(a['limit'])}" is not a positive whole number`);
    params['limit'] = limit;
  }
  const print = (entry: JournalEntry) => ctx.out(a['json'] ? JSON.stringify(entry) + '\n' : renderEvent(entry));
  try {
    if (a['follow'] === true) {
      params['follow'] = true;
      // Resolves when the user interrupts; bondd going away rejects (exit 1).
      await ctx.daemon('events', params, { onEvent: (e) => print(e as JournalEntry), signal: ctx.deps.interrupt });
      return;
    }
    const entries = await ctx.daemon<JournalEntry[]>('events', params, { timeoutMs: 10_000 });
    for (const entry of entries) print(entry);
  } catch (error) {
    if (isDaemonUnavailable(error)) {
      throw new DaemonNeeded(`${(error as Error).message}; events come from bondd's journal: start bondd (systemctl start bondd)`);
    }
    throw error;
  }
}

export function register(y: Argv, run: Runner): Argv {
  return y.command(
    'events',
    "bondd's event journal: failovers, link changes, drift, applies (needs bondd)",
    (b) =>
      b
        .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new events until interrupted' })
        .option('since', { type: 'string', describe: 'only events since this time: 10m, 2h, 1d back, or an ISO time' })
        .option('bond', { type: 'string', describe: 'only events of this bond' })
        .option('limit', { type: 'number', describe: 'only the newest N events' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line (docs/cli.md)' })
        .example('$0 events --since 1h --bond bond0', '')
        .example('$0 events -f --json', ''),
    run(events),
  );
}
