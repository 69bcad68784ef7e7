// What MCP clients see before any user is involved: metadata, registration, client id documents.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MemoryStore } from '../../src/store/index.ts';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { startOAuthTestDeployment, type OAuthTestApp, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { authorizationRequest, authorizeInBrowser, registerClient, tokenRequest, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';

const CIMD_CLIENT_ID = 'https://client.example.test/oauth/client-metadata.json';
const cimdDocuments = new Map<string, unknown>();
// Stands in for the internet: oidc-provider fetches client id metadata documents through this.
const clientMetadataFetch = (async (input: string | URL | Request) => {
  const document = cimdDocuments.get(String(input));
  return document === undefined ? new Response('not found', { status: 404 }) : Response.json(document, { headers: { 'cache-control': 'max-age=60' } });
}) as typeof fetch;

let deployment: OAuthTestDeployment;
let app: OAuthTestApp;
let store: MemoryStore;

beforeAll(async () => {
  deployment = await startOAuthTestDeployment({ clientMetadataFetch });
  ({ app, store } = deployment);
});

afterAll(() => deployment.close());

const clients = () => store.countKeys('oauth:Client:');

describe('discovery', () => {
  it.each(['oauth-authorization-server', 'openid-configuration'])('serves /.well-known/%s for this issuer', async (name) => {
    const response = await fetch(`${app.url}/.well-known/${name}`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    const issuer = app.config.publicUrl;
    expect(metadata.issuer).toBe(issuer);
    expect(metadata).toMatchObject({
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      revocation_endpoint: `${issuer}/revoke`,
      jwks_uri: `${issuer}/jwks`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_post', 'client_secret_basic']));
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    const { upstream, oidc } = app.config.mittwald.scopes;
    expect([...(metadata.scopes_supported as string[])].sort()).toEqual([...new Set([...upstream, ...oidc])].sort());
  });

  it('lets browser clients read it cross-origin', async () => {
    const response = await fetch(`${app.url}/.well-known/oauth-authorization-server`, { headers: { origin: 'http://localhost:6274' } });
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
  });
});

describe('dynamic client registration', () => {
  it('registers the body claude.ai sends, with a secret for client_secret_post', async () => {
    const { status, body } = await registerClient(app.url, {
      client_name: 'Claude',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(status).toBe(201);
    expect(body.client_secret).toBeTruthy();
    expect(body.registration_access_token).toBeTruthy();
    // RFC 7592: the client can read its registration back
    const read = await fetch(String(body.registration_client_uri), { headers: { authorization: `Bearer ${body.registration_access_token}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_name: string }).client_name).toBe('Claude');
  });

  it('accepts VS Code loopback redirects and then any loopback port (RFC 8252)', async () => {
    const { status, body } = await registerClient(app.url, {
      client_name: 'Visual Studio Code',
      redirect_uris: ['https://vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'],
      token_endpoint_auth_method: 'none',
    });
    expect(status).toBe(201);
    expect(body.application_type).toBe('native');
    const client = { ...(body as unknown as RegisteredClient), redirect_uris: ['http://127.0.0.1:59656/'] };
    const outcome = await authorizeInBrowser(app.url, client);
    expect(outcome.callback!.searchParams.get('code')).toBeTruthy();
  });

  it.each([
    'cursor://anysphere.cursor-retrieval/oauth/callback',
    'vscode://vscode.github-authentication/did-authenticate',
    'claude://oauth/callback',
    // RFC 8252 §7.1: a scheme in reverse-domain form, of a domain the app's publisher holds
    'com.example.app:/oauth2redirect',
    'net.example.desktop://callback',
  ])(
    'accepts the desktop client scheme %s as a native client',
    async (uri) => {
      const { status, body } = await registerClient(app.url, { client_name: 'Desktop', redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(status).toBe(201);
      expect(body.application_type).toBe('native');
    },
  );

  it.each([
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'https://app.example.test/cb#fragment',
    'https://user:pass@app.example.test/cb',
    'http://app.example.test/cb',
    // schemes of the browser or the operating system: they open something, not the client
    'chrome://settings',
    'mailto:victim@example.test',
    'view-source:https://app.example.test/cb',
    'tel:+4915112345678',
    'ms-settings:privacy',
    'about:blank',
    'blob:https://app.example.test/0d6c6a9e',
    'ws://127.0.0.1:8080/cb',
    'ftp://app.example.test/cb',
    'vbscript:msgbox',
  ])('refuses the redirect URI %s with invalid_redirect_uri and stores nothing', async (uri) => {
    const before = await clients();
    const { status, body } = await registerClient(app.url, { client_name: 'Bad', redirect_uris: [uri], token_endpoint_auth_method: 'none' });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_redirect_uri');
    expect(await clients()).toBe(before);
  });

  it('names the rule when it refuses a scheme', async () => {
    const { status, body } = await registerClient(app.url, { client_name: 'Bad', redirect_uris: ['chrome://settings'], token_endpoint_auth_method: 'none' });
    expect(status).toBe(400);
    expect(body.error_description).toContain('https, http on loopback');
    expect(body.error_description).toContain('reverse-domain form');
    expect(body.error_description).toContain('chrome:');
  });

  it.each([
    ['ChatGPT', 'https://chatgpt.com/connector_platform_oauth_redirect'],
    ['MCP Inspector', 'http://localhost:6274/oauth/callback'],
    ['mcp-remote', 'http://localhost:3334/oauth/callback'],
    ['Claude Code', 'http://localhost:53682/callback'],
    ['an IPv6 loopback client', 'http://[::1]:8080/callback'],
  ])('registers %s with its redirect URI', async (name, uri) => {
    const { status } = await registerClient(app.url, { client_name: name, redirect_uris: [uri], token_endpoint_auth_method: 'none' });
    expect(status).toBe(201);
  });

  it('does not let a registered scope block later requests for more (SDK clients register one scope)', async () => {
    const { status, body } = await registerClient(app.url, {
      client_name: 'mcp-remote',
      redirect_uris: ['http://localhost:3334/oauth/callback'],
      token_endpoint_auth_method: 'none',
      scope: 'project:read',
    });
    expect(status).toBe(201);
    const outcome = await authorizeInBrowser(app.url, body as unknown as RegisteredClient, { parameters: { scope: 'project:read app:read offline_access' } });
    expect(outcome.callback!.searchParams.get('error')).toBeNull();
    expect(outcome.callback!.searchParams.get('code')).toBeTruthy();
  });

  it('answers CORS preflights for browser clients on /register and /token', async () => {
    for (const path of ['/register', '/token']) {
      const response = await fetch(`${app.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
    }
  });

  it('limits registrations per address and hour', async () => {
    const limited = await startOAuthTestDeployment({ env: { DCR_RATE_LIMIT_PER_HOUR: '3' } });
    try {
      const body = { client_name: 'Flood', redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'none' };
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await registerClient(limited.app.url, body)).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      expect(await limited.store.countKeys('oauth:Client:')).toBe(3);
    } finally {
      await limited.close();
    }
  });
});

describe('client id metadata documents', () => {
  beforeAll(() => {
    cimdDocuments.set(CIMD_CLIENT_ID, {
      client_id: CIMD_CLIENT_ID,
      client_name: 'Metadata Client',
      redirect_uris: ['https://client.example.test/callback'],
      token_endpoint_auth_method: 'none',
    });
  });

  it('lets a client identified by its metadata URL log in without registering', async () => {
    const client: RegisteredClient = { client_id: CIMD_CLIENT_ID, redirect_uris: ['https://client.example.test/callback'], token_endpoint_auth_method: 'none' };
    const browser = new TestBrowser();
    const outcome = await authorizeInBrowser(app.url, client, { browser });
    const code = outcome.callback!.searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await tokenRequest(app.url, client, { grant_type: 'authorization_code', code: code!, code_verifier: outcome.verifier, redirect_uri: client.redirect_uris[0] });
    expect(tokens.status).toBe(200);
    expect((await app.facade.verifier.verify(String(tokens.body.access_token)))?.clientId).toBe(CIMD_CLIENT_ID);
  });

  it('shows the name from the document without direction overrides, cut to 80 characters', async () => {
    const id = 'https://client.example.test/oauth/bidi.json';
    const redirectUri = 'https://client.example.test/callback';
    cimdDocuments.set(id, { client_id: id, client_name: `Trusted\u202Eppa.live\u202C ${'y'.repeat(120)}`, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' });
    const browser = new TestBrowser();
    const { url } = authorizationRequest(app.url, { client_id: id, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' });
    const consent = await browser.request((await browser.request(url)).location!);
    const shown = /<strong>([^<]*)<\/strong> wants/.exec(consent.body)?.[1];
    expect(shown).toBe(`Trustedppa.live ${'y'.repeat(63)}…`);
    expect(consent.body).not.toContain('\u202E');
  });

  it('refuses a document whose client_id is not its own URL', async () => {
    const id = 'https://client.example.test/oauth/liar.json';
    cimdDocuments.set(id, { client_id: 'https://someone-else.example/x.json', redirect_uris: ['https://client.example.test/callback'], token_endpoint_auth_method: 'none' });
    const outcome = await authorizeInBrowser(app.url, { client_id: id, redirect_uris: ['https://client.example.test/callback'], token_endpoint_auth_method: 'none' });
    expect(outcome.callback).toBeUndefined();
    expect(outcome.stoppedAt!.status).toBe(400);
  });

  it('refuses a document listing a redirect URI of a browser or system scheme', async () => {
    const id = 'https://client.example.test/oauth/chrome.json';
    cimdDocuments.set(id, { client_id: id, client_name: 'Chrome Opener', redirect_uris: ['chrome://settings'], token_endpoint_auth_method: 'none' });
    const outcome = await authorizeInBrowser(app.url, { client_id: id, redirect_uris: ['chrome://settings'], token_endpoint_auth_method: 'none' });
    expect(outcome.callback).toBeUndefined();
    expect(outcome.stoppedAt!.status).toBe(400);
    expect(outcome.stoppedAt!.body).toContain('reverse-domain form');
  });

  it('refuses a redirect URI that the document does not list', async () => {
    const outcome = await authorizeInBrowser(app.url, { client_id: CIMD_CLIENT_ID, redirect_uris: ['https://evil.example/callback'], token_endpoint_auth_method: 'none' });
    expect(outcome.callback).toBeUndefined();
    expect(outcome.stoppedAt!.body).toContain('redirect_uri');
  });
});
