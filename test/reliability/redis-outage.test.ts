// Redis goes away for a few seconds while clients use the server: every request that needs the
// store fails fast with a clear 503 (never a hang, a 500 with a stack, or a 401 that would make
// clients throw their tokens away), the process reconnects by itself, and grants issued before the
// outage still work afterwards.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, leaksInternals, postMcp, REDIRECT_URI, refresh, rpc, toolCall, waitFor } from './helpers.ts';

const CHALLENGE = 'A'.repeat(43);

let redis: TestRedis;
let stack: Stack;
let alice: AuthorizedClient;

beforeAll(async () => {
  redis = await startTestRedis({ keepData: true });
  stack = await startStack({ env: { REDIS_URL: redis.url } });
  alice = await authorizeClient(stack.url);
});

afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

interface Attempt {
  name: string;
  send: () => Promise<{ status: number; headers: Headers; text: string }>;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

async function raw(url: string, init?: RequestInit) {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function attempts(consent: { browser: TestBrowser; url: string }): Attempt[] {
  return [
    { name: 'tools/list on /mcp', send: () => postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list')) },
    { name: 'tools/call on /mcp', send: () => postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list')) },
    { name: 'refresh at /token', send: () => raw(`${stack.url}/token`, form({ grant_type: 'refresh_token', refresh_token: alice.refreshToken, client_id: alice.client.client_id })) },
    {
      name: 'registration at /register',
      send: () =>
        raw(`${stack.url}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }),
        }),
    },
    {
      name: 'authorization at /authorize',
      send: () =>
        raw(
          `${stack.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: alice.client.client_id, redirect_uri: REDIRECT_URI, code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`,
        ),
    },
    { name: 'revocation at /revoke', send: () => raw(`${stack.url}/revoke`, form({ token: 'not-a-token', client_id: alice.client.client_id })) },
    { name: 'mittwald callback', send: () => raw(`${stack.url}/mittwald/callback?state=${'s'.repeat(32)}&code=def`) },
    { name: 'consent page of a started authorization', send: () => consent.browser.request(consent.url).then((r) => ({ status: r.status, headers: r.headers, text: r.body })) },
  ];
}

describe('a Redis outage during traffic', () => {
  it('fails fast with 503 and Retry-After, recovers by itself, and loses no grant', async () => {
    // before: the grant works
    const before = await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list'));
    expect(before.status).toBe(200);
    expect(before.message?.result?.isError).toBeFalsy();

    // a user half-way through an authorization: our consent page is next
    const browser = new TestBrowser();
    const started = await browser.request(
      `${stack.url}/authorize?${new URLSearchParams({ response_type: 'code', client_id: alice.client.client_id, redirect_uri: REDIRECT_URI, code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`,
    );
    expect(started.location).toContain('/interaction/');

    await redis.stop();
    // Redis returns only after every attempt was answered: a request waiting for it would never end
    const outcomes: Array<{ name: string; status: number; retryAfter: string | null; text: string }> = [];
    for (const attempt of attempts({ browser, url: started.location! })) {
      const { status, headers, text } = await attempt.send();
      outcomes.push({ name: attempt.name, status, retryAfter: headers.get('retry-after'), text });
    }
    // the process itself still answers
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(503);
    await redis.start();

    for (const outcome of outcomes) {
      expect({ name: outcome.name, status: outcome.status }).toEqual({ name: outcome.name, status: 503 });
      expect({ name: outcome.name, retryAfter: outcome.retryAfter }).toEqual({ name: outcome.name, retryAfter: expect.stringMatching(/^\d+$/) });
      expect({ name: outcome.name, leaks: leaksInternals(outcome.text) }).toEqual({ name: outcome.name, leaks: false });
    }

    // recovers by itself once Redis is back
    await waitFor(async () => (await fetch(`${stack.url}/readyz`)).status === 200, 10_000, 'readiness after Redis returned');

    // the grant from before the outage still works: tool call, refresh, the refreshed token
    const after = await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list'));
    expect(after.status).toBe(200);
    expect(after.message?.result?.isError).toBeFalsy();
    expect((await refresh(stack.url, alice)).status).toBe(200);
    expect((await postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list'))).status).toBe(200);
  });

  it('answers 503 while Redis hangs (connected but silent), then serves the same grant again', async () => {
    const bob = await authorizeClient(stack.url);
    // a stall instead of a restart keeps Redis' memory: the outage is the connection, not the data
    await pauseRedis(redis, 3_000, async () => {
      const during = await postMcp(stack.mcpUrl, bob.accessToken, toolCall('mittwald_project_list'));
      expect(during.status).toBe(503);
      expect(leaksInternals(during.text)).toBe(false);
    });
    await waitFor(async () => (await fetch(`${stack.url}/readyz`)).status === 200, 10_000, 'readiness after the stall');
    const after = await postMcp(stack.mcpUrl, bob.accessToken, toolCall('mittwald_project_list'));
    expect(after.status).toBe(200);
    expect(after.message?.result?.isError).toBeFalsy();
    const refreshed = await refresh(stack.url, bob);
    expect(refreshed.status).toBe(200);
    const withNewToken = await postMcp(stack.mcpUrl, bob.accessToken, rpc('tools/list'));
    expect(withNewToken.status).toBe(200);
  });
});

/** Makes Redis unresponsive (CLIENT PAUSE) for `ms`, running `during` meanwhile. */
async function pauseRedis(target: TestRedis, ms: number, during: () => Promise<void>): Promise<void> {
  const { createClient } = await import('redis');
  const admin = createClient({ url: target.url });
  await admin.connect();
  await admin.sendCommand(['CLIENT', 'PAUSE', String(ms), 'ALL']);
  try {
    await during();
  } finally {
    await admin.close().catch(() => undefined);
  }
}
