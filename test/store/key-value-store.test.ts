// The store's contract, case by case on every backend: memory, one Redis, a primary found
// through Sentinel, and a Redis Cluster (where keys land on different primaries).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type KeyValueStore, MemoryStore, openStore, RedisStore, ReplicaUnacknowledgedError, StoreFullError, StoreUnavailableError } from '../../src/store/index.ts';
import { startTestRedis } from '../support/redis-server.ts';
import { REDIS_FORMS, startTestTopology, type TestRedisTopology } from '../support/redis-topology.ts';

const topologies: TestRedisTopology[] = [];
const stores: Record<string, KeyValueStore> = {};

beforeAll(async () => {
  stores.memory = new MemoryStore();
  for (const form of REDIS_FORMS) {
    const topology = await startTestTopology(form);
    topologies.push(topology);
    stores[form] = await openStore({ redis: topology.config, memoryMaxBytes: 0 });
  }
}, 120_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.close();
  for (const topology of topologies) await topology.stop();
});

describe.each(['memory', ...REDIS_FORMS])('%s store', (name) => {
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

  it('counts and deletes keys wherever they live (on a cluster: on every primary)', async () => {
    const store = stores[name];
    const prefix = `${key()}:`;
    // 30 keys spread over a cluster's slots, so over all three primaries
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}${i}`);
    await Promise.all(keys.map((k) => store.set(k, 'v', 60)));
    expect(await store.countKeys(prefix)).toBe(30);
    await store.delete(...keys);
    expect(await store.countKeys(prefix)).toBe(0);
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

  it('counts up, the counter living its TTL from the first count', async () => {
    const store = stores[name];
    const k = key();
    expect(await Promise.all([1, 2, 3].map(() => store.increment(k, 1)))).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(await store.increment(k, 60)).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await store.increment(k, 60)).toBe(1);
  });
});

describe('memory store budget', () => {
  const value = 'v'.repeat(1000);
  let clock = 0;
  const now = () => clock;

  it('gives back what removed set members held, so the budget is not used up by sets that shrink', async () => {
    const store = new MemoryStore({ now, maxBytes: 10_000 });
    for (let round = 0; round < 50; round++) {
      await store.addToSet('set', `a${round}-${value}`, 600);
      await store.addToSet('set', `b${round}-${value}`, 600);
      await store.removeFromSet('set', `a${round}-${value}`);
      await store.removeFromSet('set', `b${round}-${value}`);
    }
    expect(store.usedBytes).toBe(0);
    await store.set('k', value, 600);
    await store.close();
  });

  it('refuses a write that would pass the budget, and keeps everything stored', async () => {
    const store = new MemoryStore({ now, maxBytes: 10_000 });
    let stored = 0;
    for (; stored < 20; stored++) {
      const written = await store.set(`k${stored}`, value, 600).then(() => true, (error: unknown) => error);
      if (written !== true) {
        expect(written).toBeInstanceOf(StoreFullError);
        expect(written).toBeInstanceOf(StoreUnavailableError);
        break;
      }
    }
    expect(stored).toBeGreaterThan(5);
    expect(store.usedBytes).toBeLessThanOrEqual(10_000);
    for (let i = 0; i < stored; i++) expect(await store.get(`k${i}`)).toBe(value);
    // every kind of growth is refused alike; reads, deletes and writes that do not grow still work
    await expect(store.setIfAbsent('other', value, 600)).rejects.toBeInstanceOf(StoreFullError);
    await expect(store.addToSet('set', value, 600)).rejects.toBeInstanceOf(StoreFullError);
    expect(await store.replaceIfEquals('k0', value, 'w'.repeat(1000), 600)).toBe(true);
    await store.delete('k1');
    await store.set('k1', value, 600);
    await store.close();
  });

  it('frees expired entries before it refuses', async () => {
    const store = new MemoryStore({ now, maxBytes: 10_000 });
    clock = 0;
    for (let i = 0; i < 5; i++) await store.set(`old${i}`, value, 60);
    const fresh = () => store.set(`new${Math.random()}`, value, 600);
    while (await fresh().then(() => true, () => false));
    clock = 61_000;
    await fresh();
    expect(await store.get('old0')).toBeUndefined();
    await store.close();
  });
});

describe('redis store at maxmemory (noeviction)', () => {
  it('refuses writes with StoreFullError and evicts nothing', async () => {
    const local = await startTestRedis({ maxMemory: '3mb' });
    const store = await RedisStore.connect({ url: local.url });
    await store.set('grant', 'kept', 600);
    const value = 'x'.repeat(10_000);
    let refusal: unknown;
    for (let i = 0; i < 2000 && refusal === undefined; i++) refusal = await store.set(`junk${i}`, value, 600).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(StoreFullError);
    expect(await store.get('grant')).toBe('kept');
    expect(await store.get('junk0')).toBe(value);
    await store.close();
    await local.stop();
  });
});

describe('redis store waiting for a replica', () => {
  it('refuses a write no replica acknowledges as unavailable, and waits for nothing when nothing changed', async () => {
    const alone = await startTestRedis();
    const store = await RedisStore.connect({ url: alone.url, replicaAcknowledgements: 1, replicaTimeoutMs: 100 });
    try {
      const refused = await store.set('code', 'v', 60).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ReplicaUnacknowledgedError);
      expect(refused).toBeInstanceOf(StoreUnavailableError);
      // a take of nothing and a lock already held change nothing: answered without a replica
      expect(await store.take('absent')).toBeUndefined();
      expect(await store.setIfAbsent('code', 'other', 60)).toBe(false);
      // counters never wait
      expect(await store.increment('counter', 60)).toBe(1);
    } finally {
      await store.close();
      await alone.stop();
    }
  });
});

describe('redis store while Redis is down', () => {
  it('closes while Redis holds the connection but answers nothing (shutdown must end)', async () => {
    const local = await startTestRedis();
    const store = await RedisStore.connect({ url: local.url, onError: () => undefined });
    await store.subscribe('channel', () => undefined);
    const { createClient } = await import('redis');
    const admin = createClient({ url: local.url });
    await admin.connect();
    const pausedMs = 20_000;
    await admin.sendCommand(['CLIENT', 'PAUSE', String(pausedMs), 'ALL']);
    try {
      const pending = store.get('k').catch((error: unknown) => error);
      // a close that waits for Redis' answers ends only with the pause (or, stalled for good, never)
      const pauseOver = new Promise((resolve) => setTimeout(() => resolve('pause over'), pausedMs).unref());
      expect(await Promise.race([store.close().then(() => 'closed'), pauseOver])).toBe('closed');
      expect(await pending).toBeInstanceOf(StoreUnavailableError);
    } finally {
      admin.destroy();
      await local.stop();
    }
  });

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
