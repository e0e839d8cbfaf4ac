/**
 * Confirm windows that survive bondd: `bondctl apply --confirm-within` writes what it needs to
 * undo the apply to the state directory before the window opens, so that a restart inside the
 * window (watchdog, crash, `systemctl restart`) or a reboot cannot leave the unconfirmed
 * configuration in place.
 *
 *   pending-confirm.json  the apply waiting for `bondctl confirm`: deadline, the host before the
 *                         apply, the bonds it touched, the last confirmed configuration, and a
 *                         digest of the applied configuration
 *   rejected.json         a configuration that was rolled back (not confirmed): its digest and the
 *                         last confirmed configuration. While the file still loads to the same
 *                         configuration, start and reload run the confirmed one instead, so the
 *                         rejected file is not applied again unconfirmed. An explicit
 *                         `bondctl apply` (or any change to the file) ends this.
 *
 * Writes are atomic: a temporary file, fsync, rename over the old one, fsync of the directory
 * (without the last step a crash right after rename can leave the old name or none).
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesiredBond, DesiredConfig } from '../config/types.js';
import type { ObservedHost } from '../plan/observed.js';

export interface PendingConfirm {
  /** Epoch ms after which the apply is rolled back. */
  deadline: number;
  /** When the apply was made (epoch ms). */
  appliedAt: number;
  /** Digest of the applied configuration (configDigest). */
  applied: string;
  source: string;
  /** The configuration that ran before the apply: the last confirmed one. */
  confirmed: DesiredConfig;
  /** The host as it was before the apply. */
  before: ObservedHost;
  /** Every bond the old or the new configuration names: what a rollback puts back. */
  touched: DesiredBond[];
}

export interface RejectedConfig {
  digest: string;
  source: string;
  at: number;
  reason: string;
  confirmed: DesiredConfig;
}

const PENDING = 'pending-confirm.json';
const REJECTED = 'rejected.json';

/** Identifies a configuration by what it asks for (comments and key order in the file do not count). */
export function configDigest(config: DesiredConfig): string {
  return createHash('sha256').update(JSON.stringify(config.bonds)).digest('hex');
}

// ObservedHost holds Maps; JSON keeps them as [key, value] lists.
const MAP_KEYS = ['bonds', 'addresses', 'routes'] as const;

function hostToJson(host: ObservedHost): unknown {
  return { ...host, ...Object.fromEntries(MAP_KEYS.map((k) => [k, [...host[k].entries()]])) };
}

function hostFromJson(value: unknown): ObservedHost {
  const raw = value as Record<string, unknown>;
  const out = { ...raw } as unknown as ObservedHost;
  for (const k of MAP_KEYS) (out as unknown as Record<string, unknown>)[k] = new Map(raw[k] as Array<[string, unknown]>);
  return out;
}

async function writeAtomic(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, name));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

async function readJson(dir: string, name: string): Promise<unknown | null> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${join(dir, name)}: ${(error as Error).message}`);
  }
}

async function remove(dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true });
  const d = await open(dir, 'r').catch(() => null);
  if (d) await d.sync().finally(() => d.close());
}

export class ConfirmStore {
  constructor(readonly dir: string) {}

  async savePending(p: PendingConfirm): Promise<void> {
    await writeAtomic(this.dir, PENDING, JSON.stringify({ ...p, before: hostToJson(p.before) }));
  }

  async loadPending(): Promise<PendingConfirm | null> {
    const raw = (await readJson(this.dir, PENDING)) as (PendingConfirm & { before: unknown }) | null;
    return raw ? { ...raw, before: hostFromJson(raw.before) } : null;
  }

  async clearPending(): Promise<void> {
    await remove(this.dir, PENDING);
  }

  async saveRejected(r: RejectedConfig): Promise<void> {
    await writeAtomic(this.dir, REJECTED, JSON.stringify(r));
  }

  async loadRejected(): Promise<RejectedConfig | null> {
    return (await readJson(this.dir, REJECTED)) as RejectedConfig | null;
  }

  async clearRejected(): Promise<void> {
    await remove(this.dir, REJECTED);
  }
}
