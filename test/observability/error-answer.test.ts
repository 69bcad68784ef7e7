// The app's last error handler: whatever a route throws, the client gets a short JSON answer with
// the request id and no stack trace or path, and the error is logged through the redacting logger
// (never by Express's default handler, which writes the raw stack to stderr outside NODE_ENV=test:
// test/reliability/bounded-mcp.test.ts watches a server process's stderr).
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createErrorAnswer } from '../../src/observability/error-answer.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { requestContext } from '../../src/observability/request-context.ts';
import { leaksInternals } from '../reliability/helpers.ts';

function appThatFails() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      done();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json', stream });
  const app = express();
  app.use(requestContext({ logger }));
  app.get('/throws', () => {
    throw new Error('lookup failed for refresh_token=3kX9aQ7vLm2Pz8Rt5Wy1Nc4Hb6Jd0Fg at /srv/app/src/oauth/thing.ts:12');
  });
  app.post('/body', express.json({ limit: 10 }), (_req, res) => void res.json({}));
  app.use(createErrorAnswer(logger));
  return { app, lines };
}

describe('the final error handler', () => {
  it('answers a thrown error with JSON naming the request id, and logs it redacted', async () => {
    const { app, lines } = appThatFails();
    const res = await request(app).get('/throws').set('x-request-id', 'req-1');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'server_error', error_description: 'Internal Server Error (request req-1)' });
    expect(leaksInternals(res.text)).toBe(false);
    const logged = lines.find((line) => line.message === 'request failed')!;
    expect(logged).toMatchObject({ level: 'error', requestId: 'req-1', method: 'GET', path: '/throws' });
    expect(JSON.stringify(logged)).not.toContain('3kX9aQ7vLm2Pz8Rt5Wy1Nc4Hb6Jd0Fg');
  });

  it('keeps a client error\'s status, without its message', async () => {
    const { app } = appThatFails();
    const res = await request(app).post('/body').set('content-type', 'application/json').send('{"much":"too long for the limit"}');
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('Payload Too Large') });
  });
});
