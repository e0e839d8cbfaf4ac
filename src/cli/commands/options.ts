/**
 * `bondctl options`: the option table (src/bond/options.ts) as operators need it: names and
 * aliases, accepted values, defaults, modes, and when a change is allowed.
 */
import type { Argv } from 'yargs';
import type { BondMode } from '../../bond/option-types.js';
import { MODES, MODE_OPTION, parseOptionValue } from '../../bond/options.js';
import { optionsView, renderOptions } from '../render.js';
import type { Args, Context, Runner } from './common.js';

export async function options(a: Args, ctx: Context): Promise<void> {
  // parseOptionValue() takes names and kernel numbers, and its message lists the modes.
  const flag = a[MODE_OPTION.name];
  const mode = flag !== undefined ? (parseOptionValue(MODE_OPTION, String(flag)) as BondMode) : null;
  const view = optionsView(mode);
  ctx.out(a['json'] ? JSON.stringify(view, null, 2) + '\n' : renderOptions(view));
}

export function register(y: Argv, run: Runner): Argv {
  return y.command(
    'options',
    'the bond and slave options: values, defaults, modes, constraints',
    (b) =>
      b
        .option(MODE_OPTION.name, { type: 'string', describe: `only the options accepted in this mode, with its defaults (${MODES.join(', ')})` })
        .option('json', { type: 'boolean', describe: 'print the documented JSON object (docs/cli.md) instead' }),
    run(options),
  );
}
