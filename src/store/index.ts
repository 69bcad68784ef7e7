import type { RedisConfig } from '../config.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';

export type { KeyValueStore } from './key-value-store.ts';
export { StoreFullError, StoreUnavailableError } from './key-value-store.ts';
export { MemoryStore } from './memory-store.ts';
export { RedisStore, ReplicaUnacknowledgedError } from './redis-store.ts';

/**
 * Redis set: Redis (shared by every process; its maxmemory bounds it); unset: in memory (one
 * process, lost on restart, bounded by `memoryMaxBytes`). Sentinel and Cluster are there to survive
 * the loss of a primary, so there a write counts as done once a replica holds it too.
 */
export async function openStore(options: { redis?: RedisConfig; memoryMaxBytes: number; onError?: (error: Error) => void }): Promise<KeyValueStore> {
  if (!options.redis) return new MemoryStore({ maxBytes: options.memoryMaxBytes });
  const replicaAcknowledgements = options.redis.form === 'single' ? 0 : 1;
  return RedisStore.connect({ redis: options.redis, replicaAcknowledgements, onError: options.onError });
}
