#!/usr/bin/env node
/**
 * bondctl: the bondd command line.
 *
 *   direct (no daemon):  create, delete, up, down, enslave, release, set, show, options
 *   read:                status, list, events (bondd), plan
 *   bondd workflow:      failover (bondd when it runs, else direct), apply, confirm, rollback, reload
 *   other:               completion, import
 *
 * Exit codes (exit-codes.ts, docs/cli.md): 0 success, 1 failed (kernel refusal explained), 2 bad
 * input (nothing touched), 3 bondd needed but not running, 4 permission denied. Errors go to stderr as
 * "bondctl: message"; nothing goes to stdout then.
 *
 * Structure: run(args, deps) is the whole program minus process wiring, so tests drive it
 * in-process with fake dependencies (no kernel, no daemon). Startup is kept short: `status` and
 * `list` with plain arguments skip yargs altogether (it costs about as much as starting Node),
 * and backends, the daemon client and the configuration loader are imported only when a
 * command reaches them.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { BackendName } from '../bond/backend.js';
import type { SysfsIO } from '../sysfs/files.js';
import { Context, DEFAULT_SOCKET_PATH, type Args, type CliDeps, type Handler, type LocalPlan, type Runner } from './commands/common.js';
import { list, status } from './commands/read.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, exitCodeFor, messageFor } from './exit-codes.js';

export type { CliDeps } from './commands/common.js';

const PROGRAM = 'bondctl';
const COMPLETION_FLAG = '--get-yargs-completions';

/** Runs one handler with its own context; every error becomes a message and an exit code. */
async function execute(handler: Handler, args: Args, deps: CliDeps): Promise<number> {
  const socket = typeof args['socket'] === 'string' ? args['socket'] : undefined;
  const ctx = new Context(deps, socket ? { socket } : {});
  try {
    await handler(args, ctx);
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeFor(error);
    let message = `${PROGRAM}: ${messageFor(error)}\n`;
    if (code === EXIT_FAILURE && !deps.isRoot() && looksLikePermission(error)) {
      message += `${PROGRAM}: hint: changing bonds needs root (CAP_NET_ADMIN)\n`;
    }
    deps.err(message);
    return code;
  } finally {
    await ctx.close();
  }
}

function looksLikePermission(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; cause?: { code?: unknown } };
  const codes = [e.code, e.cause?.code].map(String);
  return codes.includes('EACCES') || codes.includes('EPERM') || /permission denied/i.test(String(e.message));
}

/**
 * `status [bond] [--json]` and `list [--json]`, the commands run most often and from scripts,
 * parsed without yargs. Anything else (help, other flags, typos) goes through yargs, which gives
 * the same result or the proper usage error.
 */
function fastPath(args: readonly string[]): { handler: Handler; args: Args } | null {
  const [command, ...rest] = args;
  if (command !== 'status' && command !== 'list') return null;
  const parsed: Args = {};
  const positionals: string[] = [];
  for (const arg of rest) {
    if (arg === '--json') parsed['json'] = true;
    else if (arg.startsWith('-') || arg === '') return null;
    else positionals.push(arg);
  }
  if (positionals.length > (command === 'status' ? 1 : 0)) return null;
  if (positionals[0] !== undefined) parsed['bond'] = positionals[0];
  return { handler: command === 'status' ? status : list, args: parsed };
}

async function buildParser(args: readonly string[], runner: Runner): Promise<Argv> {
  const [{ default: yargs }, bond, read, options, events, failover, config, completion] = await Promise.all([
    import('yargs'),
    import('./commands/bond.js'),
    import('./commands/read.js'),
    import('./commands/options.js'),
    import('./commands/events.js'),
    import('./commands/failover.js'),
    import('./commands/config.js'),
    import('./commands/completion.js'),
  ]);
  let y: Argv = yargs([...args])
    .scriptName(PROGRAM)
    .usage(`${PROGRAM} <command> [arguments]\n\nManage Linux bonds: directly through the kernel, or through bondd.`)
    .option('socket', { type: 'string', global: true, describe: "bondd's control socket (default /run/bondd/bondd.sock or $BONDD_SOCKET)" })
    // yargs re-parses the words of a completion request through the command's builder; strict
    // mode would reject the request's own --get-yargs-completions flag there.
    .strict(args[0] !== COMPLETION_FLAG)
    .exitProcess(false)
    .demandCommand(1, `give a command (${PROGRAM} --help lists them)`)
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .option('version', { type: 'boolean', describe: 'print the version, git commit, Node.js version and whether the kernel has the bonding driver' })
    .epilogue(`Exit codes: 0 success, 1 failed (the kernel or bondd refused; message says why), 2 bad input (nothing was touched), 3 bondd is needed but not running.`)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  for (const group of [bond, read, failover, options, events, config, completion]) y = group.register(y, runner);
  y = y.command((await import('./commands/drill.js')).drillCommand as never);
  // The import command (src/cli/commands/import.ts) loads the YAML and ifcfg modules: only then.
  if (args[0] === 'import') y = y.command((await import('./commands/import.js')).importCommand as never);
  else y = y.command('import [format] [path]', "convert the host's network configuration (netplan, NetworkManager keyfiles, systemd-networkd, /etc/network/interfaces, ifcfg) to bondd.yaml");
  return y;
}

async function printVersion(deps: CliDeps): Promise<number> {
  const { versionInfo, formatVersion } = await import('../version/info.js');
  deps.out(formatVersion(PROGRAM, await versionInfo()));
  return EXIT_OK;
}

/**
 * The top-level commands as registered with yargs, hidden ones included (the man page test
 * compares bondctl(8) with this list).
 */
export async function registeredCommands(): Promise<string[]> {
  const parser = await buildParser(['import'], () => async () => undefined);
  type Internal = { getInternalMethods(): { getCommandInstance(): { getCommands(): string[] } } };
  return (parser as unknown as Internal).getInternalMethods().getCommandInstance().getCommands();
}

/** The whole program: parses `args`, runs the command, returns the exit code. */
export async function run(args: readonly string[], deps: CliDeps): Promise<number> {
  if (args.length === 1 && args[0] === '--version') return printVersion(deps);
  const fast = fastPath(args);
  if (fast) return execute(fast.handler, fast.args, deps);

  let code: number | undefined;
  // A completion request (`--get-yargs-completions words...`, sent by the completion scripts on
  // TAB) makes yargs parse the words, and it may run a command's handler while doing so: then
  // handlers do nothing, so pressing TAB after `bondctl delete bond0` deletes nothing.
  const completing = args[0] === COMPLETION_FLAG;
  const runner: Runner = (handler) => async (argv) => {
    if (!completing) code = await execute(handler, argv, deps);
  };
  let output = '';
  try {
    const parser = await buildParser(args, runner);
    await parser.parseAsync([...args], {}, (_error: Error | undefined, _argv: unknown, text: string) => {
      if (text) output += text;
    });
  } catch (error) {
    if (code !== undefined) return code;
    const exit = exitCodeFor(error);
    let message = messageFor(error);
    // yargs' recommendCommands() says only "Did you mean status?".
    const unknownCommand = /^Did you mean /.test(message);
    if (unknownCommand) message = `unknown command "${args[0]}"; ${message.replace(/^Did/, 'did')}`;
    deps.err(`${PROGRAM}: ${message}\n`);
    if (error instanceof UsageError) deps.err(`${PROGRAM}: see ${PROGRAM} ${args[0] && !args[0].startsWith('-') && !unknownCommand ? `${args[0]} ` : ''}--help\n`);
    return exit;
  }
  if (output) deps.out(output.endsWith('\n') ? output : `${output}\n`);
  // Commands registered as plain yargs modules (import) report failure through process.exitCode.
  return code ?? (typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
}

/* ---------------------------------------------------------------------------------------------- */
/* The real dependencies                                                                          */

/**
 * Reads through synchronous calls, writes as nodeSysfsIO does. A bond's reading is some 70 small
 * sysfs files; each asynchronous read is a round trip through libuv's thread pool, which made
 * `status` several times slower (measured in the emulated guest: 1.2 s against 0.3 s). A CLI
 * has nothing else to do meanwhile.
 */
function syncReads(io: SysfsIO): SysfsIO {
  return {
    ...io,
    read: async (path) => readFileSync(path, 'utf8'),
    list: async (dir) => readdirSync(dir),
    exists: async (path) => existsSync(path),
    async linkName(path) {
      try {
        return basename(readlinkSync(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
  };
}

async function openBackend(kind: BackendName) {
  // The sysfs backend alone is much lighter to load than open-backend.js, which also pulls in
  // the netlink stack; for the process's own namespace openBackend('sysfs') is this, with the
  // default IO.
  if (kind === 'sysfs') {
    const [{ SysfsBackend }, { nodeSysfsIO }] = await Promise.all([import('../backend/sysfs-backend.js'), import('../sysfs/files.js')]);
    return new SysfsBackend({ io: syncReads(nodeSysfsIO) });
  }
  return (await import('../backend/open-backend.js')).openBackend(kind);
}

/** What the daemon client throws when nobody listens, without loading the client. */
function noSocket(path: string): Error {
  return Object.assign(new Error(`bondd is not running (no answer on ${path}): connect ENOENT ${path}`), { name: 'DaemonUnavailable', path });
}

async function planLocally(configFile: string | undefined): Promise<LocalPlan> {
  const [{ loadConfig }, { formatProblem }, { KernelHost }, { plan }] = await Promise.all([
    import('../config/load.js'),
    import('../config/errors.js'),
    import('../plan/host.js'),
    import('../plan/planner.js'),
  ]);
  const { config, warnings } = await loadConfig(configFile !== undefined ? { configFile } : {});
  const host = KernelHost.open();
  try {
    return { source: config.source, plan: plan(config, await host.observe()), warnings: warnings.map(formatProblem) };
  } finally {
    await host.close();
  }
}

export function processDeps(): CliDeps {
  let controller: AbortController | undefined;
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    openBackend,
    async callDaemon(method, params, options) {
      const path = options.path ?? process.env['BONDD_SOCKET'] ?? DEFAULT_SOCKET_PATH;
      if (!existsSync(path)) throw noSocket(path);
      const { callDaemon } = await import('../daemon/client.js');
      return callDaemon(method, params, options);
    },
    async readProc(bond) {
      const { readProcBonding } = await import('../sysfs/procfs.js');
      try {
        return await readProcBonding(bond);
      } catch {
        return null;
      }
    },
    planLocally,
    now: () => Date.now(),
    isRoot: () => process.getuid?.() === 0,
    // Installed on first use only: a SIGINT handler would otherwise stop Ctrl-C from ending
    // every other command at once.
    get interrupt() {
      if (!controller) {
        const c = new AbortController();
        controller = c;
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => c.abort());
      }
      return controller.signal;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** Runs bondctl as this process: arguments from argv, exit code to process.exit. */
export function main(): void {
  // `bondctl events | head`: a closed pipe ends the program quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    throw error;
  });
  run(process.argv.slice(2), processDeps()).then(
    (code) => {
      // Let buffered output to a pipe drain, then end even if a handle is still open.
      process.stdout.write('', () => process.exit(code));
    },
    (error: unknown) => {
      process.stderr.write(`${PROGRAM}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}

if (isEntryPoint()) main();
