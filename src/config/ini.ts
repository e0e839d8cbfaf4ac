/**
 * The INI dialect of systemd unit files (systemd-networkd .netdev/.network) and NetworkManager
 * keyfiles: `[Section]` headers, `Key=value` lines, `#` and `;` comments, backslash-newline
 * continuation. A section may appear several times (networkd's [Address], [Route]); every key
 * keeps its file:line for messages and for the accounting of assemble.ts.
 */
import type { Place } from './check.js';
import type { Diagnostics } from './errors.js';
import type { Ledger } from './assemble.js';

export interface IniEntry {
  key: string;
  value: string;
  place: Place;
}

export interface IniSection {
  name: string;
  place: Place;
  entries: IniEntry[];
}

export interface IniFile {
  path: string;
  sections: IniSection[];
}

/** Parses INI text; every header and key line is registered in the ledger. */
export function parseIni(text: string, path: string, diag: Diagnostics, ledger: Ledger): IniFile {
  const sections: IniSection[] = [];
  const lines = text.split(/\r?\n/);
  let current: IniSection | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${lines[++i]!}`;
      ledger.continuation(path, i + 1, lineNo);
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(t);
    if (header) {
      current = { name: header[1]!, place: { file: path, line: lineNo, path: `[${header[1]}]` }, entries: [] };
      sections.push(current);
      ledger.see(current.place);
      continue;
    }
    const eq = t.indexOf('=');
    const key = eq > 0 ? t.slice(0, eq).trim() : t;
    const place: Place = { file: path, line: lineNo, path: current ? `${current.name}.${key}` : key };
    ledger.see(place);
    if (eq <= 0) {
      diag.error({ ...place, message: `'${t}' is not Key=value` });
      continue;
    }
    if (!current) {
      diag.error({ ...place, message: `${place.path}= comes before any [Section] header` });
      continue;
    }
    current.entries.push({ key, value: t.slice(eq + 1).trim(), place });
  }
  return { path, sections };
}

export function sectionsNamed(f: IniFile, name: string): IniSection[] {
  return f.sections.filter((s) => s.name === name);
}

/** The last value of a key over every section of that name (systemd: the last assignment wins). */
export function lastValue(f: IniFile, section: string, key: string): IniEntry | undefined {
  let out: IniEntry | undefined;
  for (const s of sectionsNamed(f, section)) for (const e of s.entries) if (e.key === key) out = e;
  return out;
}
