// Every URL the server hands out names PUBLIC_URL, whatever the request says about where it was
// sent: an attacker's Host, X-Forwarded-Host or X-Forwarded-Proto (with and without a trusted
// proxy), or an absolute-form request target. A poisoned URL in discovery, a registration or a
// redirect would send clients, and their users' codes and tokens, to the attacker's host.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { TestBrowser, type BrowserTransport } from '../support/mittwald-oauth/browser.ts';
import { authorizationRequest, followBrowserFlow, REDIRECT_URI, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

const EVIL = 'evil.example';

interface Seen {
  url: string;
  status: number;
  /** every header value and the body: where a poisoned URL would show */
  text: string;
}

interface Scenario {
  name: string;
  /** undefined: the stack's own http://127.0.0.1:<port> */
  publicUrl?: string;
  trustProxy: boolean;
  forged: Record<string, string>;
  /** send the request line as `GET http://evil.example/path` */
  absoluteForm?: boolean;
}

const scenarios: Scenario[] = [
  { name: 'a forged Host, no proxy trusted', trustProxy: false, forged: { host: EVIL } },
  {
    name: 'forged X-Forwarded-Host/-Proto and Forwarded, no proxy trusted',
    trustProxy: false,
    forged: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'https', forwarded: `host=${EVIL};proto=https` },
  },
  { name: 'forged X-Forwarded-Host/-Proto behind a trusted proxy', trustProxy: true, forged: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'https' } },
  { name: 'an absolute-form request target naming another host', trustProxy: true, forged: { host: EVIL }, absoluteForm: true },
  // an https origin served by a TLS proxy: a request claiming plain http (or not saying) must not downgrade the URLs
  { name: 'https PUBLIC_URL, no proxy trusted, forged Host', publicUrl: 'https://mcp.example.test', trustProxy: false, forged: { host: EVIL } },
  {
    name: 'https PUBLIC_URL behind a trusted proxy, forged X-Forwarded-Host and -Proto http',
    publicUrl: 'https://mcp.example.test',
    trustProxy: true,
    forged: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'http' },
  },
];

/**
 * Requests to PUBLIC_URL go to where the server listens, with the forged headers; anything else
 * (the mittwald simulator) is fetched as usual. Every answer of our server is recorded.
 */
function forgingTransport(stack: Stack, scenario: Scenario, seen: Seen[]): BrowserTransport {
  const publicOrigin = new URL(stack.url).origin;
  const listening = new URL(stack.server.url);
  return async (url, init) => {
    if (url.origin !== publicOrigin) return fetch(url, { ...init, redirect: 'manual' });
    const path = `${url.pathname}${url.search}`;
    const response = await new Promise<Response>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: listening.hostname,
          port: listening.port,
          method: init.method,
          path: scenario.absoluteForm ? `http://${EVIL}${path}` : path,
          headers: { host: listening.host, ...init.headers, ...scenario.forged },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one);
            }
            const status = incoming.statusCode ?? 500;
            const body = Buffer.concat(chunks);
            resolve(new Response(status === 204 || status === 304 ? null : body, { status, headers }));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(init.body);
    });
    const copy = response.clone();
    const text = [...copy.headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n') + '\n' + (await copy.text());
    seen.push({ url: url.href, status: response.status, text });
    return response;
  };
}

describe.each(scenarios)('$name', (scenario) => {
  let stack: Stack;
  const seen: Seen[] = [];
  let send: BrowserTransport;
  let publicUrl: string;

  beforeAll(async () => {
    stack = await startStack({ publicUrl: scenario.publicUrl, env: scenario.trustProxy ? { TRUST_PROXY: '1' } : {} });
    publicUrl = stack.url;
    send = forgingTransport(stack, scenario, seen);
  });
  afterAll(() => stack?.close());

  const call = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const response = await send(new URL(path, publicUrl), { method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const json = async (path: string, init?: Parameters<typeof call>[1]) => {
    const { status, headers, text } = await call(path, init);
    return { status, headers, body: JSON.parse(text) as Record<string, unknown> };
  };

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])('%s names PUBLIC_URL for every endpoint', async (path) => {
    const { status, body } = await json(path);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: publicUrl,
      authorization_endpoint: `${publicUrl}/authorize`,
      token_endpoint: `${publicUrl}/token`,
      registration_endpoint: `${publicUrl}/register`,
      revocation_endpoint: `${publicUrl}/revoke`,
      jwks_uri: `${publicUrl}/jwks`,
    });
  });

  it.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])('%s names PUBLIC_URL', async (path) => {
    const { status, body } = await json(path);
    expect(status).toBe(200);
    expect(body).toMatchObject({ resource: `${publicUrl}/mcp`, authorization_servers: [publicUrl] });
  });

  it('the 401 challenge at /mcp points at PUBLIC_URL', async () => {
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const { status, headers } = await call('/mcp', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      });
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toContain(`resource_metadata="${publicUrl}/.well-known/oauth-protected-resource/mcp"`);
    }
  });

  it('registration, its management URI and the whole authorization flow name PUBLIC_URL only', async () => {
    const registered = await json('/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'forged-host test', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
    });
    expect(registered.status).toBe(201);
    const client = registered.body as unknown as RegisteredClient;
    expect(client.registration_client_uri).toBe(`${publicUrl}/register/${client.client_id}`);
    const managed = await json(client.registration_client_uri!, { headers: { authorization: `Bearer ${client.registration_access_token}` } });
    expect(managed.status).toBe(200);
    expect(managed.body.registration_client_uri).toBe(`${publicUrl}/register/${client.client_id}`);

    const { url, verifier } = authorizationRequest(publicUrl, client, { state: 'forged-host-state', resource: `${publicUrl}/mcp` });
    const seenBefore = seen.length;
    const outcome = await followBrowserFlow(url, REDIRECT_URI, { browser: new TestBrowser(send) });
    expect(outcome.stoppedAt).toBeUndefined();
    expect(outcome.callback!.searchParams.get('iss')).toBe(publicUrl);
    const hops = seen.slice(seenBefore);
    // the flow went through our pages and came back from mittwald to our callback
    expect(hops.map((hop) => new URL(hop.url).pathname)).toEqual(
      expect.arrayContaining(['/authorize', expect.stringMatching(/^\/interaction\//), '/mittwald/callback', expect.stringMatching(/^\/authorize\//)]),
    );
    // mittwald is asked to send the user back to our fixed callback
    const toMittwald = hops.map((hop) => /^location: (.*)$/m.exec(hop.text)?.[1]).find((location) => location?.startsWith(stack.oauth.authorizationUrl));
    expect(new URL(toMittwald!).searchParams.get('redirect_uri')).toBe(`${publicUrl}/mittwald/callback`);

    const tokens = await json('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.client_id,
        code: outcome.callback!.searchParams.get('code')!,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
      }).toString(),
    });
    expect(tokens.status).toBe(200);
  });

  it('nothing the server answered names the forged host or another origin of ours', () => {
    const publicOrigin = new URL(publicUrl).origin;
    const allowed = new Set([publicOrigin, new URL(stack.oauth.authorizationUrl).origin, new URL(REDIRECT_URI).origin]);
    expect(seen.length).toBeGreaterThan(10);
    for (const { url, text } of seen) {
      expect({ url, text: text.includes(EVIL) ? text : 'clean' }).toEqual({ url, text: 'clean' });
      const origins = [...text.matchAll(/https?:\/\/[^\s"'<>,;&%]+/g)].map((match) => URL.parse(match[0])?.origin);
      expect({ url, foreign: origins.filter((origin) => origin && !allowed.has(origin)) }).toEqual({ url, foreign: [] });
    }
  });
});
