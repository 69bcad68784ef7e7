// The one storage interface. Every record has a TTL, so nothing grows forever; both backends
// (memory for the embedded default, Redis for production and several processes) implement it.

export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets only when the key does not exist (locks, single-use markers). True when it was set. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Reads and deletes in one step, so a single-use value (OAuth state) can be taken only once. */
  take(key: string): Promise<string | undefined>;
  delete(...keys: string[]): Promise<void>;
  /** Deletes only while the key still holds `value` (releasing a lock one still owns). */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Replaces the value only while the key still holds `expected`, in one step: an update that must
   * neither overwrite a concurrent one nor bring back a deleted key. True when it was replaced.
   */
  replaceIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Adds one to a counter and returns the new count; a counter created by this call lives
   * `ttlSeconds` (later increments do not extend it). For cheap counts over time windows.
   */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /** Adds to a set; the set lives at least `ttlSeconds` from now (never shortened). */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  /** Removes members from a set; a set left empty is gone. */
  removeFromSet(key: string, ...members: string[]): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  /** Approximate number of live keys starting with `prefix`; may be expensive, callers cache it. */
  countKeys(prefix: string): Promise<number>;
  /**
   * Hands `message` to every subscriber of `channel` in every process sharing this store (fire and
   * forget: nobody listening is not an error). For the rare messages that must reach whichever
   * process holds a request, e.g. the answer to a question that process asked.
   */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `listener` with each message published on `channel` from now on, until the returned
   * function is called. The listener must not throw.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** Throws when the backend cannot serve requests. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The store could not be reached: requests fail fast with 503 instead of hanging. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * The store is full (the memory store's budget, Redis' maxmemory): the write was refused and
 * nothing stored was touched. Requests that need new state get 503 like during an outage.
 */
export class StoreFullError extends StoreUnavailableError {
  override name = 'StoreFullError';
}
