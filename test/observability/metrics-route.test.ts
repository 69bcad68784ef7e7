import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createMetricsRouter } from '../../src/observability/metrics-route.ts';

function appServing(options: { enabled: boolean; basicAuth?: { user: string; pass: string } }) {
  const metrics = createMetrics();
  const app = express();
  app.use(createMetricsRouter({ metrics, ...options }));
  return { app, metrics };
}

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('GET /metrics', () => {
  it('serves the registry in Prometheus text format, with live values', async () => {
    const { app, metrics } = appServing({ enabled: true });
    metrics.toolCalls.inc({ tool_name: 'mittwald_project_list', status: 'success' }, 3);
    const response = await request(app).get('/metrics').expect(200);
    expect(response.get('Content-Type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.get('Cache-Control')).toBe('no-store');
    expect(response.text).toContain('# TYPE mcp_tool_calls_total counter');
    expect(response.text).toContain('mcp_tool_calls_total{tool_name="mittwald_project_list",status="success"} 3');
    expect(response.text).toContain('process_cpu_user_seconds_total');
  });

  it('answers 404 when metrics are disabled', async () => {
    const { app } = appServing({ enabled: false });
    const response = await request(app).get('/metrics').expect(404);
    expect(response.text).not.toContain('mcp_tool_calls_total');
  });

  describe('with basic auth', () => {
    const { app } = appServing({ enabled: true, basicAuth: { user: 'prometheus', pass: 'scrape-secret-1' } });

    it('serves metrics for the right credentials', async () => {
      const response = await request(app).get('/metrics').set('Authorization', basic('prometheus:scrape-secret-1')).expect(200);
      expect(response.text).toContain('mcp_tool_calls_total');
    });

    it.each([
      ['no header', undefined],
      ['a wrong password', basic('prometheus:scrape-secret-2')],
      ['a wrong user', basic('grafana:scrape-secret-1')],
      ['a password prefix', basic('prometheus:scrape-secret')],
      ['a bearer token', 'Bearer scrape-secret-1'],
      ['garbage', 'Basic !!!'],
    ])('refuses %s with a Basic challenge', async (_case, header) => {
      const call = request(app).get('/metrics');
      if (header) call.set('Authorization', header);
      const response = await call.expect(401);
      expect(response.get('WWW-Authenticate')).toBe('Basic realm="metrics"');
      expect(response.text).not.toContain('mcp_tool_calls_total');
    });
  });
});
