// "Crowd with abusers": how long well-behaved users' CLI calls wait for a slot while 10 accounts
// flood the queue with 100 slow calls each, beside the same crowd without them. The calls are
// timers holding a slot of the server's own limiter (default CLI limits), so the figure is the
// queueing alone, not `mw`'s start-up (the tools/call and "many users" figures have that).
import { createConcurrencyLimiter, type ConcurrencyLimits } from '../src/cli/concurrency-limiter.ts';
import { loadConfig } from '../src/config.ts';
import { ms } from './format.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const ABUSERS = 10;
const ABUSER_CALLS = 100;
const ABUSER_CALL_MS = 2000;
const USERS = 20;
const USER_CALL_MS = 200;

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

async function crowdWaits(limits: ConcurrencyLimits, callsPerUser: number, withAbusers: boolean) {
  const limiter = createConcurrencyLimiter(limits);
  const stopFlood = new AbortController();
  const flood: Array<Promise<unknown>> = [];
  if (withAbusers) {
    for (let account = 0; account < ABUSERS; account++) {
      for (let call = 0; call < ABUSER_CALLS; call++) {
        flood.push(
          limiter.acquire(`abuser-${account}`, stopFlood.signal).then(
            // 1 to 3 s, 2 s on average: the flood's slots free one by one, not all at once
            (release) => sleep(ABUSER_CALL_MS * (0.5 + ((call * 7 + account * 3) % 11) / 10)).then(release),
            () => {},
          ),
        );
      }
    }
  }
  const waits: number[] = [];
  let refused = 0;
  // each user calls one after another, as an assistant does
  await Promise.all(
    Array.from({ length: USERS }, async (_, user) => {
      for (let call = 0; call < callsPerUser; call++) {
        const asked = performance.now();
        try {
          const release = await limiter.acquire(`user-${user}`);
          waits.push(performance.now() - asked);
          await sleep(USER_CALL_MS);
          release();
        } catch {
          refused += 1;
        }
      }
    }),
  );
  // one more user, arriving while the flood goes on: the wait for their first call
  const asked = performance.now();
  (await limiter.acquire('newcomer'))();
  const newcomerWaitMs = performance.now() - asked;
  stopFlood.abort();
  await Promise.all(flood);
  return { ...summarise(waits), refused, newcomerWaitMs };
}

export async function benchCrowdWithAbusers(profile: Profile): Promise<BenchmarkOutcome> {
  const { cli } = loadConfig({});
  const limits = { maxConcurrent: cli.maxConcurrent, maxPerKey: cli.maxPerUser, maxQueue: cli.maxQueue };
  const callsPerUser = profile.smoke ? 1 : 5;
  const rows = [];
  for (const withAbusers of [false, true]) {
    const { p50Ms, p99Ms, count, refused, newcomerWaitMs } = await crowdWaits(limits, callsPerUser, withAbusers);
    const flood = withAbusers ? `${ABUSERS} accounts × ${ABUSER_CALLS} calls of ~${ABUSER_CALL_MS / 1000} s` : 'none';
    rows.push([flood, String(count), ms(p50Ms), ms(p99Ms), String(refused), ms(newcomerWaitMs)]);
  }
  const refusedWithAbusers = Number(rows[1][4]);
  return {
    sections: [
      {
        title: `Crowd with abusers: ${USERS} users' CLI calls (${USER_CALL_MS} ms each, one after another) waiting for a slot`,
        columns: ['flooding the queue', 'calls', 'wait p50', 'wait p99', 'refused busy', 'a newcomer\'s wait'],
        rows,
        notes: [
          `Default limits (${limits.maxConcurrent} at once, ${limits.maxPerKey} per user, queue ${limits.maxQueue}); a call is a timer holding a slot of the server's limiter, so this is the queueing alone. ` +
            `The users arrive as the flood starts (their first calls wait for the flood's first calls to end); the newcomer arrives after them, with the flood still going.`,
        ],
      },
    ],
    goals: [{ goal: 'crowd with abusers: no well-behaved call refused', measured: String(refusedWithAbusers), met: refusedWithAbusers === 0 }],
    failures: refusedWithAbusers ? [`${refusedWithAbusers} well-behaved calls were refused while abusers flooded the queue`] : [],
  };
}
