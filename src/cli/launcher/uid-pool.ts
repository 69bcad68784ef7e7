// The uids children run as (CLI_CHILD_UIDS): one per child, never two running children on one uid,
// on this host either (uid-leases.ts), and a uid comes back only after everything its last child
// left behind is gone. A uid whose clean-up failed (processes left or not ours to end, a call
// directory not removed) is quarantined: held, here and host-wide, and leased again only once a
// later check finds it clean.
import type { Logger } from '../../observability/logger.ts';
import type { UidLeases } from './uid-leases.ts';
import { describeProcesses, type UidProcess } from './uid-processes.ts';

/** How often quarantined uids are looked at again. */
const RECHECK_MS = 15_000;

/** What a child left to clean up after: its call directories, and when it started (its processes may be ended). */
export interface Leftovers {
  /** clock ticks since boot; undefined: no child of this launcher ran as the uid, so no process of it is ours */
  since?: number;
  directories: string[];
}

export interface UidPoolStatus {
  size: number;
  /** leased by this launcher: a child running, waiting or being cleaned up */
  inUse: number;
  /** held after a failed clean-up until a later check finds them clean */
  quarantined: number;
}

export interface UidPoolSettings {
  range: { first: number; last: number };
  leases: UidLeases;
  /** the processes of `uid` this launcher did not start (after `since`); all of them without `since` */
  strangers(uid: number, since: number | undefined): Promise<UidProcess[]>;
  /** the clean-up as that uid (uid-cleanup.mts): rejects when anything is left or not ours to end */
  cleanUp(uid: number, leftovers: Leftovers): Promise<void>;
  logger: Logger;
  onChange?: (status: UidPoolStatus) => void;
}

export interface UidPool {
  /** a uid no process runs as, now leased here and host-wide; undefined when none is free */
  lease(): Promise<number | undefined>;
  /** no child ran under the lease */
  release(uid: number): void;
  /** the uid's child is gone: cleaned up, then released, or quarantined when something is left */
  giveBack(uid: number, leftovers: Leftovers): Promise<void>;
  /** at start: a uid with stale call directories or processes, unless a live launcher holds it */
  reclaim(uid: number, directories: string[]): Promise<void>;
  status(): UidPoolStatus;
}

export function createUidPool(settings: UidPoolSettings): UidPool {
  const { range, leases, logger } = settings;
  const size = range.last - range.first + 1;
  const leased = new Set<number>();
  const quarantined = new Map<number, Leftovers>();
  // Round robin: a released uid is the last to be handed out again.
  let next = range.first;
  let recheckTimer: NodeJS.Timeout | undefined;
  let rechecking = false;

  const status = (): UidPoolStatus => ({ size, inUse: leased.size, quarantined: quarantined.size });
  const changed = () => settings.onChange?.(status());

  const quarantine = (uid: number, leftovers: Leftovers, reason: string) => {
    quarantined.set(uid, leftovers);
    logger.warn(`launcher: uid ${uid} quarantined, not leased until it is clean: ${reason}`);
    recheckTimer ??= setInterval(() => void recheck(), RECHECK_MS).unref();
    changed();
  };

  const release = (uid: number) => {
    leased.delete(uid);
    leases.give(uid);
    changed();
  };

  const giveBack = async (uid: number, leftovers: Leftovers) => {
    try {
      await settings.cleanUp(uid, leftovers);
    } catch (error) {
      leased.delete(uid);
      return quarantine(uid, leftovers, (error as Error).message);
    }
    release(uid);
  };

  const recheck = async () => {
    if (rechecking) return;
    rechecking = true;
    try {
      for (const [uid, leftovers] of quarantined) {
        // the clean-up again, unless a stranger still runs as the uid (no helper to start for nothing)
        if ((await settings.strangers(uid, leftovers.since)).length > 0) continue;
        try {
          await settings.cleanUp(uid, leftovers);
        } catch {
          continue;
        }
        quarantined.delete(uid);
        leases.give(uid);
        logger.info(`launcher: uid ${uid} is clean again and back in the pool`);
        changed();
      }
    } finally {
      rechecking = false;
      if (quarantined.size === 0) {
        clearInterval(recheckTimer);
        recheckTimer = undefined;
      }
    }
  };

  return {
    async lease() {
      for (let tried = 0; tried < size; tried += 1) {
        const uid = next;
        next = next === range.last ? range.first : next + 1;
        if (leased.has(uid) || quarantined.has(uid) || !leases.take(uid)) continue;
        leased.add(uid);
        // a process left from before, or started by a launcher that does not share our leases
        const found = await settings.strangers(uid, undefined);
        if (found.length === 0) {
          changed();
          return uid;
        }
        leased.delete(uid);
        quarantine(uid, { directories: [] }, `uid ${uid} runs processes this launcher did not start: ${describeProcesses(found)}`);
      }
      return undefined;
    },
    release,
    giveBack,
    async reclaim(uid, directories) {
      if (leased.has(uid) || quarantined.has(uid) || !leases.take(uid)) return;
      leased.add(uid);
      await giveBack(uid, { directories });
    },
    status,
  };
}
