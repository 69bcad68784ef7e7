// Optional (DIRECT_API_TOKENS): accept a mittwald API token as the bearer, for CI and headless
// clients. It is checked once against /v2/users/self and remembered briefly under a hash of the
// token, never the token itself as a key.
import { createHash } from 'node:crypto';
import type { AppConfig } from '../../config.ts';
import type { VerifiedAccess } from '../../oauth/access.ts';

const ACCEPTED_TTL_MS = 60_000;
const REJECTED_TTL_MS = 10_000;
const MAX_CACHED = 1000;

export class MittwaldUnreachableError extends Error {
  override name = 'MittwaldUnreachableError';
  readonly code = 'mittwald_unreachable';
}

interface CachedCheck {
  accountId?: string;
  until: number;
}

export function createDirectTokenCheck(config: AppConfig, fetchImpl: typeof fetch = fetch, now: () => number = Date.now) {
  const checks = new Map<string, CachedCheck>();

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
    if (!response.ok) throw new MittwaldUnreachableError(`mittwald answered ${response.status} to the token check`);
    const user = (await response.json().catch(() => ({}))) as { userId?: unknown; id?: unknown };
    const accountId = user.userId ?? user.id;
    return typeof accountId === 'string' && accountId ? accountId : undefined;
  }

  function remember(key: string, accountId: string | undefined): void {
    if (checks.size >= MAX_CACHED) checks.delete(checks.keys().next().value!);
    checks.set(key, { accountId, until: now() + (accountId ? ACCEPTED_TTL_MS : REJECTED_TTL_MS) });
  }

  return async function verifyDirectToken(token: string): Promise<VerifiedAccess | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    let cached = checks.get(key);
    if (!cached || cached.until <= now()) {
      remember(key, await lookUpAccount(token));
      cached = checks.get(key)!;
    }
    if (!cached.accountId) return undefined;
    return {
      accountId: cached.accountId,
      clientId: 'mittwald-api-token',
      grantId: `direct:${key.slice(0, 16)}`,
      scopes: [...config.mittwald.scopes.upstream],
      expiresAt: Math.floor(cached.until / 1000),
      mittwaldAccessToken: async () => token,
    };
  };
}
