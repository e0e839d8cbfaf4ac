/**
 * The link cache: the last known state of every interface, fed by RTNLGRP_LINK notifications,
 * and the translation of each notification into the bond events worth recording.
 *
 * Kernel behaviour this relies on (docs/kernel-notes.md §5):
 * - every RTM_NEWLINK is a full description of the device, so comparing it with the previous one
 *   tells what changed, and duplicates (frequent during enslave) change nothing;
 * - IFLA_EVENT_BONDING_FAILOVER arrives in active-backup only; balance-tlb/alb change their active
 *   slave silently, so a changed IFLA_BOND_ACTIVE_SLAVE is what counts, with or without the event;
 * - when every slave is down the active slave becomes absent and the bond loses carrier, with no
 *   failover event;
 * - miimon's transient "going down"/"going back" states are never announced; only committed
 *   up/down changes arrive;
 * - after ENOBUFS the kernel has dropped notifications: resync() compares a full dump with the
 *   cache and reports what changed in between, including interfaces that disappeared.
 */
import { MII_STATES } from '../bond/options.js';
import type { LinkMessage } from '../netlink/link.js';
import type { JournalEntry } from './journal.js';

export type LinkChange = Omit<JournalEntry, 't' | 'seq'>;

export interface CachedLink {
  index: number;
  name: string;
  kind: string | null;
  master: number | null;
  up: boolean;
  carrier: boolean;
  permMac: string | null;
  /** Bond masters: active slave ifindex (null: none) and mode number. */
  activeSlave?: number | null;
  mode?: number;
  /** Bond slaves: 0 active / 1 backup, MII 0 up / 1 going down / 2 down / 3 going back. */
  slaveState?: number;
  mii?: number;
  linkFailureCount?: number;
}


function toCached(m: LinkMessage): CachedLink {
  const cached: CachedLink = {
    index: m.index,
    name: m.name,
    kind: m.kind ?? null,
    master: m.master ?? null,
    up: m.up,
    carrier: m.carrier !== undefined ? m.carrier === 1 : m.lowerUp,
    permMac: m.bondSlave?.permHwaddr ?? m.permAddress ?? null,
  };
  if (m.kind === 'bond') {
    cached.activeSlave = m.bond?.activeSlave ?? null;
    if (m.bond?.mode !== undefined) cached.mode = m.bond.mode;
  }
  if (m.slaveKind === 'bond' && m.bondSlave) {
    cached.slaveState = m.bondSlave.state;
    cached.mii = m.bondSlave.miiStatus;
    cached.linkFailureCount = m.bondSlave.linkFailureCount;
  }
  return cached;
}

export class LinkCache {
  readonly #links = new Map<number, CachedLink>();
  /** When each slave last lost its link, to name the cause of the failover that follows. */
  readonly #lastLinkLoss = new Map<number, number>();

  get(index: number): CachedLink | undefined {
    return this.#links.get(index);
  }

  byName(name: string): CachedLink | undefined {
    for (const link of this.#links.values()) if (link.name === name) return link;
    return undefined;
  }

  all(): CachedLink[] {
    return [...this.#links.values()];
  }

  #name(index: number | null | undefined): string | null {
    if (index === null || index === undefined) return null;
    return this.#links.get(index)?.name ?? `ifindex ${index}`;
  }

  /** Applies one notification; returns the events it means. */
  update(m: LinkMessage, now = Date.now()): LinkChange[] {
    if (m.type === 'del') return this.#remove(m.index);
    const prev = this.#links.get(m.index);
    const next = toCached(m);
    // Slave data is only in messages of the slave's own family; keep what we knew otherwise.
    if (prev && m.slaveKind !== 'bond' && next.master !== null && prev.master === next.master) {
      next.slaveState ??= prev.slaveState;
      next.mii ??= prev.mii;
      next.linkFailureCount ??= prev.linkFailureCount;
    }
    this.#links.set(m.index, next);
    const out: LinkChange[] = [];
    if (!prev) {
      out.push({
        kind: 'interface-appeared',
        ...(next.kind === 'bond' ? { bond: next.name } : { slave: next.name }),
        message: `${next.name} appeared`,
        data: { index: next.index, kind: next.kind, permMac: next.permMac },
      });
    }
    const bondName = next.kind === 'bond' ? next.name : null;
    const masterName = this.#name(next.master);
    const masterIsBond = next.master !== null && this.#links.get(next.master)?.kind === 'bond';

    // Carrier edges, for bonds and their slaves.
    if (prev && prev.carrier !== next.carrier && (bondName || masterIsBond)) {
      if (!next.carrier && !bondName) this.#lastLinkLoss.set(next.index, now);
      out.push({
        kind: 'carrier',
        bond: bondName ?? masterName!,
        ...(bondName ? {} : { slave: next.name }),
        message: `${next.name}: carrier ${next.carrier ? 'up' : 'lost'}`,
        data: { carrier: next.carrier },
      });
    }

    if (bondName) {
      const before = prev?.activeSlave ?? null;
      const after = next.activeSlave ?? null;
      if (prev && before !== after) {
        if (after === null) {
          out.push({ kind: 'no-active-slave', bond: bondName, message: `${bondName}: no active slave (${this.#name(before)} was the last)`, data: { from: this.#name(before) } });
        } else {
          const from = this.#name(before);
          const lostAt = before !== null ? this.#lastLinkLoss.get(before) : undefined;
          const cause = before === null
            ? 'first usable slave'
            : lostAt !== undefined && now - lostAt < 60_000
              ? `link failure on ${from}`
              : 'reselection (manual change, primary returning, or slave removed)';
          out.push({
            kind: 'failover',
            bond: bondName,
            slave: this.#name(after)!,
            message: `${bondName}: active slave ${from ?? 'none'} → ${this.#name(after)} (${cause})`,
            data: { from, to: this.#name(after), cause, event: m.event === 'failover' },
          });
        }
      }
      if (m.event === 'bonding-options') {
        out.push({ kind: 'options-changed', bond: bondName, message: `${bondName}: bond options changed` });
      }
    }

    // Enslave / release.
    if (prev && prev.master !== next.master) {
      const wasBond = prev.master !== null && (this.#links.get(prev.master)?.kind === 'bond' || prev.slaveState !== undefined);
      if (wasBond) out.push({ kind: 'slave-removed', bond: this.#name(prev.master)!, slave: next.name, message: `${next.name} left ${this.#name(prev.master)}` });
      if (masterIsBond) out.push({ kind: 'slave-added', bond: masterName!, slave: next.name, message: `${next.name} joined ${masterName}` });
    }

    // Slave MII and active/backup state.
    if (masterIsBond && m.slaveKind === 'bond') {
      const samePlace = prev && prev.master === next.master;
      if (samePlace && prev.mii !== undefined && next.mii !== undefined && prev.mii !== next.mii) {
        if (next.mii === 2) this.#lastLinkLoss.set(next.index, now);
        out.push({
          kind: 'slave-mii', bond: masterName!, slave: next.name,
          message: `${masterName}: ${next.name} link ${MII_STATES[next.mii] ?? next.mii} (failures: ${next.linkFailureCount ?? '?'})`,
          data: { mii: MII_STATES[next.mii] ?? next.mii, linkFailureCount: next.linkFailureCount },
        });
      }
      if (samePlace && prev.slaveState !== undefined && next.slaveState !== undefined && prev.slaveState !== next.slaveState) {
        out.push({
          kind: 'slave-state', bond: masterName!, slave: next.name,
          message: `${masterName}: ${next.name} is now ${next.slaveState === 0 ? 'active' : 'backup'}`,
          data: { state: next.slaveState === 0 ? 'active' : 'backup' },
        });
      }
    }
    return out;
  }

  #remove(index: number): LinkChange[] {
    const prev = this.#links.get(index);
    if (!prev) return [];
    this.#links.delete(index);
    this.#lastLinkLoss.delete(index);
    const out: LinkChange[] = [];
    const master = prev.master !== null ? this.#links.get(prev.master) : undefined;
    if (master?.kind === 'bond') out.push({ kind: 'slave-removed', bond: master.name, slave: prev.name, message: `${prev.name} left ${master.name} (interface removed)` });
    out.push({ kind: 'interface-removed', ...(prev.kind === 'bond' ? { bond: prev.name } : { slave: prev.name }), message: `${prev.name} was removed`, data: { index } });
    return out;
  }

  /**
   * Replaces the cache with a full dump (start-up, or after an overrun). Returns the changes
   * the dump reveals compared with the cache, so events lost in an overrun still get recorded
   * in their net effect. The first load reports nothing.
   */
  resync(links: LinkMessage[], now = Date.now()): LinkChange[] {
    const first = this.#links.size === 0;
    const seen = new Set(links.map((l) => l.index));
    const out: LinkChange[] = [];
    // Masters first, so slave updates can name their bond.
    const ordered = [...links].sort((a, b) => Number(b.kind === 'bond') - Number(a.kind === 'bond'));
    for (const link of ordered) {
      const changes = this.update(link, now);
      if (!first) out.push(...changes);
    }
    for (const index of [...this.#links.keys()]) if (!seen.has(index)) out.push(...this.#remove(index));
    return first ? [] : out;
  }
}
