/**
 * Configuration diagnostics. Parsers collect every problem they find and throw one ConfigError
 * listing all of them, so a user fixes a file in one pass instead of one error per run.
 */
import type { DesiredConfig } from './types.js';

export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when the problem has no line (a missing file, a missing key in a whole document). */
  line: number;
  /** 1-based column, for formats that have one (YAML). */
  column?: number;
  /** Key path: `bonds.bond0.options.miimon` (YAML), `BONDING_OPTS.miimon` (ifcfg), `options bond0 miimon` (modprobe). */
  path: string;
  /** What is wrong and what is valid. */
  message: string;
}

/** Warnings have the same shape; they never stop a load. */
export type ConfigWarning = ConfigProblem;

export interface ConfigResult {
  config: DesiredConfig;
  warnings: ConfigWarning[];
}

/** `file:line:column: path: message` (line/column left out when unknown). */
export function formatProblem(p: ConfigProblem): string {
  let where = p.file;
  if (p.line > 0) {
    where += `:${p.line}`;
    if (p.column !== undefined && p.column > 0) where += `:${p.column}`;
  }
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

function compareProblems(a: ConfigProblem, b: ConfigProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  return (a.column ?? 0) - (b.column ?? 0);
}

/** Sorts by file, line, column; keeps the discovery order for ties. */
export function sortProblems<T extends ConfigProblem>(problems: readonly T[]): T[] {
  return problems
    .map((p, i) => [p, i] as const)
    .sort((x, y) => compareProblems(x[0], y[0]) || x[1] - y[1])
    .map(([p]) => p);
}

export class ConfigError extends Error {
  /** Every problem found, sorted by file and position. */
  readonly problems: ConfigProblem[];
  /** Warnings found on the way (they are not the reason for the failure). */
  readonly warnings: ConfigWarning[];

  constructor(problems: ConfigProblem[], warnings: ConfigWarning[] = []) {
    const sorted = sortProblems(problems);
    const n = sorted.length;
    const head = n === 1 ? 'configuration has 1 problem' : `configuration has ${n} problems`;
    super(`${head}:\n${sorted.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = sorted;
    this.warnings = sortProblems(warnings);
  }
}

/** Accumulates errors and warnings while parsing. */
export class Diagnostics {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigWarning[] = [];

  error(p: ConfigProblem): void {
    this.errors.push(p);
  }

  warn(p: ConfigWarning): void {
    this.warnings.push(p);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Throws a ConfigError when any error was recorded. */
  throwIfFailed(): void {
    if (this.errors.length > 0) throw new ConfigError(this.errors, this.warnings);
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase().replace(/-/g, '_'));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(w.length, best.length) / 3));
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)` or ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}
