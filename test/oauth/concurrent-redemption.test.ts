// One authorization code redeemed twice at the same moment, one refresh token rotated twice at the
// same moment (no grace window), through /token on both store backends: exactly one request gets
// tokens. The store holds both requests' first read of the record until both have made it, so
// both see it unused: the interleaving a race needs, made certain instead of left to luck.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KeyValueStore } from '../../src/store/index.ts';
import { MemoryStore, RedisStore } from '../../src/store/index.ts';
import { authorizeInBrowser, REDIRECT_URI, registerClient, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';
import { startOAuthTestDeployment, type OAuthTestApp, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';


interface ReadBarrier {
  store: KeyValueStore;
  /** the next `parties` reads of a key starting with `prefix` wait for each other */
  arm(prefix: string, parties: number): void;
}

/** The store, with reads that can be made to meet: each waits until all armed readers arrived. */
function withReadBarrier(store: KeyValueStore): ReadBarrier {
  let armed: { prefix: string; waiting: Array<() => void>; parties: number } | undefined;
  const meet = (key: string): Promise<void> | undefined => {
    if (!armed || !key.startsWith(armed.prefix)) return undefined;
    const barrier = armed;
    const met = new Promise<void>((resolve) => barrier.waiting.push(resolve));
    if (barrier.waiting.length === barrier.parties) {
      armed = undefined;
      for (const release of barrier.waiting) release();
    }
    return met;
  };
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'get') return typeof value === 'function' ? value.bind(target) : value;
      return async (key: string) => {
        await meet(key);
        return target.get(key);
      };
    },
  });
  return {
    store: wrapped,
    arm(prefix, parties) {
      armed = { prefix, waiting: [], parties };
    },
  };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

describe.each(['memory', 'redis'])('on the %s store', (backend) => {
  let deployment: OAuthTestDeployment<KeyValueStore>;
  let app: OAuthTestApp;
  let barrier: ReadBarrier;
  let client: RegisteredClient;

  beforeAll(async () => {
    const store = backend === 'memory' ? new MemoryStore() : await RedisStore.connect({ url: redis.url, prefix: `redemption-${Date.now()}:` });
    barrier = withReadBarrier(store);
    deployment = await startOAuthTestDeployment({ store: barrier.store, env: { REFRESH_TOKEN_GRACE_SECONDS: '0' } });
    app = deployment.app;
    const registration = await registerClient(app.url, { client_name: 'racing client', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
    client = registration.body as unknown as RegisteredClient;
  });
  afterAll(() => deployment?.close());

  async function freshCode(): Promise<{ code: string; verifier: string }> {
    const outcome = await authorizeInBrowser(app.url, client);
    if (!outcome.callback?.searchParams.get('code')) throw new Error(`no code: ${JSON.stringify(outcome.stoppedAt ?? outcome.callback?.search)}`);
    return { code: outcome.callback!.searchParams.get('code')!, verifier: outcome.verifier };
  }

  it('redeems one authorization code exactly once when two requests race for it', async () => {
    const { code, verifier } = await freshCode();
    barrier.arm('oauth:AuthorizationCode:', 2);
    const redeem = () => tokenRequest(app.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    const answers = await Promise.all([redeem(), redeem()]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.find((a) => a.status === 200)!;
    expect(answers.find((a) => a.status === 400)!.body.error).toBe('invalid_grant');
    // the loser ends nothing: the winner's tokens are good
    expect(await app.facade.verifier.verify(String(winner.body.access_token))).toMatchObject({ clientId: client.client_id });
    // and a later replay of the code is refused as before
    expect((await redeem()).body.error).toBe('invalid_grant');
  });

  it('rotates one refresh token exactly once when two refreshes race for it (no grace window)', async () => {
    const { code, verifier } = await freshCode();
    const tokens = await tokenRequest(app.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    expect(tokens.status).toBe(200);
    barrier.arm('oauth:RefreshToken:', 2);
    const rotate = () => tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token) });
    const answers = await Promise.all([rotate(), rotate()]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expect(answers.find((a) => a.status === 400)!.body.error).toBe('invalid_grant');
    const winner = answers.find((a) => a.status === 200)!;
    expect(await app.facade.verifier.verify(String(winner.body.access_token))).toMatchObject({ clientId: client.client_id });
  });
});
