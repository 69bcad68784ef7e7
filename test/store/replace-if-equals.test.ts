// replaceIfEquals: the store's compare-and-set, on both backends. Concurrent updaters of one
// record get exactly one winner, and an update never brings back a record deleted meanwhile.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type KeyValueStore, MemoryStore, RedisStore } from '../../src/store/index.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';

let redis: TestRedis;
const stores: Record<string, KeyValueStore> = {};

beforeAll(async () => {
  redis = await startTestRedis();
  stores.memory = new MemoryStore();
  stores.redis = await RedisStore.connect({ url: redis.url });
});

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  await redis.stop();
});

describe.each(['memory', 'redis'])('%s store', (name) => {
  const key = () => `test:${randomUUID()}`;

  it('replaces for exactly one of several updaters that read the same value', async () => {
    const store = stores[name];
    const k = key();
    await store.set(k, 'unused', 60);
    const results = await Promise.all([1, 2, 3].map((i) => store.replaceIfEquals(k, 'unused', `used-by-${i}`, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get(k)).toBe(`used-by-${results.indexOf(true) + 1}`);
  });

  it('never brings back a deleted key, and keeps the new TTL', async () => {
    const store = stores[name];
    const k = key();
    expect(await store.replaceIfEquals(k, 'v', 'w', 60)).toBe(false);
    expect(await store.get(k)).toBeUndefined();
    await store.set(k, 'v', 60);
    expect(await store.replaceIfEquals(k, 'v', 'w', 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.get(k)).toBeUndefined();
  });
});
