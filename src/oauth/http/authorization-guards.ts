// Express guards in front of the authorization endpoint and the sign-in pages that follow it, so
// what unauthenticated parties can make the server hold is bounded. In request order:
//   1. per client address: authorization requests per minute (429); the sign-in pages get a multiple
//   2. per parameter: a length cap, before oidc-provider copies the parameters into an interaction (400)
//   3. overall: authorizations pending at once (503), refused before anything is stored
// Refusals are pages for the browser (or JSON for a client that asks for it): the redirect_uri is
// not trusted yet, so nothing is sent back to the client.
import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.ts';
import { StoreUnavailableError } from '../../store/index.ts';
import { sendErrorPage } from '../interactions/pages.ts';
import { ROUTES } from '../provider/configuration.ts';
import { RETRY_AFTER_SECONDS } from '../provider/retry-after.ts';
import { perAddressRateLimit } from './endpoint-guards.ts';
import type { PendingAuthorizations } from './pending-authorizations.ts';

/** the longest value of any parameter, in characters; URLs and the client's state get more room */
const PARAMETER_MAX_LENGTH = 1024;
const LONGER_PARAMETERS: Record<string, number> = { client_id: 2048, redirect_uri: 2048, resource: 2048, state: 2048 };
/** a sign-in visits about four pages at our origin (consent, confirm, mittwald's callback, resume) */
const SIGN_IN_PAGES_PER_AUTHORIZATION = 5;

export interface AuthorizationGuardOptions {
  /** authorization requests per client address and minute */
  perAddressPerMinute: number;
  pending: PendingAuthorizations;
  /** the pages of a sign-in in progress (consent, mittwald's callback) */
  signInPaths: string[];
  metrics: Metrics;
}

export function createAuthorizationGuards(options: AuthorizationGuardOptions): Router {
  const { perAddressPerMinute, pending, metrics } = options;
  const refused = (status: string) => metrics.authorizationRequests.inc({ status });
  const router = Router();
  router.get(
    ROUTES.authorization,
    perAddressLimit(perAddressPerMinute, () => refused('rate_limited')),
    refuseLongParameters(() => refused('parameter_too_long')),
    (req, res, next) => {
      pending.isFull().then(
        (full) => {
          if (!full) return next();
          refused('too_many_pending');
          res.set('Retry-After', String(RETRY_AFTER_SECONDS));
          refuse(req, res, 503, 'temporarily_unavailable', 'Too many sign-ins are in progress right now.');
        },
        (error: unknown) => {
          if (!(error instanceof StoreUnavailableError)) return next(error);
          res.set('Retry-After', String(RETRY_AFTER_SECONDS));
          refuse(req, res, 503, 'temporarily_unavailable', 'The sign-in service is briefly unavailable.');
        },
      );
    },
  );
  router.use([`${ROUTES.authorization}/:uid`, ...options.signInPaths], perAddressLimit(perAddressPerMinute * SIGN_IN_PAGES_PER_AUTHORIZATION));
  return router;
}

function perAddressLimit(perMinute: number, onRefused?: () => void): RequestHandler {
  return perAddressRateLimit(60_000, perMinute, (req, res) => {
    onRefused?.();
    refuse(req, res, 429, 'too_many_requests', 'Too many sign-in requests came from this address.');
  });
}

function refuseLongParameters(onRefused: () => void): RequestHandler {
  return (req, res, next) => {
    const query = req.originalUrl.indexOf('?');
    for (const [name, value] of new URLSearchParams(query < 0 ? '' : req.originalUrl.slice(query + 1))) {
      const maxLength = LONGER_PARAMETERS[name] ?? PARAMETER_MAX_LENGTH;
      if (value.length <= maxLength) continue;
      onRefused();
      refuse(req, res, 400, 'invalid_request', `The parameter ${name.slice(0, 64)} is longer than ${maxLength} characters.`);
      return;
    }
    next();
  };
}

function refuse(req: Request, res: Response, status: number, error: string, description: string): void {
  if (req.accepts(['html', 'json']) === 'json') {
    res.status(status).set('cache-control', 'no-store').json({ error, error_description: description });
    return;
  }
  sendErrorPage(res, status, status === 400 ? 'This sign-in request is not valid' : 'Please try again in a moment', description);
}
