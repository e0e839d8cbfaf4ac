/**
 * bondctl drill [--mode M] [--nics N] [--miimon MS] [--updelay MS] [--downdelay MS] [--rate PPS]
 *               [--json] [--json-file FILE] [--svg FILE] [--reflector auto|tc|agent]
 *               [--where auto|host|guest] [--vlan ID [--bridge]]
 *
 * The failover drill (src/drill/drill.ts): builds a bond over veth NICs in throwaway network
 * namespaces, streams probes through it, breaks its links one way after another and reports
 * detection time, failover time, loss and downtime per fault. Nothing outside the namespaces it
 * creates is touched, and they are removed afterwards.
 *
 * Where it runs: in this process when the running kernel has the bonding driver; otherwise the
 * command re-runs itself inside the test VM (scripts/guest, the real driver of Debian's kernel),
 * which writes its JSON report and SVG into the VM's results folder, and this process prints the
 * table (or JSON) and copies the files to the requested paths.
 *
 * Exit codes: 0 the drill ran (whatever loss it measured), 1 it could not run, 2 bad arguments
 * (nothing was built).
 */
import { copyFile, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Argv, CommandModule } from 'yargs';

import type { BondMode } from '../../bond/option-types.js';
import type { DrillOptions, DrillOutcome } from '../../drill/drill.js';
import type { DrillReport } from '../../drill/report.js';
import { hostHasBonding } from '../../sysfs/module.js';
import { CommandFailed, UsageError } from '../exit-codes.js';

/** The modes, repeated from drill.ts so that `bondctl --help` does not load the drill. */
export const DRILL_MODE_CHOICES: readonly BondMode[] = [
  'active-backup',
  'balance-rr',
  'balance-xor',
  'broadcast',
  'balance-tlb',
  'balance-alb',
  '802.3ad',
];

export interface DrillArgs {
  mode: string;
  nics: number;
  miimon: number;
  updelay?: number;
  downdelay?: number;
  rate: number;
  json: boolean;
  'json-file'?: string;
  svg?: string;
  reflector: string;
  where: string;
  /** Probe over this 802.1Q VLAN on the bond. */
  vlan?: number;
  /** Probe through a bridge on the VLAN (or on the bond). */
  bridge?: boolean;
  /** Hidden: print the table / JSON (false in the guest re-run: the caller prints it). */
  table: boolean;
}

/** What the drill asks of the dev VM runner (scripts/lib/guest-runner.ts has this shape). */
export interface GuestRunOptions {
  /** Time limit for the whole run, boot included. */
  timeoutMs?: number;
  /** Live output of the VM or the command. */
  onOutput?(chunk: string): void;
}

export interface GuestRunResult {
  /** The command's exit code; 124 time limit, 125 the VM did not run. */
  code: number;
  output: string;
  /** Host folder with what the command wrote to $BONDD_RESULTS; the caller removes it. */
  resultsDir: string;
}

export interface DrillCommandDeps {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  hostHasBonding(): boolean;
  runDrill(options: DrillOptions): Promise<DrillOutcome>;
  runInGuest(argv: string[], opts: GuestRunOptions): Promise<GuestRunResult>;
  /** Path of the compiled bondctl (dist/src/cli/main.js) to run inside the guest. */
  cliPath(): string;
}

const RESULTS_VAR = '$BONDD_RESULTS';

/** `$BONDD_RESULTS/x` → the guest's results folder (only where BONDD_RESULTS is set). */
export function expandResultsPath(path: string, env: NodeJS.ProcessEnv): string {
  const dir = env['BONDD_RESULTS'];
  if (dir && (path === RESULTS_VAR || path.startsWith(`${RESULTS_VAR}/`))) return join(dir, path.slice(RESULTS_VAR.length));
  return path;
}

function integer(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number, not ${String(value)}`);
  return value;
}

/** Turns the parsed arguments into drill options; UsageError (exit 2) for bad input. */
export async function drillOptionsFromArgs(args: DrillArgs): Promise<DrillOptions> {
  if (!DRILL_MODE_CHOICES.includes(args.mode as BondMode)) {
    throw new UsageError(`--mode must be one of ${DRILL_MODE_CHOICES.join(', ')}, not "${args.mode}"`);
  }
  if (!['auto', 'tc', 'agent'].includes(args.reflector)) throw new UsageError(`--reflector must be auto, tc or agent, not "${args.reflector}"`);
  if (!['auto', 'host', 'guest'].includes(args.where)) throw new UsageError(`--where must be auto, host or guest, not "${args.where}"`);
  const options: DrillOptions = {
    mode: args.mode as BondMode,
    nics: integer('nics', args.nics)!,
    miimon: integer('miimon', args.miimon)!,
    rate: integer('rate', args.rate)!,
    reflector: args.reflector as 'auto' | 'tc' | 'agent',
  };
  const updelay = integer('updelay', args.updelay);
  const downdelay = integer('downdelay', args.downdelay);
  if (updelay !== undefined) options.updelay = updelay;
  if (downdelay !== undefined) options.downdelay = downdelay;
  const vlan = integer('vlan', args.vlan);
  if (vlan !== undefined) options.vlan = vlan;
  if (args.bridge) options.bridge = true;
  // The drill's own checks (ranges, delays as multiples of miimon), before anything is built.
  const { normalizeDrillOptions, DrillOptionError } = await import('../../drill/drill.js');
  try {
    normalizeDrillOptions(options);
  } catch (error) {
    if (error instanceof DrillOptionError) {
      const flag = error.message.replace(/^(nics|miimon|updelay|downdelay|rate|vlan)\b/, '--$1');
      throw new UsageError(flag);
    }
    throw error;
  }
  return options;
}

async function checkOutputPath(flag: string, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  if (path === '') throw new UsageError(`--${flag} needs a file name`);
  if (path.startsWith(RESULTS_VAR)) return;
  const dir = dirname(resolve(path));
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) throw new UsageError(`--${flag} ${path}: the folder ${dir} does not exist`);
  if (existsSync(path) && (await stat(path)).isDirectory()) throw new UsageError(`--${flag} ${path} is a folder; give a file name`);
}

async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o644 });
  await rename(tmp, path);
}

/** The whole command minus yargs; returns nothing, throws UsageError / CommandFailed. */
export async function runDrillCommand(args: DrillArgs, deps: DrillCommandDeps): Promise<void> {
  const options = await drillOptionsFromArgs(args);
  await checkOutputPath('svg', args.svg);
  await checkOutputPath('json-file', args['json-file']);
  const inGuest = deps.env['BONDD_IN_GUEST'] === '1';
  const local = inGuest || args.where === 'host' || (args.where === 'auto' && deps.hostHasBonding());

  let report: DrillReport;
  if (local) {
    let outcome: DrillOutcome;
    try {
      outcome = await deps.runDrill({ ...options, onProgress: (m) => deps.err(`drill: ${m}\n`) });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'DrillOptionError') throw new UsageError((error as Error).message);
      throw new CommandFailed(`drill failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    report = outcome.report;
    if (args.svg) {
      const path = expandResultsPath(args.svg, deps.env);
      await writeAtomically(path, outcome.svg());
      deps.err(`drill: timeline written to ${path}\n`);
    }
    if (args['json-file']) await writeAtomically(expandResultsPath(args['json-file'], deps.env), JSON.stringify(report, null, 2) + '\n');
  } else {
    report = await runElsewhere(args, options, deps);
  }

  if (!args.table) return;
  const { formatReport } = await import('../../drill/report.js');
  deps.out(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
}

/** Re-runs the command inside the test VM and brings its files back. */
async function runElsewhere(args: DrillArgs, options: DrillOptions, deps: DrillCommandDeps): Promise<DrillReport> {
  const cli = deps.cliPath();
  const argv = [process.execPath, cli, 'drill', '--mode', options.mode!, '--nics', String(options.nics), '--miimon', String(options.miimon)];
  if (options.updelay !== undefined) argv.push('--updelay', String(options.updelay));
  if (options.downdelay !== undefined) argv.push('--downdelay', String(options.downdelay));
  argv.push('--rate', String(options.rate), '--reflector', options.reflector ?? 'auto', '--where', 'host', '--no-table');
  if (options.vlan !== undefined) argv.push('--vlan', String(options.vlan));
  if (options.bridge) argv.push('--bridge');
  argv.push('--json-file', `${RESULTS_VAR}/drill.json`, '--svg', `${RESULTS_VAR}/drill.svg`);
  deps.err('drill: this kernel has no bonding driver; running the drill in the test VM (scripts/guest, about a minute)\n');
  let result: GuestRunResult;
  try {
    result = await deps.runInGuest(argv, { timeoutMs: 600_000, onOutput: (chunk) => deps.err(chunk) });
  } catch (error) {
    throw new CommandFailed(`cannot start the test VM: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const jsonPath = join(result.resultsDir, 'drill.json');
    if (result.code !== 0 || !existsSync(jsonPath)) {
      if (result.code === 2) throw new UsageError('the drill in the test VM refused its arguments (see above)');
      throw new CommandFailed(
        `the drill in the test VM failed (exit ${result.code}${result.code === 124 ? ', time limit' : result.code === 125 ? ', the VM did not run' : ''}); see the output above`,
      );
    }
    const report = JSON.parse(await readFile(jsonPath, 'utf8')) as DrillReport;
    if (args.svg) {
      await copyFile(join(result.resultsDir, 'drill.svg'), args.svg);
      deps.err(`drill: timeline written to ${args.svg}\n`);
    }
    if (args['json-file']) await copyFile(jsonPath, args['json-file']);
    return report;
  } finally {
    await rm(result.resultsDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** dist/src/cli/main.js of this checkout (the file that is run inside the VM). */
function compiledCli(): string {
  const here = fileURLToPath(import.meta.url);
  let path: string;
  if (here.endsWith('.js')) path = resolve(dirname(here), '..', 'main.js');
  else path = resolve(dirname(here), '..', '..', '..', 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(path)) throw new CommandFailed(`${path} does not exist: build bondctl first (npx tsc -p tsconfig.json, or scripts/setup)`);
  if (!isAbsolute(path)) path = resolve(path);
  return path;
}

/**
 * The dev VM runner is part of a checkout (scripts/lib/guest-runner.ts, compiled next to dist/src
 * as dist/scripts/lib/guest-runner.js), not of bondctl: it is looked up only when a drill has to
 * run in the VM, so an installed bondctl without it still runs drills on a kernel with bonding.
 */
async function checkoutGuestRunner(argv: string[], opts: GuestRunOptions): Promise<GuestRunResult> {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.js') ? '.js' : '.ts';
  const path = resolve(dirname(here), '..', '..', '..', 'scripts', 'lib', `guest-runner${ext}`);
  if (!existsSync(path)) throw new Error(`${path} does not exist: the test VM runner comes with a bondd checkout; run the drill on a kernel with the bonding driver`);
  const runner = (await import(pathToFileURL(path).href)) as { runInGuest(argv: string[], opts: GuestRunOptions): Promise<GuestRunResult> };
  return runner.runInGuest(argv, opts);
}

export function processDrillDeps(): DrillCommandDeps {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    hostHasBonding,
    // The drill (netlink addon, namespace kit) loads only when a drill runs: `bondctl --help`
    // stays cheap.
    runDrill: async (options) => (await import('../../drill/drill.js')).runDrillWithData(options),
    runInGuest: checkoutGuestRunner,
    cliPath: compiledCli,
  };
}

export const drillCommand: CommandModule<object, DrillArgs> = {
  command: 'drill',
  describe: 'failover drill: a bond in throwaway namespaces, links broken one after another; detection, failover, loss and downtime per fault',
  builder: (y: Argv) =>
    y
      .option('mode', { type: 'string', default: 'active-backup', choices: DRILL_MODE_CHOICES as BondMode[], describe: 'bonding mode' })
      .option('nics', { type: 'number', default: 2, describe: 'NICs (veth pairs) in the bond, 1-8' })
      .option('miimon', { type: 'number', default: 100, describe: 'MII link monitoring interval (ms)' })
      .option('updelay', { type: 'number', describe: 'updelay (ms, a multiple of miimon; default 2 x miimon)' })
      .option('downdelay', { type: 'number', describe: 'downdelay (ms, a multiple of miimon; default 0)' })
      .option('rate', { type: 'number', default: 1000, describe: 'probes per second' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON instead of the table' })
      .option('json-file', { type: 'string', describe: 'also write the JSON report to this file' })
      .option('svg', { type: 'string', describe: 'write the timeline (SVG) to this file' })
      .option('reflector', { type: 'string', default: 'auto', choices: ['auto', 'tc', 'agent'], describe: 'who echoes the probes: the kernel (tc) or a UDP agent' })
      .option('where', { type: 'string', default: 'auto', choices: ['auto', 'host', 'guest'], describe: 'run here (host), in the test VM (guest), or here when this kernel has bonding (auto)' })
      .option('vlan', { type: 'number', describe: 'probe over this 802.1Q VLAN on the bond (1-4094): the whole stack through failover' })
      .option('bridge', { type: 'boolean', default: false, describe: 'probe through a bridge on the VLAN (or on the bond)' })
      .option('table', { type: 'boolean', default: true, hidden: true })
      .example('$0 drill --svg drill.svg', 'active-backup over 2 NICs, miimon 100, the timeline in drill.svg')
      .example('$0 drill --mode 802.3ad --json', 'LACP against a partner bond, JSON report')
      .example('$0 drill --vlan 100 --bridge', 'probes over VLAN 100 on the bond and a bridge on it') as unknown as Argv<DrillArgs>,
  handler: async (args) => {
    await runDrillCommand(args, processDrillDeps());
  },
};
