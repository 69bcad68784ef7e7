import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createHealthRouter, type HealthChecks } from '../../src/observability/health.ts';

const healthy: HealthChecks = {
  store: async () => undefined,
  cli: async () => ({ version: '1.13.3' }),
  keys: () => true,
};

function appWith(checks: Partial<HealthChecks> = {}, state = { shuttingDown: false }, checkTimeoutMs = 200) {
  const app = express();
  app.use(createHealthRouter({ checks: { ...healthy, ...checks }, isShuttingDown: () => state.shuttingDown, checkTimeoutMs }));
  return app;
}

describe('GET /healthz', () => {
  it('answers 200 while the process runs, 503 once shutdown began', async () => {
    const state = { shuttingDown: false };
    const app = appWith({ store: async () => Promise.reject(new Error('down')) }, state);
    expect((await request(app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    state.shuttingDown = true;
    expect((await request(app).get('/healthz').expect(503)).body).toEqual({ status: 'shutting_down' });
  });
});

describe.each(['/readyz', '/health'])('GET %s', (path) => {
  it('reports every check when all pass', async () => {
    const response = await request(appWith()).get(path).expect(200);
    expect(response.get('Cache-Control')).toBe('no-store');
    expect(response.body).toEqual({ status: 'ready', checks: { store: 'ok', cli: { version: '1.13.3' }, keys: 'ok' } });
  });

  it('names the failing store and why, without the password in its URL', async () => {
    const app = appWith({ store: async () => Promise.reject(new Error('connect ECONNREFUSED redis://:hunter2pass@redis:6379')) });
    const response = await request(app).get(path).expect(503);
    expect(response.body).toEqual({
      status: 'not_ready',
      checks: { store: { error: 'connect ECONNREFUSED redis://:[redacted]@redis:6379' }, cli: { version: '1.13.3' }, keys: 'ok' },
    });
    expect(response.text).not.toContain('hunter2pass');
  });

  it('fails a check that hangs after the timeout, without waiting for it', async () => {
    // the check never settles: an answer at all means the probe did not wait for it
    const app = appWith({ cli: () => new Promise(() => undefined) }, { shuttingDown: false }, 100);
    const response = await request(app).get(path).expect(503);
    expect(response.body.checks.cli).toEqual({ error: 'timed out after 100 ms' });
    expect(response.body.checks.store).toBe('ok');
  });

  it('fails when the keys are not loaded, and when the keys check throws', async () => {
    const missing = await request(appWith({ keys: () => false })).get(path).expect(503);
    expect(missing.body.checks.keys).toEqual({ error: 'signing, cookie or encryption keys are not loaded' });
    const throwing = await request(appWith({ keys: () => { throw new Error('no JWKS'); } })).get(path).expect(503);
    expect(throwing.body.checks.keys).toEqual({ error: 'no JWKS' });
  });

  it('answers 503 without running checks while shutting down', async () => {
    let cliRuns = 0;
    const app = appWith({ cli: async () => { cliRuns += 1; return { version: '1' }; } }, { shuttingDown: true });
    expect((await request(app).get(path).expect(503)).body).toEqual({ status: 'shutting_down' });
    expect(cliRuns).toBe(0);
  });
});

describe('readiness under probe load', () => {
  it('runs one check for probes that arrive while it is running', async () => {
    let cliRuns = 0;
    // the check finishes only once all four probes have arrived: they certainly overlap it
    let arrived = 0;
    let allArrived!: () => void;
    const gate = new Promise<void>((resolve) => (allArrived = resolve));
    const app = express();
    app.use((_req, _res, next) => {
      if (++arrived === 4) allArrived();
      next();
    });
    const cli = async () => {
      cliRuns += 1;
      await gate;
      return { version: '1.13.3' };
    };
    app.use(createHealthRouter({ checks: { ...healthy, cli }, isShuttingDown: () => false, checkTimeoutMs: 30_000 }));
    const responses = await Promise.all([1, 2, 3, 4].map(() => request(app).get('/readyz')));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(cliRuns).toBe(1);
    await request(app).get('/readyz').expect(200);
    expect(cliRuns).toBe(2);
  });
});
