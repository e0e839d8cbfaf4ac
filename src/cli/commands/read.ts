/**
 * Read commands over the kernel: status (plus what bondd knows, when it runs), list, show.
 * Each prints a human view, or with --json the documented object the view is rendered from.
 */
import type { Argv } from 'yargs';
import type { BackendName } from '../../bond/backend.js';
import { renderBond, renderList, renderStatus } from '../render.js';
import { gatherStatus, listView, readKernel } from '../status.js';
import { BACKEND_NAMES, chooseBackend, ifnameArg, type Args, type Context, type Runner } from './common.js';

/**
 * status and list read through sysfs (no netlink socket to open: the quickest start); show
 * defaults to netlink, the only interface that reports every option (prio, ns_ip6_target,
 * coupled_control) and the 802.3ad churn states.
 */
export const STATUS_BACKEND: BackendName = 'sysfs';
export const SHOW_BACKEND: BackendName = 'netlink';

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export async function status(a: Args, ctx: Context): Promise<void> {
  const bond = a['bond'] !== undefined ? ifnameArg(a['bond'], 'bond') : undefined;
  const view = await gatherStatus(ctx, bond, a['backend'] !== undefined ? chooseBackend(a['backend']) : STATUS_BACKEND);
  ctx.out(a['json'] ? json(view) : renderStatus(view, ctx.deps.now()));
}

export async function list(a: Args, ctx: Context): Promise<void> {
  const view = listView(await readKernel(ctx, a['backend'] !== undefined ? chooseBackend(a['backend']) : STATUS_BACKEND));
  ctx.out(a['json'] ? json(view) : renderList(view));
}

export async function show(a: Args, ctx: Context): Promise<void> {
  const bond = ifnameArg(a['bond'], 'bond');
  const [view] = await readKernel(ctx, a['backend'] !== undefined ? chooseBackend(a['backend']) : SHOW_BACKEND, [bond]);
  ctx.out(a['json'] ? json(view) : renderBond(view!, { allOptions: true }));
}

const jsonOption = { type: 'boolean', describe: 'print the documented JSON object (docs/cli.md) instead' } as const;
const backendOption = { choices: BACKEND_NAMES as string[], type: 'string', describe: 'kernel interface to read through' } as const;

export function register(y: Argv, run: Runner): Argv {
  return y
    .command(
      'status [bond]',
      'bonds as the kernel has them (like /proc/net/bonding), with drift and the last failover when bondd runs',
      (b) => b.positional('bond', { type: 'string' }).option('json', jsonOption).option('backend', backendOption),
      run(status),
    )
    .command('list', 'one line per bond: mode, state, active slave, slaves', (b) => b.option('json', jsonOption).option('backend', backendOption), run(list))
    .command(
      'show <bond>',
      'the full kernel view of a bond and its slaves, every option included',
      (b) => b.positional('bond', { type: 'string' }).option('json', jsonOption).option('backend', backendOption),
      run(show),
    );
}
