// The consent page shows exactly the scopes that will be granted, each with what it allows, and
// nothing else a client wrote: a client cannot put its own words ("read-only: nothing will be
// changed") or scopes we never grant on the page the user decides on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { authorizationRequest, authorizeInBrowser, REDIRECT_URI, type RegisteredClient, registerClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
let client: RegisteredClient;

beforeAll(async () => {
  stack = await startStack();
  const registration = await registerClient(stack.url, {
    client_name: 'consent test',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  client = registration.body as unknown as RegisteredClient;
});

afterAll(async () => {
  await stack.close();
});

/** The consent page for an authorization request asking for `scope`, or where the request stopped instead. */
async function consentPageFor(scope: string): Promise<{ status: number; body: string; location?: string; listed: string[] }> {
  const browser = new TestBrowser();
  const first = await browser.request(authorizationRequest(stack.url, client, { state: 'st', scope }).url);
  const page = first.location?.startsWith(`${stack.url}/interaction/`) ? await browser.request(first.location) : first;
  const listed = [...page.body.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]);
  return { status: page.status, body: page.body, location: page.location, listed };
}

describe('the consent page', () => {
  it('lists each scope that will be granted with a plain-language line', async () => {
    const { listed } = await consentPageFor('project:read app:write project:delete');
    expect(listed).toEqual([
      '<code>project:read</code> — see your projects and their settings',
      '<code>app:write</code> — install, change, start and stop apps',
      '<code>project:delete</code> — delete your projects',
    ]);
  });

  it('shows nothing a client wrote that is not granted: unknown, look-alike and meaningless scopes', async () => {
    const hostile = [
      'read-only:nothing-will-be-changed',
      'PROJECT:DELETE',
      'project:*',
      'project:read:all',
      '<script>alert(1)</script>',
      'x'.repeat(500),
      'offline_access',
      'profile',
      'project:read',
    ];
    const { status, body, listed } = await consentPageFor(hostile.join(' '));
    expect(status).toBe(200);
    expect(listed).toEqual(['<code>project:read</code> — see your projects and their settings']);
    for (const word of ['read-only', 'nothing-will-be-changed', 'PROJECT', 'project:*', 'read:all', 'alert', 'xxxxxxxxxx', 'offline_access', 'profile']) {
      expect(body).not.toContain(word);
    }
  });

  it.each(['app:read"onmouseover="alert(1) project:read', 'project:read\u200b project:delete', 'project:read\\ app:read'])(
    'is never shown for a scope with characters no scope has (%s): the client gets invalid_scope',
    async (scope) => {
      const { status, body, location } = await consentPageFor(scope);
      expect(status).toBe(303);
      expect(new URL(location!).searchParams.get('error')).toBe('invalid_scope');
      expect(body).not.toContain('Connect to your mittwald account');
    },
  );

  it('a request naming no mittwald scope shows (and gets) the read-only defaults, never the client\'s words', async () => {
    const { listed } = await consentPageFor('read-only:nothing-will-be-changed');
    expect(listed.map((item) => /<code>([^<]+)<\/code>/.exec(item)![1])).toEqual(stack.config.mittwald.scopes.defaults);
  });

  it('lists openid with what it gives away, because it is granted (an ID token naming the user)', async () => {
    const { listed } = await consentPageFor('openid project:read');
    expect(listed).toEqual(['<code>project:read</code> — see your projects and their settings', '<code>openid</code> — learn your mittwald user id']);
  });

  it('grants exactly what it listed: mittwald is asked for the mittwald scopes only, the token carries them', async () => {
    const requested = 'openid offline_access profile read-only:nothing-will-be-changed project:read app:write';
    const outcome = await authorizeInBrowser(stack.url, client, { parameters: { scope: requested } });
    expect(stack.oauth.lastRequestedScope()?.split(' ')).toEqual(['project:read', 'app:write']);
    const tokens = await tokenRequest(stack.url, client, {
      grant_type: 'authorization_code',
      code: outcome.callback!.searchParams.get('code')!,
      code_verifier: outcome.verifier,
      redirect_uri: REDIRECT_URI,
    });
    expect(tokens.status).toBe(200);
    expect(String(tokens.body.scope).split(' ')).toEqual(['project:read', 'app:write']);
    expect(tokens.body.id_token).toEqual(expect.any(String)); // openid, as listed
    expect(tokens.body.refresh_token).toEqual(expect.any(String)); // without offline_access being granted
  });
});
