/**
 * bondctl import ifcfg <dir> [--modprobe FILE...] [--output FILE]
 *
 * Reads RHEL-style network-scripts (ifcfg-bondN, ifcfg-ethN with MASTER=) and modprobe option
 * files, and prints the equivalent bondd.yaml. Every invalid or unsupported value is reported
 * with file:line and key, and nothing is written then (exit 2). Warnings go to stderr.
 */
import { writeFile, rename } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { ConfigError, formatProblem } from '../../config/errors.js';
import { importIfcfg } from '../../config/ifcfg.js';
import { defaultModprobeFiles } from '../../config/modprobe.js';
import { renderYaml } from '../../config/render.js';

interface ImportArgs {
  format: string;
  dir: string;
  modprobe?: string[];
  output?: string;
  'system-modprobe': boolean;
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <format> <dir>',
  describe: 'convert classic configuration (ifcfg network-scripts + modprobe options) to bondd.yaml',
  builder: (y: Argv) =>
    y
      .positional('format', { choices: ['ifcfg'] as const, describe: 'source format', demandOption: true })
      .positional('dir', { type: 'string', describe: 'directory with ifcfg-* files, e.g. /etc/sysconfig/network-scripts', demandOption: true })
      .option('modprobe', { type: 'string', array: true, describe: 'modprobe files with `alias bondN bonding` / `options bondN ...` lines' })
      .option('system-modprobe', { type: 'boolean', default: false, describe: 'also read the modprobe files of this system (/etc/modprobe.d/*.conf ...)' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the YAML to this file instead of stdout' })
      .example('$0 import ifcfg /etc/sysconfig/network-scripts --modprobe /etc/modprobe.d/bonding.conf', '') as Argv<ImportArgs>,
  handler: async (args) => {
    const modprobeFiles = [...(args.modprobe ?? []), ...(args['system-modprobe'] ? await defaultModprobeFiles() : [])];
    try {
      const { config, warnings } = await importIfcfg(args.dir, { modprobeFiles });
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
