// Slots for `mw` children: at most `maxConcurrent` overall and `maxPerKey` per user. Requests that
// find no slot wait in one bounded FIFO queue. A freed slot goes to the first waiter that may use
// it, so a user at their own limit never holds up other users queued behind them.
import { CliFailure } from './types.ts';

export interface ConcurrencyLimits {
  maxConcurrent: number;
  maxPerKey: number;
  /** waiting requests beyond this are refused at once (0: never wait) */
  maxQueue: number;
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
  const queue: Waiter[] = [];
  let running = 0;

  const stats = () => ({ running, queued: queue.length });
  const hasSlotFor = (key: string) =>
    running < limits.maxConcurrent && (runningPerKey.get(key) ?? 0) < limits.maxPerKey;

  const occupy = (key: string): ReleaseSlot => {
    running += 1;
    runningPerKey.set(key, (runningPerKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      const left = runningPerKey.get(key)! - 1;
      if (left === 0) runningPerKey.delete(key);
      else runningPerKey.set(key, left);
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
      queue.splice(i, 1);
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
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        key,
        grant: resolve,
        signal,
        onAbort: () => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(cancelledWhileWaiting());
          onChange(stats());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
      onChange(stats());
    });
  };

  return { acquire, stats };
}

function cancelledWhileWaiting(): CliFailure {
  return new CliFailure('cancelled', 'the command was cancelled while waiting for a free slot');
}
