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
