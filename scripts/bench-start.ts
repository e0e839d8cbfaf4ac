/**
 * Start-up of the packaged commands against `node -e 0` of the same Node.js, measured in one run
 * (scripts/bench-start is the wrapper; see there for the options).
 *
 * Every round runs each command once, in a rotating order, so a busy moment on the machine hits
 * all commands alike; the figure per command is the median whole-process wall time (spawn to
 * exit) over the rounds, and its ratio to the median of `node -e 0`.
 *
 * `status (daemon up)` needs a bondd: one is started with an empty configuration ("bonds: {}")
 * inside a network namespace made for the run (bdt-bench-<pid>), so it manages nothing of the
 * machine's; it and the namespace are removed at the end, also on failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Options {
  runs: number;
  binary: string;
  daemon: string[];
  /** The bundle scripts/package made (.cache/package/bondd.js): run by node, for comparison. */
  bundle?: string;
  /** The checkout's tsc output (dist/src/cli/main.js): run by node, for comparison. */
  checkout?: string;
}

interface Command {
  label: string;
  argv: string[];
  env?: Record<string, string>;
}

function usage(message: string): never {
  process.stderr.write(`bench-start: ${message}\nusage: scripts/bench-start [--runs N] [--binary PATH] [--bundle FILE] [--checkout FILE] [--daemon-command CMD...]\n`);
  process.exit(2);
}

function parseArgs(args: string[]): Options {
  const options: Options = { runs: 15, binary: '/usr/lib/bondd/bondd', daemon: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = args[i + 1];
    if (arg === '--runs' && value && /^[1-9][0-9]*$/.test(value)) options.runs = Number(value);
    else if (arg === '--binary' && value) options.binary = value;
    else if (arg === '--bundle' && value) options.bundle = value;
    else if (arg === '--checkout' && value) options.checkout = value;
    else if (arg === '--daemon-command' && value) options.daemon = args.slice(i + 1);
    else usage(`bad argument ${arg ?? ''}`);
    if (arg === '--daemon-command') break;
    i++;
  }
  if (!existsSync(options.binary)) usage(`${options.binary} does not exist (build it with scripts/package)`);
  return options;
}

/** Wall time of one run in milliseconds; throws when the command fails. */
function timeOnce(command: Command): number {
  const [file, ...argv] = command.argv;
  const start = process.hrtime.bigint();
  const result = spawnSync(file!, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...command.env }, timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command.label}: exit ${result.status ?? result.signal}: ${String(result.stderr).trim()}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function measure(commands: Command[], runs: number): Map<string, number[]> {
  const times = new Map(commands.map((c) => [c.label, [] as number[]]));
  for (const c of commands) timeOnce(c); // warm the page cache
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const command = commands[(round + k) % commands.length]!;
      times.get(command.label)!.push(timeOnce(command));
    }
  }
  return times;
}

async function startDaemon(argv: string[], dir: string, namespace: string): Promise<ChildProcess> {
  const config = join(dir, 'bondd.yaml');
  writeFileSync(config, 'bonds: {}\n');
  const socket = join(dir, 'bondd.sock');
  const [file, ...rest] = argv;
  const child = spawn(file!, [...rest, '--config', config, '--state-dir', join(dir, 'state'), '--socket', socket, '--netns', namespace], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bondd did not open ${socket} (exit ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

function report(times: Map<string, number[]>, reference: string): void {
  const base = median(times.get(reference)!);
  process.stdout.write(`node ${process.version}, ${times.get(reference)!.length} runs each, median wall time\n`);
  for (const [label, values] of times) {
    const m = median(values);
    const ratio = label === reference ? '' : `  ${(m / base).toFixed(2)}x node -e 0${label.startsWith('bondctl') ? (m / base <= 1.25 ? '  (goal <= 1.25x: met)' : '  (goal <= 1.25x: NOT met)') : ''}`;
    process.stdout.write(`${label.padEnd(32)} ${m.toFixed(1).padStart(7)} ms${ratio}\n`);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'bondd-bench-start-'));
  const namespace = `bdt-bench-${process.pid}`;
  let daemon: ChildProcess | undefined;
  try {
    // The packaged program runs the command it is started as (argv[1]): links named after them.
    for (const name of ['bondd', 'bondctl']) symlinkSync(options.binary, join(dir, name));
    const bondctl = join(dir, 'bondctl');
    const down = { BONDD_SOCKET: join(dir, 'absent.sock') };
    const commands: Command[] = [
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      { label: 'bondctl --version', argv: [bondctl, '--version'] },
      { label: 'bondctl --help', argv: [bondctl, '--help'] },
      { label: 'bondctl status (daemon down)', argv: [bondctl, 'status'], env: down },
      { label: 'bondd --version', argv: [join(dir, 'bondd'), '--version'] },
      { label: 'bondd --help', argv: [join(dir, 'bondd'), '--help'] },
    ];
    spawnSync('ip', ['netns', 'add', namespace], { stdio: 'inherit' });
    daemon = await startDaemon(options.daemon.length ? options.daemon : [join(dir, 'bondd')], dir, namespace);
    const up = { BONDD_SOCKET: join(dir, 'bondd.sock') };
    commands.splice(4, 0, { label: 'bondctl status (daemon up)', argv: [bondctl, 'status'], env: up });
    // The alternatives the packaged executable was chosen over, measured in the same rounds.
    const alternatives: Array<[string, string[]]> = [];
    if (options.bundle) {
      // The bundle runs the command it is started as: a copy named bondctl.
      mkdirSync(join(dir, 'bundle'));
      copyFileSync(options.bundle, join(dir, 'bundle', 'bondctl'));
      alternatives.push(['node + bundle', [process.execPath, join(dir, 'bundle', 'bondctl')]]);
    }
    if (options.checkout) alternatives.push(['node + tsc output', [process.execPath, options.checkout]]);
    for (const [what, argv] of alternatives) {
      commands.push(
        { label: `${what}: --version`, argv: [...argv, '--version'] },
        { label: `${what}: --help`, argv: [...argv, '--help'] },
        { label: `${what}: status (up)`, argv: [...argv, 'status'], env: up },
      );
    }
    report(measure(commands, options.runs), 'node -e 0');
  } finally {
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon!.once('exit', resolve));
    }
    spawnSync('ip', ['netns', 'del', namespace], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
