// Publish/subscribe: how a message reaches whichever process holds a request (the answer to a
// question it asked). Two Redis stores are two processes sharing one Redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type KeyValueStore, MemoryStore, openStore, RedisStore, StoreUnavailableError } from '../../src/store/index.ts';
import { startTestRedis } from '../support/redis-server.ts';
import { REDIS_FORMS, type RedisForm, startTestTopology, type TestRedisTopology } from '../support/redis-topology.ts';

const topologies: Partial<Record<RedisForm, TestRedisTopology>> = {};
const opened: KeyValueStore[] = [];
const open = async (name: string): Promise<KeyValueStore> => {
  const topology = topologies[name as RedisForm];
  const store = topology ? await openStore({ redis: topology.config, memoryMaxBytes: 0 }) : new MemoryStore();
  opened.push(store);
  return store;
};

beforeAll(async () => {
  for (const form of REDIS_FORMS) topologies[form] = await startTestTopology(form);
}, 120_000);

afterAll(async () => {
  for (const store of opened) await store.close();
  for (const topology of Object.values(topologies)) await topology.stop();
});

/** resolves with the first `count` messages the listener receives */
function collect(count: number) {
  const messages: string[] = [];
  let done: (value: string[]) => void = () => undefined;
  const received = new Promise<string[]>((resolve) => (done = resolve));
  const listener = (message: string) => {
    messages.push(message);
    if (messages.length === count) done([...messages]);
  };
  return { listener, received, messages };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe.each(['memory', ...REDIS_FORMS])('%s store', (name) => {
  it('delivers a message to every subscriber of the channel, not to other channels', async () => {
    const store = await open(name);
    const channel = `test:${randomUUID()}`;
    const first = collect(2);
    const second = collect(2);
    const elsewhere = collect(1);
    await store.subscribe(channel, first.listener);
    await store.subscribe(channel, second.listener);
    await store.subscribe(`${channel}:other`, elsewhere.listener);
    await store.publish(channel, 'one');
    await store.publish(channel, 'two');
    expect(await first.received).toEqual(['one', 'two']);
    expect(await second.received).toEqual(['one', 'two']);
    await settle();
    expect(elsewhere.messages).toEqual([]);
  });

  it('stops delivering after unsubscribe; publishing to nobody is fine', async () => {
    const store = await open(name);
    const channel = `test:${randomUUID()}`;
    const kept = collect(2);
    const dropped = collect(1);
    await store.subscribe(channel, kept.listener);
    const unsubscribe = await store.subscribe(channel, dropped.listener);
    await store.publish(channel, 'before');
    // Redis delivers on the subscriber's own connection, after PUBLISH returned: wait for it
    await dropped.received;
    await unsubscribe();
    await store.publish(channel, 'after');
    expect(await kept.received).toEqual(['before', 'after']);
    await settle();
    expect(dropped.messages).toEqual(['before']);
    await expect(store.publish(`test:${randomUUID()}`, 'nobody listens')).resolves.toBeUndefined();
  });
});

describe.each(REDIS_FORMS)('%s: across processes', (form) => {
  it('a message published by one process reaches the subscriber in another', async () => {
    const [asking, answering] = [await open(form), await open(form)];
    const channel = `test:${randomUUID()}`;
    const inbox = collect(1);
    await asking.subscribe(channel, inbox.listener);
    await answering.publish(channel, '{"answer":"yes"}');
    expect(await inbox.received).toEqual(['{"answer":"yes"}']);
  });

  it('separates deployments sharing one Redis by their key prefix', async () => {
    const a = await RedisStore.connect({ redis: topologies[form]!.config, prefix: 'deployment-a:' });
    const b = await RedisStore.connect({ redis: topologies[form]!.config, prefix: 'deployment-b:' });
    opened.push(a, b);
    const channel = `test:${randomUUID()}`;
    const inA = collect(1);
    await a.subscribe(channel, inA.listener);
    await b.publish(channel, 'for b only');
    await a.publish(channel, 'for a');
    expect(await inA.received).toEqual(['for a']);
  });
});

describe('one Redis going away', () => {
  it('publishing while Redis is down fails fast with StoreUnavailableError', async () => {
    const own = await startTestRedis();
    const store = await RedisStore.connect({ url: own.url, onError: () => undefined });
    await own.stop();
    await expect(store.publish('test:down', 'x')).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });
});
