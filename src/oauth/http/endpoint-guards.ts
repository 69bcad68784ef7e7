// Express middleware in front of oidc-provider's endpoints: CORS for browser-based clients (MCP
// Inspector) and a per-IP limit on open client registration.
import cors from 'cors';
import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Metrics } from '../../observability/metrics.ts';
import { ROUTES } from '../provider/configuration.ts';

const DISCOVERY_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', ROUTES.jwks];

export function createEndpointGuards(options: { registrationsPerHour: number; metrics: Metrics }): Router {
  const router = Router();
  // These endpoints use no cookies: any origin may call them (credentials stay off).
  const openCors = cors({ origin: '*', maxAge: 600, exposedHeaders: ['WWW-Authenticate'] });
  const registrationPaths = [ROUTES.registration, `${ROUTES.registration}/:clientId`];
  router.use([...DISCOVERY_PATHS, ROUTES.token, ROUTES.revocation, ...registrationPaths], openCors);
  router.post(ROUTES.registration, registrationLimit(options));
  return router;
}

function registrationLimit({ registrationsPerHour, metrics }: { registrationsPerHour: number; metrics: Metrics }): RequestHandler {
  return perAddressRateLimit(3600_000, registrationsPerHour, (_req, res) => {
    metrics.registrations.inc({ status: 'rate_limited' });
    res.status(429).json({ error: 'too_many_requests', error_description: 'too many client registrations from this address; try again later' });
  });
}

/** At most `limit` requests per client address (Express's `req.ip`, so TRUST_PROXY decides) in each window; `refuse` answers the rest. */
export function perAddressRateLimit(windowMs: number, limit: number, refuse: (req: Request, res: Response) => void): RequestHandler {
  return rateLimit({ windowMs, limit, standardHeaders: 'draft-8', legacyHeaders: false, handler: refuse });
}
