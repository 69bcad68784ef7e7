// Every HTML page the OAuth surface can answer with carries one frame and script policy: it may not
// be framed (clickjacking of the consent button), and runs no script but the form_post page's
// auto-submit, allowed by its hash. oidc-provider's own pages (its error page, form_post) included.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { authorizationRequest, REDIRECT_URI, registerClient, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let client: RegisteredClient;

beforeAll(async () => {
  stack = await startStack();
  const registration = await registerClient(stack.url, { client_name: 'pages', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
  client = registration.body as unknown as RegisteredClient;
});

afterAll(async () => {
  await stack?.close();
});

const HTML = { accept: 'text/html' };

/** the HTML pages a browser (or a page that tries to frame us) can get from the OAuth surface */
const pages: Array<[string, () => Promise<Response>]> = [
  ['an authorization request of an unknown client (oidc-provider\'s error page)', () =>
    fetch(authorizationRequest(stack.url, { ...client, client_id: 'nobody' }).url, { headers: HTML, redirect: 'manual' })],
  ['an authorization request with a redirect URI not registered', () =>
    fetch(authorizationRequest(stack.url, client, { redirect_uri: 'http://127.0.0.1:1/elsewhere' }).url, { headers: HTML, redirect: 'manual' })],
  ['an authorization error answered by form_post (a page with a script)', () =>
    fetch(authorizationRequest(stack.url, client, { response_mode: 'form_post', code_challenge_method: 'plain' }).url, { headers: HTML, redirect: 'manual' })],
  ['an unknown interaction', () => fetch(`${stack.url}/interaction/unknown`, { headers: HTML, redirect: 'manual' })],
  ['mittwald\'s callback without a login', () => fetch(`${stack.url}/mittwald/callback?code=x&state=y`, { headers: HTML, redirect: 'manual' })],
];

function expectFrameAndScriptPolicy(response: Response): void {
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  const policy = Object.fromEntries(
    (response.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
      const [name, ...values] = directive.trim().split(/\s+/);
      return [name, values];
    }),
  );
  expect(policy['frame-ancestors']).toEqual(["'none'"]);
  expect(policy['default-src']).toEqual(["'none'"]);
  // no script, or only those allowed by their hash
  const scripts = policy['script-src'] as string[];
  expect(scripts.length === 1 && scripts[0] === "'none'" || scripts.every((source) => source.startsWith("'sha256-"))).toBe(true);
}

describe('every HTML page of the OAuth surface', () => {
  it.each(pages)('%s', async (_name, load) => {
    const response = await load();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expectFrameAndScriptPolicy(response);
  });

  it('a path nobody serves answers with no HTML, under the same policy', async () => {
    const response = await fetch(`${stack.url}/nothing-here`, { headers: HTML });
    expect(await response.text()).not.toMatch(/<html/i);
    expectFrameAndScriptPolicy(response);
  });

  it('the consent page', async () => {
    const browser = new TestBrowser();
    let response = await browser.request(authorizationRequest(stack.url, client).url);
    while (response.location && !response.body.includes('name="csrf"')) response = await browser.request(response.location);
    expect(response.body).toContain('name="csrf"');
    expectFrameAndScriptPolicy(new Response(null, { headers: response.headers }));
  });
});
