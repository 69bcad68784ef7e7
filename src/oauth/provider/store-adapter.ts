// The one oidc-provider Adapter, on top of our KeyValueStore (memory or Redis alike).
// Record: oauth:<Model>:<id> -> JSON { payload, expiresAt, consumedAt?, successor? }. Everything has a TTL.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { type KeyValueStore, StoreUnavailableError } from '../../store/index.ts';
import { AuthorizationStoreUnavailableError } from '../errors.ts';
import { storeKeys } from '../store-keys.ts';
import { type MintedToken, pendingRedemption, type Redeemer, type RedemptionOutcome, type TokenReference } from './token-redemption.ts';

/** Records without their own lifetime (dynamically registered clients): dropped after 180 unused days. */
export const CLIENT_TTL_SECONDS = 180 * 24 * 3600;
// A client record in use gets its full lifetime back at most once a day (one write per day, not per request).
const CLIENT_TOUCH_INTERVAL_SECONDS = 24 * 3600;

// A record changes only by being spent, touched or deleted: a second look settles every race.
const MAX_SPEND_ATTEMPTS = 3;

const GRANT_BOUND_MODELS = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

interface StoredRecord {
  payload: AdapterPayload;
  /** epoch seconds */
  expiresAt: number;
  /** epoch seconds; set once, never moved (the grace window counts from the first use) */
  consumedAt?: number;
  /** the refresh token delivered in its place (see token-redemption.ts) */
  successor?: string;
}

export interface StoreAdapterOptions {
  store: KeyValueStore;
  /** epoch milliseconds */
  now: () => number;
  /**
   * Seconds after its first use in which a rotated refresh token still works. Clients refreshing
   * twice at once (claude.ai from two egress IPs, retries after a lost answer) then each get the
   * same new refresh token; presenting it after the window is reuse, and oidc-provider revokes
   * the whole grant.
   */
  refreshGraceSeconds: number;
  /** what else goes when a grant ends (mittwald's tokens) */
  grantEnded: (grantId: string) => Promise<void>;
  /** what else goes when a grant's tokens are revoked (its CLI children), before the revocation answers */
  grantTokensRevoked?: (grantId: string) => Promise<void>;
}

export interface StoreAdapterFactory extends Redeemer {
  Adapter: new (model: string) => Adapter;
  /** deletes a grant: every token issued under it, its record and what `grantEnded` adds */
  endGrant(grantId: string): Promise<void>;
}

export function createStoreAdapter(options: StoreAdapterOptions): StoreAdapterFactory {
  const { now, refreshGraceSeconds, grantEnded, grantTokensRevoked } = options;
  const store = asProviderFailures(options.store);
  const epochSeconds = () => Math.floor(now() / 1000);
  const withinRefreshGrace = (model: string, consumedAt: number) => model === 'RefreshToken' && epochSeconds() - consumedAt < refreshGraceSeconds;

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
    await Promise.all([store.delete(...members, index), grantTokensRevoked?.(grantId)]);
  }

  async function endGrant(grantId: string): Promise<void> {
    await Promise.all([revokeGrantTokens(grantId), store.delete(storeKeys.model('Grant', grantId)), grantEnded(grantId).catch(asProviderFailure)]);
  }

  /** A deleted client (RFC 7592) takes its grants along: its tokens stop working before the answer. */
  async function endGrantsOfClient(clientId: string): Promise<void> {
    const index = storeKeys.clientGrants(clientId);
    await Promise.all((await store.setMembers(index)).map(endGrant));
    await store.delete(index);
  }

  /**
   * Marks a code or refresh token spent, atomically (compare-and-set): of two requests that both
   * found it unused, the one whose mark lands second is refused like a replay; it does not end the
   * grant, since having passed PKCE it comes from the client itself, whose first answer holds good
   * tokens. A record deleted meanwhile (revoked) stays deleted and the request fails.
   */
  async function redeem({ model, id }: TokenReference, successor: string | undefined): Promise<RedemptionOutcome> {
    const key = storeKeys.model(model, id);
    const label = model === 'AuthorizationCode' ? 'authorization code' : 'refresh token';
    try {
      for (let attempt = 0; attempt < MAX_SPEND_ATTEMPTS; attempt++) {
        const text = await store.get(key);
        if (text === undefined) return { outcome: 'refused', reason: `${label} is no longer valid` };
        const record = JSON.parse(text) as StoredRecord;
        if (record.consumedAt !== undefined) {
          if (withinRefreshGrace(model, record.consumedAt)) return { outcome: 'spentBefore', successor: record.successor };
          return { outcome: 'refused', reason: `${label} already used` };
        }
        const spent = JSON.stringify({ ...record, consumedAt: epochSeconds(), successor } satisfies StoredRecord);
        const ttl = record.expiresAt - epochSeconds();
        let replaced: boolean;
        try {
          replaced = await store.replaceIfEquals(key, text, spent, ttl);
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          // The mark may have landed after all (Redis answering late): take it back. Only when that
          // cannot be settled either may the token be spent, and its successor must then stay.
          const settled = await store.replaceIfEquals(key, spent, text, ttl).then(() => true, () => false);
          return { outcome: 'unavailable', maybeSpent: !settled };
        }
        if (replaced) return { outcome: 'spent' };
      }
      return { outcome: 'refused', reason: `${label} changed while it was used; try again` };
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { outcome: 'unavailable', maybeSpent: false };
      throw error;
    }
  }

  async function drop(tokens: MintedToken[]): Promise<void> {
    // Tokens nobody received: a leftover cannot be used, expires, and goes with its grant.
    await Promise.all(
      tokens.map(async ({ model, id, grantId }) => {
        const key = storeKeys.model(model, id);
        await Promise.all([store.delete(key), store.removeFromSet(storeKeys.grantTokens(grantId), key)]);
      }),
    ).catch(() => undefined);
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
        pendingRedemption()?.minted.push({ model: this.#model, id, grantId: payload.grantId });
        await store.addToSet(storeKeys.grantTokens(payload.grantId), key, ttl);
      }
      if (this.#model === 'Grant' && payload.clientId) await store.addToSet(storeKeys.clientGrants(payload.clientId), id, ttl);
      if (this.#model === 'Session' && payload.uid) await store.set(storeKeys.sessionUid(payload.uid), id, ttl);
      if (payload.userCode) await store.set(storeKeys.userCode(payload.userCode), id, ttl);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = storeKeys.model(this.#model, id);
      const record = await readRecord(key);
      if (!record) return undefined;
      if (this.#model === 'Client') await this.#touchClient(key, record);
      if (record.consumedAt === undefined || withinRefreshGrace(this.#model, record.consumedAt)) return record.payload;
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
     * Called by oidc-provider half-way through a token request: only noted here. The code or
     * refresh token is spent when that request's answer is a success (see token-redemption.ts).
     */
    async consume(id: string): Promise<void> {
      const redemption = pendingRedemption();
      if (!redemption) throw new Error(`${this.#model} consumed outside a token request`);
      redemption.consumed = { model: this.#model, id };
    }

    async destroy(id: string): Promise<void> {
      if (this.#model === 'Client') await endGrantsOfClient(id);
      await store.delete(storeKeys.model(this.#model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await revokeGrantTokens(grantId);
    }

    async #touchClient(key: string, record: StoredRecord): Promise<void> {
      const age = CLIENT_TTL_SECONDS - (record.expiresAt - epochSeconds());
      if (age < CLIENT_TOUCH_INTERVAL_SECONDS) return;
      await writeRecord(key, { ...record, expiresAt: epochSeconds() + CLIENT_TTL_SECONDS });
    }
  }

  return { Adapter: StoreAdapter, endGrant, redeem, drop };
}

/**
 * The same store, whose outages oidc-provider answers as 503 temporarily_unavailable: a plain
 * error from an adapter is a 500 "oops! something went wrong" there, which tells a client nothing.
 */
function asProviderFailures(store: KeyValueStore): KeyValueStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(asProviderFailure);
    },
  });
}

export function asProviderFailure(error: unknown): never {
  if (error instanceof StoreUnavailableError && !(error instanceof AuthorizationStoreUnavailableError)) {
    throw new AuthorizationStoreUnavailableError({ cause: error });
  }
  throw error;
}
