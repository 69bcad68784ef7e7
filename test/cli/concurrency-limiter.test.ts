// The CLI's slots and queue shared by many users: one user's burst (a batch of calls) takes at
// most their share of the queue, as it takes at most their share of the running slots, so the
// other users still get a place in line instead of "busy".
import { describe, expect, it } from '@jest/globals';
import { callsPerKeyAtOnce, createConcurrencyLimiter, queueSharePerKey, type ReleaseSlot } from '../../src/cli/concurrency-limiter.ts';
import { CliFailure } from '../../src/cli/types.ts';

const outcome = (attempt: Promise<ReleaseSlot>) =>
  attempt.then(
    (release) => ({ release, refused: undefined }),
    (error: CliFailure) => ({ release: undefined, refused: error.kind }),
  );
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('the CLI queue', () => {
  it("keeps room for other users when one user's burst would fill it", async () => {
    const limits = { maxConcurrent: 4, maxPerKey: 2, maxQueue: 10 };
    const limiter = createConcurrencyLimiter(limits);
    // a user's share of the queue is their share of the slots: 2 of 4, so 5 of 10 places
    expect(queueSharePerKey(limits)).toBe(5);

    const burst = Array.from({ length: 20 }, () => outcome(limiter.acquire('greedy')));
    await settled();
    expect(limiter.stats()).toEqual({ running: 2, queued: 5 });
    const fair = [outcome(limiter.acquire('fair-1')), outcome(limiter.acquire('fair-1')), outcome(limiter.acquire('fair-2'))];
    await settled();
    // two free slots went to fair-1; fair-2 waits in line instead of being refused
    expect(limiter.stats()).toEqual({ running: 4, queued: 6 });

    const refusedBurst = (await Promise.race([Promise.all(burst.slice(7)), settled().then(() => [])])) as Array<{ refused?: string }>;
    expect(refusedBurst.map((r) => r.refused)).toEqual(Array(13).fill('busy'));

    // everything granted runs to the end: the queue drains in order, fair-2 included
    const granted = [...(await Promise.all(burst.slice(0, 2))), ...(await Promise.all(fair.slice(0, 2)))];
    for (const { release } of granted) release!();
    for (const waiting of [fair[2], ...burst.slice(2, 7)]) {
      const { release, refused } = await waiting;
      expect(refused).toBeUndefined();
      release!();
    }
    expect(limiter.stats()).toEqual({ running: 0, queued: 0 });
  });

  it('frees a place of the share when a waiting call is cancelled', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 1, maxPerKey: 1, maxQueue: 2 });
    const running = await limiter.acquire('u');
    const cancel = new AbortController();
    const waiting = outcome(limiter.acquire('u', cancel.signal));
    const secondWaiting = outcome(limiter.acquire('u'));
    expect((await outcome(limiter.acquire('u'))).refused).toBe('busy');
    cancel.abort();
    expect((await waiting).refused).toBe('cancelled');
    const third = outcome(limiter.acquire('u'));
    await settled();
    expect(limiter.stats()).toEqual({ running: 1, queued: 2 });
    running();
    (await secondWaiting).release!();
    (await third).release!();
  });

  it.each([
    [{ maxConcurrent: 8, maxPerKey: 3, maxQueue: 100 }, 37, 40],
    [{ maxConcurrent: 4, maxPerKey: 8, maxQueue: 10 }, 10, 14],
    [{ maxConcurrent: 8, maxPerKey: 1, maxQueue: 3 }, 1, 2],
    [{ maxConcurrent: 8, maxPerKey: 3, maxQueue: 0 }, 0, 3],
  ])('with %o a user may queue %i and have %i calls at once', (limits, share, atOnce) => {
    expect(queueSharePerKey(limits)).toBe(share);
    expect(callsPerKeyAtOnce(limits)).toBe(atOnce);
  });
});
