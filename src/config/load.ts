/**
 * One entry point for the daemon and the CLI: bondd.yaml by default, or classic configuration
 * (import/migration path): an ifcfg directory, a Debian interfaces file, netplan, NetworkManager
 * keyfiles or systemd-networkd files. All give the same
 * ConfigResult or throw ConfigError.
 */
import { importFormat } from './from-host.js';
import { importIfcfg } from './ifcfg.js';
import { importInterfaces } from './interfaces.js';
import { defaultModprobeFiles } from './modprobe.js';
import { DEFAULT_CONFIG_FILE } from './types.js';
import { loadYamlConfig } from './yaml.js';
import type { ConfigResult } from './errors.js';

export type LoadOptions =
  | {
      /** bondd.yaml path; default /etc/bondd/bondd.yaml. */
      configFile?: string;
    }
  | {
      /** Directory with ifcfg-* files, e.g. /etc/sysconfig/network-scripts. */
      ifcfgDir: string;
      /**
       * modprobe files to read for `alias`/`options` lines. Default: the files modprobe itself
       * reads (/etc/modprobe.conf, /etc/modules.conf, {/lib,/usr/lib,/run,/etc}/modprobe.d/*.conf)
       * that exist. Pass [] to ignore modprobe configuration.
       */
      modprobeFiles?: string[];
    }
  | {
      /** Debian ifupdown file with bond-* options, e.g. /etc/network/interfaces. */
      interfacesFile: string;
    }
  | {
      /** netplan YAML, NetworkManager keyfiles or systemd-networkd files: a file or a directory. */
      format: 'netplan' | 'nm' | 'networkd';
      path: string;
    };

export async function loadConfig(opts: LoadOptions = {}): Promise<ConfigResult> {
  if ('format' in opts) return importFormat(opts.format, opts.path);
  if ('interfacesFile' in opts) return importInterfaces(opts.interfacesFile);
  if ('ifcfgDir' in opts) {
    const modprobeFiles = opts.modprobeFiles ?? (await defaultModprobeFiles());
    return importIfcfg(opts.ifcfgDir, { modprobeFiles });
  }
  return loadYamlConfig(opts.configFile ?? DEFAULT_CONFIG_FILE);
}
