// What bounds the calls unauthenticated callers can make us send to mittwald, without letting one
// caller's junk spend another's checks. Per one-minute window, only checks that found no account
// count (a check is charged as it starts and refunded when it found a user), against three budgets:
// per client address, per network (IPv4 /24, IPv6 /64: one host's many addresses), and overall.
// A flood from elsewhere can exhaust the overall budget, so a network without a failed check in this
// window still gets checks beyond it (up to FRESH_NETWORK_FACTOR times the overall budget): a new
// user on a new address gets in at once. mittwald's own 429 stops every check until its Retry-After.
import { isIP } from 'node:net';

const WINDOW_MS = 60_000;
/** one network's failed checks per window, in addresses' budgets: an office behind a few addresses */
const NETWORK_FACTOR = 3;
/** checks beyond the overall budget for networks without a failed check yet, in overall budgets */
const FRESH_NETWORK_FACTOR = 10;

export type Reservation =
  | { granted: true; /** the check found an account: it costs nothing */ refund(): void; /** it found none */ failed(): void }
  | { granted: false; retryAfterSeconds: number };

export interface LookupBudget {
  /** reserves a check for `address`; say how it went */
  take(address: string): Reservation;
  /** mittwald answered 429: no check for this long */
  pause(seconds: number): void;
}

export function createLookupBudget(options: { perMinute: number; perAddressPerMinute: number; now: () => number }): LookupBudget {
  const perNetworkPerMinute = NETWORK_FACTOR * options.perAddressPerMinute;
  const freshNetworksPerMinute = FRESH_NETWORK_FACTOR * options.perMinute;
  let windowStart = Number.NEGATIVE_INFINITY;
  let total = 0;
  let freshNetworks = 0;
  let pausedUntil = 0;
  const perAddress = new Map<string, number>();
  const perNetwork = new Map<string, number>();
  const failedNetworks = new Set<string>();

  const count = (counts: Map<string, number>, key: string, change: number) => counts.set(key, (counts.get(key) ?? 0) + change);
  const secondsUntil = (time: number) => Math.max(1, Math.ceil((time - options.now()) / 1000));

  return {
    take(address) {
      const now = options.now();
      if (now < pausedUntil) return { granted: false, retryAfterSeconds: secondsUntil(pausedUntil) };
      if (now - windowStart >= WINDOW_MS) {
        windowStart = now;
        total = freshNetworks = 0;
        perAddress.clear();
        perNetwork.clear();
        failedNetworks.clear();
      }
      const network = networkOf(address);
      const networkUsed = perNetwork.get(network) ?? 0;
      const withinOverall = total < options.perMinute;
      const freshNetwork = !failedNetworks.has(network) && freshNetworks < freshNetworksPerMinute;
      if ((perAddress.get(address) ?? 0) >= options.perAddressPerMinute || networkUsed >= perNetworkPerMinute || !(withinOverall || freshNetwork)) {
        return { granted: false, retryAfterSeconds: secondsUntil(windowStart + WINDOW_MS) };
      }
      const window = windowStart;
      if (!withinOverall) freshNetworks += 1;
      total += 1;
      count(perAddress, address, 1);
      count(perNetwork, network, 1);
      return {
        granted: true,
        refund() {
          // a check that found a user costs nothing (in a later window there is nothing to give back)
          if (window !== windowStart) return;
          total -= 1;
          count(perAddress, address, -1);
          count(perNetwork, network, -1);
        },
        failed() {
          if (window === windowStart) failedNetworks.add(network);
        },
      };
    },
    pause(seconds) {
      pausedUntil = Math.max(pausedUntil, options.now() + seconds * 1000);
    },
  };
}

/** the /24 of an IPv4 address (also IPv4-mapped), the /64 of an IPv6 one; anything else as it is */
export function networkOf(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+)\.\d+$/i.exec(address);
  if (v4) return `${v4[1]}.0/24`;
  const bare = address.split('%')[0];
  if (isIP(bare) !== 6) return address;
  const [head, tail] = bare.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const expanded = tail === undefined ? groups(head) : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return `${expanded.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
