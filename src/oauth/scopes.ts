// What scopes mean here: mittwald's scope names are our scopes. Pure functions over the catalogue.
import type { ScopeCatalogue } from '../config.ts';

export function parseScope(scope: unknown): string[] {
  return typeof scope === 'string' ? [...new Set(scope.split(' ').filter(Boolean))] : [];
}

/** Every scope a client may name (discovery's scopes_supported, DCR's allowed `scope`). */
export function supportedScopes(catalogue: ScopeCatalogue): string[] {
  return [...new Set([...catalogue.upstream, ...catalogue.oidc])];
}

/**
 * The scope an authorization request really asks for: a request naming no mittwald scope (no
 * scope at all, or only `openid`/`offline_access`) gets the default mittwald scopes added, since
 * a token without any would be useless (and oidc-provider refuses to grant nothing).
 */
export function withDefaultScopes(requested: string[], catalogue: ScopeCatalogue): string[] {
  if (requested.some((scope) => catalogue.upstream.includes(scope))) return requested;
  return [...new Set([...requested, ...catalogue.defaults])];
}

/** The part of a request that is forwarded to mittwald (never the oidc ones). */
export function upstreamScopesOf(requested: string[], catalogue: ScopeCatalogue): string[] {
  return requested.filter((scope) => catalogue.upstream.includes(scope));
}

/** mittwald may grant less than asked: when its token response names scopes, only those count. */
export function grantedUpstreamScopes(requestedUpstream: string[], grantedByMittwald: string[] | undefined): string[] {
  if (!grantedByMittwald) return requestedUpstream;
  return requestedUpstream.filter((scope) => grantedByMittwald.includes(scope));
}
