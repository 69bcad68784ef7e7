// DIRECT_API_TOKENS makes /mcp ask mittwald about bearers it does not know: unauthenticated
// requests that each cost a call to mittwald. An attacker sending random bearers must not turn the
// server into an amplifier: answers are remembered (also "no"), lookups are limited per client
// address and overall, and beyond the limit the answer is 429 with Retry-After, with no call out.
import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createDirectTokenCheck, DirectTokenChecksLimitedError } from '../../src/oauth/direct-api-token.ts';
import { networkOf } from '../../src/oauth/lookup-budget.ts';
import { fakeVerifier, ok, recordingRunner, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS, rpc } from './support/mcp-app.ts';

const GOOD_TOKEN = 'mw-api-token-of-user-9';

/** mittwald's /v2/users/self as a fake: counts every call, knows one token */
function mittwaldLookup() {
  const seen: string[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const token = new Headers(init.headers).get('x-access-token') ?? '';
    seen.push(token);
    await new Promise((resolve) => setImmediate(resolve));
    return token === GOOD_TOKEN ? Response.json({ userId: 'user-9' }) : new Response('{}', { status: 401 });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

const randomBearer = () => `mw-${randomBytes(24).toString('hex')}`;

function appWith(env: Record<string, string> = {}) {
  const upstream = mittwaldLookup();
  const config = testConfig({ DIRECT_API_TOKENS: 'true', MITTWALD_API_BASE_URL: 'http://127.0.0.1:9', ...env });
  const { app } = buildMcpApp({ verifier: fakeVerifier({}), runner: recordingRunner(() => ok('[]')), config, fetch: upstream.fetch });
  const list = (token: string, headers: Record<string, string> = {}) =>
    request(app).post('/mcp').set(MCP_HEADERS).set(headers).set('authorization', `Bearer ${token}`).send(rpc('tools/list'));
  return { upstream, config, list };
}

describe('direct API token checks under attack', () => {
  it('500 random bearers from one address cost mittwald at most the per-address limit; the rest get 429 with Retry-After', async () => {
    const { upstream, config, list } = appWith();
    const perAddress = config.directApiTokenChecks.perAddressPerMinute;
    const answers = [];
    for (let i = 0; i < 500; i++) answers.push(await list(randomBearer()));

    expect(upstream.seen).toHaveLength(perAddress);
    expect(answers.slice(0, perAddress).map((a) => a.status)).toEqual(Array(perAddress).fill(401));
    const limited = answers.slice(perAddress);
    expect(new Set(limited.map((a) => a.status))).toEqual(new Set([429]));
    for (const answer of limited) {
      const retryAfter = Number(answer.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect(limited[0].body).toMatchObject({ error: 'too_many_requests' });
  });

  it('many addresses together cost mittwald at most the overall limit', async () => {
    const { upstream, config, list } = appWith({ TRUST_PROXY: '1', DIRECT_API_TOKEN_CHECKS_PER_MINUTE: '25' });
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await list(randomBearer(), { 'x-forwarded-for': `203.0.113.${i % 100}` })).status);
    expect(config.directApiTokenChecks.perMinute).toBe(25);
    expect(upstream.seen).toHaveLength(25);
    expect(statuses.filter((s) => s === 401)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(175);
  });

  it('asks about one unknown bearer once, however often and however concurrently it is sent', async () => {
    const { upstream, list } = appWith();
    const bearer = randomBearer();
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => list(bearer)));
    const sequential = [];
    for (let i = 0; i < 30; i++) sequential.push(await list(bearer));
    expect(upstream.seen).toEqual([bearer]);
    expect(new Set([...concurrent, ...sequential].map((a) => a.status))).toEqual(new Set([401]));
  });

  it('keeps serving a known good token while others flood the lookups', async () => {
    const { upstream, config, list } = appWith();
    expect((await list(GOOD_TOKEN)).status).toBe(200);
    for (let i = 0; i < 5_000 / 50; i++) await list(randomBearer());
    for (let i = 0; i < 5; i++) expect((await list(GOOD_TOKEN)).status).toBe(200);
    expect(upstream.seen.filter((token) => token === GOOD_TOKEN)).toHaveLength(1);
    // the good token's check found a user: it cost nothing of the address's checks
    expect(upstream.seen.filter((token) => token !== GOOD_TOKEN).length).toBe(config.directApiTokenChecks.perAddressPerMinute);
  });

  it('allows lookups again in the next minute', async () => {
    const { fetch, seen } = mittwaldLookup();
    let now = 1_000_000;
    const config = testConfig({ DIRECT_API_TOKENS: 'true', DIRECT_API_TOKEN_CHECKS_PER_ADDRESS: '2' });
    const check = createDirectTokenCheck(config, fetch, () => now);
    await check(randomBearer(), '198.51.100.1');
    await check(randomBearer(), '198.51.100.1');
    const limited = await check(randomBearer(), '198.51.100.1').catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(DirectTokenChecksLimitedError);
    expect((limited as DirectTokenChecksLimitedError).retryAfterSeconds).toBe(60);
    now += 60_000;
    await expect(check(GOOD_TOKEN, '198.51.100.1')).resolves.toMatchObject({ accountId: 'user-9' });
    expect(seen).toHaveLength(3);
  });

  it('checks nothing while mittwald asks us to wait with 429 and Retry-After, then checks again', async () => {
    let now = 1_000_000;
    let limited = true;
    const seen: string[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('x-access-token')!);
      return limited ? new Response('{}', { status: 429, headers: { 'retry-after': '30' } }) : Response.json({ userId: 'user-9' });
    }) as unknown as typeof globalThis.fetch;
    const check = createDirectTokenCheck(testConfig({ DIRECT_API_TOKENS: 'true' }), fetch, () => now);
    const refusals = [];
    for (const address of ['198.51.100.1', '203.0.113.1', '2001:db8::1']) refusals.push(await check(GOOD_TOKEN, address).catch((error: unknown) => error));
    expect(seen).toHaveLength(1);
    expect(refusals.map((error) => (error as DirectTokenChecksLimitedError).retryAfterSeconds)).toEqual([30, 30, 30]);
    now += 30_000;
    limited = false;
    await expect(check(GOOD_TOKEN, '198.51.100.1')).resolves.toMatchObject({ accountId: 'user-9' });
    expect(seen).toHaveLength(2);
  });

  it('junk from 1,000 networks costs mittwald a bounded number of checks, and a new user still gets in', async () => {
    const { fetch, seen } = mittwaldLookup();
    const config = testConfig({ DIRECT_API_TOKENS: 'true' });
    const check = createDirectTokenCheck(config, fetch, () => 1_000_000);
    for (let i = 0; i < 1000; i++) await check(randomBearer(), `10.${i >> 8}.${i & 255}.1`).catch(() => undefined);
    // the overall budget, then one check for each network without a failed one, up to ten times the budget
    expect(seen.length).toBeLessThanOrEqual(11 * config.directApiTokenChecks.perMinute);
    console.log(`token checks at mittwald for 1,000 junk bearers from 1,000 networks: ${seen.length}`);
    await expect(check(GOOD_TOKEN, '192.0.2.7')).resolves.toMatchObject({ accountId: 'user-9' });
  });

  it.each([
    ['198.51.100.23', '198.51.100.0/24'],
    ['::ffff:198.51.100.23', '198.51.100.0/24'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s in the network %s', (address, network) => {
    expect(networkOf(address)).toBe(network);
  });
});
