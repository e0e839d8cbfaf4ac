/**
 * bondd's log lines for journald. Under systemd stdout/stderr are a stream to journald, which
 * reads an sd-daemon priority prefix (`<3>` err, `<4>` warning, `<5>` notice, `<6>` info) at the
 * start of every line and files the line at that level; a line without one is filed at the
 * stream's default (info). So every line of a multi-line message carries the prefix, or
 * `journalctl -p err` would show the first line of a rejected configuration and hide the reasons.
 */

export interface Logger {
  info(message: string): void;
  /** A normal but significant event (a bond came up, a configuration applied). */
  notice?(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const PRIORITY = { err: 3, warning: 4, notice: 5, info: 6 } as const;

/** `message` with `<N>` in front of each of its lines. */
export function withPriority(priority: number, message: string): string {
  return message
    .split('\n')
    .map((line) => `<${priority}>${line}`)
    .join('\n') + '\n';
}

export const journaldLogger: Required<Logger> = {
  info: (m) => process.stdout.write(withPriority(PRIORITY.info, m)),
  notice: (m) => process.stdout.write(withPriority(PRIORITY.notice, m)),
  warn: (m) => process.stderr.write(withPriority(PRIORITY.warning, m)),
  error: (m) => process.stderr.write(withPriority(PRIORITY.err, m)),
};
