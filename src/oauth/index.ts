// The OAuth 2.1 authorization server façade, composed: oidc-provider (clients, codes, our tokens)
// over our store, our consent page and mittwald login in between, mittwald's tokens in a vault.
//
// Mount order (see src/app.ts): `routes` first, then everything else of the app, `providerHandler`
// LAST at the root (Koa answers 404 itself for paths it does not know).
import type { RequestHandler, Router } from 'express';
import express from 'express';
import Provider from 'oidc-provider';
import type { AppConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { KeyValueStore } from '../store/index.ts';
import type { AccessTokenVerifier, StepUpRequests } from './access.ts';
import { createClientMetadataFetch } from './client-metadata/client-metadata-fetch.ts';
import { createAuthorizationGuards } from './http/authorization-guards.ts';
import { createEndpointGuards } from './http/endpoint-guards.ts';
import { scriptHashesAlone } from './http/page-policy.ts';
import { createPendingAuthorizations } from './http/pending-authorizations.ts';
import { createConsentCsrf } from './interactions/csrf.ts';
import { createPendingLogins } from './interactions/pending-logins.ts';
import { createInteractionRoutes } from './interactions/routes.ts';
import type { MittwaldOAuthClient } from './mittwald/client.ts';
import { defaultClientWarning } from './mittwald/default-client.ts';
import { createMittwaldHttpClient } from './mittwald/http-client.ts';
import { createTokenVault } from './mittwald/token-vault.ts';
import { createUpstreamSessions } from './mittwald/upstream-session.ts';
import { observeProvider, registerStoreGauges } from './oauth-metrics.ts';
import { authorizationRequestDefaults } from './provider/authorization-defaults.ts';
import { pinPublicOrigin } from './provider/public-origin.ts';
import { retryAfterWhenUnavailable } from './provider/retry-after.ts';
import { buildProviderConfiguration, INTERACTION_TTL_SECONDS, ROUTES } from './provider/configuration.ts';
import { createStoreAdapter } from './provider/store-adapter.ts';
import { spendOnDelivery } from './provider/token-redemption.ts';
import { createPendingStepUps } from './step-up.ts';
import { createAccessTokenVerifier } from './verifier.ts';

export type { AccessTokenVerifier, StepUpRequests, VerifiedAccess } from './access.ts';
export { UpstreamSessionEndedError } from './access.ts';
export { MittwaldRejectedError, MittwaldUnavailableError, TokenRecordUnreadableError } from './errors.ts';
export type { MittwaldOAuthClient, MittwaldTokenSet } from './mittwald/client.ts';
export { createMittwaldHttpClient } from './mittwald/http-client.ts';

export interface OAuthFacadeDeps {
  config: AppConfig;
  store: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
  /** default: the HTTP client for config.mittwald */
  mittwald?: MittwaldOAuthClient;
  /** epoch milliseconds; default Date.now */
  now?: () => number;
  /** outgoing fetch for Client ID Metadata Documents; default: one that connects to public addresses only */
  clientMetadataFetch?: typeof fetch;
  /** a grant's tokens were revoked (or the grant ended): what the resource holds for it ends before the answer */
  grantTokensRevoked?: (grantId: string) => Promise<void>;
}

export interface OAuthFacade {
  /** our routes (interaction pages, mittwald callback, CORS, registration limit): mount BEFORE everything else */
  routes: Router;
  provider: Provider;
  /** oidc-provider itself: mount LAST, at the root */
  providerHandler: RequestHandler;
  verifier: AccessTokenVerifier;
  /** for the resource: which grant it just asked for more scopes */
  stepUps: StepUpRequests;
  /** what the operator should know about this configuration (logged at start, shown on /readyz) */
  warnings: string[];
  close(): Promise<void>;
}

export function createOAuthFacade(deps: OAuthFacadeDeps): OAuthFacade {
  const { config, store, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const mittwald = deps.mittwald ?? createMittwaldHttpClient(config.mittwald);
  const warnings = [defaultClientWarning(config.mittwald)].filter((warning) => warning !== undefined);
  for (const warning of warnings) logger.warn(warning);

  const vault = createTokenVault({ store, keys: config.keys.tokenEncryptionKeys, ttlSeconds: config.tokens.refreshTokenTtl });
  const adapters = createStoreAdapter({ store, now, refreshGraceSeconds: config.tokens.refreshGraceSeconds, grantEnded: vault.delete, grantTokensRevoked: deps.grantTokensRevoked });
  const stepUps = createPendingStepUps(store);
  const provider = new Provider(
    config.publicUrl,
    buildProviderConfiguration({
      config,
      adapter: adapters.Adapter,
      clientMetadataFetch: deps.clientMetadataFetch ?? createClientMetadataFetch({ now }),
      stepUps,
    }),
  );
  // Endpoint URLs come from PUBLIC_URL, never from the request; client addresses from Express's
  // `trust proxy` (Koa's own proxy switch would trust X-Forwarded-For from anyone).
  pinPublicOrigin(provider, config.publicUrl);
  provider.use(retryAfterWhenUnavailable);
  provider.use(scriptHashesAlone);
  provider.use(
    authorizationRequestDefaults({ authorizationPath: ROUTES.authorization, mcpResource: config.mcpResource, scopes: config.mittwald.scopes }),
  );
  provider.use(spendOnDelivery(ROUTES.token, adapters));

  // Revocation, refresh-token reuse and code replay end a grant inside oidc-provider: drop mittwald's tokens too.
  provider.on('grant.revoked', (_ctx, grantId: string) => {
    vault.delete(grantId).catch((error) => logger.error('could not delete the mittwald tokens of a revoked grant', { grantId, error }));
  });
  observeProvider(provider, metrics, logger);
  registerStoreGauges(metrics, store);

  const sessions = createUpstreamSessions({
    store,
    vault,
    mittwald,
    metrics,
    logger,
    now,
    httpTimeoutMs: config.mittwald.httpTimeoutMs,
    endGrant: adapters.endGrant,
  });

  const routes = express.Router();
  routes.use(createEndpointGuards({ registrationsPerHour: config.registration.rateLimitPerHour, metrics }));
  const pendingAuthorizations = createPendingAuthorizations({ store, max: config.authorization.maxPending, lifetimeSeconds: INTERACTION_TTL_SECONDS, now });
  // counted once stored: a request oidc-provider refuses leaves no trace
  provider.on('interaction.started', () => {
    pendingAuthorizations.count().catch((error) => logger.warn('could not count a pending authorization', { error: (error as Error).message }));
  });
  routes.use(
    createAuthorizationGuards({
      perAddressPerMinute: config.authorization.ratePerAddressPerMinute,
      pending: pendingAuthorizations,
      signInPaths: ['/interaction', new URL(config.mittwald.redirectUri).pathname],
      metrics,
    }),
  );
  routes.use(
    createInteractionRoutes({
      provider,
      config,
      mittwald,
      vault,
      pendingLogins: createPendingLogins(store, INTERACTION_TTL_SECONDS),
      csrf: createConsentCsrf(config.keys.cookieKeys),
      logger,
      now,
    }),
  );

  return {
    routes,
    provider,
    providerHandler: provider.callback(),
    verifier: createAccessTokenVerifier({ provider, mcpResource: config.mcpResource, sessions }),
    stepUps,
    warnings,
    async close() {
      provider.removeAllListeners();
    },
  };
}
