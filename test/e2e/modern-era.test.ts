// MCP 2026-07-28 as a new client meets it: the SDK's v2 client pinned to that revision, through
// the whole OAuth flow, against the server as production builds it (createApp); then two further
// server processes on one Redis, where a confirmation asked by one is answered at the other, and
// every forged, replayed, altered or foreign answer is refused with nothing run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type AuthorizedClient, authorizeClient, overridesWithFaultTools, standInProcesses, waitFor } from '../reliability/helpers.ts';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { followBrowserFlow, REDIRECT_URI } from '../support/mittwald-oauth/oauth-client.ts';
import { BrowserDrivenOAuthProvider } from '../support/sdk-oauth-client.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';

type Json = Record<string, any>;
const MODERN = '2026-07-28';
const CLIENT_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
};

let redis: TestRedis;
let stack: Stack;
let processA: ServerProcess;
let processB: ServerProcess;
let alice: AuthorizedClient;
let bob: AuthorizedClient;

beforeAll(async () => {
  redis = await startTestRedis();
  stack = await startStack({ env: { REDIS_URL: redis.url } });
  // A and B also take mittwald API tokens and offer the stand-in's never-ending command (for the
  // cancellation: its grandchild needs CLI_SANDBOX_FS=off; processes counted as they start, CLI_POOL=off)
  const env = { ...stack.env, DIRECT_API_TOKENS: 'true', TOOLS_OVERRIDES_PATH: overridesWithFaultTools(), CLI_SANDBOX_FS: 'off', CLI_POOL: 'off' };
  [processA, processB] = await Promise.all([
    startServerProcess({ ...env, PORT: String(await freePort()) }),
    startServerProcess({ ...env, PORT: String(await freePort()) }),
  ]);
  alice = await authorizeClient(stack.url, { scope: 'user:read project:read project:delete' });
  stack.oauth.loginAs(stack.api.users[1].userId);
  bob = await authorizeClient(stack.url, { scope: 'user:read project:read project:delete' });
  stack.oauth.loginAs(stack.api.users[0].userId);
}, 120_000);

afterAll(async () => {
  await Promise.all([processA?.stop('SIGKILL'), processB?.stop('SIGKILL')]);
  await stack?.close();
  await redis?.stop();
});

let nextId = 1;
/** A raw 2026-07-28 request: the envelope in _meta, the required headers (overridable). */
async function modern(url: string, token: string, method: string, params: Json = {}, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(method === 'tools/call' ? { 'mcp-name': String(params.name) } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { ...CLIENT_META, ...params._meta } } }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  const data = text.startsWith('{') ? text : text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).pop();
  return { status: response.status, message: data ? (JSON.parse(data) as Json) : undefined };
}

/** Starts a never-ending call, cancels it once its mw runs, and waits for the mw tree to be gone. */
async function expectCancellationEndsMw(call: (signal: AbortSignal) => Promise<unknown>) {
  const stop = new AbortController();
  const hanging = call(stop.signal);
  await waitFor(() => standInProcesses(stack.api.url).length >= 2, 20_000, 'the hanging mw and its grandchild');
  stop.abort();
  await expect(hanging).rejects.toThrow();
  await waitFor(() => standInProcesses(stack.api.url).length === 0, 20_000, 'the cancelled mw and its grandchild to be gone');
}

const textOf = (result: Json) => (result.content as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');

async function pinnedClient(provider: BrowserDrivenOAuthProvider, answer: () => Json, questions: string[]) {
  const client = new Client({ name: 'modern-e2e', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
  client.setRequestHandler('elicitation/create', async (request) => {
    questions.push(request.params.message);
    return answer() as never;
  });
  return client;
}

describe('the SDK v2 client pinned to 2026-07-28', () => {
  it('signs in through OAuth, discovers the server, lists, calls, steps up for a delete and confirms it (decline, then accept)', async () => {
    const provider = new BrowserDrivenOAuthProvider({ scope: 'user:read project:read project:delete' });
    const questions: string[] = [];
    let answer: Json = { action: 'decline' };
    let client = await pinnedClient(provider, () => answer, questions);
    const transport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider });
    await expect(client.connect(transport)).rejects.toThrow(UnauthorizedError);
    // the v2 client checks the issuer of the authorization response (RFC 9207): hand it the whole callback
    const { callback } = await followBrowserFlow(provider.authorizationUrl!.href, REDIRECT_URI);
    await transport.finishAuth(callback!.searchParams);
    client = await pinnedClient(provider, () => answer, questions);
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider }));
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerVersion()).toEqual(expect.objectContaining({ name: 'mittwald-mcp', title: 'mittwald mStudio', websiteUrl: stack.url }));
    expect(client.getServerVersion()?.icons?.[0]?.mimeType).toBe('image/svg+xml');
    expect(client.getInstructions()).toContain('mittwald CLI');

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_project_delete']));
    const listed = await client.callTool({ name: 'mittwald_project_list', arguments: {} });
    expect(listed.isError).toBeFalsy();

    const victim = stack.api.users[0].projects[0].id;
    const call = { name: 'mittwald_project_delete', arguments: { project_id: victim } };
    // the default grant does not cover it: 403 insufficient_scope, and the client goes to consent
    provider.authorizationUrl = undefined;
    await expect(client.callTool(call)).rejects.toThrow(UnauthorizedError);
    const stepUp = provider.authorizationUrl as URL | undefined; // set by the client while it was refused
    expect(stepUp?.searchParams.get('scope')?.split(' ')).toContain('project:delete');
    expect(stack.api.state.projects.has(victim)).toBe(true);
    const { callback: consented } = await followBrowserFlow(stepUp!.href, REDIRECT_URI);
    await (client.transport as StreamableHTTPClientTransport).finishAuth(consented!.searchParams);
    expect(provider.savedTokens!.scope?.split(' ')).toContain('project:delete');

    const declined = await client.callTool(call);
    expect(declined.isError).toBe(true);
    expect(textOf(declined)).toMatch(/the user declined; nothing was run/);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain('"mw project delete"');
    expect(questions[0]).toContain(victim);
    expect(stack.api.state.projects.has(victim)).toBe(true);

    answer = { action: 'accept', content: { confirm: true } };
    const confirmed = await client.callTool(call);
    expect(confirmed.isError).toBeFalsy();
    expect(questions).toHaveLength(2);
    expect(stack.api.state.projects.has(victim)).toBe(false);
    await client.close();
  });
});

describe('the SDK v2 client pinned to 2026-07-28 with a mittwald API token', () => {
  it('lists, calls, and cancels a running call by closing its stream: the mw process tree ends', async () => {
    const apiToken = 'mw-api-token-of-alice';
    stack.api.grantToken(apiToken, stack.api.users[0].userId);
    const client = new Client({ name: 'ci', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${processA.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiToken}` } } }));
    expect(client.getProtocolEra()).toBe('modern');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('mittwald_stand_in_hang');
    const user = await client.callTool({ name: 'mittwald_user_get', arguments: {} });
    expect(user.isError).toBeFalsy();

    await expectCancellationEndsMw((signal) => client.callTool({ name: 'mittwald_stand_in_hang', arguments: {} }, { signal }));
    await client.close();
  }, 60_000);
});

describe('the v1 SDK client (2025-11-25) beside it, with the same kind of token', () => {
  it('lists, calls, and cancels a running call (notifications/cancelled): the mw process tree ends', async () => {
    const apiToken = 'mw-api-token-of-alice-2025';
    stack.api.grantToken(apiToken, stack.api.users[0].userId);
    const client = new LegacyClient({ name: 'ci-2025', version: '1.0.0' });
    await client.connect(new LegacyTransport(new URL(`${processB.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${apiToken}` } } }));
    expect(client.getServerVersion()).toEqual(expect.objectContaining({ name: 'mittwald-mcp', title: 'mittwald mStudio' }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('mittwald_stand_in_hang');
    const user = await client.callTool({ name: 'mittwald_user_get', arguments: {} });
    expect(user.isError).toBeFalsy();

    await expectCancellationEndsMw((signal) => client.callTool({ name: 'mittwald_stand_in_hang', arguments: {} }, undefined, { signal }));
    await client.close();
  }, 60_000);
});

describe('2026-07-28 over raw HTTP, two processes on one Redis', () => {
  it('answers tools/list with resultType and a private cache hint', async () => {
    const { status, message } = await modern(processA.url, alice.accessToken, 'tools/list');
    expect(status).toBe(200);
    expect(message!.result).toEqual(expect.objectContaining({ resultType: 'complete', cacheScope: 'private', ttlMs: expect.any(Number) }));
    expect(message!.result._meta['io.modelcontextprotocol/serverInfo']).toEqual(expect.objectContaining({ name: 'mittwald-mcp' }));
    expect(message!.result.tools.length).toBeGreaterThan(10);
  });

  it('a header that disagrees with the body gets the spec error (-32020, 400), never a 500, and nothing runs', async () => {
    const victim = stack.api.users[0].projects[1].id;
    const cases: Array<[string, Json, Record<string, string>]> = [
      ['tools/list', {}, { 'mcp-method': 'tools/call' }],
      ['tools/call', { name: 'mittwald_project_delete', arguments: { project_id: victim } }, { 'mcp-name': 'mittwald_project_list' }],
      ['tools/call', { name: 'mittwald_project_list', arguments: {} }, { 'mcp-method': 'tools/list' }],
    ];
    for (const [method, params, headers] of cases) {
      const { status, message } = await modern(processA.url, alice.accessToken, method, params, headers);
      expect(status).toBe(400);
      expect(message!.error.code).toBe(-32020);
    }
    expect(stack.api.state.projects.has(victim)).toBe(true);
  });

  it('a malformed 2026-07-28 request is refused with a 4xx JSON-RPC error, never a 500', async () => {
    const victim = stack.api.users[0].projects[1].id;
    const deleteIt = { name: 'mittwald_project_delete', arguments: { project_id: victim } };
    const cases: Array<[string, Json, Record<string, string>]> = [
      ['tools/list', { _meta: { 'io.modelcontextprotocol/clientCapabilities': 'all of them' } }, {}],
      ['tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } }, { 'mcp-protocol-version': '2099-01-01' }],
      ['tools/call', deleteIt, { 'mcp-name': '=?base64?!!!?=' }],
      ['tools/call', { ...deleteIt, requestState: 42, inputResponses: 'yes' }, {}],
      ['tools/call', { ...deleteIt, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, requestState: 'c1.e30.AAAA' }, {}],
      ['server/discover', {}, { 'mcp-method': 'tools/list' }],
    ];
    for (const [method, params, headers] of cases) {
      const { status, message } = await modern(processA.url, alice.accessToken, method, params, headers);
      expect(status).toBeLessThan(500);
      expect(message?.error ?? message?.result?.isError).toBeTruthy();
    }
    expect(stack.api.state.projects.has(victim)).toBe(true);
  });

  it('a confirmation asked at process A is answered at process B, once: a replay, altered arguments, another user and a forged state are refused', async () => {
    const victim = stack.api.users[0].projects[1].id;
    const deleteIt = { name: 'mittwald_project_delete', arguments: { project_id: victim } };
    const asked = await modern(processA.url, alice.accessToken, 'tools/call', deleteIt);
    expect(asked.message!.result.resultType).toBe('input_required');
    const question = asked.message!.result.inputRequests.confirm;
    expect(question.method).toBe('elicitation/create');
    expect(question.params.message).toContain(victim);
    const requestState = asked.message!.result.requestState as string;
    const yes = { inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, requestState };
    expect(stack.api.state.projects.has(victim)).toBe(true);

    // another user presents Alice's question and answer
    const foreign = await modern(processB.url, bob.accessToken, 'tools/call', { ...deleteIt, ...yes });
    expect(foreign.message!.result.isError).toBe(true);
    expect(textOf(foreign.message!.result)).toMatch(/asked of another user/);
    // the answer to this question, for another project
    const other = `${victim}-other`;
    const altered = await modern(processB.url, alice.accessToken, 'tools/call', { name: 'mittwald_project_delete', arguments: { project_id: other }, ...yes });
    expect(textOf(altered.message!.result)).toMatch(/another call or other arguments/);
    // a state this server never issued
    const forged = await modern(processB.url, alice.accessToken, 'tools/call', { ...deleteIt, ...yes, requestState: `${requestState.slice(0, -4)}AAAA` });
    expect(textOf(forged.message!.result)).toMatch(/not one this server issued/);
    // an answer with no question
    const unasked = await modern(processB.url, alice.accessToken, 'tools/call', { ...deleteIt, inputResponses: yes.inputResponses });
    expect(textOf(unasked.message!.result)).toMatch(/without the question/);
    expect(stack.api.state.projects.has(victim)).toBe(true);

    const answered = await modern(processB.url, alice.accessToken, 'tools/call', { ...deleteIt, ...yes });
    expect(answered.message!.result.isError).toBeFalsy();
    expect(stack.api.state.projects.has(victim)).toBe(false);

    const replayed = await modern(processA.url, alice.accessToken, 'tools/call', { ...deleteIt, ...yes });
    expect(replayed.message!.result.isError).toBe(true);
    expect(textOf(replayed.message!.result)).toMatch(/already used/);
  });

  it('a tool beyond the grant is a 403 step-up naming the scopes, as on the 2025 era', async () => {
    const readOnly = await authorizeClient(stack.url, { scope: 'user:read project:read' });
    const response = await fetch(`${processA.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${readOnly.accessToken}`,
        'mcp-protocol-version': MODERN,
        'mcp-method': 'tools/call',
        'mcp-name': 'mittwald_project_delete',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'mittwald_project_delete', arguments: { project_id: 'p-x' }, _meta: CLIENT_META } }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="[^"]*project:delete/);
  });
});
