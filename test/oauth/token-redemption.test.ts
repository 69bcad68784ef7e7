// An answer from /token either delivers the tokens that replace a code or refresh token, or leaves
// that code or refresh token as it was: a refused `resource`, a store that fails half-way (even
// one whose write landed while its answer was lost) and a retry inside the grace window never
// burn a token the client still holds, nor fork a grant into several refresh-token chains.
// On both store backends; the façade's clock is moved to leave the grace window, not waited for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { type KeyValueStore, MemoryStore, RedisStore, StoreUnavailableError } from '../../src/store/index.ts';
import { authorizeInBrowser, REDIRECT_URI, registerClient, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';
import { startOAuthTestDeployment, type OAuthTestApp, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { waitUntil } from '../support/processes.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';

const GRACE_SECONDS = 30;

interface Fault {
  operation: 'replaceIfEquals' | 'set';
  keyPrefix: string;
  /**
   * landed: the write is done, its answer lost; lost: not done; late: the backend stalls just
   * before it (Redis paused longer than the store's command timeout, so the write lands later)
   */
  write: 'landed' | 'lost' | 'late';
}

interface FaultyStore {
  store: KeyValueStore;
  /** the next matching operation fails as `fault` says; every other one (and the ones after) works */
  failOnce(fault: Fault): void;
}

function withOneFault(store: KeyValueStore, stallBackend?: () => Promise<void>): FaultyStore {
  let armed: Fault | undefined;
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const fault = armed;
        if (!fault || property !== fault.operation || !String(args[0]).startsWith(fault.keyPrefix)) return value.apply(target, args);
        armed = undefined;
        if (fault.write === 'late') {
          await stallBackend!();
          return value.apply(target, args);
        }
        if (fault.write === 'landed') await value.apply(target, args);
        throw new StoreUnavailableError('Redis did not answer in time');
      };
    },
  });
  return { store: wrapped, failOnce: (fault) => (armed = fault) };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

/** Redis stops answering for 3 s, longer than the store's 2 s command timeout (what the review saw) */
async function pauseRedis(): Promise<void> {
  const admin = createClient({ url: redis.url });
  await admin.connect();
  await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
  await admin.close();
}

describe.each(['memory', 'redis'])('on the %s store', (backend) => {
  let clockOffsetMs = 0;
  let deployment: OAuthTestDeployment<KeyValueStore>;
  let app: OAuthTestApp;
  let faults: FaultyStore;
  let client: RegisteredClient;
  let slashedResource: string;

  beforeAll(async () => {
    const store = backend === 'memory' ? new MemoryStore() : await RedisStore.connect({ url: redis.url, prefix: `redemption-${Date.now()}:` });
    faults = withOneFault(store, pauseRedis);
    deployment = await startOAuthTestDeployment({
      store: faults.store,
      env: { REFRESH_TOKEN_GRACE_SECONDS: String(GRACE_SECONDS) },
      now: () => Date.now() + clockOffsetMs,
    });
    app = deployment.app;
    slashedResource = `${app.config.mcpResource}/`;
    const registration = await registerClient(app.url, { client_name: 'retrying client', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
    client = registration.body as unknown as RegisteredClient;
  });
  afterAll(() => deployment?.close());

  const leaveGraceWindow = () => (clockOffsetMs += (GRACE_SECONDS + 1) * 1000);

  async function freshCode(): Promise<{ code: string; verifier: string }> {
    const outcome = await authorizeInBrowser(app.url, client);
    const code = outcome.callback?.searchParams.get('code');
    if (!code) throw new Error(`no code: ${JSON.stringify(outcome.stoppedAt ?? outcome.callback?.search)}`);
    return { code, verifier: outcome.verifier };
  }

  const redeem = ({ code, verifier }: { code: string; verifier: string }, extra: Record<string, string> = {}) =>
    tokenRequest(app.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, ...extra });

  const refresh = (refreshToken: unknown, extra: Record<string, string> = {}) =>
    tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: String(refreshToken), ...extra });

  const storedTokens = async () => ({
    accessTokens: await deployment.store.countKeys('oauth:AccessToken:'),
    refreshTokens: await deployment.store.countKeys('oauth:RefreshToken:'),
  });

  const works = async (accessToken: unknown) => (await app.facade.verifier.verify(String(accessToken))) !== undefined;

  async function freshTokens(): Promise<Record<string, unknown>> {
    const { status, body } = await redeem(await freshCode());
    expect(status).toBe(200);
    return body;
  }

  describe('resource', () => {
    it('takes <PUBLIC_URL>/mcp/ (trailing slash) at the code exchange and at refresh, as /authorize does', async () => {
      const tokens = await redeem(await freshCode(), { resource: slashedResource });
      expect(tokens.status).toBe(200);
      expect(await works(tokens.body.access_token)).toBe(true);

      const refreshed = await refresh(tokens.body.refresh_token, { resource: slashedResource });
      expect(refreshed.status).toBe(200);
      expect(await works(refreshed.body.access_token)).toBe(true);
      // the grant goes on, well past the grace window
      leaveGraceWindow();
      const next = await refresh(refreshed.body.refresh_token);
      expect(next.status).toBe(200);
      expect(await works(next.body.access_token)).toBe(true);
    });

    it('takes a toolset URL beneath /mcp and issues the token for /mcp, which works on every variant', async () => {
      const tokens = await redeem(await freshCode(), { resource: `${app.config.mcpResource}/x/search/readonly` });
      expect(tokens.status).toBe(200);
      expect(await works(tokens.body.access_token)).toBe(true);
      const refreshed = await refresh(tokens.body.refresh_token, { resource: `${app.config.mcpResource}/readonly` });
      expect(refreshed.status).toBe(200);
      expect(await works(refreshed.body.access_token)).toBe(true);
    });

    it.each(['mcpx', 'mcp-admin', 'mcp/../admin', 'mcp/x?toolsets=app'])('refuses %s, which is not beneath /mcp, with invalid_target', async (path) => {
      const code = await freshCode();
      expect((await redeem(code, { resource: `${app.config.publicUrl}/${path}` })).body.error).toBe('invalid_target');
    });

    it('refuses another resource with invalid_target and burns neither the code nor the refresh token', async () => {
      const code = await freshCode();
      const before = await storedTokens();
      expect((await redeem(code, { resource: 'https://other.example/mcp' })).body.error).toBe('invalid_target');
      // what the refused request had minted is gone again
      expect(await storedTokens()).toEqual(before);
      const tokens = await redeem(code);
      expect(tokens.status).toBe(200);

      const issued = await storedTokens();
      expect((await refresh(tokens.body.refresh_token, { resource: 'https://other.example/mcp' })).body.error).toBe('invalid_target');
      expect(await storedTokens()).toEqual(issued);
      leaveGraceWindow();
      const refreshed = await refresh(tokens.body.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(await works(refreshed.body.access_token)).toBe(true);
    });
  });

  describe('a store failing half-way through /token', () => {
    it.each([
      ['the mark on the code landed, its answer was lost', { operation: 'replaceIfEquals', keyPrefix: 'oauth:AuthorizationCode:', write: 'landed' }],
      ['the new access token was not stored', { operation: 'set', keyPrefix: 'oauth:AccessToken:', write: 'lost' }],
    ] as const)('answers 503 with Retry-After, and the code still works (%s)', async (_case, fault) => {
      const code = await freshCode();
      faults.failOnce(fault);
      const failed = await fetchToken({ grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, redirect_uri: REDIRECT_URI });
      expect(failed.status).toBe(503);
      expect(failed.retryAfter).toMatch(/^\d+$/);
      expect(failed.body.error).toBe('temporarily_unavailable');

      const retried = await redeem(code);
      expect(retried.status).toBe(200);
      expect(await works(retried.body.access_token)).toBe(true);
    });

    it.each([
      ['the mark on the refresh token landed, its answer was lost', { operation: 'replaceIfEquals', keyPrefix: 'oauth:RefreshToken:', write: 'landed' }],
      ['the new refresh token was not stored', { operation: 'set', keyPrefix: 'oauth:RefreshToken:', write: 'lost' }],
      ['the new access token was not stored', { operation: 'set', keyPrefix: 'oauth:AccessToken:', write: 'lost' }],
    ] as const)('answers 503, and the refresh token still works after the grace window (%s)', async (_case, fault) => {
      const tokens = await freshTokens();
      faults.failOnce(fault);
      const failed = await fetchToken({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) });
      expect(failed.status).toBe(503);
      expect(failed.retryAfter).toMatch(/^\d+$/);

      // the client retries later than the grace window lasts: still its token, not reuse
      leaveGraceWindow();
      const retried = await refresh(tokens.refresh_token);
      expect(retried.status).toBe(200);
      expect(await works(retried.body.access_token)).toBe(true);
      expect((await refresh(retried.body.refresh_token)).status).toBe(200);
    });

    // only Redis can answer late (a paused server): the memory store has no such case
    if (backend === 'redis') {
      it('answers 503 while Redis answers the spend too late, and the refresh token works once Redis is back', async () => {
        const tokens = await freshTokens();
        faults.failOnce({ operation: 'replaceIfEquals', keyPrefix: 'oauth:RefreshToken:', write: 'late' });
        const failed = await fetchToken({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) });
        expect(failed.status).toBe(503);
        expect(failed.retryAfter).toMatch(/^\d+$/);
        await waitUntil(() => deployment.store.ping().then(() => true, () => false), 'Redis answering again');

        leaveGraceWindow();
        const retried = await refresh(tokens.refresh_token);
        expect(retried.status).toBe(200);
        expect(await works(retried.body.access_token)).toBe(true);
      });
    }
  });

  describe('the grace window', () => {
    it('gives a refresh token used twice the same successor, not a second chain', async () => {
      const tokens = await freshTokens();
      const first = await refresh(tokens.refresh_token);
      const afterFirst = await storedTokens();
      const again = await refresh(tokens.refresh_token);
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.body.refresh_token).toBe(first.body.refresh_token);
      // a fresh access token, but no refresh token beyond the first answer's
      expect(await storedTokens()).toEqual({ accessTokens: afterFirst.accessTokens + 1, refreshTokens: afterFirst.refreshTokens });
      expect(await works(first.body.access_token)).toBe(true);
      expect(await works(again.body.access_token)).toBe(true);

      // that one successor carries the grant on; the first refresh token after the window is reuse
      leaveGraceWindow();
      const next = await refresh(first.body.refresh_token);
      expect(next.status).toBe(200);
      expect((await refresh(tokens.refresh_token)).body.error).toBe('invalid_grant');
      expect(await works(next.body.access_token)).toBe(false);
    });

    it('gives two refreshes racing with one refresh token the same successor', async () => {
      const tokens = await freshTokens();
      const answers = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
    });
  });

  async function fetchToken(parameters: Record<string, string>) {
    const response = await fetch(`${app.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, ...parameters }).toString(),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
  }
});
