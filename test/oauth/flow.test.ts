// The whole authorization, end to end, as an MCP client and its user's browser live it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type KeyValueStore, MemoryStore, RedisStore } from '../../src/store/index.ts';
import { UpstreamSessionEndedError } from '../../src/oauth/index.ts';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startMittwaldOAuthSimulator } from '../support/mittwald-oauth/simulator.ts';
import { startOAuthTestApp, testEnvironment, type OAuthTestApp } from '../support/mittwald-oauth/oauth-test-app.ts';
import { authorizeInBrowser, registerClient, revokeToken, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';

const SCOPES = ['user:read', 'customer:read', 'project:read', 'project:write', 'app:read', 'app:write'];

let redis: TestRedis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startTestRedis();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await redis.stop();
});

async function openStore(kind: 'memory' | 'redis'): Promise<KeyValueStore> {
  const store = kind === 'memory' ? new MemoryStore() : await RedisStore.connect({ url: redis.url, prefix: `t${Math.random().toString(36).slice(2)}:` });
  cleanups.push(() => store.close());
  return store;
}

/** one deployment: a simulator with its fixed redirect URI and one app instance */
async function deployment(kind: 'memory' | 'redis') {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const mittwald = await startMittwaldOAuthSimulator({ clientId: 'mittwald-mcp-test', redirectUri: `${publicUrl}/mittwald/callback`, scopes: SCOPES });
  cleanups.push(() => mittwald.close());
  const store = await openStore(kind);
  const app = await startOAuthTestApp({ env: testEnvironment(mittwald, publicUrl), store, port });
  cleanups.push(() => app.close());
  return { mittwald, app, store };
}

async function registeredClient(baseUrl: string, authMethod: 'none' | 'client_secret_post'): Promise<RegisteredClient> {
  const { status, body } = await registerClient(baseUrl, {
    client_name: authMethod === 'none' ? 'Public Test Client' : 'Claude',
    redirect_uris: [authMethod === 'none' ? 'http://127.0.0.1:33418/callback' : 'https://claude.ai/api/mcp/auth_callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
  });
  expect(status).toBe(201);
  return body as unknown as RegisteredClient;
}

async function loggedIn(baseUrl: string, client: RegisteredClient, scope?: string) {
  const outcome = await authorizeInBrowser(baseUrl, client, { parameters: { scope } });
  expect(outcome.stoppedAt).toBeUndefined();
  const code = outcome.callback!.searchParams.get('code');
  expect(code).toBeTruthy();
  const { status, body } = await tokenRequest(baseUrl, client, {
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: client.redirect_uris[0],
    code_verifier: outcome.verifier,
  });
  expect(status).toBe(200);
  return { outcome, tokens: body as { access_token: string; refresh_token: string; scope: string; expires_in: number; token_type: string } };
}

describe.each(['memory', 'redis'] as const)('full flow on the %s store', (kind) => {
  it.each(['none', 'client_secret_post'] as const)('registers, authorizes, refreshes and revokes a %s client', async (authMethod) => {
    const { app, mittwald, store } = await deployment(kind);
    mittwald.loginAs('user-42');
    const client = await registeredClient(app.url, authMethod);
    if (authMethod === 'client_secret_post') expect(client.client_secret).toBeTruthy();

    const { outcome, tokens } = await loggedIn(app.url, client, 'project:read app:write');
    expect(outcome.callback!.searchParams.get('state')).toBe(outcome.state);
    expect(outcome.callback!.searchParams.get('iss')).toBe(app.config.publicUrl);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.expires_in).toBeLessThanOrEqual(app.config.tokens.accessTokenTtl);
    expect(tokens.scope.split(' ').sort()).toEqual(['app:write', 'project:read']);
    expect(mittwald.lastRequestedScope()!.split(' ').sort()).toEqual(['app:write', 'project:read']);

    const access = await app.facade.verifier.verify(tokens.access_token);
    expect(access).toMatchObject({ accountId: 'user-42', clientId: client.client_id });
    expect(access!.scopes.sort()).toEqual(['app:write', 'project:read']);
    expect(await access!.mittwaldAccessToken()).toMatch(/^mwsim-at-/);
    // at rest, mittwald's tokens are ciphertext only
    const stored = await store.get(`oauth:mittwald-tokens:${access!.grantId}`);
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain('mwsim-');

    const refreshed = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const newAccess = String(refreshed.body.access_token);
    expect(newAccess).not.toBe(tokens.access_token);
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    expect((await app.facade.verifier.verify(newAccess))?.grantId).toBe(access!.grantId);

    expect(await revokeToken(app.url, client, String(refreshed.body.refresh_token))).toBe(200);
    expect(await app.facade.verifier.verify(newAccess)).toBeUndefined();
    const afterRevoke = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: String(refreshed.body.refresh_token) });
    expect(afterRevoke.body.error).toBe('invalid_grant');
    expect(await store.get(`oauth:mittwald-tokens:${access!.grantId}`)).toBeUndefined();

    const metrics = await app.metrics.registry.metrics();
    expect(metrics).toMatch(/oauth_dcr_registrations_total\{status="success"\} 1/);
    expect(metrics).toMatch(/oauth_authorization_requests_total\{status="success"\} 1/);
    expect(metrics).toMatch(/oauth_token_requests_total\{grant_type="authorization_code",status="success"\} 1/);
    expect(metrics).toMatch(/oauth_token_requests_total\{grant_type="refresh_token",status="invalid_grant"\} 1/);
  });

  it('grants the default scopes when the client asks for none, and only what mittwald granted', async () => {
    const { app, mittwald } = await deployment(kind);
    const client = await registeredClient(app.url, 'none');
    const { tokens } = await loggedIn(app.url, client);
    expect(tokens.scope.split(' ').sort()).toEqual([...app.config.mittwald.scopes.defaults].sort());

    mittwald.setGrantedScopes(['project:read']);
    const { tokens: partial } = await loggedIn(app.url, client, 'project:read project:write');
    expect(partial.scope).toBe('project:read');
    expect((await app.facade.verifier.verify(partial.access_token))!.scopes).toEqual(['project:read']);
  });
});

describe('several instances on one Redis', () => {
  it('accepts on the second instance the tokens the first issued, including refresh', async () => {
    const { apps } = await deploymentOnSharedRedis(2);
    const client = await registeredClient(apps[0].url, 'none');
    const { tokens } = await loggedIn(apps[0].url, client);
    expect((await apps[1].facade.verifier.verify(tokens.access_token))?.clientId).toBe(client.client_id);
    const refreshed = await tokenRequest(apps[1].url, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(await apps[0].facade.verifier.verify(String(refreshed.body.access_token))).toBeDefined();
  });

  it('refreshes an expiring mittwald token exactly once when both instances need it at the same time', async () => {
    const { apps, mittwald } = await deploymentOnSharedRedis(2);
    // mittwald tokens that are already inside the refresh margin
    mittwald.setAccessTokenLifetime(30);
    const client = await registeredClient(apps[0].url, 'none');
    const { tokens } = await loggedIn(apps[0].url, client);
    mittwald.setAccessTokenLifetime(3600);
    const before = mittwald.counters.refreshes;

    const accesses = await Promise.all(apps.map((app) => app.facade.verifier.verify(tokens.access_token)));
    const upstreamTokens = await Promise.all([...accesses, ...accesses].map((access) => access!.mittwaldAccessToken()));
    expect(mittwald.counters.refreshes - before).toBe(1);
    expect(new Set(upstreamTokens).size).toBe(1);
    expect(await accesses[1]!.mittwaldAccessToken()).toBe(upstreamTokens[0]);
    expect(mittwald.counters.refreshes - before).toBe(1);
    const refreshMetrics = (await Promise.all(apps.map((app) => app.metrics.registry.metrics()))).join('\n');
    expect(refreshMetrics.match(/mittwald_token_refreshes_total\{status="success"\} 1/g)).toHaveLength(1);
  });

  it('ends the grant when mittwald refuses the refresh: verify() no longer knows the token', async () => {
    const { apps, mittwald } = await deploymentOnSharedRedis(1);
    mittwald.setAccessTokenLifetime(30);
    const client = await registeredClient(apps[0].url, 'none');
    const { tokens } = await loggedIn(apps[0].url, client);
    mittwald.setRefuseRefresh(true);
    const access = await apps[0].facade.verifier.verify(tokens.access_token);
    await expect(access!.mittwaldAccessToken()).rejects.toBeInstanceOf(UpstreamSessionEndedError);
    expect(await apps[0].facade.verifier.verify(tokens.access_token)).toBeUndefined();
    const refresh = await tokenRequest(apps[0].url, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refresh.body.error).toBe('invalid_grant');
  });
});

async function deploymentOnSharedRedis(instances: number) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const mittwald = await startMittwaldOAuthSimulator({ clientId: 'mittwald-mcp-test', redirectUri: `${publicUrl}/mittwald/callback`, scopes: SCOPES });
  cleanups.push(() => mittwald.close());
  const env = testEnvironment(mittwald, publicUrl);
  const prefix = `shared${Math.random().toString(36).slice(2)}:`;
  const apps: OAuthTestApp[] = [];
  for (let i = 0; i < instances; i++) {
    const store = await RedisStore.connect({ url: redis.url, prefix });
    cleanups.push(() => store.close());
    const app = await startOAuthTestApp({ env, store, port: i === 0 ? port : undefined });
    cleanups.push(() => app.close());
    apps.push(app);
  }
  return { apps, mittwald };
}
