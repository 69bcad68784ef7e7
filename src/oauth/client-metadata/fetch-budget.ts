// How many Client ID Metadata Document fetches the server makes: at most a few at once, a bounded
// number per minute in all, and per minute toward any one address. An unauthenticated caller picks
// the client_id, so without these the server would fetch (or scan) on anyone's behalf at any rate.

export interface FetchLimits {
  /** fetches running at the same time */
  inFlight: number;
  /** fetches started per minute, in all */
  perMinute: number;
  /** fetches started per minute toward one IP address */
  perAddressPerMinute: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { inFlight: 8, perMinute: 120, perAddressPerMinute: 12 };

const WINDOW_MS = 60_000;

export interface FetchBudget {
  /** a slot for one fetch (call the returned release when it ends), or undefined when the server is at its limit */
  start(): (() => void) | undefined;
  /** counts a fetch toward these addresses; false (and nothing counted) when one of them had its share this minute */
  admitAddresses(addresses: string[]): boolean;
}

export function createFetchBudget(limits: FetchLimits, now: () => number): FetchBudget {
  let inFlight = 0;
  let window = -1;
  let started = 0;
  // only this minute's addresses, each admitted after a global slot: at most perMinute entries
  let perAddress = new Map<string, number>();

  const currentWindow = () => {
    const current = Math.floor(now() / WINDOW_MS);
    if (current !== window) {
      window = current;
      started = 0;
      perAddress = new Map();
    }
  };

  return {
    start() {
      currentWindow();
      if (inFlight >= limits.inFlight || started >= limits.perMinute) return undefined;
      inFlight++;
      started++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight--;
      };
    },
    admitAddresses(addresses) {
      currentWindow();
      if (addresses.some((address) => (perAddress.get(address) ?? 0) >= limits.perAddressPerMinute)) return false;
      for (const address of addresses) perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      return true;
    },
  };
}
