// RFC 6750 / RFC 9728 challenges. Clients find our authorization server through resource_metadata
// and ask for exactly the scopes named in `scope`, so both are always present.
import type { Response } from 'express';
import type { AppConfig } from '../../config.ts';

/** The path of the protected resource a request was sent to: /mcp, or a toolset URL beneath it (surface-route.ts). */
export function setResourcePath(res: Response, path: string): void {
  res.locals.resourcePath = path;
}

export function resourceMetadataUrl(config: AppConfig, res?: Response): string {
  const path = (res?.locals.resourcePath as string | undefined) ?? '/mcp';
  return `${config.publicUrl}/.well-known/oauth-protected-resource${path}`;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

function challenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${quoted(value!)}`);
  return `Bearer ${parts.join(', ')}`;
}

export type UnauthorizedReason = 'missing_token' | 'invalid_token' | 'token_in_query';

const DESCRIPTIONS: Record<UnauthorizedReason, string | undefined> = {
  missing_token: undefined,
  invalid_token: 'the access token is invalid, expired or not issued for this resource',
  token_in_query: 'access tokens are accepted in the Authorization header only',
};

/** 401: no token (no error attribute, RFC 6750 §3.1), a bad one, or one in the query string. */
export function sendUnauthorized(res: Response, config: AppConfig, reason: UnauthorizedReason): void {
  const error = reason === 'missing_token' ? undefined : reason === 'token_in_query' ? 'invalid_request' : 'invalid_token';
  res
    .status(401)
    .set(
      'WWW-Authenticate',
      challenge({
        error,
        error_description: DESCRIPTIONS[reason],
        resource_metadata: resourceMetadataUrl(config, res),
        scope: config.mittwald.scopes.defaults.join(' '),
      }),
    )
    .json({ error: error ?? 'unauthorized', error_description: DESCRIPTIONS[reason] ?? 'authorization required' });
}

/** 403 step-up: names every scope the client should hold afterwards, so it does not lose any. */
export function sendInsufficientScope(res: Response, config: AppConfig, scopes: string[], description: string): void {
  res
    .status(403)
    .set(
      'WWW-Authenticate',
      challenge({
        error: 'insufficient_scope',
        scope: scopes.join(' '),
        resource_metadata: resourceMetadataUrl(config, res),
        error_description: description,
      }),
    )
    .json({ error: 'insufficient_scope', error_description: description, scope: scopes.join(' ') });
}

/** How long a 503 during an outage (store, mittwald) tells the client to wait. */
export const RETRY_AFTER_SECONDS = 5;

/** 503 before the JSON-RPC layer: the token may be fine, we just cannot check it right now. */
export function sendTemporarilyUnavailable(res: Response, description: string): void {
  res
    .status(503)
    .set('Retry-After', String(RETRY_AFTER_SECONDS))
    .json({ error: 'temporarily_unavailable', error_description: description });
}

/** 429: this client (or everyone) asked too much of something costly; nothing was done. */
export function sendTooManyRequests(res: Response, retryAfterSeconds: number, description: string): void {
  res.status(429).set('Retry-After', String(retryAfterSeconds)).json({ error: 'too_many_requests', error_description: description });
}
