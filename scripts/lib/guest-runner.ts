/**
 * TypeScript API over scripts/guest: run a command where the real bonding driver exists.
 *
 * A development tool of the checkout, not part of bondd/bondctl: tests and benchmarks import it;
 * `bondctl drill` loads it at run time only when it must re-run itself in the VM (see
 * src/cli/commands/drill.ts), and works without it on a kernel that has bonding.
 *
 * The development and CI hosts run a kernel without bonding, so scripts/guest boots Debian's
 * kernel under QEMU with the host root shared read-only (see scripts/setup); on a host whose
 * kernel has bonding it runs the command directly. This module only spawns that script with an
 * argument array (never a shell string) and supervises it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GuestRunOptions {
  /** Time limit for the whole run, boot included (default 900 s). Exit code 124 when hit. */
  timeoutMs?: number;
  /** Extra variables for the command (scripts/guest passes only an allowlist otherwise). */
  env?: Record<string, string>;
  /** Live output (serial console of the guest, or the command's stdout/stderr). */
  onOutput?(chunk: string): void;
  /** Aborting stops scripts/guest, which stops qemu; the promise then resolves (code 130/143). */
  signal?: AbortSignal;
  /** Host folder the command sees as $BONDD_RESULTS (default: a fresh .cache/guest-results-*). */
  resultsDir?: string;
}

export interface GuestRunResult {
  /** The command's exit code; 124 time limit, 125 the guest failed, 128+n killed by signal n. */
  code: number;
  /** Everything written to stdout and stderr, in arrival order, \r removed. */
  output: string;
  /** Host folder with what the command wrote to $BONDD_RESULTS. The caller removes it. */
  resultsDir: string;
}

/** The checkout: the nearest ancestor of this file that has scripts/guest and package.json. */
export function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'guest')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the bondd checkout (scripts/guest) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Children still running when this process exits are stopped, so a crashed test run leaves no
// qemu behind (scripts/guest stops qemu on SIGTERM).
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGTERM');
    });
  }
  live.add(child);
  child.once('close', () => live.delete(child));
}

/** Runs argv with scripts/guest; resolves when it has finished (never rejects for exit codes). */
export function runInGuest(argv: string[], opts: GuestRunOptions = {}): Promise<GuestRunResult> {
  if (argv.length === 0) return Promise.reject(new Error('runInGuest: empty command'));
  const root = checkoutRoot();
  const env: NodeJS.ProcessEnv = { ...process.env };
  const extra = Object.keys(opts.env ?? {});
  for (const name of extra) {
    if (!NAME.test(name)) return Promise.reject(new Error(`runInGuest: invalid variable name '${name}'`));
    env[name] = opts.env![name];
  }
  if (extra.length > 0) env.BONDD_GUEST_PASS = [process.env.BONDD_GUEST_PASS ?? '', ...extra].join(' ').trim();
  let timeoutMs = opts.timeoutMs;
  if (timeoutMs !== undefined) {
    if (!(timeoutMs > 0)) return Promise.reject(new Error('runInGuest: timeoutMs must be positive'));
    env.BONDD_GUEST_TIMEOUT = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
  } else {
    const fromEnv = Number(process.env.BONDD_GUEST_TIMEOUT ?? 900);
    timeoutMs = (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 900) * 1000;
  }

  let resultsDir: string;
  if (opts.resultsDir) {
    resultsDir = resolve(opts.resultsDir);
    mkdirSync(resultsDir, { recursive: true });
  } else {
    mkdirSync(join(root, '.cache'), { recursive: true });
    resultsDir = mkdtempSync(join(root, '.cache', 'guest-results-'));
  }
  env.BONDD_RESULTS_DIR = resultsDir;

  return new Promise<GuestRunResult>((resolvePromise, reject) => {
    if (opts.signal?.aborted) {
      resolvePromise({ code: 130, output: '', resultsDir });
      return;
    }
    const child = spawn(join(root, 'scripts', 'guest'), argv, {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let output = '';
    const onData = (buf: Buffer): void => {
      const chunk = buf.toString('utf8').replace(/\r/g, '');
      output += chunk;
      opts.onOutput?.(chunk);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);

    // scripts/guest enforces the limit itself; this is the backstop should it hang.
    const backstop = setTimeout(() => child.kill('SIGKILL'), timeoutMs! + 30_000);
    backstop.unref();
    const onAbort = (): void => {
      child.kill('SIGTERM');
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (err) => {
      clearTimeout(backstop);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!opts.resultsDir) rmSync(resultsDir, { recursive: true, force: true });
      reject(err);
    });
    child.once('close', (code, sig) => {
      clearTimeout(backstop);
      opts.signal?.removeEventListener('abort', onAbort);
      const signo = sig ? (constants.signals[sig] ?? 0) : 0;
      resolvePromise({ code: code ?? 128 + signo, output, resultsDir });
    });
  });
}
