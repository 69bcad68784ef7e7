// Redis backend (node-redis) for production and for several processes sharing state.
import { createClient } from 'redis';
import { type KeyValueStore, StoreFullError, StoreUnavailableError } from './key-value-store.ts';


const DELETE_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const REPLACE_IF_EQUALS =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0";
// The TTL is set with the first count only: a window's counter ends when its window does.
const INCREMENT = "local count = redis.call('INCR', KEYS[1]) if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return count";
// EXPIRE ... GT only extends; NX covers a set that has no TTL yet (just created).
const ADD_TO_SET = "redis.call('SADD', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX') redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT') return 1";

export interface RedisStoreOptions {
  url: string;
  /** namespace for every key, so one Redis can serve several deployments */
  prefix?: string;
  /** a command that takes longer fails with StoreUnavailableError instead of hanging the request */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export class RedisStore implements KeyValueStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #onError?: (error: Error) => void;
  /** a connection in subscriber mode (it can do nothing else), opened at the first subscribe */
  #subscriber?: Promise<RedisClient>;

  private constructor(client: RedisClient, prefix: string, timeoutMs: number, onError?: (error: Error) => void) {
    this.#client = client;
    this.#prefix = prefix;
    this.#timeoutMs = timeoutMs;
    this.#onError = onError;
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const client = newRedisClient(options.url);
    // node-redis emits 'error' on every failed reconnect; an unhandled 'error' would kill the process.
    client.on('error', (error: Error) => options.onError?.(error));
    await client.connect();
    return new RedisStore(client, options.prefix ?? 'mwmcp:', options.commandTimeoutMs ?? 2_000, options.onError);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#client.get(this.#key(key)))) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#run(() => this.#client.set(this.#key(key), value, { expiration: { type: 'EX', value: ttl(ttlSeconds) } }));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.#run(() =>
      this.#client.set(this.#key(key), value, { expiration: { type: 'EX', value: ttl(ttlSeconds) }, condition: 'NX' }),
    );
    return reply === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#client.getDel(this.#key(key)))) ?? undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length) await this.#run(() => this.#client.del(keys.map((k) => this.#key(k))));
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    const deleted = await this.#run(() =>
      this.#client.eval(DELETE_IF_EQUALS, { keys: [this.#key(key)], arguments: [value] }),
    );
    return deleted === 1;
  }

  async replaceIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    const replaced = await this.#run(() =>
      this.#client.eval(REPLACE_IF_EQUALS, { keys: [this.#key(key)], arguments: [expected, value, String(ttl(ttlSeconds))] }),
    );
    return replaced === 1;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const count = await this.#run(() => this.#client.eval(INCREMENT, { keys: [this.#key(key)], arguments: [String(ttl(ttlSeconds))] }));
    return Number(count);
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    await this.#run(() =>
      this.#client.eval(ADD_TO_SET, { keys: [this.#key(key)], arguments: [member, String(ttl(ttlSeconds))] }),
    );
  }

  async removeFromSet(key: string, ...members: string[]): Promise<void> {
    if (members.length) await this.#run(() => this.#client.sRem(this.#key(key), members));
  }

  async setMembers(key: string): Promise<string[]> {
    return this.#run(() => this.#client.sMembers(this.#key(key)));
  }

  async countKeys(prefix: string): Promise<number> {
    return this.#run(async () => {
      let count = 0;
      for await (const keys of this.#client.scanIterator({ MATCH: `${this.#key(prefix)}*`, COUNT: 1000 })) {
        count += keys.length;
      }
      return count;
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(() => this.#client.publish(this.#key(channel), message));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const subscriber = await this.#subscriberConnection();
    const name = this.#key(channel);
    // A wrapper per subscription: node-redis keys listeners by function.
    const subscription = (message: string) => listener(message);
    await this.#run(() => subscriber.subscribe(name, subscription), subscriber);
    return async () => {
      if (subscriber.isOpen) await this.#run(() => subscriber.unsubscribe(name, subscription), subscriber);
    };
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#client.ping());
  }

  async close(): Promise<void> {
    const subscriber = await this.#subscriber?.catch(() => undefined);
    if (subscriber?.isOpen) await subscriber.close();
    if (this.#client.isOpen) await this.#client.close();
  }

  #subscriberConnection(): Promise<RedisClient> {
    if (!this.#subscriber) {
      const connecting = (async () => {
        const subscriber = this.#client.duplicate();
        subscriber.on('error', (error: Error) => this.#onError?.(error));
        // node-redis subscribes again by itself after a reconnect.
        await subscriber.connect();
        return subscriber as RedisClient;
      })();
      // A failed connect is not remembered: the next subscribe tries again.
      connecting.catch(() => {
        if (this.#subscriber === connecting) this.#subscriber = undefined;
      });
      this.#subscriber = connecting;
    }
    return this.#subscriber;
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  async #run<T>(command: () => Promise<T>, client: RedisClient = this.#client): Promise<T> {
    if (!client.isReady) throw new StoreUnavailableError('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError('Redis did not answer in time')), this.#timeoutMs);
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      // maxmemory reached under `noeviction` (see docker-compose.yml): Redis refuses the write, keeps every key
      if (/^OOM\b/.test((error as Error).message)) throw new StoreFullError(`Redis is full: ${(error as Error).message}`);
      throw new StoreUnavailableError(`Redis command failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function newRedisClient(url: string) {
  return createClient({
    url,
    // Without a connection, fail at once (the request gets 503) rather than queueing forever.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
    },
  });
}

type RedisClient = ReturnType<typeof newRedisClient>;

function ttl(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}
