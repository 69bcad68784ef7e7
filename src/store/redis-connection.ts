// The three ways to reach Redis (one server, a primary found through Sentinel, a Cluster), each
// through what node-redis itself provides (createClient, createSentinel, createCluster), behind
// the few operations RedisStore needs beyond the commands the three share.
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisConfig } from '../config.ts';

/** The commands every form has with the same signature (node-redis routes them by key on a cluster). */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { expiration: { type: 'EX'; value: number }; condition?: 'NX' }): Promise<string | null>;
  getDel(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  sRem(key: string, members: string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
}

export interface RedisConnection {
  commands: RedisCommands;
  /** false while no primary can be reached for commands (connecting, reconnecting, no primary known) */
  isReady(): boolean;
  /**
   * Waits until `replicas` replicas hold every write made so far on the connection that wrote
   * `key` (WAIT on that key's primary); resolves with how many did within `timeoutMs`.
   */
  waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<number>;
  /** every key matching `pattern`, page by page, from every primary */
  scan(pattern: string): AsyncIterable<string[]>;
  /** answers when every primary answers */
  ping(): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  unsubscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** ends every connection; pending commands fail */
  close(): Promise<void>;
}

export interface ConnectionOptions {
  /** node-redis emits 'error' on every failed reconnect; unhandled, it would end the process */
  onError: (error: Error) => void;
}

/** How long one attempt to reach a node may take, and how often a lost node is tried again. */
const socket = {
  connectTimeout: 5_000,
  reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
};

/** SCAN in pages of about 1000 keys: few round trips for a large store */
const scanOptions = (pattern: string) => ({ MATCH: pattern, COUNT: 1000 });

/** A graceful close waits for the replies of pending commands; a node that is gone never sends them. */
const GRACEFUL_CLOSE_MS = 1_000;

export async function connectRedis(config: RedisConfig, options: ConnectionOptions): Promise<RedisConnection> {
  if (config.form === 'sentinel') return connectSentinel(config, options);
  if (config.form === 'cluster') return connectCluster(config, options);
  return connectSingle(config.url, options);
}

async function connectSingle(url: string, options: ConnectionOptions): Promise<RedisConnection> {
  // Without a connection, fail at once (the request gets 503) rather than queueing forever.
  const client = createClient({ url, disableOfflineQueue: true, socket });
  client.on('error', options.onError);
  await client.connect();
  /** a connection in subscriber mode (it can do nothing else), opened at the first subscribe */
  let subscriber: Promise<typeof client> | undefined;
  const subscriberConnection = () => {
    if (!subscriber) {
      const connecting = (async () => {
        const duplicate = client.duplicate();
        duplicate.on('error', options.onError);
        // node-redis subscribes again by itself after a reconnect.
        await duplicate.connect();
        return duplicate;
      })();
      // A failed connect is not remembered: the next subscribe tries again.
      connecting.catch(() => {
        if (subscriber === connecting) subscriber = undefined;
      });
      subscriber = connecting;
    }
    return subscriber;
  };
  return {
    commands: client as unknown as RedisCommands,
    isReady: () => client.isReady,
    waitForReplicas: async (_key, replicas, timeoutMs) => Number(await client.sendCommand(['WAIT', String(replicas), String(timeoutMs)])),
    scan: (pattern) => client.scanIterator(scanOptions(pattern)),
    ping: async () => void (await client.ping()),
    publish: async (channel, message) => void (await client.publish(channel, message)),
    subscribe: async (channel, listener) => {
      const connection = await subscriberConnection();
      if (!connection.isReady) throw new Error('the subscriber connection to Redis is not ready');
      await connection.subscribe(channel, listener);
    },
    unsubscribe: async (channel, listener) => {
      const connection = await subscriber?.catch(() => undefined);
      if (connection?.isReady) await connection.unsubscribe(channel, listener);
    },
    close: async () => {
      const connection = await subscriber?.catch(() => undefined);
      await Promise.all([connection, client].map((each) => each?.isOpen && closeWithin(() => each.close(), () => each.destroy())));
    },
  };
}

async function connectSentinel(config: Extract<RedisConfig, { form: 'sentinel' }>, options: ConnectionOptions): Promise<RedisConnection> {
  const sentinel = createSentinel({
    name: config.name,
    sentinelRootNodes: config.sentinels,
    // One connection to the primary: a write and the WAIT after it travel on the same one.
    masterPoolSize: 1,
    // Asked for the topology every few seconds besides the sentinels' own switch-master news.
    scanInterval: 2_000,
    passthroughClientErrorEvents: true,
    nodeClientOptions: { password: config.password, disableOfflineQueue: true, socket: { ...socket, tls: config.tls } },
    sentinelClientOptions: { password: config.sentinelPassword, socket: { ...socket, tls: config.tls } },
  });
  sentinel.on('error', options.onError);
  await sentinel.connect();
  return {
    commands: sentinel as unknown as RedisCommands,
    isReady: () => sentinel.isReady,
    waitForReplicas: async (_key, replicas, timeoutMs) => Number(await sentinel.sendCommand(false, ['WAIT', String(replicas), String(timeoutMs)])),
    scan: (pattern) => sentinel.scanIterator(scanOptions(pattern)),
    ping: async () => void (await sentinel.ping()),
    publish: async (channel, message) => void (await sentinel.publish(channel, message)),
    // node-redis keeps the subscriptions on the primary it knows, and moves them with it.
    subscribe: (channel, listener) => sentinel.subscribe(channel, listener).then(() => undefined),
    unsubscribe: (channel, listener) => sentinel.unsubscribe(channel, listener as (message: string | Buffer) => void).then(() => undefined),
    close: () => closeWithin(() => sentinel.close(), () => sentinel.destroy()),
  };
}

async function connectCluster(config: Extract<RedisConfig, { form: 'cluster' }>, options: ConnectionOptions): Promise<RedisConnection> {
  const cluster = createCluster({
    rootNodes: config.nodes.map((node) => ({ socket: { host: node.host, port: node.port, tls: config.tls } })),
    defaults: { password: config.password, disableOfflineQueue: true, socket: { ...socket, tls: config.tls } },
    // After a node is lost, ask for the new topology at once: its replica is promoted within the
    // cluster's node timeout, and commands for its slots fail until the client knows.
    topologyRefreshOnReconnectionAttemptStrategy: () => 500,
  });
  cluster.on('error', options.onError);
  await cluster.connect();
  const everyPrimary = () => Promise.all(cluster.masters.map((master) => cluster.nodeClient(master)));
  return {
    commands: cluster as unknown as RedisCommands,
    isReady: () => cluster.isReady,
    // routed by `key` to the primary of its slot, on the connection the write took
    waitForReplicas: async (key, replicas, timeoutMs) => Number(await cluster.sendCommand(key, false, ['WAIT', String(replicas), String(timeoutMs)])),
    scan: async function* (pattern) {
      for (const primary of await everyPrimary()) yield* primary.scanIterator(scanOptions(pattern));
    },
    ping: async () => void (await Promise.all((await everyPrimary()).map((client) => client.ping()))),
    // Sharded pub/sub: a channel lives on the primary of its slot, not on every node.
    publish: async (channel, message) => void (await cluster.sPublish(channel, message)),
    subscribe: (channel, listener) => cluster.sSubscribe(channel, listener),
    unsubscribe: (channel, listener) => cluster.sUnsubscribe(channel, listener),
    close: () => closeWithin(() => cluster.close(), () => cluster.destroy()),
  };
}

/**
 * Closes gracefully (pending replies arrive), but no longer than GRACEFUL_CLOSE_MS: a command sent
 * to a node that stopped answering keeps a graceful close waiting forever, and with it shutdown.
 */
async function closeWithin(close: () => Promise<void>, destroy: () => Promise<void> | void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), GRACEFUL_CLOSE_MS)));
  try {
    const outcome = await Promise.race([close().then(() => 'closed' as const, () => 'failed' as const), late]);
    if (outcome !== 'closed') await Promise.resolve().then(destroy).catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
