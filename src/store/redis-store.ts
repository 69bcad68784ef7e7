// Redis backend (node-redis) for production and for several processes sharing state: one Redis,
// a primary found through Sentinel, or a Cluster (src/store/redis-connection.ts).
import type { RedisConfig } from '../config.ts';
import { type KeyValueStore, StoreFullError, StoreUnavailableError } from './key-value-store.ts';
import { connectRedis, type RedisConnection } from './redis-connection.ts';

// Every script touches one key only, so it runs on a cluster too (a script's keys must share a slot).
const DELETE_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const REPLACE_IF_EQUALS =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end return 0";
// The TTL is set with the first count only: a window's counter ends when its window does.
const INCREMENT = "local count = redis.call('INCR', KEYS[1]) if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return count";
// EXPIRE ... GT only extends; NX covers a set that has no TTL yet (just created).
const ADD_TO_SET = "redis.call('SADD', KEYS[1], ARGV[1]) redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX') redis.call('EXPIRE', KEYS[1], ARGV[2], 'GT') return 1";

/** where Redis is; `url` is short for one Redis at that URL */
export type RedisStoreOptions = ({ redis: RedisConfig } | { url: string }) & RedisStoreSettings;

interface RedisStoreSettings {
  /** namespace for every key, so one Redis can serve several deployments */
  prefix?: string;
  /** a command that takes longer fails with StoreUnavailableError instead of hanging the request */
  commandTimeoutMs?: number;
  /**
   * Replicas that must hold a write before it counts as done (WAIT); 0: none. With a replica the
   * write survives the loss of its primary, so nothing a client was told about vanishes in a failover.
   */
  replicaAcknowledgements?: number;
  /** how long a write waits for them before it fails with StoreUnavailableError */
  replicaTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export class ReplicaUnacknowledgedError extends StoreUnavailableError {
  override name = 'ReplicaUnacknowledgedError';
}

export class RedisStore implements KeyValueStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #replicas: number;
  readonly #replicaTimeoutMs: number;

  private constructor(redis: RedisConnection, options: RedisStoreSettings) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'mwmcp:';
    this.#replicas = options.replicaAcknowledgements ?? 0;
    this.#replicaTimeoutMs = options.replicaTimeoutMs ?? 1_000;
    // A write may wait its replicas' time besides its own.
    this.#timeoutMs = (options.commandTimeoutMs ?? 2_000) + (this.#replicas > 0 ? this.#replicaTimeoutMs : 0);
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const config: RedisConfig = 'redis' in options ? options.redis : { form: 'single', url: options.url };
    const redis = await connectRedis(config, { onError: (error) => options.onError?.(error) });
    return new RedisStore(redis, options);
  }

  get #commands() {
    return this.#redis.commands;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#commands.get(this.#key(key)))) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#write(key, () => this.#commands.set(this.#key(key), value, { expiration: { type: 'EX', value: ttl(ttlSeconds) } }));
  }

  async setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.#write(
      key,
      () => this.#commands.set(this.#key(key), value, { expiration: { type: 'EX', value: ttl(ttlSeconds) }, condition: 'NX' }),
      (reply) => reply === 'OK',
    );
    return reply === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.#write(key, () => this.#commands.getDel(this.#key(key)), (taken) => taken !== null)) ?? undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    // One DEL per key: keys in different slots of a cluster cannot share one command.
    await Promise.all(keys.map((key) => this.#write(key, () => this.#commands.del(this.#key(key)))));
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    const deleted = await this.#write(key, () => this.#commands.eval(DELETE_IF_EQUALS, { keys: [this.#key(key)], arguments: [value] }), (reply) => reply === 1);
    return deleted === 1;
  }

  async replaceIfEquals(key: string, expected: string, value: string, ttlSeconds: number): Promise<boolean> {
    const replaced = await this.#write(
      key,
      () => this.#commands.eval(REPLACE_IF_EQUALS, { keys: [this.#key(key)], arguments: [expected, value, String(ttl(ttlSeconds))] }),
      (reply) => reply === 1,
    );
    return replaced === 1;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    // Counters bound rates over a window: one lost in a failover costs nothing, so no replica wait.
    const count = await this.#run(() => this.#commands.eval(INCREMENT, { keys: [this.#key(key)], arguments: [String(ttl(ttlSeconds))] }));
    return Number(count);
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    await this.#write(key, () => this.#commands.eval(ADD_TO_SET, { keys: [this.#key(key)], arguments: [member, String(ttl(ttlSeconds))] }));
  }

  async removeFromSet(key: string, ...members: string[]): Promise<void> {
    if (members.length) await this.#write(key, () => this.#commands.sRem(this.#key(key), members));
  }

  async setMembers(key: string): Promise<string[]> {
    return this.#run(() => this.#commands.sMembers(this.#key(key)));
  }

  async countKeys(prefix: string): Promise<number> {
    return this.#run(async () => {
      let count = 0;
      for await (const keys of this.#redis.scan(`${this.#key(prefix)}*`)) count += keys.length;
      return count;
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(() => this.#redis.publish(this.#key(channel), message));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    const name = this.#key(channel);
    // A wrapper per subscription: node-redis keys listeners by function.
    const subscription = (message: string) => listener(message);
    await this.#run(() => this.#redis.subscribe(name, subscription));
    return async () => {
      await this.#run(() => this.#redis.unsubscribe(name, subscription), { evenWhenNotReady: true });
    };
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#redis.ping());
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  /**
   * A write that counts as done once the replicas asked for hold it (see replicaAcknowledgements);
   * one that `changed` says left everything as it was (nothing to take, a lock held) has nothing to wait for.
   */
  #write<T>(key: string, command: () => Promise<T>, changed: (result: T) => boolean = () => true): Promise<T> {
    if (this.#replicas === 0) return this.#run(command);
    return this.#run(async () => {
      const result = await command();
      if (!changed(result)) return result;
      const acknowledged = await this.#redis.waitForReplicas(this.#key(key), this.#replicas, this.#replicaTimeoutMs);
      if (acknowledged < this.#replicas) {
        throw new ReplicaUnacknowledgedError(`no Redis replica acknowledged a write within ${this.#replicaTimeoutMs} ms`);
      }
      return result;
    });
  }

  async #run<T>(command: () => Promise<T>, options: { evenWhenNotReady?: boolean } = {}): Promise<T> {
    if (!options.evenWhenNotReady && !this.#redis.isReady()) throw new StoreUnavailableError('Redis is not connected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError('Redis did not answer in time')), this.#timeoutMs);
    });
    // then(): a command that throws at once (no node for its slot) fails like one that rejects
    const running = Promise.resolve().then(command);
    // A command still running when its time is up fails later, unobserved; that must not be an unhandled rejection.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, timeout]);
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

function ttl(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}
