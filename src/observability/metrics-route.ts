// GET /metrics in Prometheus text format, optionally behind HTTP Basic auth.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Metrics } from './metrics.ts';

export interface MetricsRouteOptions {
  metrics: Metrics;
  enabled: boolean;
  basicAuth?: { user: string; pass: string };
}

export function createMetricsRouter(options: MetricsRouteOptions): Router {
  const router = Router();
  const isAuthorized = options.basicAuth ? basicAuthCheck(options.basicAuth) : () => true;

  router.get('/metrics', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!options.enabled) {
      res.status(404).type('text/plain').send('metrics are disabled\n');
      return;
    }
    if (!isAuthorized(req.get('authorization'))) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="metrics"').type('text/plain').send('unauthorized\n');
      return;
    }
    const { registry } = options.metrics;
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

function basicAuthCheck(expected: { user: string; pass: string }): (header: string | undefined) => boolean {
  const expectedDigest = sha256(`${expected.user}:${expected.pass}`);
  return (header) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    // Equal-length digests let timingSafeEqual compare without revealing how much of the secret matched.
    return timingSafeEqual(sha256(Buffer.from(match[1], 'base64').toString('utf8')), expectedDigest);
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
