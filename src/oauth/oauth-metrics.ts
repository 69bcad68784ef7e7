// Façade metrics: counters fed by oidc-provider's events, gauges counted in the store at scrape time.
import type { Provider } from 'oidc-provider';
import type { Logger } from '../observability/logger.ts';
import { cachedGauge, type Metrics } from '../observability/metrics.ts';
import type { KeyValueStore } from '../store/index.ts';
import { OAUTH_PREFIX, storeKeys } from './store-keys.ts';

const KNOWN_GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);

interface OidcErrorLike {
  error?: unknown;
  status?: unknown;
}

// OAuth error codes are a small fixed vocabulary; anything else is lumped so labels stay bounded.
const errorLabel = (error: unknown) => {
  const code = (error as OidcErrorLike | undefined)?.error;
  return typeof code === 'string' && /^[a-z_]{3,40}$/.test(code) ? code : 'error';
};

export function observeProvider(provider: Provider, metrics: Metrics, logger: Logger): void {
  const grantType = (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => {
    const value = ctx.oidc?.params?.grant_type;
    return typeof value === 'string' && KNOWN_GRANT_TYPES.has(value) ? value : 'other';
  };
  provider.on('authorization.success', () => metrics.authorizationRequests.inc({ status: 'success' }));
  provider.on('authorization.error', (_ctx, error) => metrics.authorizationRequests.inc({ status: errorLabel(error) }));
  provider.on('grant.success', (ctx) => metrics.tokenRequests.inc({ grant_type: grantType(ctx), status: 'success' }));
  provider.on('grant.error', (ctx, error) => metrics.tokenRequests.inc({ grant_type: grantType(ctx), status: errorLabel(error) }));
  provider.on('registration_create.success', () => metrics.registrations.inc({ status: 'success' }));
  provider.on('registration_create.error', (_ctx, error) => metrics.registrations.inc({ status: errorLabel(error) }));
  provider.on('server_error', (_ctx, error) => logger.error('authorization server error', { error }));
}

export function registerStoreGauges(metrics: Metrics, store: KeyValueStore): void {
  const gauge = (name: string, help: string, prefix: string) =>
    cachedGauge(metrics, { name, help, read: () => store.countKeys(prefix) });
  gauge('oauth_pending_authorizations', 'Authorization requests waiting for the user (consent or mittwald login)', storeKeys.modelPrefix('Interaction'));
  gauge('oauth_pending_grants', 'Live grants (one per authorized client and user)', storeKeys.modelPrefix('Grant'));
  gauge('oauth_registered_clients', 'Dynamically registered clients', storeKeys.modelPrefix('Client'));
  gauge('oauth_state_store_size', 'Keys the authorization server holds in the store', OAUTH_PREFIX);
}
