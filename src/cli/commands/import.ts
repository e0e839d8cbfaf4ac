/**
 * bondctl import ifcfg [DIR] [--modprobe FILE...] [--output FILE]
 * bondctl import interfaces [FILE] [--output FILE]
 *
 * Reads RHEL-style network-scripts (ifcfg-bondN, ifcfg-ethN with MASTER=) and modprobe option
 * files, or Debian's /etc/network/interfaces with ifenslave's bond-* options, and prints the
 * equivalent bondd.yaml. Every invalid or unsupported value is reported with file:line and key,
 * and nothing is written then (exit 2). Warnings go to stderr.
 */
import { writeFile, rename } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { ConfigError, formatProblem } from '../../config/errors.js';
import { DEFAULT_IFCFG_DIR, importIfcfg } from '../../config/ifcfg.js';
import { DEFAULT_INTERFACES_FILE, importInterfaces } from '../../config/interfaces.js';
import { defaultModprobeFiles } from '../../config/modprobe.js';
import { renderYaml } from '../../config/render.js';

interface ImportArgs {
  format: 'ifcfg' | 'interfaces';
  path?: string;
  modprobe?: string[];
  output?: string;
  'system-modprobe': boolean;
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <format> [path]',
  describe: 'convert classic configuration (ifcfg network-scripts + modprobe options, or Debian /etc/network/interfaces) to bondd.yaml',
  builder: (y: Argv) =>
    y
      .positional('format', { choices: ['ifcfg', 'interfaces'] as const, describe: 'source format', demandOption: true })
      .positional('path', { type: 'string', describe: `ifcfg: directory with ifcfg-* files (default ${DEFAULT_IFCFG_DIR}); interfaces: the ifupdown file (default ${DEFAULT_INTERFACES_FILE})` })
      .option('modprobe', { type: 'string', array: true, describe: 'ifcfg only: modprobe files with `alias bondN bonding` / `options bondN ...` lines' })
      .option('system-modprobe', { type: 'boolean', default: false, describe: 'also read the modprobe files of this system (/etc/modprobe.d/*.conf ...)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the YAML to this file instead of stdout' })
      .example('$0 import ifcfg /etc/sysconfig/network-scripts --modprobe /etc/modprobe.d/bonding.conf', '')
      .example('$0 import interfaces /etc/network/interfaces -o /etc/bondd/bondd.yaml', '') as Argv<ImportArgs>,
  handler: async (args) => {
    try {
      if (args.format === 'interfaces' && (args.modprobe?.length || args['system-modprobe'])) {
        throw new ConfigError([{ file: '--modprobe', line: 0, path: '', message: 'modprobe files are read with ifcfg only; ifenslave takes every bond option from the interfaces file' }]);
      }
      const modprobeFiles = [...(args.modprobe ?? []), ...(args['system-modprobe'] ? await defaultModprobeFiles() : [])];
      const { config, warnings } =
        args.format === 'interfaces'
          ? await importInterfaces(args.path ?? DEFAULT_INTERFACES_FILE)
          : await importIfcfg(args.path ?? DEFAULT_IFCFG_DIR, { modprobeFiles });
      for (const w of warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
      const yaml = renderYaml(config);
      if (args.output) {
        const tmp = `${args.output}.tmp-${process.pid}`;
        await writeFile(tmp, yaml, { mode: 0o644 });
        await rename(tmp, args.output);
        process.stderr.write(`wrote ${args.output} (${config.bonds.length} bond(s))\n`);
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
