import type { KeyValueStore } from './key-value-store.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';

export type { KeyValueStore } from './key-value-store.ts';
export { StoreUnavailableError } from './key-value-store.ts';
export { MemoryStore } from './memory-store.ts';
export { RedisStore } from './redis-store.ts';

/** REDIS_URL set: Redis (shared by every process); unset: in memory (one process, lost on restart). */
export async function openStore(redisUrl: string | undefined, onError?: (error: Error) => void): Promise<KeyValueStore> {
  return redisUrl ? RedisStore.connect({ url: redisUrl, onError }) : new MemoryStore();
}
