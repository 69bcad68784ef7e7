// A fixed-window count of lookups, per client address and overall: what bounds the calls one
// unauthenticated caller (or all of them together) can make us send to mittwald. A window's map
// holds only addresses that got a lookup in it, so it never outgrows the overall budget.

export interface LookupBudget {
  /** takes one lookup for `address`; returns the seconds until the next window when none is left */
  take(address: string): { retryAfterSeconds: number } | undefined;
}

export function createLookupBudget(options: { perMinute: number; perAddressPerMinute: number; now: () => number }): LookupBudget {
  const windowMs = 60_000;
  let windowStart = Number.NEGATIVE_INFINITY;
  let total = 0;
  const perAddress = new Map<string, number>();

  return {
    take(address) {
      const now = options.now();
      if (now - windowStart >= windowMs) {
        windowStart = now;
        total = 0;
        perAddress.clear();
      }
      const used = perAddress.get(address) ?? 0;
      if (total >= options.perMinute || used >= options.perAddressPerMinute) {
        return { retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)) };
      }
      total += 1;
      perAddress.set(address, used + 1);
      return undefined;
    },
  };
}
