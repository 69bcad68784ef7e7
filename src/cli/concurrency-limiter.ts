// Slots for `mw` children: at most `maxConcurrent` overall and `maxPerKey` per user. Requests that
// find no slot wait in one bounded FIFO queue, in which each user holds at most their share of the
// places (as of the slots), so one user's burst cannot leave everyone else "busy". A freed slot goes
// to the first waiter that may use it, so a user at their own limit never holds up users behind them.
import { CliFailure } from './types.ts';

export interface ConcurrencyLimits {
  maxConcurrent: number;
  maxPerKey: number;
  /** waiting requests beyond this are refused at once (0: never wait) */
  maxQueue: number;
}

/**
 * A user's places in the queue: the share of the queue that `maxPerKey` is of `maxConcurrent`
 * (at least one place while there is a queue). With the defaults (3 of 8, queue 100): 37.
 */
export function queueSharePerKey(limits: ConcurrencyLimits): number {
  if (limits.maxQueue === 0) return 0;
  const share = Math.floor((limits.maxQueue * Math.min(limits.maxPerKey, limits.maxConcurrent)) / limits.maxConcurrent);
  return Math.max(1, share);
}

/** The most calls one user can have at once, running and waiting: more at once are refused as busy. */
export function callsPerKeyAtOnce(limits: ConcurrencyLimits): number {
  return Math.min(limits.maxPerKey, limits.maxConcurrent) + queueSharePerKey(limits);
}

/** Frees the slot; calling it more than once is harmless. */
export type ReleaseSlot = () => void;

export interface ConcurrencyLimiter {
  /** rejects with CliFailure 'busy' when the queue is full, 'cancelled' when `signal` aborts while waiting */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseSlot>;
  stats(): { running: number; queued: number };
}

interface Waiter {
  key: string;
  grant(release: ReleaseSlot): void;
  signal?: AbortSignal;
  onAbort(): void;
}

export function createConcurrencyLimiter(
  limits: ConcurrencyLimits,
  onChange: (stats: { running: number; queued: number }) => void = () => {},
): ConcurrencyLimiter {
  const runningPerKey = new Map<string, number>();
  const queuedPerKey = new Map<string, number>();
  const queueShare = queueSharePerKey(limits);
  const queue: Waiter[] = [];
  let running = 0;

  const count = (counts: Map<string, number>, key: string, change: number) => {
    const next = (counts.get(key) ?? 0) + change;
    if (next === 0) counts.delete(key);
    else counts.set(key, next);
  };
  const leaveQueue = (waiter: Waiter) => {
    queue.splice(queue.indexOf(waiter), 1);
    count(queuedPerKey, waiter.key, -1);
  };

  const stats = () => ({ running, queued: queue.length });
  const hasSlotFor = (key: string) =>
    running < limits.maxConcurrent && (runningPerKey.get(key) ?? 0) < limits.maxPerKey;

  const occupy = (key: string): ReleaseSlot => {
    running += 1;
    count(runningPerKey, key, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      count(runningPerKey, key, -1);
      grantFreedSlots();
      onChange(stats());
    };
  };

  // Skips waiters whose user is at their limit instead of stopping at them.
  const grantFreedSlots = () => {
    for (let i = 0; i < queue.length && running < limits.maxConcurrent; ) {
      const waiter = queue[i];
      if (!hasSlotFor(waiter.key)) {
        i += 1;
        continue;
      }
      leaveQueue(waiter);
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.grant(occupy(waiter.key));
    }
  };

  const acquire = (key: string, signal?: AbortSignal): Promise<ReleaseSlot> => {
    if (signal?.aborted) return Promise.reject(cancelledWhileWaiting());
    // Every waiter that could run has been granted already, so taking a free slot jumps no one.
    if (hasSlotFor(key)) {
      const release = occupy(key);
      onChange(stats());
      return Promise.resolve(release);
    }
    if (queue.length >= limits.maxQueue) {
      return Promise.reject(new CliFailure('busy', 'too many CLI commands are running or waiting; try again shortly'));
    }
    if ((queuedPerKey.get(key) ?? 0) >= queueShare) {
      return Promise.reject(new CliFailure('busy', 'too many of your CLI commands are running or waiting; try again when some have finished'));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        grant: resolve,
        signal,
        onAbort: () => {
          leaveQueue(waiter);
          reject(cancelledWhileWaiting());
          onChange(stats());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
      count(queuedPerKey, key, 1);
      onChange(stats());
    });
  };

  return { acquire, stats };
}

function cancelledWhileWaiting(): CliFailure {
  return new CliFailure('cancelled', 'the command was cancelled while waiting for a free slot');
}
