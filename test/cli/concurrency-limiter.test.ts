// The CLI's slots and queue shared by many users: one user's burst (a batch of calls) takes at
// most their share of the queue, as it takes at most their share of the running slots, so the
// other users still get a place in line instead of "busy". The shares shrink as more users wait,
// a user with nothing running or waiting always gets a place, and freed slots go round the users.
import { describe, expect, it } from '@jest/globals';
import { callsPerKeyAtOnce, createConcurrencyLimiter, queueShareAmong, queueSharePerKey, type ReleaseSlot } from '../../src/cli/concurrency-limiter.ts';
import { CliFailure } from '../../src/cli/types.ts';

const outcome = (attempt: Promise<ReleaseSlot>) =>
  attempt.then(
    (release) => ({ release, refused: undefined, message: undefined }),
    (error: CliFailure) => ({ release: undefined, refused: error.kind, message: error.message }),
  );
type Outcome = Awaited<ReturnType<typeof outcome>>;
/** the attempts that have an answer by now, waiting ones left out */
async function answered(attempts: Array<Promise<Outcome>>): Promise<Outcome[]> {
  const now = await Promise.all(attempts.map((attempt) => Promise.race([attempt, settled().then(() => undefined)])));
  return now.filter((answer) => answer !== undefined);
}
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

  it.each([
    [1, 37],
    [3, 33],
    [10, 10],
    [100, 1],
    [1000, 1],
  ])('with the defaults and %i users holding calls, each may queue %i', (users, share) => {
    expect(queueShareAmong({ maxConcurrent: 8, maxPerKey: 3, maxQueue: 100 }, users)).toBe(share);
  });
});

describe('the CLI queue under a flood of a few accounts', () => {
  const DEFAULTS = { maxConcurrent: 8, maxPerKey: 3, maxQueue: 100 };
  const flood = (limiter: ReturnType<typeof createConcurrencyLimiter>, accounts: number, calls: number) =>
    Array.from({ length: accounts }, (_, account) => Array.from({ length: calls }, () => outcome(limiter.acquire(`hostile-${account}`))));

  it('gives a user with nothing running a place when three accounts filled the queue, refusing a call of the largest holder', async () => {
    const limiter = createConcurrencyLimiter(DEFAULTS);
    const hostile = flood(limiter, 3, 40);
    await settled();
    expect(limiter.stats()).toEqual({ running: 8, queued: 100 });
    // 120 calls: 8 run, 100 wait, 12 were refused (each account only to its share of the queue)
    expect((await answered(hostile.flat())).filter((answer) => answer.refused)).toHaveLength(12);

    const newcomer = outcome(limiter.acquire('newcomer'));
    await settled();
    expect(limiter.stats()).toEqual({ running: 8, queued: 100 });
    // one hostile call lost its place, with the message its account would get for one more call
    const refused = (await answered(hostile.flat())).filter((answer) => answer.refused);
    expect(refused).toHaveLength(13);
    expect(new Set(refused.map((answer) => answer.message))).toEqual(
      new Set(['too many of your CLI commands are running or waiting; try again when some have finished']),
    );

    // the newcomer's call runs in the next freed slot, ahead of the 99 hostile calls waiting
    (await hostile[0][0]).release!();
    expect((await newcomer).refused).toBeUndefined();
  });

  it('starts a newcomer within one freed slot while 10 accounts keep 100 calls each', async () => {
    const limiter = createConcurrencyLimiter(DEFAULTS);
    const running: ReleaseSlot[] = [];
    const served = new Set<string>();
    for (let account = 0; account < 10; account++) {
      for (let call = 0; call < 100; call++) {
        limiter.acquire(`hostile-${account}`).then(
          (release) => (running.push(release), served.add(`hostile-${account}`)),
          () => {},
        );
      }
    }
    await settled();
    expect(limiter.stats()).toEqual({ running: 8, queued: 100 });
    // the flood runs a while: freed slots go round the accounts until each has had some
    while (served.size < 10) {
      running.shift()!();
      await settled();
    }
    let started = false;
    const newcomer = limiter.acquire('newcomer').then((release) => ((started = true), release));
    await settled();
    expect(started).toBe(false);
    running.shift()!();
    await settled();
    expect(started).toBe(true);
    (await newcomer)();
  });

  it('hands freed slots round the waiting users instead of to the oldest waiter', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 1, maxPerKey: 1, maxQueue: 10 });
    const first = await limiter.acquire('a');
    const order: string[] = [];
    const queue = ['a', 'a', 'a', 'b', 'b', 'c'].map((key) =>
      limiter.acquire(key).then((release) => {
        order.push(key);
        release();
      }),
    );
    await settled();
    first();
    await Promise.all(queue);
    // b and c never had a slot: c, waiting with fewer, first; then round the three
    expect(order).toEqual(['c', 'b', 'a', 'b', 'a', 'a']);
  });

  it('refuses a user beyond the share left to them as more users wait, without taking places from others', async () => {
    const limiter = createConcurrencyLimiter({ maxConcurrent: 1, maxPerKey: 1, maxQueue: 4 });
    const held = await limiter.acquire('a');
    const waiting = [outcome(limiter.acquire('b')), outcome(limiter.acquire('c'))];
    // three users hold calls: each may queue 4 / 3 = 1
    const beyond = await outcome(limiter.acquire('b'));
    expect(beyond.refused).toBe('busy');
    expect(limiter.stats()).toEqual({ running: 1, queued: 2 });
    held();
    for (const call of waiting) (await call).release!();
  });
});

