// The one oidc-provider Adapter, on top of our KeyValueStore (memory or Redis alike).
// Record: oauth:<Model>:<id> -> JSON { payload, expiresAt, consumedAt? }. Everything has a TTL.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { type KeyValueStore, StoreUnavailableError } from '../../store/index.ts';
import { AuthorizationStoreUnavailableError } from '../errors.ts';
import { storeKeys } from '../store-keys.ts';

/** Records without their own lifetime (dynamically registered clients): dropped after 180 unused days. */
export const CLIENT_TTL_SECONDS = 180 * 24 * 3600;
// A client record in use gets its full lifetime back at most once a day (one write per day, not per request).
const CLIENT_TOUCH_INTERVAL_SECONDS = 24 * 3600;

// A record changes only by being consumed, touched or deleted: a second look settles every race.
const MAX_CONSUME_ATTEMPTS = 3;

const GRANT_BOUND_MODELS = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

interface StoredRecord {
  payload: AdapterPayload;
  /** epoch seconds */
  expiresAt: number;
  /** epoch seconds; set once, never moved (the grace window counts from the first use) */
  consumedAt?: number;
}

export interface StoreAdapterOptions {
  store: KeyValueStore;
  /** epoch milliseconds */
  now: () => number;
  /**
   * Seconds after its first use in which a rotated refresh token still works once more.
   * Clients refreshing twice at once (claude.ai from two egress IPs, retries after a lost answer)
   * then each get a valid new pair; presenting it after the window is reuse, and oidc-provider
   * revokes the whole grant.
   */
  refreshGraceSeconds: number;
}

export interface StoreAdapterFactory {
  Adapter: new (model: string) => Adapter;
  /** drops every token of a grant, whatever its model */
  revokeGrantTokens(grantId: string): Promise<void>;
}

export function createStoreAdapter(options: StoreAdapterOptions): StoreAdapterFactory {
  const { now, refreshGraceSeconds } = options;
  const store = asProviderFailures(options.store);
  const epochSeconds = () => Math.floor(now() / 1000);

  async function readRecord(key: string): Promise<StoredRecord | undefined> {
    const text = await store.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as StoredRecord);
  }

  async function writeRecord(key: string, record: StoredRecord): Promise<void> {
    await store.set(key, JSON.stringify(record), record.expiresAt - epochSeconds());
  }

  async function revokeGrantTokens(grantId: string): Promise<void> {
    const index = storeKeys.grantTokens(grantId);
    const members = await store.setMembers(index);
    await store.delete(...members, index);
  }

  class StoreAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = storeKeys.model(this.#model, id);
      const ttl = expiresIn ?? CLIENT_TTL_SECONDS;
      await writeRecord(key, { payload, expiresAt: epochSeconds() + ttl });
      if (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId) {
        await store.addToSet(storeKeys.grantTokens(payload.grantId), key, ttl);
      }
      if (this.#model === 'Session' && payload.uid) await store.set(storeKeys.sessionUid(payload.uid), id, ttl);
      if (payload.userCode) await store.set(storeKeys.userCode(payload.userCode), id, ttl);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = storeKeys.model(this.#model, id);
      const record = await readRecord(key);
      if (!record) return undefined;
      if (this.#model === 'Client') await this.#touchClient(key, record);
      if (record.consumedAt === undefined || this.#withinRefreshGrace(record.consumedAt)) return record.payload;
      return { ...record.payload, consumed: record.consumedAt };
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(storeKeys.sessionUid(uid));
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await store.get(storeKeys.userCode(userCode));
      return id === undefined ? undefined : this.find(id);
    }

    /**
     * Marks a code or refresh token used, atomically: oidc-provider finds the record unused, checks
     * the request, then consumes it, so two requests racing with one code both pass its check. The
     * one whose mark lands second is refused like a replay; it does not end the grant, since having
     * passed PKCE it comes from the client itself (a retry), whose first answer holds good tokens.
     * A record deleted meanwhile (revoked) stays deleted and the request fails.
     */
    async consume(id: string): Promise<void> {
      const key = storeKeys.model(this.#model, id);
      for (let attempt = 0; attempt < MAX_CONSUME_ATTEMPTS; attempt++) {
        const text = await store.get(key);
        if (text === undefined) throw new errors.InvalidGrant(`${this.#label} is no longer valid`);
        const record = JSON.parse(text) as StoredRecord;
        if (record.consumedAt !== undefined) {
          // a second rotation of one refresh token inside the grace window keeps the first mark
          if (this.#withinRefreshGrace(record.consumedAt)) return;
          throw new errors.InvalidGrant(`${this.#label} already used`);
        }
        const consumed = JSON.stringify({ ...record, consumedAt: epochSeconds() });
        if (await store.replaceIfEquals(key, text, consumed, record.expiresAt - epochSeconds())) return;
      }
      throw new errors.InvalidGrant(`${this.#label} changed while it was used; try again`);
    }

    get #label(): string {
      return this.#model === 'AuthorizationCode' ? 'authorization code' : this.#model === 'RefreshToken' ? 'refresh token' : this.#model;
    }

    async destroy(id: string): Promise<void> {
      await store.delete(storeKeys.model(this.#model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrantTokens(grantId);
    }

    #withinRefreshGrace(consumedAt: number): boolean {
      return this.#model === 'RefreshToken' && epochSeconds() - consumedAt < refreshGraceSeconds;
    }

    async #touchClient(key: string, record: StoredRecord): Promise<void> {
      const age = CLIENT_TTL_SECONDS - (record.expiresAt - epochSeconds());
      if (age < CLIENT_TOUCH_INTERVAL_SECONDS) return;
      await writeRecord(key, { ...record, expiresAt: epochSeconds() + CLIENT_TTL_SECONDS });
    }
  }

  return { Adapter: StoreAdapter, revokeGrantTokens };
}

/**
 * The same store, whose outages oidc-provider answers as 503 temporarily_unavailable: a plain
 * error from an adapter is a 500 "oops! something went wrong" there, which tells a client nothing.
 */
function asProviderFailures(store: KeyValueStore): KeyValueStore {
  const translate = (error: unknown): never => {
    if (error instanceof StoreUnavailableError && !(error instanceof AuthorizationStoreUnavailableError)) {
      throw new AuthorizationStoreUnavailableError({ cause: error });
    }
    throw error;
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(translate);
    },
  });
}
