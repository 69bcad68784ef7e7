// oidc-provider configured as an OAuth 2.1 authorization server for one resource: the MCP endpoint.
import type { Adapter, Configuration, JWK } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppConfig, Jwk } from '../../config.ts';
import { escapeHtml, page } from '../interactions/pages.ts';
import { supportedScopes } from '../scopes.ts';
import { type PendingStepUps, refuseRefreshAwaitingStepUp } from '../step-up.ts';
import { canonicalResource, sameResource } from './authorization-defaults.ts';
import { alwaysConfirmPolicy } from './interaction-policy.ts';
import { applicationTypeForRedirectUris, type ApplicationType, RedirectUriRejectedError } from './redirect-uri-policy.ts';

export const ROUTES = {
  authorization: '/authorize',
  token: '/token',
  registration: '/register',
  revocation: '/revoke',
  jwks: '/jwks',
} as const;

/** authorization code lifetime (OAuth 2.1: short) */
const CODE_TTL_SECONDS = 60;
/** the time a user may spend on our consent page and at mittwald */
export const INTERACTION_TTL_SECONDS = 600;

// An RFC 7591 field oidc-provider does not know: registering it is what makes the provider call
// our client metadata hook (extraClientMetadata.validator) for every client it loads.
const POLICY_HOOK_PROPERTY = 'software_id';

export interface ProviderConfigurationOptions {
  config: AppConfig;
  adapter: new (model: string) => Adapter;
  /** every outgoing request of oidc-provider: Client ID Metadata Documents (see client-metadata-fetch.ts) */
  clientMetadataFetch: typeof fetch;
  /** grants the resource just asked for more scopes: their next refresh is refused (see step-up.ts) */
  stepUps?: PendingStepUps;
}

export function buildProviderConfiguration({ config, adapter, clientMetadataFetch, stepUps }: ProviderConfigurationOptions): Configuration {
  const resource = config.mcpResource;
  const signingAlg = signingAlgorithm(config.keys.jwks.keys[0]);

  return {
    adapter,
    jwks: config.keys.jwks as { keys: JWK[] },
    cookies: { keys: config.keys.cookieKeys },
    fetch: clientMetadataFetch as Configuration['fetch'],
    routes: ROUTES,
    responseTypes: ['code'],
    scopes: supportedScopes(config.mittwald.scopes),
    claims: { openid: ['sub'] },
    clientAuthMethods: ['none', 'client_secret_post', 'client_secret_basic'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: signingAlg as 'ES256',
    },
    extraClientMetadata: {
      properties: [POLICY_HOOK_PROPERTY],
      validator(_ctx, key, _value, metadata) {
        if (key !== POLICY_HOOK_PROPERTY) return;
        applyClientPolicy(metadata as Record<string, unknown>);
      },
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens; anything else is answered 200 without effect (RFC 7009 §2.2).
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      // A DPoP-bound token is not a Bearer token; MCP clients send Bearer.
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      clientIdMetadataDocument: {
        enabled: config.registration.clientIdMetadataDocuments,
        ack: 'draft-02',
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (!sameResource(indicator, resource)) throw new errors.InvalidTarget(`this server only issues tokens for ${resource}`);
          return {
            scope: config.mittwald.scopes.upstream.join(' '),
            audience: resource,
            accessTokenFormat: 'opaque',
            accessTokenTTL: config.tokens.accessTokenTtl,
          };
        },
      },
    },
    // MCP clients rarely ask for offline_access (claude.ai never does): refresh tokens regardless.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates (the default spares confidential clients). The last check before that
    // is also where a refresh answering a step-up is refused.
    rotateRefreshToken: async (ctx) => {
      if (stepUps) await refuseRefreshAwaitingStepUp(ctx, stepUps);
      return true;
    },
    // The default ties tokens without offline_access to the browser session, which MCP clients never see.
    expiresWithSession: async () => false,
    // Browser clients (MCP Inspector) call /token and /revoke cross-origin; no cookies are involved there.
    clientBasedCORS: () => true,
    interactions: {
      policy: alwaysConfirmPolicy(),
      url: async (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    findAccount: async (ctx, sub) => {
      // The one hook both token grants call before they resolve `resource` (and the refresh grant
      // before it rotates): a request's `resource` is canonical from here on, as at /authorize.
      if (ctx.oidc.route === 'token') ctx.oidc.params!.resource = canonicalResource(ctx.oidc.params!.resource, resource);
      return { accountId: sub, claims: async () => ({ sub }) };
    },
    ttl: {
      AccessToken: config.tokens.accessTokenTtl,
      AuthorizationCode: CODE_TTL_SECONDS,
      Interaction: INTERACTION_TTL_SECONDS,
      Session: INTERACTION_TTL_SECONDS,
      Grant: config.tokens.refreshTokenTtl,
      RefreshToken: config.tokens.refreshTokenTtl,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'This sign-in cannot continue',
        `<p>${escapeHtml(String(out.error_description ?? out.error ?? 'error'))}</p>` +
          '<p>Please start the connection again from your app.</p>',
      );
    },
  };
}

/**
 * Our redirect-URI policy on every client (registered, updated or read from a metadata document),
 * applied before oidc-provider's own validation: refuses dangerous URIs and makes loopback and
 * private-use-scheme clients `native`. A client's `scope` is not kept: MCP SDK clients register
 * one scope and later ask for more (offline_access, step-up), which a stored `scope` would refuse.
 */
function applyClientPolicy(metadata: Record<string, unknown>): void {
  const uris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
  try {
    metadata.application_type = applicationTypeForRedirectUris(uris, metadata.application_type as ApplicationType);
  } catch (error) {
    // InvalidRedirectUri takes no description of its own: without this the client reads only "did not match"
    if (error instanceof RedirectUriRejectedError) throw Object.assign(new errors.InvalidRedirectUri(), { error_description: error.message });
    throw error;
  }
  delete metadata.scope;
}

function signingAlgorithm(key: Jwk | undefined): string {
  if (key?.alg) return key.alg;
  if (key?.kty === 'RSA') return 'RS256';
  if (key?.kty === 'OKP') return 'EdDSA';
  const curve = key?.crv;
  return curve === 'P-384' ? 'ES384' : curve === 'P-521' ? 'ES512' : 'ES256';
}
