// In-process store for the embedded default (one process, nothing survives a restart). Its size
// has a budget: a write that would pass it is refused (StoreFullError) once expired entries are
// freed, so a flood of new state costs requests their 503, never the process its memory.
import { type KeyValueStore, StoreFullError } from './key-value-store.ts';

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
  /** bytes counted against the budget */
  size: number;
}

/** what an entry costs beyond its key and value (the Map slot, the Entry object, string headers) */
const ENTRY_OVERHEAD_BYTES = 160;
const MEMBER_OVERHEAD_BYTES = 48;
/** a store at its budget looks for expired entries at most this often (a full sweep is O(entries)) */
const FULL_SWEEP_INTERVAL_MS = 1_000;

export interface MemoryStoreOptions {
  now?: () => number;
  sweepIntervalMs?: number;
  /** budget for keys, values and their overhead; default unlimited */
  maxBytes?: number;
}

export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Map<string, Set<(message: string) => void>>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #maxBytes: number;
  #bytes = 0;
  #lastFullSweepAt = -Infinity;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes ?? Infinity;
    // Expired entries are dropped on read; the sweep catches the ones never read again.
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  /** bytes counted against the budget now */
  get usedBytes(): number {
    return this.#bytes;
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.#live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#put(key, value, this.#expiry(ttlSeconds));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#put(key, value, this.#expiry(ttlSeconds));
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    // No await between read and delete: two concurrent takers can never both get the value.
    const value = this.#live(key)?.value;
    this.#remove(key);
    return typeof value === 'string' ? value : undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.#remove(key);
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return false;
    this.#remove(key);
    return true;
  }

  async replaceIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key)?.value !== expected) return false;
    this.#put(key, value, this.#expiry(ttlSeconds));
    return true;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const entry = this.#live(key);
    const count = (typeof entry?.value === 'string' ? Number(entry.value) || 0 : 0) + 1;
    this.#put(key, String(count), entry?.expiresAt ?? this.#expiry(ttlSeconds));
    return count;
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    const entry = this.#live(key);
    const expiresAt = this.#expiry(ttlSeconds);
    if (entry && entry.value instanceof Set) {
      if (!entry.value.has(member)) {
        const added = memberSize(member);
        this.#makeRoomFor(added);
        entry.value.add(member);
        entry.size += added;
        this.#bytes += added;
      }
      entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
      return;
    }
    this.#put(key, new Set([member]), expiresAt);
  }

  async removeFromSet(key: string, ...members: string[]): Promise<void> {
    const entry = this.#live(key);
    if (!entry || !(entry.value instanceof Set)) return;
    for (const member of members) {
      if (!entry.value.delete(member)) continue;
      entry.size -= memberSize(member);
      this.#bytes -= memberSize(member);
    }
    if (entry.value.size === 0) this.#remove(key);
  }

  async setMembers(key: string): Promise<string[]> {
    const value = this.#live(key)?.value;
    return value instanceof Set ? [...value] : [];
  }

  async countKeys(prefix: string): Promise<number> {
    const now = this.#now();
    let count = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now && key.startsWith(prefix)) count++;
    }
    return count;
  }

  async publish(channel: string, message: string): Promise<void> {
    // Delivered later, as Redis would: a publisher never runs its subscribers' code in its own call.
    for (const listener of this.#listeners.get(channel) ?? []) queueMicrotask(() => listener(message));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const subscription = (message: string) => listener(message);
    const listeners = this.#listeners.get(channel) ?? new Set();
    listeners.add(subscription);
    this.#listeners.set(channel, listeners);
    return async () => {
      listeners.delete(subscription);
      if (listeners.size === 0 && this.#listeners.get(channel) === listeners) this.#listeners.delete(channel);
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#listeners.clear();
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(key);
      return undefined;
    }
    return entry;
  }

  /** Writes an entry within the budget, or throws StoreFullError and changes nothing. */
  #put(key: string, value: string | Set<string>, expiresAt: number): void {
    const size = entrySize(key, value);
    const previous = this.#entries.get(key);
    this.#makeRoomFor(size - (previous?.size ?? 0));
    this.#bytes += size - (previous?.size ?? 0);
    this.#entries.set(key, { value, expiresAt, size });
  }

  #makeRoomFor(growth: number): void {
    if (growth <= 0 || this.#bytes + growth <= this.#maxBytes) return;
    const now = this.#now();
    if (now - this.#lastFullSweepAt >= FULL_SWEEP_INTERVAL_MS) {
      this.#lastFullSweepAt = now;
      this.#sweep();
    }
    if (this.#bytes + growth > this.#maxBytes) {
      throw new StoreFullError(`the memory store is at its budget of ${Math.round(this.#maxBytes / 1024 ** 2)} MB`);
    }
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }

  #expiry(ttlSeconds: number): number {
    return this.#now() + Math.max(1, Math.ceil(ttlSeconds)) * 1000;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#remove(key);
  }
}

function entrySize(key: string, value: string | Set<string>): number {
  let size = ENTRY_OVERHEAD_BYTES + Buffer.byteLength(key);
  if (typeof value === 'string') return size + Buffer.byteLength(value);
  for (const member of value) size += memberSize(member);
  return size;
}

function memberSize(member: string): number {
  return MEMBER_OVERHEAD_BYTES + Buffer.byteLength(member);
}
