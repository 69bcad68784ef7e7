// What a confused user or an attacker would try, each answered with its OAuth error and nothing
// left behind in the store.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryStore } from '../../src/store/index.ts';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import type { MittwaldOAuthSimulator } from '../support/mittwald-oauth/simulator.ts';
import { startOAuthTestDeployment, type OAuthTestApp, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { authorizationRequest, authorizeInBrowser, registerClient, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';

const SCOPES = ['user:read', 'customer:read', 'project:read', 'app:read'];
const GRACE_SECONDS = 30;
// the façade's clock: the grace window is left by moving it, not by waiting (and a busy machine
// cannot stretch the time between two requests past the window)
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;

let deployment: OAuthTestDeployment;
let app: OAuthTestApp;
let mittwald: MittwaldOAuthSimulator;
let store: MemoryStore;
let client: RegisteredClient;

beforeAll(async () => {
  deployment = await startOAuthTestDeployment({
    scopes: SCOPES,
    env: { REFRESH_TOKEN_GRACE_SECONDS: String(GRACE_SECONDS), MITTWALD_HTTP_TIMEOUT_MS: '300' },
    now,
  });
  ({ app, mittwald, store } = deployment);
  const registered = await registerClient(app.url, { client_name: 'Victim App', redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'none' });
  client = registered.body as unknown as RegisteredClient;
});

afterAll(() => deployment.close());

const grants = () => store.countKeys('oauth:Grant:');
const accessTokens = () => store.countKeys('oauth:AccessToken:');
const mittwaldTokens = () => store.countKeys('oauth:mittwald-tokens:');

async function codeFor(target: RegisteredClient = client) {
  const outcome = await authorizeInBrowser(app.url, target);
  return { code: outcome.callback!.searchParams.get('code')!, verifier: outcome.verifier };
}

const redeem = (code: string, verifier: string, extra: Record<string, string> = {}) =>
  tokenRequest(app.url, client, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: client.redirect_uris[0], ...extra });

describe('authorization request', () => {
  it('refuses a request without PKCE, redirecting invalid_request to the client', async () => {
    const outcome = await authorizeInBrowser(app.url, client, { parameters: { code_challenge: undefined, code_challenge_method: undefined } });
    expect(outcome.callback!.searchParams.get('error')).toBe('invalid_request');
    expect(outcome.callback!.searchParams.get('iss')).toBe(app.config.publicUrl);
  });

  it('refuses plain PKCE', async () => {
    const outcome = await authorizeInBrowser(app.url, client, { parameters: { code_challenge_method: 'plain' } });
    expect(outcome.callback!.searchParams.get('error')).toBe('invalid_request');
  });

  it('never redirects to a redirect URI that was not registered exactly', async () => {
    const before = await grants();
    const outcome = await authorizeInBrowser(app.url, client, { parameters: { redirect_uri: 'https://app.example.test/cb/x' } });
    expect(outcome.callback).toBeUndefined();
    expect(outcome.stoppedAt!.status).toBe(400);
    expect(outcome.stoppedAt!.body).toContain('redirect_uri');
    expect(await grants()).toBe(before);
  });

  it('refuses a resource other than this MCP server with invalid_target', async () => {
    const outcome = await authorizeInBrowser(app.url, client, { parameters: { resource: 'https://other.example/mcp' } });
    expect(outcome.callback!.searchParams.get('error')).toBe('invalid_target');
  });

  it('answers an unknown client with an error page, not a redirect', async () => {
    const outcome = await authorizeInBrowser(app.url, { ...client, client_id: 'no-such-client' });
    expect(outcome.callback).toBeUndefined();
    expect(outcome.stoppedAt!.status).toBe(400);
    expect(outcome.stoppedAt!.body).toContain('client');
  });

  it('shows the consent page with the client name and redirect host, unframeable', async () => {
    const browser = new TestBrowser();
    const start = await browser.request(
      `${app.url}/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0])}` +
        '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    );
    const consent = await browser.request(start.location!);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Victim App');
    expect(consent.body).toContain('app.example.test');
    expect(consent.headers.get('x-frame-options')).toBe('DENY');
    expect(consent.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('shows a client name without direction overrides or invisible characters, cut to 80 characters', async () => {
    // U+202E turns "Evil\u202Etxt.exe" into what reads as "Evilexe.txt"; zero-width and tag characters hide text
    const name = `mittwald\u202E Official\u2066\u200B\u200D\uFEFF\u{E0041} App\u0000\u2028 ${'x'.repeat(200)}`;
    const registered = await registerClient(app.url, { client_name: name, redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'none' });
    const browser = new TestBrowser();
    const { url } = authorizationRequest(app.url, registered.body as unknown as RegisteredClient);
    const consent = await browser.request((await browser.request(url)).location!);
    expect(consent.status).toBe(200);
    const shown = /<strong>([^<]*)<\/strong> wants/.exec(consent.body)?.[1];
    expect(shown).toBe(`mittwald Official App ${'x'.repeat(57)}…`);
    expect(Array.from(shown!)).toHaveLength(80);
    expect(consent.body).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\uFEFF\u2028\u0000]/u);
  });

  it('refuses a consent form without the CSRF token or from another browser', async () => {
    const browser = new TestBrowser();
    const start = await browser.request(
      `${app.url}/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0])}` +
        '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    );
    const confirmUrl = `${start.location}/confirm`;
    const forged = await browser.request(confirmUrl, { method: 'POST', form: { decision: 'allow', csrf: 'guessed' } });
    expect(forged.status).toBe(403);
    const otherBrowser = await new TestBrowser().request(confirmUrl, { method: 'POST', form: { decision: 'allow', csrf: 'x' } });
    expect(otherBrowser.status).toBe(400);
    expect(otherBrowser.body).toContain('expired');
    expect(forged.location ?? otherBrowser.location).toBeUndefined();
  });

  it('sends access_denied back when the user cancels on our consent page', async () => {
    const outcome = await authorizeInBrowser(app.url, client, { decision: 'deny' });
    expect(outcome.callback!.searchParams.get('error')).toBe('access_denied');
  });
});

describe('mittwald login', () => {
  it('turns a denial at mittwald into access_denied for the client, storing nothing', async () => {
    const before = { grants: await grants(), vault: await mittwaldTokens() };
    mittwald.setDeny(true);
    try {
      const outcome = await authorizeInBrowser(app.url, client);
      expect(outcome.callback!.searchParams.get('error')).toBe('access_denied');
    } finally {
      mittwald.setDeny(false);
    }
    expect({ grants: await grants(), vault: await mittwaldTokens() }).toEqual(before);
  });

  it.each([
    ['down', () => mittwald.setDown(true), () => mittwald.setDown(false)],
    ['too slow', () => mittwald.setSlow(1500), () => mittwald.setSlow(0)],
  ])('answers temporarily_unavailable when mittwald is %s at the code exchange', async (_name, breakIt, repair) => {
    const before = await grants();
    breakIt();
    try {
      const outcome = await authorizeInBrowser(app.url, client);
      expect(outcome.callback!.searchParams.get('error')).toBe('temporarily_unavailable');
    } finally {
      repair();
    }
    expect(await grants()).toBe(before);
  });

  it('refuses a tampered or replayed state at the callback with a page, not a stack trace', async () => {
    const tampered = await new TestBrowser().request(`${app.url}/mittwald/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain('not valid');
    expect(tampered.body).not.toMatch(/at .*\.(ts|js):\d+/);

    // a real callback URL, replayed after it was used: drive one flow by hand to capture it
    const browser = new TestBrowser();
    const start = await browser.request(
      `${app.url}/authorize?response_type=code&client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0])}` +
        '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
    );
    const consent = await browser.request(start.location!);
    const csrf = /name="csrf" value="([^"]+)"/.exec(consent.body)![1];
    const toMittwald = await browser.request(`${start.location}/confirm`, { method: 'POST', form: { csrf, decision: 'allow' } });
    const callbackUrl = (await browser.request(toMittwald.location!)).location!;
    const hop = await browser.request(callbackUrl);
    const finished = await browser.request(hop.location!);
    expect(finished.status).toBe(303);
    const grantsAfterFirstUse = await grants();
    const replay = await browser.request(callbackUrl);
    expect(replay.status).toBe(400);
    expect(await grants()).toBe(grantsAfterFirstUse);
  });
});

describe('token endpoint', () => {
  it('refuses a wrong PKCE verifier with invalid_grant', async () => {
    const { code } = await codeFor();
    const { status, body } = await redeem(code, 'x'.repeat(43));
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
  });

  it('refuses a replayed code and revokes what the first redemption issued', async () => {
    const { code, verifier } = await codeFor();
    const first = await redeem(code, verifier);
    expect(first.status).toBe(200);
    const replay = await redeem(code, verifier);
    expect(replay.body.error).toBe('invalid_grant');
    expect(await app.facade.verifier.verify(String(first.body.access_token))).toBeUndefined();
  });

  it('refuses a token request for another resource with invalid_target', async () => {
    const { code, verifier } = await codeFor();
    const { body } = await redeem(code, verifier, { resource: 'https://other.example/mcp' });
    expect(body.error).toBe('invalid_target');
  });

  it('answers an unknown client with 401 invalid_client (clients re-register on that)', async () => {
    const { status, body } = await tokenRequest(app.url, { ...client, client_id: 'gone' }, { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('lets a rotated refresh token be used again within the grace window, and revokes the grant after it', async () => {
    const { code, verifier } = await codeFor();
    const { body } = await redeem(code, verifier);
    const first = String(body.refresh_token);
    const rotated = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: first });
    expect(rotated.status).toBe(200);
    // a concurrent duplicate (second egress IP, lost answer) inside the window: a valid new pair
    const duplicate = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: first });
    expect(duplicate.status).toBe(200);
    expect(await app.facade.verifier.verify(String(duplicate.body.access_token))).toBeDefined();
    expect(await app.facade.verifier.verify(String(rotated.body.access_token))).toBeDefined();

    clockOffsetMs += (GRACE_SECONDS + 1) * 1000;
    const vaultBefore = await mittwaldTokens();
    const reuse = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: first });
    expect(reuse.body.error).toBe('invalid_grant');
    // reuse means theft: the whole grant is gone, including mittwald's tokens
    expect(await app.facade.verifier.verify(String(rotated.body.access_token))).toBeUndefined();
    const successor = await tokenRequest(app.url, client, { grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token) });
    expect(successor.body.error).toBe('invalid_grant');
    // mittwald's tokens go when oidc-provider reports the revocation, just after its answer
    for (let i = 0; i < 400 && (await mittwaldTokens()) !== vaultBefore - 1; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await mittwaldTokens()).toBe(vaultBefore - 1);
  });

  it('keeps nothing for an access token after its grant is revoked', async () => {
    const before = await accessTokens();
    const { code, verifier } = await codeFor();
    const { body } = await redeem(code, verifier);
    expect(await accessTokens()).toBe(before + 1);
    await fetch(`${app.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id, token: String(body.refresh_token) }).toString(),
    });
    expect(await accessTokens()).toBe(before);
  });
});
