// What an MCP client does against the façade: register, send the user through the browser flow,
// redeem the code, refresh, revoke. Each step returns the raw outcome so tests can assert on it.
import { TestBrowser } from './browser.ts';
import { pkcePair } from './oauth-test-app.ts';

/** the loopback redirect URI the test clients register (a native app's, RFC 8252) */
export const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  registration_access_token?: string;
  registration_client_uri?: string;
}

export async function registerClient(baseUrl: string, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function tokenRequest(
  baseUrl: string,
  client: RegisteredClient,
  parameters: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form: Record<string, string> = { client_id: client.client_id, ...parameters };
  if (client.token_endpoint_auth_method === 'client_secret_post') form.client_secret = client.client_secret!;
  const response = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function revokeToken(baseUrl: string, client: RegisteredClient, token: string): Promise<number> {
  const form: Record<string, string> = { client_id: client.client_id, token };
  if (client.token_endpoint_auth_method === 'client_secret_post') form.client_secret = client.client_secret!;
  const response = await fetch(`${baseUrl}/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return response.status;
}

export interface AuthorizationOutcome {
  /** where the browser was sent back to the client (code or error), when it got that far */
  callback?: URL;
  /** the last response when the flow stopped at our origin instead */
  stoppedAt?: { url: string; status: number; body: string };
  verifier: string;
  state: string;
}

export interface AuthorizeOptions {
  browser?: TestBrowser;
  parameters?: Record<string, string | undefined>;
  /** what the user clicks on our consent page */
  decision?: 'allow' | 'deny';
}

/**
 * An authorization request of `client` at `baseUrl` (code flow, PKCE S256, a fresh state): its URL,
 * the PKCE verifier and the state. `parameters` add to or replace the defaults; undefined removes one.
 */
export function authorizationRequest(baseUrl: string, client: RegisteredClient, parameters: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkcePair();
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0],
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: `st-${Math.random().toString(36).slice(2)}`,
    ...parameters,
  };
  const query = new URLSearchParams(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { url: `${baseUrl}/authorize?${query}`, redirectUri: String(all.redirect_uri), verifier, state: String(all.state) };
}

/** Drives the whole browser part: /authorize, consent, mittwald, callback, back to the client. */
export async function authorizeInBrowser(baseUrl: string, client: RegisteredClient, options: AuthorizeOptions = {}): Promise<AuthorizationOutcome> {
  const { url, redirectUri, verifier, state } = authorizationRequest(baseUrl, client, options.parameters);
  const outcome = await followBrowserFlow(url, redirectUri, { browser: options.browser ?? new TestBrowser(), decision: options.decision });
  return { ...outcome, verifier, state };
}

/**
 * What the user's browser does from an authorization URL: follows redirects, answers our consent
 * page, passes the (simulated) mittwald login, and stops at the client's redirect URI, or wherever
 * the flow ends at our origin instead.
 */
export async function followBrowserFlow(
  startUrl: string,
  redirectUri: string,
  options: { browser?: TestBrowser; decision?: 'allow' | 'deny' } = {},
): Promise<Pick<AuthorizationOutcome, 'callback' | 'stoppedAt'>> {
  const browser = options.browser ?? new TestBrowser();
  let url = startUrl;
  let form: Record<string, string> | undefined;
  for (let hop = 0; hop < 15; hop++) {
    const response = await browser.request(url, form ? { method: 'POST', form } : {});
    form = undefined;
    if (response.status === 200 && response.body.includes('name="csrf"')) {
      const csrf = /name="csrf" value="([^"]+)"/.exec(response.body)![1];
      url = new URL(/action="([^"]+)"/.exec(response.body)![1], url).href;
      form = { csrf, decision: options.decision ?? 'allow' };
      continue;
    }
    if (!response.location) return { stoppedAt: { url, status: response.status, body: response.body } };
    const next = new URL(response.location);
    if (next.href.startsWith(redirectUri)) return { callback: next };
    url = next.href;
  }
  throw new Error('authorization did not finish within 15 hops');
}
