// A JSON-RPC batch of more tool calls than one user may have running and waiting at once (their
// share of the CLI's slots and queue) is refused before anything runs, instead of running a part
// and answering "busy" for the rest after taking everyone else's places in the queue.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { callsPerKeyAtOnce } from '../../src/cli/concurrency-limiter.ts';
import { fakeVerifier, ok, recordingRunner, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS } from './support/mcp-app.ts';

const READ = ['user:read', 'customer:read', 'project:read', 'app:read'];
const verifier = fakeVerifier({ 'token-read': { scopes: READ, mittwaldToken: 'mw-secret-read' } });

const batchOf = (calls: number, extra: object[] = []) => [
  ...Array.from({ length: calls }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'mittwald_project_list', arguments: {} } })),
  ...extra,
];

describe('a batch of tool calls', () => {
  const config = testConfig();
  const share = callsPerKeyAtOnce({ maxConcurrent: config.cli.maxConcurrent, maxPerKey: config.cli.maxPerUser, maxQueue: config.cli.maxQueue });

  it('beyond what one user may have at once is refused up front, and nothing runs', async () => {
    const runner = recordingRunner(() => ok('[]'));
    const { app } = buildMcpApp({ verifier, runner, config });
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer token-read').send(batchOf(share + 1));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(res.body.error.message).toContain(`at most ${share} tool calls`);
    expect(runner.calls).toHaveLength(0);
  });

  it('within that share runs every call', async () => {
    const runner = recordingRunner(() => ok('[]'));
    const { app } = buildMcpApp({ verifier, runner, config });
    const res = await request(app)
      .post('/mcp')
      .set(MCP_HEADERS)
      .set('authorization', 'Bearer token-read')
      // other requests in the batch do not count: they never run `mw`
      .send(batchOf(share, [{ jsonrpc: '2.0', id: 'list', method: 'tools/list' }]));
    expect(res.status).toBe(200);
    expect(runner.calls).toHaveLength(share);
  });
});
