/**
 * modprobe configuration reader (/etc/modprobe.conf, /etc/modules.conf, /etc/modprobe.d/*.conf),
 * for the bonding-related lines only:
 *
 *   alias bond0 bonding                   old style: bond0 is a bonding instance
 *   options bond0 miimon=100 mode=1       old style: options for that instance (per bond)
 *   options bonding max_bonds=2 mode=1    module parameters = defaults for every new bond
 *   install bonding ... / remove bonding  ignored (noted)
 *
 * The kernel copies module parameters into every bond it creates (bond_setup copies
 * bonding_defaults, docs/kernel-notes.md §1.3), so module-wide options act as defaults for bonds
 * that do not set the option themselves. This module only tokenises and records positions; the
 * ifcfg importer decides what each option means for which bond.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostics } from './errors.js';

export interface ModprobeOption {
  /** Option name as written (not yet resolved against the option table). */
  key: string;
  value: string;
  file: string;
  line: number;
}

export interface ModprobeConfig {
  /** Names declared with `alias <name> bonding`, with where. */
  aliases: Map<string, { file: string; line: number }>;
  /** `options <name> ...` for every module name other than `bonding`, in file order. */
  instanceOptions: Map<string, ModprobeOption[]>;
  /** `options bonding ...`, in file order (later wins, as with modprobe). */
  moduleOptions: ModprobeOption[];
  /** Files read. */
  files: string[];
  /** Lines that concern other modules (blacklist, softdep, options of other drivers, ...), for the accounting. */
  otherLines: Array<{ file: string; line: number; text: string }>;
}

export function emptyModprobeConfig(): ModprobeConfig {
  return { aliases: new Map(), instanceOptions: new Map(), moduleOptions: [], files: [], otherLines: [] };
}

/** The files modprobe itself would read for bonding, that exist on this system, in modprobe's order. */
export async function defaultModprobeFiles(root = '/'): Promise<string[]> {
  const out: string[] = [];
  for (const f of ['etc/modprobe.conf', 'etc/modules.conf']) {
    const p = join(root, f);
    if (await exists(p)) out.push(p);
  }
  for (const d of ['lib/modprobe.d', 'usr/lib/modprobe.d', 'run/modprobe.d', 'etc/modprobe.d']) {
    try {
      const names = (await readdir(join(root, d))).filter((n) => n.endsWith('.conf')).sort();
      out.push(...names.map((n) => join(root, d, n)));
    } catch {
      /* directory absent */
    }
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await readFile(p);
    return true;
  } catch {
    return false;
  }
}

interface LogicalLine {
  text: string;
  line: number;
}

/** Joins backslash-continued lines; the logical line keeps the number of its first physical line. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const phys = text.split(/\r?\n/);
  let cur: LogicalLine | undefined;
  phys.forEach((raw, i) => {
    const cont = /\\$/.test(raw);
    const body = cont ? raw.slice(0, -1) : raw;
    if (cur) cur.text += ` ${body}`;
    else cur = { text: body, line: i + 1 };
    if (!cont) {
      out.push(cur);
      cur = undefined;
    }
  });
  if (cur) out.push(cur);
  return out;
}

/** Splits on whitespace, honouring "double" and 'single' quotes (modprobe accepts param="a b"). */
function tokens(s: string): string[] | string {
  const out: string[] = [];
  let cur = '';
  let inTok = false;
  let quote: string | undefined;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inTok = true;
    } else if (/\s/.test(ch)) {
      if (inTok) out.push(cur);
      cur = '';
      inTok = false;
    } else {
      cur += ch;
      inTok = true;
    }
  }
  if (quote) return `unterminated ${quote === '"' ? 'double' : 'single'} quote`;
  if (inTok) out.push(cur);
  return out;
}

/** Parses one file's text into `into`, reporting problems to `diag`. */
export function parseModprobe(text: string, file: string, diag: Diagnostics, into: ModprobeConfig): void {
  into.files.push(file);
  for (const { text: lineText, line } of logicalLines(text)) {
    const trimmed = lineText.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const toks = tokens(trimmed);
    if (typeof toks === 'string') {
      // Only complain about lines that concern bonding.
      if (/\bbond/.test(trimmed)) diag.error({ file, line, path: trimmed.split(/\s+/)[0] ?? '', message: `${toks}; close the quote` });
      continue;
    }
    const [cmd, mod, ...rest] = toks;
    const bondRelated = mod === 'bonding' || rest[0] === 'bonding' || (mod !== undefined && (into.aliases.has(mod) || /^bond/.test(mod)));
    if (!bondRelated) into.otherLines.push({ file, line, text: trimmed });
    switch (cmd) {
      case 'alias':
        if (rest[0] === 'bonding' && mod !== undefined) into.aliases.set(mod, { file, line });
        break;
      case 'options': {
        if (mod === undefined) {
          diag.error({ file, line, path: 'options', message: 'options needs a module name and key=value parameters (e.g. options bonding max_bonds=0)' });
          break;
        }
        const list: ModprobeOption[] = [];
        for (let i = 0; i < rest.length; i++) {
          const t = rest[i]!;
          // RHEL 4 style `options bond1 -o bond1 mode=1`: -o names the module instance.
          if (t === '-o') {
            i++;
            continue;
          }
          const eq = t.indexOf('=');
          if (eq <= 0) {
            if (mod === 'bonding' || into.aliases.has(mod) || /^bond/.test(mod)) {
              diag.error({ file, line, path: `options ${mod} ${t}`, message: `'${t}' is not key=value (e.g. miimon=100)` });
            }
            continue;
          }
          list.push({ key: t.slice(0, eq), value: t.slice(eq + 1), file, line });
        }
        if (mod === 'bonding') into.moduleOptions.push(...list);
        else {
          const prev = into.instanceOptions.get(mod) ?? [];
          prev.push(...list);
          into.instanceOptions.set(mod, prev);
        }
        break;
      }
      case 'install':
      case 'remove':
        if (mod === 'bonding' || (mod !== undefined && into.aliases.has(mod))) {
          diag.warn({
            file,
            line,
            path: `${cmd} ${mod}`,
            message: `'${cmd}' commands are not imported; bondd loads the bonding module itself (modprobe bonding max_bonds=0) and runs no hooks. Move anything this command does into bondd's configuration or a systemd unit`,
          });
        }
        break;
      default:
        // blacklist, softdep, include and the like: nothing bond-related to import.
        break;
    }
  }
}

/** Reads the given files in order. A file that cannot be read is an error. */
export async function readModprobeFiles(files: readonly string[], diag: Diagnostics): Promise<ModprobeConfig> {
  const cfg = emptyModprobeConfig();
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      diag.error({ file: f, line: 0, path: '', message: `cannot read modprobe file: ${(e as Error).message}` });
      continue;
    }
    parseModprobe(text, f, diag, cfg);
  }
  return cfg;
}
