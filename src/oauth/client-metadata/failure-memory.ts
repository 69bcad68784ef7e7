// Client ID Metadata Document fetches that failed, remembered for a while: asking again for the same
// bad client_id (or another one on a host that resolves nowhere useful) is refused without a DNS
// query or a connection. Bounded: the oldest entries go first.

export interface FailureMemory {
  remember(key: string, reason: string): void;
  /** the reason a fetch for this key failed lately, if it did */
  recall(key: string): string | undefined;
}

export function createFailureMemory(options: { ttlMs: number; maxEntries: number; now: () => number }): FailureMemory {
  const failures = new Map<string, { reason: string; until: number }>();
  return {
    remember(key, reason) {
      failures.delete(key);
      if (failures.size >= options.maxEntries) failures.delete(failures.keys().next().value!);
      failures.set(key, { reason, until: options.now() + options.ttlMs });
    },
    recall(key) {
      const failure = failures.get(key);
      if (!failure) return undefined;
      if (failure.until <= options.now()) {
        failures.delete(key);
        return undefined;
      }
      return failure.reason;
    },
  };
}
