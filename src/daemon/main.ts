#!/usr/bin/env node
/**
 * bondd entry point. Runs in the foreground, as systemd expects (Type=notify).
 *
 *   bondd [--config FILE]                      bondd.yaml (default /etc/bondd/bondd.yaml)
 *   bondd --ifcfg DIR [--modprobe FILE...]     the classic network-scripts format
 *   bondd --interfaces FILE                    Debian's /etc/network/interfaces (bond-* options)
 *   bondd --netplan|--nm|--networkd PATH       netplan YAML, NetworkManager keyfiles, networkd files
 *   bondd --check [...]                        validate and print the plan; touch nothing
 *   bondd ... --metrics-listen 127.0.0.1:PORT  Prometheus /metrics (docs/metrics.md); off by default
 *   bondd ... --metrics-textfile FILE.prom     the same for node_exporter's textfile collector
 *
 * Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration or arguments (the unit's
 * RestartPreventExitStatus=2: restarting cannot fix the file).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, formatProblem } from '../config/errors.js';
import { loadConfig, type LoadOptions } from '../config/load.js';
import { DEFAULT_CONFIG_FILE } from '../config/types.js';
import { DEFAULT_CONTROL_SOCKET } from './control.js';
import { Daemon } from './daemon.js';
import { journaldLogger, PRIORITY, withPriority } from './log.js';
import { parseListenAddress } from '../metrics/server.js';
import { validateTextfilePath } from '../metrics/textfile.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(): Promise<number> {
  if (process.argv.length === 3 && process.argv[2] === '--version') return printVersion();
  const argv = await yargs(hideBin(process.argv))
    .scriptName('bondd')
    .usage('$0 [--config FILE | --ifcfg DIR [--modprobe FILE...] | --interfaces FILE] [--check]\n\nKeeps the kernel\'s bonds matching the configuration and records every failover.')
    .option('config', { alias: 'c', type: 'string', describe: 'bondd.yaml to use', default: DEFAULT_CONFIG_FILE })
    .option('ifcfg', { type: 'string', describe: 'use a directory of ifcfg-* files (RHEL network-scripts) instead of bondd.yaml' })
    .option('modprobe', { type: 'string', array: true, describe: 'modprobe option files to read with --ifcfg (default: the ones modprobe reads)' })
    .option('interfaces', { type: 'string', describe: "use a Debian ifupdown file (/etc/network/interfaces with ifenslave's bond-* options) instead of bondd.yaml" })
    .option('netplan', { type: 'string', describe: 'use netplan YAML (a file or a directory such as /etc/netplan) instead of bondd.yaml' })
    .option('nm', { type: 'string', describe: 'use NetworkManager keyfiles (a file or a directory) instead of bondd.yaml' })
    .option('networkd', { type: 'string', describe: 'use systemd-networkd .netdev/.network files (a file or a directory) instead of bondd.yaml' })
    .conflicts('ifcfg', ['interfaces', 'netplan', 'nm', 'networkd'])
    .conflicts('interfaces', ['netplan', 'nm', 'networkd'])
    .conflicts('netplan', ['nm', 'networkd'])
    .conflicts('nm', 'networkd')
    .option('check', { type: 'boolean', default: false, describe: 'validate the configuration, print the plan, change nothing' })
    .option('state-dir', { type: 'string', default: '/var/lib/bondd', describe: 'where the event journal is kept' })
    .option('socket', { type: 'string', default: DEFAULT_CONTROL_SOCKET, describe: 'control socket path' })
    .option('netns', { type: 'string', describe: 'manage the bonds of this named network namespace (/run/netns/NAME)' })
    .option('metrics-listen', { type: 'string', describe: 'serve Prometheus metrics at http://HOST:PORT/metrics (loopback only unless --metrics-allow-remote; off by default)' })
    .option('metrics-allow-remote', { type: 'boolean', default: false, describe: 'let --metrics-listen use a non-loopback address (the endpoint has no authentication)' })
    .option('metrics-textfile', { type: 'string', describe: "write the metrics to this *.prom file for node_exporter's textfile collector (off by default)" })
    .strict()
    .fail((message, error) => {
      throw Object.assign(error ?? new Error(message), { usage: true });
    })
    .help()
    .version(false)
    .option('version', { type: 'boolean', describe: 'print the version, git commit, Node.js version and whether the kernel has the bonding driver' })
    .parseAsync();

  if (argv.netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(argv.netns)) throw Object.assign(new Error(`--netns: "${argv.netns}" is not a namespace name`), { usage: true });
  const load: LoadOptions =
    argv.ifcfg !== undefined
      ? { ifcfgDir: argv.ifcfg, ...(argv.modprobe ? { modprobeFiles: argv.modprobe } : {}) }
      : argv.interfaces !== undefined
        ? { interfacesFile: argv.interfaces }
        : argv.netplan !== undefined
          ? { format: 'netplan', path: argv.netplan }
          : argv.nm !== undefined
            ? { format: 'nm', path: argv.nm }
            : argv.networkd !== undefined
              ? { format: 'networkd', path: argv.networkd }
              : { configFile: argv.config };
  const netnsPath = argv.netns ? `/run/netns/${argv.netns}` : undefined;
  const usage = (flag: string, fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      throw Object.assign(new Error(`${flag}: ${(error as Error).message}`), { usage: true });
    }
  };
  if (argv['metrics-listen'] !== undefined) usage('--metrics-listen', () => parseListenAddress(argv['metrics-listen']!, { allowNonLoopback: argv['metrics-allow-remote'] }));
  if (argv['metrics-textfile'] !== undefined) usage('--metrics-textfile', () => validateTextfilePath(argv['metrics-textfile']!));

  if (argv.check) return check(load, netnsPath);

  const daemon = await Daemon.start({
    load,
    stateDir: argv['state-dir'],
    socketPath: argv.socket,
    ...(netnsPath ? { netnsPath } : {}),
    ...(argv['metrics-listen'] !== undefined ? { metricsListen: argv['metrics-listen'], metricsAllowRemote: argv['metrics-allow-remote'] } : {}),
    ...(argv['metrics-textfile'] !== undefined ? { metricsTextfile: argv['metrics-textfile'] } : {}),
  });
  process.on('SIGHUP', () => void daemon.reload());
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      journaldLogger.info(`${signal}: stopping`);
      void daemon.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** --version (src/version/info.ts): loaded only for it. */
async function printVersion(): Promise<number> {
  const { versionInfo, formatVersion } = await import('../version/info.js');
  process.stdout.write(formatVersion('bondd', await versionInfo()));
  return 0;
}

async function check(load: LoadOptions, netnsPath: string | undefined): Promise<number> {
  const { config, warnings } = await loadConfig(load);
  (await import('../dhcp/load-check.js')).requireDhcpClient(config);
  for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  process.stdout.write(`${config.source}: valid, ${config.bonds.length} bond(s)\n`);
  const [{ KernelHost }, { plan, describeStep }] = await Promise.all([import('../plan/host.js'), import('../plan/planner.js')]);
  const host = KernelHost.open(netnsPath ? { netnsPath } : {});
  try {
    const p = plan(config, await host.observe());
    if (!p.steps.length) process.stdout.write('plan: nothing to do, the kernel matches\n');
    for (const [i, s] of p.steps.entries()) process.stdout.write(`${String(i + 1).padStart(3)}. ${describeStep(s)}  [impact ${s.impact}] ${s.reason}\n`);
    for (const pending of p.pending) process.stdout.write(`pending: ${pending.reason}\n`);
    for (const problem of p.problems) process.stdout.write(`problem: ${problem.message}\n`);
  } finally {
    await host.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error & { usage?: boolean }) => {
    // Under systemd (JOURNAL_STREAM set) every line at priority err: this is why the unit failed,
    // and journalctl -p err must show all of it. On a terminal (bondd --check) plain text.
    const fatal = (text: string) => process.stderr.write(process.env['JOURNAL_STREAM'] ? withPriority(PRIORITY.err, text) : `${text}\n`);
    if (error instanceof ConfigError) {
      fatal(`bondd: invalid configuration, nothing changed:\n${error.message}`);
      process.exit(EXIT_USAGE);
    }
    fatal(`bondd: ${error.message}`);
    process.exit(error.usage ? EXIT_USAGE : EXIT_FAILURE);
  },
);
