/**
 * bondctl import netplan|nm|networkd|interfaces|ifcfg [PATH] [--output FILE]
 * bondctl import --from-host [--output FILE]
 *
 * Reads the host's existing network configuration (netplan YAML, NetworkManager keyfiles,
 * systemd-networkd .netdev/.network, Debian /etc/network/interfaces with ifupdown/ifupdown2 bond
 * options, RHEL ifcfg files with modprobe options) and prints the equivalent bondd.yaml: the
 * bonds and their stacks (VLANs, bridges, addresses, routes, DHCP). Every line of the input is
 * imported, named in a warning (what bondd does not do, and what to do), or an error; every
 * interface that is not part of a bond's stack is named. Errors: file:line and key, nothing is
 * written, exit 2. Warnings go to stderr. docs/import.md lists every key of every format.
 */
import { writeFile, rename } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import type { ImportResult } from '../../config/assemble.js';
import { ConfigError, formatProblem } from '../../config/errors.js';
import { importFormat, importFromHost, type ImportFormat } from '../../config/from-host.js';
import { DEFAULT_IFCFG_DIR } from '../../config/ifcfg.js';
import { DEFAULT_INTERFACES_FILE } from '../../config/interfaces.js';
import { defaultModprobeFiles } from '../../config/modprobe.js';
import { renderYaml } from '../../config/render.js';
import { UsageError } from '../exit-codes.js';

const FORMATS = ['netplan', 'nm', 'networkd', 'interfaces', 'ifcfg'] as const;

interface ImportArgs {
  format?: ImportFormat;
  path?: string;
  modprobe?: string[];
  output?: string;
  'system-modprobe': boolean;
  'from-host': boolean;
  root: string;
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import [format] [path]',
  describe: "convert the host's network configuration (netplan, NetworkManager keyfiles, systemd-networkd, /etc/network/interfaces, ifcfg) to bondd.yaml",
  builder: (y: Argv) =>
    y
      .positional('format', { choices: FORMATS, describe: 'source format (or --from-host)' })
      .positional('path', {
        type: 'string',
        describe: `a file or directory; default where the tool reads it: /etc/netplan (+/run, /lib), /etc/NetworkManager/system-connections, /etc/systemd/network (+/run, /usr/lib), ${DEFAULT_INTERFACES_FILE}, ${DEFAULT_IFCFG_DIR}`,
      })
      .option('from-host', { type: 'boolean', default: false, describe: 'find which format this host uses, import it, and list the files read and ignored' })
      .option('root', { type: 'string', default: '/', hidden: true, describe: 'look for the system files under this directory (tests)' })
      .option('modprobe', { type: 'string', array: true, describe: 'ifcfg only: modprobe files with `alias bondN bonding` / `options bondN ...` lines' })
      .option('system-modprobe', { type: 'boolean', default: false, describe: 'ifcfg only: also read the modprobe files of this system (/etc/modprobe.d/*.conf ...)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the YAML to this file instead of stdout' })
      .check((a) => {
        if (!a['from-host'] && a.format === undefined) throw new UsageError(`name a format (${FORMATS.join(', ')}) or use --from-host`);
        if (a['from-host'] && a.format !== undefined) throw new UsageError('--from-host picks the format itself; leave out the format');
        return true;
      })
      .example('$0 import --from-host -o /etc/bondd/bondd.yaml', '')
      .example('$0 import netplan /etc/netplan', '')
      .example('$0 import ifcfg /etc/sysconfig/network-scripts --modprobe /etc/modprobe.d/bonding.conf', '') as Argv<ImportArgs>,
  handler: async (args) => {
    try {
      let result: ImportResult;
      if (args['from-host']) {
        const found = await importFromHost(args.root);
        if (!found) {
          process.stderr.write('bondctl import: found no netplan, NetworkManager, networkd, interfaces or ifcfg configuration on this host\n');
          process.exitCode = 2;
          return;
        }
        result = found.result;
        process.stderr.write(`this host is configured by ${found.format}; read:\n${found.read.map((f) => `  ${f}\n`).join('')}`);
        if (found.ignored.length) process.stderr.write(`not read:\n${found.ignored.map((i) => `  ${i.file}: ${i.why}\n`).join('')}`);
      } else {
        if (args.format !== 'ifcfg' && (args.modprobe?.length || args['system-modprobe'])) {
          throw new ConfigError([{ file: '--modprobe', line: 0, path: '', message: 'modprobe files are read with ifcfg only; the other formats give every bond option themselves' }]);
        }
        const modprobeFiles = [...(args.modprobe ?? []), ...(args['system-modprobe'] ? await defaultModprobeFiles() : [])];
        result = await importFormat(args.format!, args.path, args.root, modprobeFiles);
      }
      for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      const yaml = renderYaml(result.config);
      if (args.output) {
        const tmp = `${args.output}.tmp-${process.pid}`;
        await writeFile(tmp, yaml, { mode: 0o644 });
        await rename(tmp, args.output);
        process.stderr.write(`wrote ${args.output} (${result.config.bonds.length} bond(s))\n`);
      } else {
        process.stdout.write(yaml);
      }
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`bondctl import: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
  },
};
