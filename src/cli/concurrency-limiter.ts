// Slots for `mw` children, shared fairly between principals (whoever a call runs for: today the
// user): at most `maxConcurrent` overall and `maxPerKey` per principal. Calls that find no slot wait
// in one bounded queue. A handful of principals flooding it must not lock everyone else out, so
// each principal's share shrinks as more of them wait:
// - a freed slot goes to the waiting principal with the fewest running calls, round-robin among
//   equals (of those never served, the one with the fewest waiting), not to the oldest waiter: a
//   newcomer's call starts within one freed slot, ahead of a flood's accounts;
// - a principal holds at most its share of the queue places: the queue divided among the principals
//   with calls running or waiting (and never more than `maxPerKey` is of `maxConcurrent`);
// - a principal with nothing running or waiting always gets a place: on a full queue the newest
//   waiting call of the principal holding the most places is refused to make room (unless that
//   one holds no more than a single waiting call either).
import { CliFailure } from './types.ts';

export interface ConcurrencyLimits {
  maxConcurrent: number;
  maxPerKey: number;
  /** waiting requests beyond this are refused at once (0: never wait) */
  maxQueue: number;
}

/**
 * A principal's places in the queue while it is alone: the share of the queue that `maxPerKey` is
 * of `maxConcurrent` (at least one place while there is a queue). With the defaults (3 of 8, queue
 * 100): 37. With others waiting it shrinks (see queueShareAmong).
 */
export function queueSharePerKey(limits: ConcurrencyLimits): number {
  if (limits.maxQueue === 0) return 0;
  const share = Math.floor((limits.maxQueue * Math.min(limits.maxPerKey, limits.maxConcurrent)) / limits.maxConcurrent);
  return Math.max(1, share);
}

/** A principal's places in the queue while `principals` (itself included) have calls running or waiting. */
export function queueShareAmong(limits: ConcurrencyLimits, principals: number): number {
  if (limits.maxQueue === 0) return 0;
  return Math.max(1, Math.min(queueSharePerKey(limits), Math.floor(limits.maxQueue / Math.max(1, principals))));
}

/** The most calls one principal can have at once, running and waiting: more at once are refused as busy. */
export function callsPerKeyAtOnce(limits: ConcurrencyLimits): number {
  return Math.min(limits.maxPerKey, limits.maxConcurrent) + queueSharePerKey(limits);
}

/** Frees the slot; calling it more than once is harmless. */
export type ReleaseSlot = () => void;

export interface ConcurrencyLimiter {
  /** rejects with CliFailure 'busy' when no place is left (or its place went to another principal), 'cancelled' when `signal` aborts while waiting */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseSlot>;
  stats(): { running: number; queued: number };
}

interface Waiter {
  grant(release: ReleaseSlot): void;
  refuse(failure: CliFailure): void;
  signal?: AbortSignal;
  onAbort(): void;
}

/** One principal's calls: those running, and those waiting oldest first. */
interface Principal {
  key: string;
  running: number;
  waiting: Waiter[];
  /** when it was last granted a slot (round-robin among principals with as many running) */
  lastServed: number;
}

export function createConcurrencyLimiter(
  limits: ConcurrencyLimits,
  onChange: (stats: { running: number; queued: number }) => void = () => {},
): ConcurrencyLimiter {
  const principals = new Map<string, Principal>();
  let running = 0;
  let queued = 0;
  let turns = 0;

  const stats = () => ({ running, queued });
  const principalOf = (key: string): Principal => {
    let principal = principals.get(key);
    if (!principal) principals.set(key, (principal = { key, running: 0, waiting: [], lastServed: 0 }));
    return principal;
  };
  const forgetWhenIdle = (principal: Principal) => {
    if (principal.running === 0 && principal.waiting.length === 0) principals.delete(principal.key);
  };
  const mayRun = (principal: Pick<Principal, 'running'>) => running < limits.maxConcurrent && principal.running < limits.maxPerKey;

  const leaveQueue = (principal: Principal, waiter: Waiter) => {
    principal.waiting.splice(principal.waiting.indexOf(waiter), 1);
    queued -= 1;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    forgetWhenIdle(principal);
  };

  const occupy = (principal: Principal): ReleaseSlot => {
    running += 1;
    principal.running += 1;
    principal.lastServed = ++turns;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      principal.running -= 1;
      forgetWhenIdle(principal);
      grantFreedSlots();
      onChange(stats());
    };
  };

  /** the waiting principal a freed slot goes to: fewest running, then served longest ago, then fewest waiting */
  const nextInTurn = (): Principal | undefined => {
    let next: Principal | undefined;
    for (const principal of principals.values()) {
      if (principal.waiting.length === 0 || !mayRun(principal)) continue;
      if (!next || comesBefore(principal, next)) next = principal;
    }
    return next;
  };

  const grantFreedSlots = () => {
    for (let principal = nextInTurn(); principal; principal = nextInTurn()) {
      const waiter = principal.waiting[0];
      const release = occupy(principal);
      leaveQueue(principal, waiter);
      waiter.grant(release);
    }
  };

  /** the principal holding the most queue places (of equals, the one with more running) */
  const largestHolder = (): Principal | undefined => {
    let largest: Principal | undefined;
    for (const principal of principals.values()) {
      if (!largest || principal.waiting.length > largest.waiting.length || (principal.waiting.length === largest.waiting.length && principal.running > largest.running)) {
        largest = principal;
      }
    }
    return largest;
  };

  /** Frees a place for `newcomer` when another principal holds more than its share; false when none does. */
  const makeRoomFor = (newcomer: Principal | undefined, share: number): boolean => {
    const holder = largestHolder();
    if (!holder || holder === newcomer || holder.waiting.length === 0) return false;
    // A principal with nothing running or waiting gets a place from one holding more than the one
    // call it asks for (swapping one waiting call for another would gain nobody anything); others
    // only from one above its share.
    if (newcomer ? holder.waiting.length <= share : holder.running + holder.waiting.length <= 1) return false;
    const newest = holder.waiting[holder.waiting.length - 1];
    leaveQueue(holder, newest);
    newest.refuse(tooManyOfYours());
    return true;
  };

  const acquire = (key: string, signal?: AbortSignal): Promise<ReleaseSlot> => {
    if (signal?.aborted) return Promise.reject(cancelledWhileWaiting());
    const known = principals.get(key);
    // Every waiter that could run has been granted already, so taking a free slot jumps no one.
    if (mayRun(known ?? { running: 0 })) {
      const release = occupy(principalOf(key));
      onChange(stats());
      return Promise.resolve(release);
    }
    if (limits.maxQueue === 0) return Promise.reject(tooBusy());
    const share = queueShareAmong(limits, principals.size + (known ? 0 : 1));
    if ((known?.waiting.length ?? 0) >= share) return Promise.reject(tooManyOfYours());
    if (queued >= limits.maxQueue && !makeRoomFor(known, share)) return Promise.reject(tooBusy());

    const principal = principalOf(key);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        refuse: reject,
        signal,
        onAbort: () => {
          leaveQueue(principal, waiter);
          reject(cancelledWhileWaiting());
          onChange(stats());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      principal.waiting.push(waiter);
      queued += 1;
      onChange(stats());
    });
  };

  return { acquire, stats };
}

function comesBefore(a: Principal, b: Principal): boolean {
  if (a.running !== b.running) return a.running < b.running;
  if (a.lastServed !== b.lastServed) return a.lastServed < b.lastServed;
  return a.waiting.length < b.waiting.length;
}

function tooBusy(): CliFailure {
  return new CliFailure('busy', 'too many CLI commands are running or waiting; try again shortly');
}

function tooManyOfYours(): CliFailure {
  return new CliFailure('busy', 'too many of your CLI commands are running or waiting; try again when some have finished');
}

function cancelledWhileWaiting(): CliFailure {
  return new CliFailure('cancelled', 'the command was cancelled while waiting for a free slot');
}
