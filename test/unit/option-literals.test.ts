/**
 * The option table (src/bond/options.ts) is the only list of bond options: outside it, code
 * reaches options through the rows (fields such as applyOrder, display, needsMiimon,
 * shapesFailover) or the row handles the table exports (MODE_OPTION, MIIMON_OPTION, ...), not by
 * spelling their names. This test fails when an option name (or alias) appears as a string
 * literal in src/ outside the table module, except where listed below with the reason.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { BOND_OPTIONS, SLAVE_OPTIONS } from '../../src/bond/options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TABLE = 'src/bond/options.ts';

/** Literals that stay, per file, and why. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // Explanations of errors only that option's setter raises (bond_options.c), keyed by option.
  'src/bond/errors.ts': ['arp_ip_target', 'ns_ip6_target', 'queue_id', 'xmit_hash_policy'],
  // bonding_slave/queue_id is read with the other bonding_slave/ state files, by file name.
  'src/backend/sysfs-backend.ts': ['queue_id'],
  // primary reads back empty until its interface is enslaved (sysfs keeps the name): no warning.
  'src/cli/commands/bond.ts': ['primary'],
  // The drill's own flags and report fields (its parameters, named after the options they set).
  'src/cli/commands/drill.ts': ['mode', 'miimon', 'updelay', 'downdelay'],
  'src/drill/report.ts': ['mode', 'miimon', 'updelay', 'downdelay', 'primary'],
  // Row labels of the /proc/net/bonding layout ("Primary Slave") and its own QUEUE column.
  'src/cli/render.ts': ['primary', 'queue_id'],
  // The kernel resets arp_validate when miimon is set (bond_option_miimon_set): the importers drop
  // it from a bond that also has miimon, as the old tool's bond ran without it.
  'src/config/assemble.ts': ['arp_validate'],
  // The Prometheus label `mode` of bondd_bond_info (the bond's mode, a label name).
  'src/metrics/prometheus.ts': ['mode'],
};

/**
 * Files other work is changing at the time of writing (issue 9: planner/executor/drill/netlink/
 * status; issue 10: config importers; issue 11: daemon): the number of option literals there may
 * only go down. Lower a ceiling when a file gets cleaner; remove the entry at 0.
 */
const CEILINGS: Readonly<Record<string, number>> = {
  'src/config/yaml.ts': 9,
  'src/config/ifcfg.ts': 5,
  'src/config/interfaces.ts': 4,
  'src/config/check.ts': 8,
  'src/config/render.ts': 2,
  'src/plan/planner.ts': 12, // +2: the first-slave MAC check reads fail_over_mac (issue 11)
  'src/plan/executor.ts': 2,
  'src/drill/drill.ts': 9,
  'src/netlink/link.ts': 5,
  'src/cli/status.ts': 3,
  'src/daemon/daemon.ts': 2,
};

const NAMES = new Set([...BOND_OPTIONS, ...SLAVE_OPTIONS].flatMap((o) => [o.name, ...o.aliases]));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Option names written as string literals in a source text (the TypeScript parser finds them: comments and regular expressions are not strings). */
export function optionLiterals(text: string, names: ReadonlySet<string> = NAMES): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && names.has(node.text)) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('x.ts', text, ts.ScriptTarget.ES2022, true));
  return found;
}

describe('option names live in the option table', () => {
  const found = new Map<string, string[]>();
  for (const file of tsFiles(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file);
    if (rel === TABLE) continue;
    const literals = optionLiterals(readFileSync(file, 'utf8'));
    if (literals.length) found.set(rel, literals);
  }

  it('finds literals (the scanner works)', () => {
    expect(optionLiterals(`// 'miimon' in a comment\nconst g = '/etc/*.yaml', a = 'miimon'; f("lacp_rate", \`updelay\`, 'nope', { 'lp_interval': 1 });`)).toEqual([
      'miimon',
      'lacp_rate',
      'updelay',
      'lp_interval',
    ]);
  });

  it('no option name outside the table, except the listed ones', () => {
    const unexpected: string[] = [];
    for (const [file, literals] of found) {
      if (file in CEILINGS) continue;
      const allowed = new Set(ALLOWED[file] ?? []);
      for (const name of literals) if (!allowed.has(name)) unexpected.push(`${file}: '${name}'`);
    }
    expect(unexpected, 'reach the option through its row (a field, a function over the table, or a row handle)').toEqual([]);
  });

  it('files under other work do not gain option literals', () => {
    const over = Object.entries(CEILINGS)
      .filter(([file, ceiling]) => (found.get(file)?.length ?? 0) > ceiling)
      .map(([file, ceiling]) => `${file}: ${found.get(file)!.length} > ${ceiling} (${found.get(file)!.join(', ')})`);
    expect(over).toEqual([]);
  });
});
