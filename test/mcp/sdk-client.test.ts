// A real MCP client (SDK 1.32.2) against the router: elicitation for destructive tools and
// cancellation, which cross HTTP requests in stateless mode.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { fakeVerifier, ok, recordingRunner, runUntilAborted, testConfig } from './support/fakes.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { buildMcpApp } from './support/mcp-app.ts';

const verifier = fakeVerifier({ 'token-all': { scopes: testConfig().mittwald.scopes.upstream } });

let answer: ElicitResult = { action: 'accept', content: { confirm: true } };
let runStarted: () => void = () => undefined;
const runner = recordingRunner(async (request) => (request.argv.includes('list') ? runUntilAborted(() => runStarted())(request) : ok('')));
const { app } = buildMcpApp({ verifier, runner });
let server: Awaited<ReturnType<typeof listenOnLoopback>>;

async function connect(capabilities: Record<string, unknown>) {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
  if ('elicitation' in capabilities) client.setRequestHandler(ElicitRequestSchema, async () => answer);
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: 'Bearer token-all' } },
  });
  await client.connect(transport);
  return client;
}

beforeAll(async () => {
  server = await listenOnLoopback(app);
});
afterAll(async () => {
  await server.close();
});

describe('destructive tools with a client that can be asked', () => {
  it('runs after the user accepts, with --force', async () => {
    const client = await connect({ elicitation: {} });
    answer = { action: 'accept', content: { confirm: true } };
    runner.calls.length = 0;
    const result = await client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } });
    expect(result.isError).toBeFalsy();
    expect(runner.calls.map((c) => c.argv)).toEqual([['project', 'delete', '--quiet', '--force', '--', 'p-1']]);
    await client.close();
  });

  it.each([
    ['declines', { action: 'decline' }],
    ['cancels', { action: 'cancel' }],
    ['accepts without ticking confirm', { action: 'accept', content: { confirm: false } }],
  ] as Array<[string, ElicitResult]>)('runs nothing when the user %s', async (_name, reply) => {
    const client = await connect({ elicitation: {} });
    answer = reply;
    runner.calls.length = 0;
    const result = await client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } });
    expect(result.isError).toBe(true);
    expect((result.structuredContent as { error: { code: string } }).error.code).toBe('confirmation_required');
    expect(runner.calls).toHaveLength(0);
    await client.close();
  });

  it('a client without elicitation gets the confirm: true instructions instead', async () => {
    const client = await connect({});
    runner.calls.length = 0;
    const result = await client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/confirm: true/);
    expect(runner.calls).toHaveLength(0);
    await client.close();
  });
});

describe('cancellation', () => {
  it('a cancelled request aborts the running CLI', async () => {
    const client = await connect({});
    runner.calls.length = 0;
    const started = new Promise<void>((resolve) => (runStarted = resolve));
    const abort = new AbortController();
    const call = client.callTool({ name: 'mittwald_project_list', arguments: {} }, undefined, { signal: abort.signal });
    await started;
    abort.abort('user gave up');
    await expect(call).rejects.toThrow();
    const signal = runner.calls[0].signal!;
    // the notifications/cancelled POST reaches the server shortly after
    for (let i = 0; i < 100 && !signal.aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).toBe(true);
    await client.close();
  });

  it('a closed connection aborts the running CLI', async () => {
    runner.calls.length = 0;
    const started = new Promise<void>((resolve) => (runStarted = resolve));
    const controller = new AbortController();
    const response = fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer token-all', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mittwald_project_list', arguments: {} } }),
      signal: controller.signal,
    });
    await started;
    controller.abort();
    await expect(response).rejects.toThrow();
    const signal = runner.calls[0].signal!;
    for (let i = 0; i < 100 && !signal.aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).toBe(true);
  });
});
