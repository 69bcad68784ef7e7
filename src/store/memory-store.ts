// In-process store for the embedded default (one process, nothing survives a restart).
import type { KeyValueStore } from './key-value-store.ts';

interface Entry {
  value: string | Set<string>;
  expiresAt: number;
}

export class MemoryStore implements KeyValueStore {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Map<string, Set<(message: string) => void>>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: { now?: () => number; sweepIntervalMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    // Expired entries are dropped on read; the sweep catches the ones never read again.
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.#live(key)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    // No await between read and delete: two concurrent takers can never both get the value.
    const value = this.#live(key)?.value;
    this.#entries.delete(key);
    return typeof value === 'string' ? value : undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(key);
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return false;
    this.#entries.delete(key);
    return true;
  }

  async replaceIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    if (this.#live(key)?.value !== expected) return false;
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlSeconds) });
    return true;
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    const entry = this.#live(key);
    const expiresAt = this.#expiry(ttlSeconds);
    if (entry && entry.value instanceof Set) {
      entry.value.add(member);
      entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
      return;
    }
    this.#entries.set(key, { value: new Set([member]), expiresAt });
  }

  async removeFromSet(key: string, ...members: string[]): Promise<void> {
    const value = this.#live(key)?.value;
    if (!(value instanceof Set)) return;
    for (const member of members) value.delete(member);
    if (value.size === 0) this.#entries.delete(key);
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
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #expiry(ttlSeconds: number): number {
    return this.#now() + Math.max(1, Math.ceil(ttlSeconds)) * 1000;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
