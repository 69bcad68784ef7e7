// Optional (DIRECT_API_TOKENS): accept a mittwald API token as the bearer, for CI and headless
// clients. It is checked against /v2/users/self and the answer remembered under a hash of the
// token, never the token itself as a key. Each check is an unauthenticated request's call to
// mittwald, so: one check per token at a time, "no" is remembered as well as "yes" (apart, so a
// flood of bad bearers never pushes good ones out), and failed checks are budgeted per client
// address, per network and overall (lookup-budget.ts); beyond the budget, or while mittwald asks us
// to wait (its 429), the request is refused before anything is sent.
import { createHash } from 'node:crypto';
import type { AppConfig } from '../config.ts';
import type { VerifiedAccess } from './access.ts';
import { createLookupBudget } from './lookup-budget.ts';

const ACCEPTED_TTL_MS = 60_000;
const REJECTED_TTL_MS = 5 * 60_000;
const MAX_ACCEPTED = 1000;
const MAX_REJECTED = 10_000;

export class MittwaldUnreachableError extends Error {
  override name = 'MittwaldUnreachableError';
  readonly code = 'mittwald_unreachable';
}

/** The client (or everyone together) used up the token checks of this minute, or mittwald asked us to wait. */
export class DirectTokenChecksLimitedError extends Error {
  override name = 'DirectTokenChecksLimitedError';
  readonly code = 'too_many_token_checks';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('too many unknown tokens were checked; try again later');
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Insertion-ordered map that forgets its oldest entry when full, and entries past their time. */
function expiringCache<T>(capacity: number, ttlMs: number, now: () => number) {
  const entries = new Map<string, { value: T; until: number }>();
  return {
    get(key: string): { value: T; until: number } | undefined {
      const entry = entries.get(key);
      if (!entry || entry.until > now()) return entry;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T): { value: T; until: number } {
      entries.delete(key);
      if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
      const entry = { value, until: now() + ttlMs };
      entries.set(key, entry);
      return entry;
    },
  };
}

/** a mittwald account id, known until `until` (epoch ms) */
type Account = { value: string; until: number };

export function createDirectTokenCheck(config: AppConfig, fetchImpl: typeof fetch = fetch, now: () => number = Date.now) {
  const accepted = expiringCache<string>(MAX_ACCEPTED, ACCEPTED_TTL_MS, now);
  const rejected = expiringCache<true>(MAX_REJECTED, REJECTED_TTL_MS, now);
  const inFlight = new Map<string, Promise<Account | undefined>>();
  const budget = createLookupBudget({ ...config.directApiTokenChecks, now });

  /** the token's account id; undefined for a token mittwald does not know */
  async function lookUpAccount(token: string): Promise<string | undefined> {
    let response: Response;
    try {
      response = await fetchImpl(`${config.mittwald.apiBaseUrl}/v2/users/self`, {
        headers: { 'x-access-token': token, accept: 'application/json' },
        signal: AbortSignal.timeout(config.mittwald.httpTimeoutMs),
      });
    } catch {
      throw new MittwaldUnreachableError('mittwald could not be reached to check the API token');
    }
    if (response.status === 401 || response.status === 403) return undefined;
    if (response.status === 429) {
      const retryAfterSeconds = retryAfterOf(response.headers.get('retry-after'), now());
      budget.pause(retryAfterSeconds);
      throw new DirectTokenChecksLimitedError(retryAfterSeconds);
    }
    if (!response.ok) throw new MittwaldUnreachableError(`mittwald answered ${response.status} to the token check`);
    const user = (await response.json().catch(() => ({}))) as { userId?: unknown; id?: unknown };
    const accountId = user.userId ?? user.id;
    return typeof accountId === 'string' && accountId ? accountId : undefined;
  }

  /** the account of the token, asking mittwald only when nobody knows and the budget allows */
  function accountOf(key: string, token: string, clientAddress: string): Promise<Account | undefined> {
    const known = accepted.get(key);
    if (known) return Promise.resolve(known);
    if (rejected.get(key)) return Promise.resolve(undefined);
    const pending = inFlight.get(key);
    if (pending) return pending;
    const reservation = budget.take(clientAddress);
    if (!reservation.granted) return Promise.reject(new DirectTokenChecksLimitedError(reservation.retryAfterSeconds));
    const lookup = lookUpAccount(token)
      .then((accountId) => {
        if (!accountId) {
          reservation.failed();
          rejected.set(key, true);
          return undefined;
        }
        reservation.refund();
        return accepted.set(key, accountId);
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, lookup);
    return lookup;
  }

  return async function verifyDirectToken(token: string, clientAddress: string): Promise<VerifiedAccess | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    const account = await accountOf(key, token, clientAddress);
    if (!account) return undefined;
    return {
      accountId: account.value,
      clientId: 'mittwald-api-token',
      grantId: `direct:${key.slice(0, 16)}`,
      scopes: [...config.mittwald.scopes.upstream],
      expiresAt: Math.floor(account.until / 1000),
      mittwaldAccessToken: async () => token,
    };
  };
}

/** mittwald's Retry-After (seconds or an HTTP date), within [1 s, 10 min]; a minute when it sent none */
function retryAfterOf(header: string | null, now: number): number {
  const seconds = header === null ? Number.NaN : /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - now) / 1000;
  return Number.isFinite(seconds) ? Math.min(600, Math.max(1, Math.ceil(seconds))) : 60;
}
