// A grant's mittwald access token, refreshed at mittwald shortly before it expires. One refresh at
// a time per grant: a promise shared inside this process, and a store lock across processes sharing
// Redis (mittwald rotates refresh tokens, so a second concurrent refresh would burn the session).
import { randomUUID } from 'node:crypto';
import { UpstreamSessionEndedError } from '../access.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { KeyValueStore } from '../../store/index.ts';
import { MittwaldRejectedError, MittwaldUnavailableError, TokenRecordUnreadableError } from '../errors.ts';
import { storeKeys } from '../store-keys.ts';
import type { MittwaldOAuthClient, MittwaldTokenSet } from './client.ts';
import type { StoredMittwaldTokens, TokenVault } from './token-vault.ts';

/** refresh when this little lifetime is left */
export const REFRESH_MARGIN_SECONDS = 60;
const LOCK_POLL_MS = 100;

export interface UpstreamSessionOptions {
  store: KeyValueStore;
  vault: TokenVault;
  mittwald: MittwaldOAuthClient;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  httpTimeoutMs: number;
  /** ends our grant (tokens, grant record, stored mittwald tokens) when mittwald ended the session */
  endGrant: (grantId: string) => Promise<void>;
}

export interface UpstreamSessions {
  /** a mittwald access token with more than a minute to live; see VerifiedAccess.mittwaldAccessToken */
  accessToken(grantId: string): Promise<string>;
}

export function toStoredTokens(tokens: MittwaldTokenSet, nowMs: number, previousRefreshToken?: string): StoredMittwaldTokens {
  return {
    accessToken: tokens.accessToken,
    // mittwald may answer a refresh without a new refresh token: the old one stays valid then
    refreshToken: tokens.refreshToken ?? previousRefreshToken,
    expiresAt: Math.floor(nowMs / 1000) + tokens.expiresInSeconds,
  };
}

export function createUpstreamSessions(options: UpstreamSessionOptions): UpstreamSessions {
  const { store, vault, mittwald, metrics, logger, now, endGrant } = options;
  const inFlight = new Map<string, Promise<string>>();
  // The lock outlives one refresh call (token request with its timeout) plus the vault write.
  const lockTtlSeconds = Math.ceil(options.httpTimeoutMs / 1000) + 5;

  const isFresh = (tokens: StoredMittwaldTokens) => tokens.expiresAt - REFRESH_MARGIN_SECONDS > now() / 1000;

  async function readOrEnd(grantId: string): Promise<StoredMittwaldTokens> {
    let tokens: StoredMittwaldTokens | undefined;
    try {
      tokens = await vault.read(grantId);
    } catch (error) {
      if (!(error instanceof TokenRecordUnreadableError)) throw error;
      logger.warn('stored mittwald tokens unreadable; ending the grant', { grantId });
      await endGrant(grantId);
    }
    if (!tokens) throw new UpstreamSessionEndedError('the mittwald session of this grant has ended; authorize again');
    return tokens;
  }

  async function refreshAtMittwald(grantId: string, current: StoredMittwaldTokens): Promise<string> {
    if (!current.refreshToken) {
      await endGrant(grantId);
      throw new UpstreamSessionEndedError('the mittwald token expired and cannot be refreshed; authorize again');
    }
    const stopTimer = metrics.upstreamRefreshDuration.startTimer();
    try {
      const refreshed = await mittwald.refresh(current.refreshToken);
      await vault.write(grantId, toStoredTokens(refreshed, now(), current.refreshToken));
      metrics.upstreamRefreshes.inc({ status: 'success' });
      return refreshed.accessToken;
    } catch (error) {
      // Only invalid_grant says the session is over; anything else (our misconfiguration, an
      // outage) must not log every user out.
      if (error instanceof MittwaldRejectedError && error.error === 'invalid_grant') {
        metrics.upstreamRefreshes.inc({ status: 'rejected' });
        logger.info('mittwald refused the refresh; ending the grant', { grantId, error: error.error });
        await endGrant(grantId);
        throw new UpstreamSessionEndedError('mittwald ended the session; authorize again');
      }
      metrics.upstreamRefreshes.inc({ status: 'error' });
      throw error;
    } finally {
      stopTimer();
    }
  }

  async function refreshUnderLock(grantId: string): Promise<string> {
    const lockKey = storeKeys.mittwaldRefreshLock(grantId);
    const owner = randomUUID();
    const deadline = Date.now() + lockTtlSeconds * 1000 + options.httpTimeoutMs;
    for (;;) {
      if (await store.setIfAbsent(lockKey, owner, lockTtlSeconds)) {
        try {
          // Another process may have refreshed between our read and taking the lock.
          const current = await readOrEnd(grantId);
          return isFresh(current) ? current.accessToken : await refreshAtMittwald(grantId, current);
        } finally {
          await store.deleteIfEquals(lockKey, owner);
        }
      }
      // Someone else is refreshing: wait for the new token (or the end of the session) to appear.
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const current = await readOrEnd(grantId);
      if (isFresh(current)) return current.accessToken;
      if (Date.now() > deadline) throw new MittwaldUnavailableError('the mittwald token refresh of another process did not finish');
    }
  }

  return {
    async accessToken(grantId) {
      const tokens = await readOrEnd(grantId);
      if (isFresh(tokens)) return tokens.accessToken;
      let pending = inFlight.get(grantId);
      if (!pending) {
        pending = refreshUnderLock(grantId).finally(() => inFlight.delete(grantId));
        inFlight.set(grantId, pending);
      }
      return pending;
    },
  };
}
