// The auth guard in front of /mcp: a bearer token in the Authorization header, ours and issued for
// this resource (or, when the operator allows it, a mittwald API token). Anything else is a 401
// challenge on every method, so clients start (or restart) the OAuth flow.
import type { RequestHandler, Response } from 'express';
import type { AppConfig } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { AccessTokenVerifier, VerifiedAccess } from '../../oauth/access.ts';
import { sendTemporarilyUnavailable, sendTooManyRequests, sendUnauthorized } from './challenges.ts';
import { createDirectTokenCheck, DirectTokenChecksLimitedError, MittwaldUnreachableError } from '../../oauth/direct-api-token.ts';

const QUERY_TOKEN_PARAMETERS = ['access_token', 'token', 'bearer'];

export function accessOf(res: Response): VerifiedAccess {
  return res.locals.access as VerifiedAccess;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+([\x21-\x7e]+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function createBearerAuth(deps: {
  config: AppConfig;
  verifier: AccessTokenVerifier;
  logger: Logger;
  fetch?: typeof fetch;
}): RequestHandler {
  const { config, verifier, logger } = deps;
  const verifyDirectToken = config.directApiTokens ? createDirectTokenCheck(config, deps.fetch) : undefined;

  return async (req, res, next) => {
    const query = new URL(req.originalUrl, 'http://x').searchParams;
    if (QUERY_TOKEN_PARAMETERS.some((name) => query.has(name))) return sendUnauthorized(res, config, 'token_in_query');
    const header = req.headers.authorization;
    if (!header) return sendUnauthorized(res, config, 'missing_token');
    const token = bearerToken(header);
    if (!token) return sendUnauthorized(res, config, 'invalid_token');
    try {
      const access = (await verifier.verify(token)) ?? (await verifyDirectToken?.(token, req.ip ?? 'unknown'));
      if (!access) return sendUnauthorized(res, config, 'invalid_token');
      res.locals.access = access;
      next();
    } catch (error) {
      if (error instanceof MittwaldUnreachableError) return sendTemporarilyUnavailable(res, error.message);
      if (error instanceof DirectTokenChecksLimitedError) return sendTooManyRequests(res, error.retryAfterSeconds, error.message);
      logger.error('token verification failed', { error });
      sendTemporarilyUnavailable(res, 'token verification is unavailable');
    }
  };
}
