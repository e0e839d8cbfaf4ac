/**
 * systemd notification (sd_notify): READY=1, STATUS=..., WATCHDOG=1, RELOADING=1, STOPPING=1.
 *
 * The message is a datagram on the AF_UNIX socket named by $NOTIFY_SOCKET ('@' = abstract
 * namespace). Node cannot send Unix datagrams, so the addon does it. Without $NOTIFY_SOCKET
 * (not started by systemd) every call is a no-op.
 */
import { loadNative } from '../netlink/native.js';

export function notifySocket(): string | undefined {
  const path = process.env['NOTIFY_SOCKET'];
  return path && (path.startsWith('/') || path.startsWith('@')) ? path : undefined;
}

export function sdNotify(fields: Record<string, string>): boolean {
  const path = notifySocket();
  if (!path) return false;
  const text = Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`).join('\n');
  try {
    loadNative().unixDatagramSend(path, Buffer.from(text));
    return true;
  } catch {
    return false;
  }
}

/** Watchdog interval requested by the unit (WatchdogSec=), in ms, or null. */
export function watchdogIntervalMs(): number | null {
  const usec = Number(process.env['WATCHDOG_USEC']);
  const pid = process.env['WATCHDOG_PID'];
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (pid && Number(pid) !== process.pid) return null;
  return usec / 1000;
}

/**
 * CLOCK_MONOTONIC in microseconds, as sd_notify's MONOTONIC_USEC= wants it (systemd >= 253
 * compares it with its own clock to tell a RELOADING=1 from an older one). On Linux
 * process.hrtime.bigint() reads CLOCK_MONOTONIC (libuv's uv_hrtime); performance.now() counts
 * from process start and would be off by the system's uptime.
 */
export function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
