/**
 * `bondctl import --from-host`: which network configuration does this host use? Looks for each
 * format where its tool reads it, picks the one that configures the host, imports it, and says
 * which files it read and which it left alone (and why).
 *
 * Order when several are present: netplan first (it generates networkd or NetworkManager files
 * under /run, which are its output, not separate configuration), then NetworkManager keyfiles,
 * networkd files under /etc or /run (the ones in /usr/lib are the distribution's defaults),
 * Debian's /etc/network/interfaces, RHEL's ifcfg files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportResult } from './assemble.js';
import { DEFAULT_IFCFG_DIR, importIfcfg, isIgnoredIfcfgName } from './ifcfg.js';
import { DEFAULT_INTERFACES_FILE, importInterfaces } from './interfaces.js';
import { defaultModprobeFiles } from './modprobe.js';
import { importNetplan, netplanFiles } from './netplan.js';
import { importNetworkd, networkdFiles } from './networkd.js';
import { importNm, nmFiles } from './nm.js';

export type ImportFormat = 'netplan' | 'nm' | 'networkd' | 'interfaces' | 'ifcfg';

export interface HostSource {
  format: ImportFormat;
  /** The files of this format that exist. */
  files: string[];
}

export interface FromHost {
  format: ImportFormat;
  result: ImportResult;
  /** Files the import read. */
  read: string[];
  /** Files found and not read, with why. */
  ignored: Array<{ file: string; why: string }>;
}

async function list(dir: string, keep: (n: string) => boolean): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter(keep).sort().map((n) => join(dir, n));
}

/** Every format that has configuration under `root`, in the order of preference. */
export async function detectSources(root = '/'): Promise<HostSource[]> {
  const out: HostSource[] = [];
  const np = await netplanFiles(root);
  if (np.files.length) out.push({ format: 'netplan', files: np.files });
  const nm = await nmFiles(root);
  if (nm.length) out.push({ format: 'nm', files: nm });
  const nd = (await networkdFiles(root)).files.filter((f) => !f.includes('/usr/lib/') && !f.startsWith(join(root, 'lib/')));
  if (nd.length) out.push({ format: 'networkd', files: nd });
  const eni = join(root, DEFAULT_INTERFACES_FILE);
  const eniText = await readFile(eni, 'utf8').catch(() => undefined);
  // A file with only the loopback (Debian's default) configures nothing to import.
  if (eniText !== undefined && /^\s*iface\s+(?!lo\b)\S+/m.test(eniText.replace(/^\s*#.*$/gm, ''))) out.push({ format: 'interfaces', files: [eni] });
  const ifcfg = await list(join(root, DEFAULT_IFCFG_DIR), (n) => !isIgnoredIfcfgName(n));
  if (ifcfg.length) out.push({ format: 'ifcfg', files: ifcfg });
  return out;
}

/** The system paths of a format under `root`. */
export function defaultPath(format: ImportFormat, root = '/'): string | undefined {
  if (format === 'interfaces') return join(root, DEFAULT_INTERFACES_FILE);
  if (format === 'ifcfg') return join(root, DEFAULT_IFCFG_DIR);
  return undefined; // netplan, nm, networkd: their importers read the system directories under root
}

/** Imports one format from its system location under `root`. */
export async function importFormat(format: ImportFormat, path: string | undefined, root = '/', modprobeFiles?: string[]): Promise<ImportResult> {
  switch (format) {
    case 'netplan':
      return importNetplan(path, root);
    case 'nm':
      return importNm(path, root);
    case 'networkd':
      return importNetworkd(path, root);
    case 'interfaces':
      return importInterfaces(path ?? join(root, DEFAULT_INTERFACES_FILE));
    case 'ifcfg':
      return importIfcfg(path ?? join(root, DEFAULT_IFCFG_DIR), { modprobeFiles: modprobeFiles ?? (root === '/' ? await defaultModprobeFiles() : []) });
  }
}

/** Detects what the host uses under `root`, imports it, and lists what was read and ignored. */
export async function importFromHost(root = '/'): Promise<FromHost | undefined> {
  const sources = await detectSources(root);
  const chosen = sources[0];
  if (!chosen) return undefined;
  const result = await importFormat(chosen.format, undefined, root);
  const read = result.config.sourceFiles ?? chosen.files;
  const ignored: FromHost['ignored'] = [];
  for (const f of chosen.files) if (!read.includes(f)) ignored.push({ file: f, why: 'not part of any bond stack' });
  if (chosen.format === 'netplan') {
    const np = await netplanFiles(root);
    for (const f of np.shadowed) ignored.push({ file: f, why: 'shadowed by a file of the same name in a directory netplan prefers' });
  }
  for (const s of sources.slice(1)) {
    const generated = chosen.format === 'netplan' && (s.format === 'networkd' || s.format === 'nm');
    for (const f of s.files) {
      const fromNetplan = generated && /\/run\/(systemd\/network\/10-netplan-|NetworkManager\/system-connections\/netplan-)/.test(f);
      ignored.push({ file: f, why: fromNetplan ? 'generated by netplan from the files above' : `${s.format} configuration; ${chosen.format} was imported (bondctl import ${s.format} to import this instead)` });
    }
  }
  return { format: chosen.format, result, read, ignored };
}
