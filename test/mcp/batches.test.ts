// JSON-RPC batches: MCP 2025-06-18 and later have none, so an array is refused at once; a 2025-03-26
// client (its version header, or none) may send a few messages together, each costing what it
// would cost alone: the tool list is the shared one, every message counts toward the cap (answers
// and notifications too), and a batch of more tool calls than one user may have running and
// waiting at once (their share of the CLI's slots and queue) is refused before anything runs.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { callsPerKeyAtOnce } from '../../src/cli/concurrency-limiter.ts';
import { MAX_BATCH_MESSAGES } from '../../src/mcp/protocol/batch-policy.ts';
import { fakeVerifier, ok, recordingRunner, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS } from './support/mcp-app.ts';

const READ = ['user:read', 'customer:read', 'project:read', 'app:read'];
const verifier = fakeVerifier({ 'token-read': { scopes: READ, mittwaldToken: 'mw-secret-read' } });
const OLD_CLIENT = { ...MCP_HEADERS, 'mcp-protocol-version': '2025-03-26' };

const toolCall = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'mittwald_project_list', arguments: {} } });
const listing = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const cancellation = (requestId: number) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId } });

function postBatch(app: Parameters<typeof request>[0], body: unknown, headers: Record<string, string> = OLD_CLIENT) {
  return request(app).post('/mcp').set(headers).set('authorization', 'Bearer token-read').send(body as object);
}

/** the ids answered in an event stream */
async function idsAnswered(pending: request.Test): Promise<unknown[]> {
  const res = await pending.buffer(true).parse((stream, done) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => done(null, text));
  });
  expect(res.status).toBe(200);
  const messages = String(res.body).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  return messages.filter((m) => 'result' in m).map((m) => m.id).sort();
}

describe('batches by protocol version', () => {
  it('are refused from clients of 2025-06-18 and later, and nothing runs', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const runner = recordingRunner(() => ok('[]'));
      const { app } = buildMcpApp({ verifier, runner });
      const res = await postBatch(app, [toolCall(1), toolCall(2)], { ...MCP_HEADERS, 'mcp-protocol-version': version });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
      expect(res.body.error.message).toContain(`MCP ${version} has no JSON-RPC batches`);
      expect(runner.calls).toHaveLength(0);
    }
  });

  it('are answered for 2025-03-26 clients, with the header or without one', async () => {
    const { app } = buildMcpApp({ verifier, runner: recordingRunner(() => ok('[]')) });
    const { 'mcp-protocol-version': _, ...withoutVersion } = OLD_CLIENT;
    for (const headers of [OLD_CLIENT, withoutVersion]) {
      expect(await idsAnswered(postBatch(app, [toolCall(1), toolCall(2)], headers))).toEqual([1, 2]);
    }
  });

  it(`hold at most ${MAX_BATCH_MESSAGES} messages, notifications as much as requests, and nothing past the cap is handled`, async () => {
    const runner = recordingRunner(() => ok('[]'));
    const { app } = buildMcpApp({ verifier, runner });
    const cancellations = Array.from({ length: MAX_BATCH_MESSAGES + 1 }, (_, i) => cancellation(i));
    const refused = await postBatch(app, cancellations);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(`at most ${MAX_BATCH_MESSAGES} messages`);
    expect((await postBatch(app, cancellations.slice(1))).status).toBe(202);
    expect((await postBatch(app, Array.from({ length: MAX_BATCH_MESSAGES + 1 }, (_, i) => toolCall(i)))).status).toBe(400);
    expect(runner.calls).toHaveLength(0);
  });

  it('list tools once, from the shared listing, as a batch answer', async () => {
    const { app } = buildMcpApp({ verifier });
    const twice = await postBatch(app, [listing(1), listing(2)]);
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toContain('tools/list once');

    const single = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer token-read').send(listing(1));
    const batch = await postBatch(app, [listing('list'), cancellation(9)]);
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual([{ jsonrpc: '2.0', id: 'list', result: single.body.result }]);
  });

  it('never carry initialize', async () => {
    const { app } = buildMcpApp({ verifier });
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const res = await postBatch(app, [initialize, listing(2)]);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('initialize must not be part of a batch');
  });
});

describe('a batch of tool calls', () => {
  // a small share, so a batch can pass it within the message cap
  const config = testConfig({ CLI_MAX_CONCURRENT: '4', CLI_MAX_PER_USER: '1', CLI_MAX_QUEUE: '12' });
  const share = callsPerKeyAtOnce({ maxConcurrent: config.cli.maxConcurrent, maxPerKey: config.cli.maxPerUser, maxQueue: config.cli.maxQueue });
  const batchOf = (calls: number) => Array.from({ length: calls }, (_, id) => toolCall(id));

  it('beyond what one user may have at once is refused up front, and nothing runs', async () => {
    expect(share).toBeLessThan(MAX_BATCH_MESSAGES);
    const runner = recordingRunner(() => ok('[]'));
    const { app } = buildMcpApp({ verifier, runner, config });
    const res = await postBatch(app, batchOf(share + 1));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(res.body.error.message).toContain(`at most ${share} tool calls`);
    expect(runner.calls).toHaveLength(0);
  });

  it('within that share runs every call', async () => {
    const runner = recordingRunner(() => ok('[]'));
    const { app } = buildMcpApp({ verifier, runner, config });
    // other requests in the batch do not count: they never run `mw`
    const res = await postBatch(app, [...batchOf(share), listing('list')]);
    expect(res.status).toBe(200);
    expect(runner.calls).toHaveLength(share);
  });
});
