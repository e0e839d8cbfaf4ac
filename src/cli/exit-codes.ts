/**
 * bondctl's exit codes and the errors that carry them (documented in docs/cli.md).
 *
 *   0  success
 *   1  the operation failed: the kernel refused it (explained), the bond or slave is not in a
 *      state that allows it, bondd refused it, or something unexpected went wrong
 *   2  bad input: unknown command or flag, missing argument, invalid interface name, unknown
 *      option, invalid value, option combination the option table rejects, invalid
 *      configuration file; nothing was touched
 *   3  the command needs bondd (events, apply, confirm) and bondd is not running
 *   4  bondd runs but this user may not talk to it (not root, not in group bondd)
 *
 * Errors are classified by their `name`, so this module imports nothing: the CLI does not have
 * to load the daemon client or the backends just to decide an exit code.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_NO_DAEMON = 3;
export const EXIT_PERMISSION = 4;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILURE | typeof EXIT_USAGE | typeof EXIT_NO_DAEMON | typeof EXIT_PERMISSION;

/** The command line is wrong: exit 2. The message names the argument. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The operation could not be done in the current state (no such bond, no backup slave up): exit 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

/** The command needs bondd, which is not running: exit 3. */
export class DaemonNeeded extends Error {
  override name = 'DaemonNeeded';
}

/** Errors of the option table and name validation: the input is wrong, nothing was touched. */
const INPUT_ERRORS = new Set(['UsageError', 'OptionValueError', 'UnknownOptionError', 'InvalidNameError', 'ConfigError']);

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** True for bondd's DaemonUnavailable (no socket, or nobody listening). */
export function isDaemonUnavailable(error: unknown): boolean {
  return errorName(error) === 'DaemonUnavailable';
}

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCode {
  const name = errorName(error);
  if (INPUT_ERRORS.has(name)) return EXIT_USAGE;
  // A backend's own input check (it validates too): the cause is a table or name error.
  if (name === 'BondError' && INPUT_ERRORS.has(errorName((error as Error).cause)) && (error as { errno?: number }).errno === undefined) {
    return EXIT_USAGE;
  }
  if (name === 'DaemonNeeded' || name === 'DaemonUnavailable') return EXIT_NO_DAEMON;
  if (name === 'DaemonPermissionDenied') return EXIT_PERMISSION;
  return EXIT_FAILURE;
}

/** The one-line (or few-line) message printed on stderr after "bondctl: ". */
export function messageFor(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'DaemonError') {
      const code = (error as { code?: string }).code;
      return `bondd refused the request${code ? ` (${code})` : ''}: ${error.message}`;
    }
    return error.message;
  }
  return String(error);
}
