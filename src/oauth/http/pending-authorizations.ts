// The global cap on pending authorizations, counted cheaply and shared by every process on the
// store: each interaction oidc-provider stores adds one to its minute's counter, and the counters
// of one interaction lifetime together bound how many can be pending. A request at the cap is
// refused before anything is stored; one refused for any other reason changes no counter.
import type { KeyValueStore } from '../../store/index.ts';
import { storeKeys } from '../store-keys.ts';

const MINUTE_SECONDS = 60;

export interface PendingAuthorizations {
  /** true when no further authorization may start now (reads only) */
  isFull(): Promise<boolean>;
  /** counts an interaction just stored */
  count(): Promise<void>;
}

export function createPendingAuthorizations(options: {
  store: KeyValueStore;
  max: number;
  /** how long an interaction lives (the counters that old count) */
  lifetimeSeconds: number;
  /** epoch milliseconds */
  now: () => number;
}): PendingAuthorizations {
  const { store, max, now } = options;
  // An interaction started in the oldest of these minutes may still be pending in the current one.
  const earlierMinutes = Math.ceil(options.lifetimeSeconds / MINUTE_SECONDS);
  const counterTtl = (earlierMinutes + 1) * MINUTE_SECONDS;
  const currentMinute = () => Math.floor(now() / 1000 / MINUTE_SECONDS);
  // The earlier minutes' counters no longer change: read once per minute, not per request.
  let earlier: { minute: number; count: Promise<number> } | undefined;
  // The current minute's count as this process last saw it: at the cap, refusing costs no store call.
  let seen = { minute: -1, count: 0 };
  const see = (minute: number, count: number) => {
    if (seen.minute !== minute || count > seen.count) seen = { minute, count };
  };

  const countEarlier = async (minute: number) => {
    const counts = await Promise.all(
      Array.from({ length: earlierMinutes }, (_, i) => store.get(storeKeys.authorizationsAdmitted(minute - 1 - i))),
    );
    return counts.reduce((sum, count) => sum + (Number(count) || 0), 0);
  };

  return {
    async isFull() {
      const minute = currentMinute();
      if (earlier?.minute !== minute) {
        const reading = { minute, count: countEarlier(minute) };
        // a failed read (store down) is read again by the next request
        reading.count.catch(() => earlier === reading && (earlier = undefined));
        earlier = reading;
      }
      const before = await earlier.count;
      if (seen.minute === minute && before + seen.count >= max) return true;
      see(minute, Number(await store.get(storeKeys.authorizationsAdmitted(minute))) || 0);
      return before + seen.count >= max;
    },
    async count() {
      const minute = currentMinute();
      see(minute, await store.increment(storeKeys.authorizationsAdmitted(minute), counterTtl));
    },
  };
}
