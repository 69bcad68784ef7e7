import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type KeyValueStore, MemoryStore, RedisStore, StoreUnavailableError } from '../../src/store/index.ts';
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

  it('stores and reads a value until it is deleted', async () => {
    const store = stores[name];
    const k = key();
    await store.set(k, 'v', 60);
    expect(await store.get(k)).toBe('v');
    await store.delete(k);
    expect(await store.get(k)).toBeUndefined();
  });

  it('lets a value expire after its TTL', async () => {
    const store = stores[name];
    const k = key();
    await store.set(k, 'v', 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await store.get(k)).toBeUndefined();
  });

  it('takes a single-use value exactly once', async () => {
    const store = stores[name];
    const k = key();
    await store.set(k, 'state', 60);
    const taken = await Promise.all([store.take(k), store.take(k), store.take(k)]);
    expect(taken.filter((v) => v === 'state')).toHaveLength(1);
  });

  it('grants a lock to one caller and releases it only for its owner', async () => {
    const store = stores[name];
    const k = key();
    const results = await Promise.all([1, 2, 3].map((i) => store.setIfAbsent(k, `owner-${i}`, 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const owner = `owner-${results.indexOf(true) + 1}`;
    expect(await store.deleteIfEquals(k, 'someone-else')).toBe(false);
    expect(await store.deleteIfEquals(k, owner)).toBe(true);
    expect(await store.setIfAbsent(k, 'next', 60)).toBe(true);
  });

  it('keeps set members and counts keys by prefix', async () => {
    const store = stores[name];
    const prefix = `${key()}:`;
    await store.addToSet(`${prefix}set`, 'a', 60);
    await store.addToSet(`${prefix}set`, 'b', 60);
    await store.set(`${prefix}x`, '1', 60);
    expect((await store.setMembers(`${prefix}set`)).sort()).toEqual(['a', 'b']);
    expect(await store.countKeys(prefix)).toBe(2);
  });

  it('removes set members, and a set left empty is gone', async () => {
    const store = stores[name];
    const prefix = `${key()}:`;
    await store.addToSet(`${prefix}set`, 'a', 60);
    await store.addToSet(`${prefix}set`, 'b', 60);
    await store.removeFromSet(`${prefix}set`, 'a', 'not-a-member');
    expect(await store.setMembers(`${prefix}set`)).toEqual(['b']);
    await store.removeFromSet(`${prefix}set`, 'b');
    expect(await store.countKeys(prefix)).toBe(0);
  });

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

describe('redis store while Redis is down', () => {
  it('fails fast with StoreUnavailableError and recovers when Redis returns', async () => {
    const local = await startTestRedis();
    const store = await RedisStore.connect({ url: local.url });
    await store.set('k', 'v', 60);
    await local.stop();
    // refused at once, not after waiting out the command timeout (a hang would never settle)
    const refused = await store.get('k').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect((refused as Error).message).not.toMatch(/did not answer in time/);
    await local.start();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = await store.ping().then(() => true, () => false);
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    await store.close();
    await local.stop();
  });
});
