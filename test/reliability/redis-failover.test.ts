// Redis loses its primary (SIGKILL) while 8 clients sign in, refresh and call tools through two
// server processes behind one origin, on Sentinel and on a Cluster. Requests in the window get a
// clear 503 (never a 500, never a crash); both processes use the promoted replica without a
// restart; and nothing a client was told about is lost: every grant still works, every
// registration is still there, no refresh token and no code is accepted a second time.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authorizeInBrowser, type RegisteredClient, registerClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';
import { freePort } from '../support/redis-server.ts';
import { type RedisForm, startTestTopology, type TestRedisTopology } from '../support/redis-topology.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { type LoadBalancer, postMcp, REDIRECT_URI, startLoadBalancer, toolCall, waitFor } from './helpers.ts';

const CLIENTS = 8;

interface Outcome {
  at: number;
  step: string;
  status: number;
  /** the OAuth error or the body's start, for failures */
  detail?: string;
}

/** What one client was told succeeded: each must hold after the failover. */
interface Acknowledged {
  registrations: RegisteredClient[];
  /** the newest pair of each grant */
  grants: Array<{ client: RegisteredClient; accessToken: string; refreshToken: string }>;
  /** refresh tokens rotated away: each must be refused now */
  rotatedRefreshTokens: Array<{ client: RegisteredClient; refreshToken: string }>;
  /** codes redeemed, with their verifier: each must be refused now */
  redeemedCodes: Array<{ client: RegisteredClient; code: string; verifier: string }>;
}

const succeeded = (outcome: Outcome) => outcome.status === 200 || outcome.status === 201;

/** The window in which requests failed, for the README and the report (no assertion on time: the machine is shared). */
function reportFigures(form: RedisForm, outcomes: Outcome[], killedAt: number, promotedAfterMs: number): void {
  const failures = outcomes.filter((outcome) => !succeeded(outcome));
  const window = failures.length ? { firstMs: failures[0].at - killedAt, lastMs: failures.at(-1)!.at - killedAt } : undefined;
  const byKind = Object.groupBy(failures, (failure) => `${failure.step} ${failure.status} ${failure.detail ?? ''}`);
  console.log(
    JSON.stringify({
      form,
      requests: outcomes.length,
      failed: failures.length,
      promotedAfterMs,
      failureWindowMs: window,
      failuresBy: Object.entries(byKind).map(([kind, list]) => `${kind}: ${list!.length}`),
    }),
  );
}

describe.each<RedisForm>(['sentinel', 'cluster'])('%s: the primary is SIGKILLed under load', (form) => {
  let topology: TestRedisTopology;
  let stack: Stack;
  let balancer: LoadBalancer;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    topology = await startTestTopology(form);
    stack = await startStack({
      env: {
        ...topology.env,
        // no second chance for a rotated refresh token, so "usable twice" means what it says
        REFRESH_TOKEN_GRACE_SECONDS: '0',
        // 8 clients signing in as fast as they can from one address
        AUTHORIZE_RATE_LIMIT_PER_MINUTE: '100000',
        DCR_RATE_LIMIT_PER_HOUR: '100000',
        CLI_POOL: 'off',
      },
    });
    // the simulators and the environment are wanted; the servers run as processes
    await stack.server.close();
    for (let i = 0; i < 2; i++) servers.push(await startServerProcess({ ...stack.env, PORT: String(await freePort()) }));
    let turn = 0;
    balancer = await startLoadBalancer(Number(new URL(stack.url).port), () => servers.map((server) => server.url), () => turn++ % 2);
  }, 180_000);

  afterAll(async () => {
    await balancer?.close();
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await stack?.close();
    await topology?.stop();
  });

  it('answers 503 in the window, recovers without a restart, and loses nothing acknowledged', async () => {
    const outcomes: Outcome[] = [];
    const acknowledged: Acknowledged = { registrations: [], grants: [], rotatedRefreshTokens: [], redeemedCodes: [] };
    const record = (step: string, status: number, detail?: string) => outcomes.push({ at: Date.now(), step, status, detail });
    let running = true;

    const signIn = async () => {
      const registration = await registerClient(stack.url, {
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      });
      record('register', registration.status, registration.status === 201 ? undefined : String(registration.body.error));
      if (registration.status !== 201) return undefined;
      const client = registration.body as unknown as RegisteredClient;
      acknowledged.registrations.push(client);
      const authorization = await authorizeInBrowser(stack.url, client);
      const code = authorization.callback?.searchParams.get('code');
      const error = authorization.callback?.searchParams.get('error');
      // a sign-in that failed on our side comes back to the client as temporarily_unavailable
      record('authorize', code ? 200 : error === 'temporarily_unavailable' ? 503 : (authorization.stoppedAt?.status ?? 400), code ? undefined : (error ?? authorization.stoppedAt?.body.slice(0, 80)));
      if (!code) return undefined;
      const tokens = await tokenRequest(stack.url, client, { grant_type: 'authorization_code', code, code_verifier: authorization.verifier, redirect_uri: REDIRECT_URI });
      record('code for tokens', tokens.status, tokens.status === 200 ? undefined : String(tokens.body.error));
      if (tokens.status !== 200) return undefined;
      acknowledged.redeemedCodes.push({ client, code, verifier: authorization.verifier });
      const grant = { client, accessToken: String(tokens.body.access_token), refreshToken: String(tokens.body.refresh_token) };
      acknowledged.grants.push(grant);
      return grant;
    };

    const useGrant = async (grant: Acknowledged['grants'][number]) => {
      const call = await postMcp(stack.mcpUrl, grant.accessToken, toolCall('mittwald_project_list'));
      record('tool call', call.status, call.status === 200 ? undefined : call.text.slice(0, 80));
      const refreshed = await tokenRequest(stack.url, grant.client, { grant_type: 'refresh_token', refresh_token: grant.refreshToken });
      record('refresh', refreshed.status, refreshed.status === 200 ? undefined : String(refreshed.body.error));
      if (refreshed.status !== 200) return;
      acknowledged.rotatedRefreshTokens.push({ client: grant.client, refreshToken: grant.refreshToken });
      grant.accessToken = String(refreshed.body.access_token);
      grant.refreshToken = String(refreshed.body.refresh_token);
    };

    const client = async () => {
      while (running) {
        const grant = await signIn().catch((error: Error) => void record('sign-in', 0, error.message));
        for (let round = 0; grant && running && round < 3; round++) await useGrant(grant).catch((error: Error) => void record('grant use', 0, error.message));
      }
    };

    const readiness: Array<{ at: number; status: number; store?: unknown }> = [];
    const probe = async () => {
      while (running) {
        const response = await fetch(`${servers[0].url}/readyz`).catch(() => undefined);
        const body = (await response?.json().catch(() => undefined)) as { checks?: { store?: unknown } } | undefined;
        readiness.push({ at: Date.now(), status: response?.status ?? 0, store: body?.checks?.store });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    const load = [...Array.from({ length: CLIENTS }, client), probe()];
    let killedAt = 0;
    let promotedAfterMs = 0;
    try {
      await waitFor(() => acknowledged.grants.length >= CLIENTS, 60_000, 'every client signed in once');
      killedAt = Date.now();
      // the primary of one slot (on a cluster, one of three: the store's keys spread over all)
      ({ promotedAfterMs } = await topology.killPrimary!('mwmcp:anything'));
      // load goes on until the last requests, all sent after the promotion, succeed again
      await waitFor(
        () => {
          const since = outcomes.filter((outcome) => outcome.at > killedAt + promotedAfterMs + 1_000);
          return since.length >= 2 * CLIENTS && since.slice(-CLIENTS).every(succeeded);
        },
        120_000,
        'every request succeeding again after the failover',
      );
    } finally {
      running = false;
      await Promise.all(load);
      reportFigures(form, outcomes, killedAt, promotedAfterMs);
    }
    const failures = outcomes.filter((outcome) => !succeeded(outcome));

    // every failure was a clear "try again" (503 or temporarily_unavailable), never a 500 or a lost connection
    for (const failure of failures) expect(failure).toEqual({ ...failure, status: 503 });
    // /readyz said "not ready" for the store while the primary was gone, and "ready" again after
    expect(readiness.some((probe) => probe.status === 503 && probe.store && typeof probe.store === 'object')).toBe(true);
    expect(readiness.at(-1)?.status).toBe(200);
    // neither process died or logged an unhandled rejection
    for (const server of servers) {
      expect(await fetch(`${server.url}/healthz`).then((r) => r.status)).toBe(200);
      expect(server.output()).not.toMatch(/unhandled|uncaught/i);
    }

    // nothing acknowledged was lost
    for (const registration of acknowledged.registrations) {
      const authorize = await fetch(
        `${stack.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: registration.client_id, redirect_uri: REDIRECT_URI, code_challenge: 'A'.repeat(43), code_challenge_method: 'S256' })}`,
        { redirect: 'manual' },
      );
      expect({ client: registration.client_id, known: authorize.headers.get('location')?.includes('/interaction/') }).toEqual({ client: registration.client_id, known: true });
    }
    for (const grant of acknowledged.grants) {
      const call = await postMcp(stack.mcpUrl, grant.accessToken, toolCall('mittwald_project_list'));
      expect({ client: grant.client.client_id, status: call.status }).toEqual({ client: grant.client.client_id, status: 200 });
      const refreshed = await tokenRequest(stack.url, grant.client, { grant_type: 'refresh_token', refresh_token: grant.refreshToken });
      expect({ client: grant.client.client_id, status: refreshed.status }).toEqual({ client: grant.client.client_id, status: 200 });
    }
    for (const { client, code, verifier } of acknowledged.redeemedCodes) {
      const again = await tokenRequest(stack.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
      expect({ code: code.slice(0, 8), status: again.status }).toEqual({ code: code.slice(0, 8), status: 400 });
    }
    // last: a rotated token used again ends its grant (reuse detection)
    for (const { client, refreshToken } of acknowledged.rotatedRefreshTokens) {
      const again = await tokenRequest(stack.url, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
      expect({ token: refreshToken.slice(0, 8), status: again.status }).toEqual({ token: refreshToken.slice(0, 8), status: 400 });
    }
  }, 300_000);
});
