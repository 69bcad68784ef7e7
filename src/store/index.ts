import type { KeyValueStore } from './key-value-store.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';

export type { KeyValueStore } from './key-value-store.ts';
export { StoreFullError, StoreUnavailableError } from './key-value-store.ts';
export { MemoryStore } from './memory-store.ts';
export { RedisStore } from './redis-store.ts';

/**
 * REDIS_URL set: Redis (shared by every process; its maxmemory bounds it); unset: in memory (one
 * process, lost on restart, bounded by `memoryMaxBytes`).
 */
export async function openStore(options: { redisUrl?: string; memoryMaxBytes: number; onError?: (error: Error) => void }): Promise<KeyValueStore> {
  return options.redisUrl ? RedisStore.connect({ url: options.redisUrl, onError: options.onError }) : new MemoryStore({ maxBytes: options.memoryMaxBytes });
}
