// An MCP client's OAuth, without a browser: register once, then authorize → consent → mittwald
// login (simulator) → callback → code → token, and the refresh grant. Builds on the test suite's
// client and cookie-keeping browser, so bench and tests drive the flow the same way.
import { authorizeInBrowser, registerClient, tokenRequest, type RegisteredClient } from '../test/support/mittwald-oauth/oauth-client.ts';

export type { RegisteredClient };

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
}

export async function registerPublicClient(baseUrl: string): Promise<RegisteredClient> {
  const { status, body } = await registerClient(baseUrl, {
    client_name: 'Benchmark Client',
    redirect_uris: ['http://127.0.0.1:33418/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  if (status !== 201) throw new Error(`client registration answered ${status}: ${JSON.stringify(body)}`);
  return body as unknown as RegisteredClient;
}

/** One whole authorization for whoever the mittwald simulator logs in next. */
export async function authorizeAndRedeem(baseUrl: string, client: RegisteredClient, options: { scopes: string[]; resource: string }): Promise<TokenSet> {
  const outcome = await authorizeInBrowser(baseUrl, client, {
    parameters: { scope: options.scopes.join(' '), resource: options.resource },
  });
  const code = outcome.callback?.searchParams.get('code');
  if (!code) {
    const where = outcome.stoppedAt ? `stopped at ${outcome.stoppedAt.url} (${outcome.stoppedAt.status}): ${outcome.stoppedAt.body.slice(0, 300)}` : String(outcome.callback);
    throw new Error(`authorization did not return a code: ${where}`);
  }
  return redeem(baseUrl, client, {
    grant_type: 'authorization_code',
    code,
    code_verifier: outcome.verifier,
    redirect_uri: client.redirect_uris[0],
  });
}

export function refresh(baseUrl: string, client: RegisteredClient, refreshToken: string): Promise<TokenSet> {
  return redeem(baseUrl, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function redeem(baseUrl: string, client: RegisteredClient, parameters: Record<string, string>): Promise<TokenSet> {
  const { status, body } = await tokenRequest(baseUrl, client, parameters);
  if (status !== 200 || typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new Error(`token request (${parameters.grant_type}) answered ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}
