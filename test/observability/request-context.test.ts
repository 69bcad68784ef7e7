import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../src/observability/logger.ts';
import { requestContext } from '../../src/observability/request-context.ts';

type Line = Record<string, unknown>;

function appWithLog(level: string) {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const logger = createLogger({ level, format: 'json', stream });
  const app = express();
  app.use(requestContext({ logger }));
  app.get('/work', async (_req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    logger.info('working');
    res.json({ done: true });
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/fails', (_req, res) => {
    res.status(500).json({ error: 'boom' });
  });
  // The access line is written when the socket side of the response closes, just after the client has it.
  const accessLines = async (count: number) => {
    for (let waited = 0; lines.filter((l) => l.message === 'request').length < count && waited < 10_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return lines.filter((l) => l.message === 'request');
  };
  return { app, lines, accessLines };
}

describe('request context', () => {
  it('generates a request id, echoes it and puts it on every line written for the request', async () => {
    const { app, lines, accessLines } = appWithLog('http');
    const response = await request(app).get('/work?code=abc&state=xyz').expect(200);
    const requestId = response.get('X-Request-Id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [access] = await accessLines(1);
    expect(lines.find((l) => l.message === 'working')?.requestId).toBe(requestId);
    expect(access).toMatchObject({ level: 'http', requestId, method: 'GET', path: '/work', status: 200, durationMs: expect.any(Number) });
    expect(JSON.stringify(lines)).not.toContain('abc');
  });

  it('accepts a sane incoming X-Request-Id', async () => {
    const { app, accessLines } = appWithLog('http');
    const response = await request(app).get('/work').set('X-Request-Id', '7f3a9c2e41b04d8e9a6f1c3b5d7e9f01').expect(200);
    expect(response.get('X-Request-Id')).toBe('7f3a9c2e41b04d8e9a6f1c3b5d7e9f01');
    expect((await accessLines(1))[0].requestId).toBe('7f3a9c2e41b04d8e9a6f1c3b5d7e9f01');
  });

  it('replaces an incoming id that could smuggle text into the logs', async () => {
    const { app } = appWithLog('http');
    for (const bad of ['two words', 'x'.repeat(200), '{"level":"error"}', '-starts-with-dash']) {
      const response = await request(app).get('/work').set('X-Request-Id', bad).expect(200);
      expect(response.get('X-Request-Id')).not.toBe(bad);
      expect(response.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('gives concurrent requests their own ids', async () => {
    const { app, lines, accessLines } = appWithLog('http');
    const responses = await Promise.all([1, 2, 3].map(() => request(app).get('/work').expect(200)));
    await accessLines(3);
    const ids = responses.map((r) => r.get('X-Request-Id'));
    expect(new Set(ids).size).toBe(3);
    const workingIds = lines.filter((l) => l.message === 'working').map((l) => l.requestId);
    expect(workingIds.sort()).toEqual([...ids].sort());
  });

  it('keeps successful probes out of the access log at http level but logs failing requests', async () => {
    const { app, accessLines } = appWithLog('http');
    await request(app).get('/healthz').expect(200);
    await request(app).get('/fails').expect(500);
    const access = await accessLines(1);
    expect(access.map((l) => [l.path, l.status])).toEqual([['/fails', 500]]);
  });

  it('writes probe lines at debug level', async () => {
    const { app, accessLines } = appWithLog('debug');
    await request(app).get('/healthz').expect(200);
    expect(await accessLines(1)).toEqual([expect.objectContaining({ level: 'debug', path: '/healthz', status: 200 })]);
  });

  it('writes no access line below http level', async () => {
    const { app, lines } = appWithLog('info');
    await request(app).get('/work').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.map((l) => l.message)).toEqual(['working']);
  });
});
