import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Express } from 'express';
import { CliFailure } from '../../src/cli/types.ts';
import { MemoryStore, StoreUnavailableError } from '../../src/store/index.ts';
import { failed, fakeVerifier, ok, recordingRunner, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS, postTo, rpc, streamText, syntheticCatalogue } from './support/mcp-app.ts';

const READ = ['user:read', 'customer:read', 'project:read', 'app:read'];
const verifier = fakeVerifier({
  'token-read': { scopes: READ, mittwaldToken: 'mw-secret-read' },
  'token-all': { scopes: testConfig().mittwald.scopes.upstream, mittwaldToken: 'mw-secret-all' },
  'token-project-only': { scopes: ['project:read'] },
  'token-ended': { scopes: READ, upstreamEnded: true },
  'token-other-user': { scopes: READ, accountId: 'user-2' },
});

/** POSTs a JSON-RPC body and returns its messages, whether answered as JSON or SSE. */
const post = (app: Express, body: unknown, token?: string, headers: Record<string, string> = {}) => postTo(app, '/mcp', body, token, headers);

const callTool = (name: string, args: Record<string, unknown> = {}, id = 7) => rpc('tools/call', { name, arguments: args }, id);

describe('Protected Resource Metadata', () => {
  const { app, config } = buildMcpApp({ verifier });
  const expected = JSON.stringify({
    resource: 'http://127.0.0.1:4999/mcp',
    authorization_servers: ['http://127.0.0.1:4999'],
    scopes_supported: config.mittwald.scopes.defaults,
    bearer_methods_supported: ['header'],
    resource_name: 'mittwald mStudio MCP server',
  });

  it.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])('is served at %s, byte for byte', async (path) => {
    const res = await request(app).get(path).buffer(true).parse(streamText);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body).toBe(expected);
  });
});

describe('401 challenges', () => {
  const { app } = buildMcpApp({ verifier });
  const challenge = 'Bearer resource_metadata="http://127.0.0.1:4999/.well-known/oauth-protected-resource/mcp", scope="user:read customer:read project:read app:read"';

  it.each(['post', 'get', 'delete'] as const)('%s without a token → 401 naming the metadata and default scopes', async (method) => {
    const res = await request(app)[method]('/mcp').set(MCP_HEADERS).send(method === 'post' ? rpc('initialize') : undefined);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(challenge);
  });

  it('a bad token → 401 invalid_token, on notifications too', async () => {
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer nope').send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="http:\/\/127\.0\.0\.1:4999\/\.well-known\/oauth-protected-resource\/mcp", scope="user:read customer:read project:read app:read"$/);
  });

  it('a token in the query string is refused even when it is valid', async () => {
    const res = await request(app).post('/mcp?access_token=token-read').set(MCP_HEADERS).send(rpc('tools/list'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('a mittwald token is not accepted when direct API tokens are off', async () => {
    const res = await post(app, rpc('tools/list'), 'mw-secret-all');
    expect(res.status).toBe(401);
  });

  it('an ended mittwald session → 401 invalid_token before any tool runs', async () => {
    const runner = recordingRunner();
    const built = buildMcpApp({ verifier, runner });
    const res = await post(built.app, callTool('mittwald_project_list'), 'token-ended');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(runner.calls).toHaveLength(0);
  });
});

describe('origin validation and CORS', () => {
  const { app } = buildMcpApp({ verifier, config: testConfig({ ALLOWED_ORIGINS: 'https://inspector.example' }) });

  it('refuses a foreign Origin with 403 before anything else', async () => {
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('origin', 'https://evil.example').set('authorization', 'Bearer token-read').send(rpc('tools/list'));
    expect(res.status).toBe(403);
  });

  it('serves allowed origins with CORS headers exposing the challenge and session id', async () => {
    const res = await post(app, rpc('tools/list'), 'token-read', { origin: 'https://inspector.example' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://inspector.example');
    expect(res.headers['access-control-expose-headers']).toMatch(/WWW-Authenticate/);
    expect(res.headers['access-control-expose-headers']).toMatch(/Mcp-Session-Id/);
  });

  it('answers preflights for allowed origins, including the public URL itself', async () => {
    for (const origin of ['https://inspector.example', 'http://127.0.0.1:4999']) {
      const res = await request(app).options('/mcp').set('origin', origin).set('access-control-request-method', 'POST').set('access-control-request-headers', 'authorization,mcp-protocol-version');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(res.headers['access-control-allow-headers']).toMatch(/MCP-Protocol-Version/);
    }
  });
});

describe('tools/list', () => {
  it('lists every tool to every grant, each with the scopes it needs, from one precomputed answer', async () => {
    const { app } = buildMcpApp({ verifier });
    const narrow = await post(app, rpc('tools/list'), 'token-project-only');
    const all = await post(app, rpc('tools/list', {}, 'x'), 'token-all');
    expect(all.message.id).toBe('x');
    const tools = narrow.message.result.tools as Array<{ name: string; securitySchemes: unknown }>;
    expect(tools.length).toBe(159);
    expect(all.message.result).toEqual(narrow.message.result);
    const byName = new Map(tools.map((t) => [t.name, t]));
    // beyond a project:read grant, and listed: the model can call it, and the call asks for the scope
    expect(byName.get('mittwald_app_list')!.securitySchemes).toEqual([{ type: 'oauth2', scopes: ['app:read'] }]);
    expect(byName.get('mittwald_project_create')!.securitySchemes).toEqual([{ type: 'oauth2', scopes: ['project:write'] }]);
    expect(tools[0]).toEqual(
      expect.objectContaining({ name: expect.any(String), title: expect.any(String), inputSchema: expect.objectContaining({ type: 'object' }), annotations: expect.any(Object) }),
    );
  });

  it('says nothing twice: the title and the scopes once, hints only where they differ from MCP\'s defaults', async () => {
    const { app } = buildMcpApp({ verifier });
    const tools = (await post(app, rpc('tools/list'), 'token-all')).message.result.tools as Array<Record<string, any>>;
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const tool of tools) {
      expect(tool._meta).toBeUndefined();
      expect(tool.annotations.title).toBeUndefined();
    }
    // a read-only tool that touches nothing outside mittwald; a destructive one (destructive is the default)
    expect(byName.get('mittwald_project_list')!.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
    expect(byName.get('mittwald_project_delete')!.annotations).toEqual({ idempotentHint: true, openWorldHint: false });
    // the guards every string has are enforced, not listed
    const schema = byName.get('mittwald_project_delete')!.inputSchema;
    expect(schema.properties.project_id).toEqual({ type: 'string', description: expect.any(String) });
  });

  it('follows the operator\'s narrowing (read-only, topics)', async () => {
    const config = testConfig();
    const { app } = buildMcpApp({ verifier, config, catalogue: syntheticCatalogue(config, { readOnly: true, topics: ['project'] }) });
    const tools = (await post(app, rpc('tools/list'), 'token-all')).message.result.tools as Array<{ name: string; annotations: { readOnlyHint: boolean } }>;
    expect(tools.length).toBeGreaterThan(3);
    expect(tools.every((t) => t.name.startsWith('mittwald_project_') && t.annotations.readOnlyHint)).toBe(true);
  });

  it('refuses an unsupported protocol version header', async () => {
    const { app } = buildMcpApp({ verifier });
    const res = await post(app, rpc('tools/list'), 'token-read', { 'mcp-protocol-version': '1999-01-01' });
    expect(res.status).toBe(400);
  });
});

describe('initialize and sessions', () => {
  const { app } = buildMcpApp({ verifier });
  const init = (protocolVersion: string, capabilities: object = {}) =>
    rpc('initialize', { protocolVersion, capabilities, clientInfo: { name: 'test', version: '1' } });

  it.each(['2025-11-25', '2025-06-18', '2025-03-26'])('initializes with protocol %s', async (version) => {
    const res = await post(app, init(version), 'token-read', { 'mcp-protocol-version': version });
    expect(res.status).toBe(200);
    expect(res.message.result.protocolVersion).toBe(version);
    expect(res.message.result.capabilities.tools).toBeDefined();
    expect(res.headers['mcp-session-id']).toMatch(/^v1\./);
  });

  it('a session id used with another user\'s token is not found', async () => {
    const res = await post(app, init('2025-11-25'), 'token-read');
    const sessionId = res.headers['mcp-session-id'] as string;
    const mine = await post(app, rpc('tools/list'), 'token-read', { 'mcp-session-id': sessionId });
    expect(mine.status).toBe(200);
    const theirs = await post(app, rpc('tools/list'), 'token-other-user', { 'mcp-session-id': sessionId });
    expect(theirs.status).toBe(404);
    const forged = await post(app, rpc('tools/list'), 'token-read', { 'mcp-session-id': `${sessionId.slice(0, -2)}xx` });
    expect(forged.status).toBe(404);
  });

  it('GET is 405: there is no server-initiated stream', async () => {
    const res = await request(app).get('/mcp').set('authorization', 'Bearer token-read');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, DELETE');
  });

  it('DELETE ends the session: the id is not found afterwards, other sessions live on', async () => {
    const ended = (await post(app, init('2025-11-25'), 'token-read')).headers['mcp-session-id'] as string;
    const other = (await post(app, init('2025-11-25'), 'token-read')).headers['mcp-session-id'] as string;
    const foreign = await request(app).delete('/mcp').set('authorization', 'Bearer token-other-user').set('mcp-session-id', ended);
    expect(foreign.status).toBe(404);
    expect((await post(app, rpc('tools/list'), 'token-read', { 'mcp-session-id': ended })).status).toBe(200);

    const deleted = await request(app).delete('/mcp').set('authorization', 'Bearer token-read').set('mcp-session-id', ended);
    expect(deleted.status).toBe(204);
    expect((await post(app, rpc('tools/list'), 'token-read', { 'mcp-session-id': ended })).status).toBe(404);
    expect((await post(app, rpc('tools/list'), 'token-read', { 'mcp-session-id': other })).status).toBe(200);
  });

  it('DELETE without a session id is a bad request', async () => {
    const res = await request(app).delete('/mcp').set('authorization', 'Bearer token-read');
    expect(res.status).toBe(400);
  });

  it('notifications are accepted with 202', async () => {
    const res = await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, 'token-read');
    expect(res.status).toBe(202);
  });

  it('an answer or cancellation for a call in another process, during a store outage: 503 with Retry-After', async () => {
    const store = new MemoryStore();
    store.publish = async () => Promise.reject(new StoreUnavailableError('Redis is not connected'));
    const built = buildMcpApp({ verifier, store });
    for (const message of [
      { jsonrpc: '2.0', id: 'relay-elsewhere', result: { action: 'accept', content: { confirm: true } } },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } },
    ]) {
      const res = await post(built.app, message, 'token-read');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    }
  });
});

describe('bad requests', () => {
  const { app } = buildMcpApp({ verifier });

  it('malformed JSON is a JSON-RPC parse error, not a 500', async () => {
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer token-read').send('{"jsonrpc":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(-32700);
  });

  it('a non-object body is an invalid request', async () => {
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer token-read').send('[1,2]');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(-32600);
  });

  it('an oversized body is 413', async () => {
    const res = await request(app).post('/mcp').set(MCP_HEADERS).set('authorization', 'Bearer token-read').send(JSON.stringify({ x: 'y'.repeat(1_100_000) }));
    expect(res.status).toBe(413);
  });

  it('a wrong content type is 415', async () => {
    const res = await request(app).post('/mcp').set({ ...MCP_HEADERS, 'content-type': 'text/plain' }).set('authorization', 'Bearer token-read').send('hi');
    expect(res.status).toBe(415);
  });
});

describe('tools/call', () => {
  it('asks for more scope (403 step-up) naming every scope needed, tells the authorization server, and runs nothing', async () => {
    const runner = recordingRunner();
    const recorded: Array<[string, string[]]> = [];
    const { app } = buildMcpApp({ verifier, runner, stepUps: { record: async (grantId, scopes) => void recorded.push([grantId, scopes]) } });
    const res = await post(app, callTool('mittwald_project_delete', { project_id: 'p-1', confirm: true }), 'token-read');
    expect(res.status).toBe(403);
    const header = res.headers['www-authenticate'] as string;
    expect(header).toMatch(/^Bearer error="insufficient_scope", scope="([^"]+)", resource_metadata="http:\/\/127\.0\.0\.1:4999\/\.well-known\/oauth-protected-resource\/mcp"/);
    const scopes = /scope="([^"]+)"/.exec(header)![1].split(' ');
    expect(scopes).toEqual(expect.arrayContaining([...READ, 'project:delete']));
    // so the refresh the client tries first is refused and it asks the user (oauth/step-up.ts)
    expect(recorded).toEqual([['grant-token-read', scopes]]);
    expect(runner.calls).toHaveLength(0);
  });

  it('still answers the step-up when the authorization server cannot be told', async () => {
    const { app } = buildMcpApp({ verifier, stepUps: { record: async () => Promise.reject(new Error('store down')) } });
    const res = await post(app, callTool('mittwald_project_delete', { project_id: 'p-1' }), 'token-read');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('runs a list command with the user\'s mittwald token and returns the JSON as structured content', async () => {
    const runner = recordingRunner(() => ok('[{"id":"p-1","description":"Shop"}]'));
    const { app, metrics } = buildMcpApp({ verifier, runner });
    const res = await post(app, callTool('mittwald_app_list', { project_id: 'p-1' }), 'token-read');
    expect(res.message.result.isError).toBeFalsy();
    expect(res.message.result.structuredContent).toEqual({ items: [{ id: 'p-1', description: 'Shop' }] });
    expect(res.message.result.content[0].text).toMatch(/^1 item: /);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]).toMatchObject({ argv: ['app', 'list', '--project-id=p-1', '--output=json'], mittwaldToken: 'mw-secret-read', userKey: 'user-1' });
    expect(runner.calls[0].signal).toBeInstanceOf(AbortSignal);
    expect(await metrics.registry.getSingleMetricAsString('mcp_tool_calls_total')).toMatch(/tool_name="mittwald_app_list",status="success"} 1/);
  });

  it('returns the new id of a quiet create', async () => {
    const runner = recordingRunner(() => ok('p-new-1\n'));
    const { app } = buildMcpApp({ verifier, runner });
    const res = await post(app, callTool('mittwald_project_create', { description: 'x' }), 'token-all');
    expect(res.message.result.structuredContent).toEqual({ id: 'p-new-1' });
    expect(runner.calls[0].argv).toEqual(['project', 'create', '--description=x', '--quiet']);
  });

  it('maps CLI failures to stable codes with a clean message and no token', async () => {
    const box = '\u001b[31m╭──────────────╮\n│ Error: project mw-secret-read not found (404) │\n╰──────────────╯\u001b[0m';
    const cases: Array<[() => unknown, string]> = [
      [() => failed(box), 'not_found'],
      [() => failed('', 'Request failed with status code 403 Forbidden'), 'permission'],
      [() => failed('', 'Error: Unauthorized'), 'authentication'],
      [() => failed('', 'Flag --project-id expects a value'), 'invalid_input'],
      [() => failed('', 'segfault'), 'cli_failure'],
      [() => Promise.reject(new CliFailure('busy', 'queue full')), 'busy'],
      [() => Promise.reject(new CliFailure('timeout', 'killed')), 'timeout'],
      [() => Promise.reject(new CliFailure('cli_missing', 'ENOENT /usr/bin/mw')), 'unavailable'],
      [() => Promise.reject(new Error('internal detail at /srv/x.js:1')), 'cli_failure'],
    ];
    for (const [reply, code] of cases) {
      const { app } = buildMcpApp({ verifier, runner: recordingRunner(reply as never) });
      const result = (await post(app, callTool('mittwald_project_get', { project_id: 'p-1' }), 'token-read')).message.result;
      expect([code, result.isError]).toEqual([code, true]);
      expect(result.structuredContent.error.code).toBe(code);
      const text = result.content[0].text as string;
      expect(text).not.toMatch(/mw-secret-read|[╭│╰─]|\u001b|\/srv\/x\.js|ENOENT/);
    }
  });

  it('an unknown tool is a JSON-RPC error; nothing runs', async () => {
    const runner = recordingRunner();
    const { app } = buildMcpApp({ verifier, runner });
    const res = await post(app, callTool('mittwald_rm_rf'), 'token-all');
    expect(res.message.error.code).toBe(-32602);
    expect(res.message.error.message).toMatch(/Unknown tool: mittwald_rm_rf/);
    expect(runner.calls).toHaveLength(0);
  });

  it('invalid arguments are an invalid_input result; nothing runs', async () => {
    const runner = recordingRunner();
    const { app } = buildMcpApp({ verifier, runner });
    for (const args of [{ project_id: 'p', token: 'x' }, { project_id: 'a\u0000b' }, { project_id: 'x'.repeat(10_000) }, {}]) {
      const result = (await post(app, callTool('mittwald_project_get', args), 'token-read')).message.result;
      expect(result.isError).toBe(true);
      expect(result.structuredContent.error.code).toBe('invalid_input');
    }
    expect(runner.calls).toHaveLength(0);
  });

  it('a destructive tool without confirmation spawns nothing and says how to confirm', async () => {
    const runner = recordingRunner();
    const { app } = buildMcpApp({ verifier, runner });
    const result = (await post(app, callTool('mittwald_project_delete', { project_id: 'p-1' }), 'token-all')).message.result;
    expect(result.isError).toBe(true);
    expect(result.structuredContent.error.code).toBe('confirmation_required');
    expect(result.content[0].text).toMatch(/confirm: true/);
    expect(runner.calls).toHaveLength(0);
    const confirmed = (await post(app, callTool('mittwald_project_delete', { project_id: 'p-1', confirm: true }), 'token-all')).message.result;
    expect(confirmed.isError).toBeFalsy();
    expect(runner.calls.map((c) => c.argv)).toEqual([['project', 'delete', '--quiet', '--force', '--', 'p-1']]);
  });

  it('a connection-info tool returns the command line and runs nothing', async () => {
    const runner = recordingRunner();
    const { app } = buildMcpApp({ verifier, runner });
    const result = (await post(app, callTool('mittwald_app_ssh', { app_id: "a-1'; rm -rf ~" }), 'token-read')).message.result;
    expect(result.structuredContent.command).toBe(`mw app ssh -- 'a-1'\\''; rm -rf ~'`);
    expect(runner.calls).toHaveLength(0);
  });
});

describe('direct mittwald API tokens (DIRECT_API_TOKENS)', () => {
  it('checks an unknown bearer once against /v2/users/self and uses it as the mittwald token', async () => {
    const seen: Array<{ url: string; token: string | null }> = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      const token = new Headers(init.headers).get('x-access-token');
      seen.push({ url, token });
      return token === 'mw-api-token' ? Response.json({ userId: 'user-9' }) : new Response('{}', { status: 401 });
    }) as unknown as typeof fetch;
    const runner = recordingRunner(() => ok('[]'));
    const config = testConfig({ DIRECT_API_TOKENS: 'true', MITTWALD_API_BASE_URL: 'http://127.0.0.1:9' });
    const { app } = buildMcpApp({ verifier, runner, config, fetch: fakeFetch });
    await post(app, callTool('mittwald_project_list'), 'mw-api-token');
    await post(app, callTool('mittwald_project_list'), 'mw-api-token');
    expect(seen).toEqual([{ url: 'http://127.0.0.1:9/v2/users/self', token: 'mw-api-token' }]);
    expect(runner.calls.map((c) => [c.mittwaldToken, c.userKey])).toEqual([['mw-api-token', 'user-9'], ['mw-api-token', 'user-9']]);
    expect((await post(app, rpc('tools/list'), 'not-a-token')).status).toBe(401);
  });
});
