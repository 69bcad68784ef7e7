// A real MCP client (the SDK's Client + Streamable HTTP transport with its OAuth support), whose
// "browser" is TestBrowser: it follows our consent page and the mittwald simulator's login.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { followBrowserFlow, REDIRECT_URI } from './mittwald-oauth/oauth-client.ts';


export class BrowserDrivenOAuthProvider implements OAuthClientProvider {
  clientInfo?: OAuthClientInformationMixed;
  savedTokens?: OAuthTokens;
  authorizationUrl?: URL;
  #verifier = '';
  readonly #metadata: OAuthClientMetadata;

  constructor(options: { scope?: string; clientName?: string } = {}) {
    this.#metadata = {
      client_name: options.clientName ?? 'e2e SDK client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...(options.scope ? { scope: options.scope } : {}),
    };
  }

  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return this.#metadata;
  }
  clientInformation() {
    return this.clientInfo;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.clientInfo = info;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.savedTokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
  // the SDK v2 client binds credentials to the issuer it discovered (the v1 client never asks)
  #discovery?: unknown;
  saveDiscoveryState(state: unknown) {
    this.#discovery = state;
  }
  discoveryState() {
    return this.#discovery as never;
  }
}

/** Follows the browser part from the client's authorization URL to the code at its redirect URI. */
export async function loginInBrowser(authorizationUrl: URL): Promise<string> {
  const { callback, stoppedAt } = await followBrowserFlow(authorizationUrl.href, REDIRECT_URI);
  const code = callback?.searchParams.get('code');
  if (!code) {
    throw new Error(`login failed: ${callback?.search ?? `${stoppedAt?.status} ${stoppedAt?.body.slice(0, 300)}`}`);
  }
  return code;
}

/** Connects the way an MCP host does: 401 → discovery → DCR → browser login → token → connect. */
export async function connectWithOAuth(mcpUrl: string, provider = new BrowserDrivenOAuthProvider()): Promise<{
  client: Client;
  provider: BrowserDrivenOAuthProvider;
}> {
  const attempt = async () => {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
    return client;
  };
  try {
    return { client: await attempt(), provider };
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !provider.authorizationUrl) throw error;
  }
  const code = await loginInBrowser(provider.authorizationUrl);
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await transport.finishAuth(code);
  return { client: await attempt(), provider };
}

/**
 * An SDK client that can be asked (elicitation), signed in through the whole flow: the questions
 * it was asked, and `answers.next` as what the user answers the next one.
 */
export async function connectAskableClient(mcpUrl: string): Promise<{
  client: Client;
  provider: BrowserDrivenOAuthProvider;
  questions: string[];
  answers: { next: ElicitResult };
}> {
  const provider = new BrowserDrivenOAuthProvider();
  const questions: string[] = [];
  const answers: { next: ElicitResult } = { next: { action: 'decline' } };
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    questions.push(request.params.message);
    return answers.next;
  });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await client.connect(transport).catch((error: unknown) => {
    if (!(error instanceof UnauthorizedError)) throw error;
  });
  await transport.finishAuth(await loginInBrowser(provider.authorizationUrl!));
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  return { client, provider, questions, answers };
}
