// Per-connection surfaces against the real `mw` surface: toolsets by path, query or header, the
// read-only view, the search mode, and what a hostile client can send in their place. A surface
// narrows what a connection sees and may call; every call that runs goes the way a direct call goes.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { readFileSync } from 'node:fs';
import type { ToolDefinition } from '../../src/mcp/tools/types.ts';
import { createInputValidator } from '../../src/mcp/tools/validate-input.ts';
import { fakeVerifier, recordingRunner, repoRoot, testConfig } from './support/fakes.ts';
import { buildMcpApp, postTo, rpc, streamText } from './support/mcp-app.ts';
import { surfaceCatalogue } from './support/surface.ts';

const READ = ['user:read', 'customer:read', 'project:read', 'app:read'];
const verifier = fakeVerifier({
  'token-all': { scopes: testConfig().mittwald.scopes.upstream },
  'token-read': { scopes: READ },
});
const catalogue = surfaceCatalogue();
const runner = recordingRunner();
const { app } = buildMcpApp({ verifier, catalogue, runner });
const TOPICS = [...new Set(catalogue.tools.map((tool) => tool.topic))].sort();

const post = (path: string, body: unknown, token: string | null = 'token-all', headers: Record<string, string> = {}) => postTo(app, path, body, token ?? undefined, headers);
const listed = async (path: string, headers: Record<string, string> = {}) => {
  const answer = await post(path, rpc('tools/list'), 'token-all', headers);
  expect(answer.status).toBe(200);
  return answer.message.result.tools as Array<{ name: string; annotations: { readOnlyHint?: boolean } }>;
};
const call = (path: string, name: string, args: Record<string, unknown> = {}, token = 'token-all') => post(path, rpc('tools/call', { name, arguments: args }), token);
const topicOf = (name: string) => catalogue.get(name)!.topic;
const structured = (answer: { message: any }) => answer.message.result.structuredContent as Record<string, any>;

describe('toolsets chosen per connection', () => {
  it('/mcp/x/<topics> lists exactly the tools of those topics', async () => {
    const tools = await listed('/mcp/x/project,database');
    expect(new Set(tools.map((tool) => topicOf(tool.name)))).toEqual(new Set(['project', 'database']));
    expect(tools).toHaveLength(catalogue.tools.filter((tool) => ['project', 'database'].includes(tool.topic)).length);
  });

  it('/mcp/readonly lists every tool that changes nothing, and only those', async () => {
    const tools = await listed('/mcp/readonly');
    expect(tools.every((tool) => tool.annotations.readOnlyHint === true)).toBe(true);
    expect(tools).toHaveLength(catalogue.tools.filter((tool) => tool.annotations.readOnlyHint).length);
  });

  it.each([
    ['the path', '/mcp/x/app/readonly', {}],
    ['the query', '/mcp?toolsets=app&readonly=true', {}],
    ['headers', '/mcp', { 'x-mcp-toolsets': 'app', 'x-mcp-readonly': 'true' }],
    ['the path and a header', '/mcp/x/app', { 'x-mcp-readonly': '1' }],
  ])('combines a topic with read-only through %s', async (_how, path, headers) => {
    const tools = await listed(path, headers);
    const expected = catalogue.tools.filter((tool) => tool.topic === 'app' && tool.annotations.readOnlyHint).map((tool) => tool.name);
    expect(tools.map((tool) => tool.name)).toEqual(expected);
  });

  it('refuses to call a tool that is not on the connection, and runs nothing', async () => {
    runner.calls.length = 0;
    const outside = await call('/mcp/x/app', 'mittwald_project_list');
    expect(outside.message.error).toEqual({ code: -32602, message: expect.stringMatching(/mittwald_project_list is not on this connection's toolsets/) });
    const writing = await call('/mcp/readonly', 'mittwald_project_create', { description: 'x' });
    expect(writing.message.error.code).toBe(-32602);
    expect(runner.calls).toHaveLength(0);
    const inside = await call('/mcp/x/project/readonly', 'mittwald_project_list');
    expect(inside.message.result.isError).toBeFalsy();
    expect(runner.calls).toHaveLength(1);
  });

  it('answers an unknown toolset with 400 and the toolsets to choose from, before asking for a token', async () => {
    const answer = await post('/mcp/x/project,projects', rpc('tools/list'), null);
    expect(answer.status).toBe(400);
    expect(answer.message.error.code).toBe(-32602);
    expect(answer.message.error.message).toBe(`Unknown toolset "projects": choose from ${[...TOPICS, 'search'].sort().join(', ')}`);
  });

  it.each([
    ['a name that is nearly a topic', '/mcp/x/App', {}],
    ['an empty name', '/mcp/x/app,', {}],
    ['a newline', '/mcp/x/app%0A', {}],
    ['a line break in the header', '/mcp', { 'x-mcp-toolsets': 'app,\tproject\u00a0' }],
    ['right-to-left text', '/mcp/x/%E2%80%AEppa', {}],
    ['path traversal', '/mcp/x/..%2F..%2Fadmin', {}],
    ['a very long list', `/mcp/x/${'app,'.repeat(400)}app`, {}],
    ['toolsets named twice', '/mcp/x/app?toolsets=project', {}],
    ['the query parameter twice', '/mcp?toolsets=app&toolsets=project', {}],
    ['the query and the header', '/mcp?toolsets=app', { 'x-mcp-toolsets': 'app' }],
    ['read-only neither true nor false', '/mcp', { 'x-mcp-readonly': 'yes please' }],
    ['read-only twice in the query', '/mcp?readonly=true&readonly=false', {}],
    ['the search mode as the query twice', '/mcp?toolsets=search&toolsets=search', {}],
  ])('refuses %s with a clear 400, never a 500', async (_what, path, headers) => {
    const answer = await post(path, rpc('tools/list'), 'token-all', headers);
    expect(answer.status).toBe(400);
    expect(answer.message).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32602, message: expect.any(String) } });
    expect(answer.message.error.message.length).toBeLessThan(400);
    expect(answer.message.error.message).not.toMatch(/[\n\r\u202e]/);
  });

  it('tells the model at initialize what the connection offers', async () => {
    const initialize = (path: string) => post(path, rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }));
    expect((await initialize('/mcp/x/app/readonly')).message.result.instructions).toMatch(/This connection offers the toolsets app, read-only tools only; \/mcp offers every tool\.$/);
    expect((await initialize('/mcp/x/search')).message.result.instructions).toMatch(/through find_tools .* describe_tool .* call_tool/);
    expect((await initialize('/mcp')).message.result.instructions).not.toMatch(/This connection/);
  });

  it('takes the header list with spaces after its commas', async () => {
    const tools = await listed('/mcp', { 'x-mcp-toolsets': 'app, project' });
    expect(new Set(tools.map((tool) => topicOf(tool.name)))).toEqual(new Set(['app', 'project']));
  });
});

describe('the protected resource of each toolset URL', () => {
  it.each(['/mcp/x/app,database', '/mcp/readonly', '/mcp/x/search/readonly'])('%s has its own metadata, and its 401 points there', async (path) => {
    const unauthorised = await post(path, rpc('tools/list'), null);
    expect(unauthorised.status).toBe(401);
    const metadataUrl = `http://127.0.0.1:4999/.well-known/oauth-protected-resource${path}`;
    expect(unauthorised.headers['www-authenticate']).toContain(`resource_metadata="${metadataUrl}"`);
    const metadata = await request(app).get(new URL(metadataUrl).pathname).buffer(true).parse(streamText);
    expect(metadata.status).toBe(200);
    // RFC 9728 §3.3: the resource named is the URL the document was found for
    expect(JSON.parse(metadata.body as unknown as string)).toEqual(expect.objectContaining({ resource: `http://127.0.0.1:4999${path}`, authorization_servers: ['http://127.0.0.1:4999'] }));
  });

  it('a query or header choice stays on /mcp, whose metadata it points to', async () => {
    const unauthorised = await post('/mcp?toolsets=app', rpc('tools/list'), null, { 'x-mcp-readonly': 'true' });
    expect(unauthorised.headers['www-authenticate']).toContain('resource_metadata="http://127.0.0.1:4999/.well-known/oauth-protected-resource/mcp"');
  });

  it('has no metadata for an unknown toolset', async () => {
    expect((await request(app).get('/.well-known/oauth-protected-resource/mcp/x/nothing')).status).toBe(404);
  });
});

/** The smallest input the tool's own schema accepts: its required properties, and one more where a rule asks for it. */
const validate = createInputValidator();
const SAMPLE_TEXTS = ['p-12345', '90s', '1Gi', '512m', '8080', '1.5', 'KEY=value'];
function sampleValue(schema: Record<string, any>): unknown {
  if (schema.type === 'boolean') return true;
  if (schema.type === 'integer' || schema.type === 'number') return 1;
  if (schema.type === 'array') return [sampleValue(schema.items)];
  if (schema.enum) return schema.enum[0];
  return SAMPLE_TEXTS.find((text) => new RegExp(schema.pattern ?? '', 'u').test(text));
}
function accepts(tool: ToolDefinition, input: Record<string, unknown>): boolean {
  try {
    validate(tool, input);
    return true;
  } catch {
    return false;
  }
}
function sampleInput(tool: ToolDefinition): Record<string, unknown> {
  const { properties, required = [] } = tool.inputSchema;
  const input: Record<string, unknown> = Object.fromEntries(required.map((name) => [name, sampleValue(properties[name])]));
  if (tool.needsConfirmation) input.confirm = true;
  if (accepts(tool, input)) return input;
  const optional = Object.keys(properties).filter((name) => !(name in input));
  const withOne = optional.map((name) => ({ ...input, [name]: sampleValue(properties[name]) }));
  const withTwo = withOne.flatMap((one) => optional.filter((name) => !(name in one)).map((name) => ({ ...one, [name]: sampleValue(properties[name]) })));
  const found = [...withOne, ...withTwo].find((more) => accepts(tool, more));
  if (found) return found;
  throw new Error(`no sample input for ${tool.name}`);
}

describe('the search mode (/mcp/x/search)', () => {
  it('lists three tools in under 5 KB', async () => {
    const answer = await post('/mcp/x/search', rpc('tools/list'));
    expect(answer.message.result.tools.map((tool: { name: string }) => tool.name)).toEqual(['find_tools', 'describe_tool', 'call_tool']);
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(5 * 1024);
  });

  it('finds every catalogue tool by the words of its title, among the first answers', async () => {
    const ranks: number[] = [];
    for (const tool of catalogue.tools) {
      const found = structured(await call('/mcp/x/search', 'find_tools', { query: tool.title.toLowerCase() })).tools.map((t: { name: string }) => t.name);
      expect([tool.name, found.includes(tool.name)]).toEqual([tool.name, true]);
      ranks.push(found.indexOf(tool.name));
    }
    expect(Math.max(...ranks)).toBeLessThan(5);
  });

  it('finds by topic, and by words a user would say', async () => {
    const inTopic = structured(await call('/mcp/x/search', 'find_tools', { topic: 'backup', limit: 50 }));
    expect(inTopic.tools.map((t: { name: string }) => topicOf(t.name))).toEqual(Array(inTopic.total).fill('backup'));
    const said = structured(await call('/mcp/x/search', 'find_tools', { query: 'delete databases' }));
    expect(said.tools.slice(0, 3).map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['mittwald_database_mysql_delete']));
  });

  it('describes a tool with its input schema and scopes', async () => {
    const described = structured(await call('/mcp/x/search', 'describe_tool', { name: 'mittwald_project_delete' })).tool;
    expect(described).toEqual(expect.objectContaining({ name: 'mittwald_project_delete', securitySchemes: [{ type: 'oauth2', scopes: ['project:delete'] }] }));
    expect(described.inputSchema.required).toEqual(['project_id']);
  });

  it('calls every catalogue tool as a direct call would: the same answer, the same command line', async () => {
    for (const tool of catalogue.tools) {
      const input = sampleInput(tool);
      runner.calls.length = 0;
      const direct = await call('/mcp', tool.name, input);
      const directArgv = runner.calls.map((c) => c.argv);
      runner.calls.length = 0;
      const searched = await call('/mcp/x/search', 'call_tool', { name: tool.name, arguments: input });
      expect([tool.name, searched.message.result]).toEqual([tool.name, direct.message.result]);
      expect([tool.name, runner.calls.map((c) => c.argv)]).toEqual([tool.name, directArgv]);
      if (tool.kind === 'run') expect([tool.name, directArgv.length]).toEqual([tool.name, 1]);
    }
  });

  it('asks for the scopes a tool beyond the grant needs, as a direct call does, and runs nothing', async () => {
    runner.calls.length = 0;
    const direct = await call('/mcp', 'mittwald_project_delete', { project_id: 'p-1', confirm: true }, 'token-read');
    const searched = await call('/mcp/x/search', 'call_tool', { name: 'mittwald_project_delete', arguments: { project_id: 'p-1', confirm: true } }, 'token-read');
    expect(searched.status).toBe(403);
    const challenge = (answer: typeof direct) => String(answer.headers['www-authenticate']).replace(/resource_metadata="[^"]*"/, '');
    expect(challenge(searched)).toBe(challenge(direct));
    expect(searched.headers['www-authenticate']).toContain('oauth-protected-resource/mcp/x/search"');
    expect(runner.calls).toHaveLength(0);
  });

  it('needs the confirmation a destructive tool needs', async () => {
    runner.calls.length = 0;
    const unconfirmed = await call('/mcp/x/search', 'call_tool', { name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } });
    expect(structured(unconfirmed).error.code).toBe('confirmation_required');
    expect(runner.calls).toHaveLength(0);
  });

  it('narrowed by read-only and topics, neither finds nor calls anything beyond them', async () => {
    const found = structured(await call('/mcp/x/search,project/readonly', 'find_tools', { query: 'project', limit: 50 })).tools as Array<{ name: string }>;
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((t) => catalogue.get(t.name)!.topic === 'project' && catalogue.get(t.name)!.annotations.readOnlyHint)).toBe(true);
    runner.calls.length = 0;
    for (const name of ['mittwald_project_delete', 'mittwald_app_list']) {
      const refused = await call('/mcp/x/search,project/readonly', 'call_tool', { name, arguments: { project_id: 'p-1', confirm: true } });
      expect(structured(refused).error.code).toBe('unknown_tool');
      expect(refused.status).toBe(200);
    }
    expect(runner.calls).toHaveLength(0);
  });

  it.each([
    ['a catalogue tool by its own name', 'mittwald_project_list', {}],
    ['call_tool without a name', 'call_tool', { arguments: {} }],
    ['call_tool with arguments that are not an object', 'call_tool', { name: 'mittwald_project_list', arguments: ['x'] }],
    ['find_tools with a query that is not text', 'find_tools', { query: { $ne: 1 } }],
    ['find_tools with a limit beyond the cap', 'find_tools', { limit: 100000 }],
  ])('refuses %s clearly, running nothing', async (_what, name, args) => {
    runner.calls.length = 0;
    const answer = await call('/mcp/x/search', name, args as Record<string, unknown>);
    expect(answer.status).toBe(200);
    const refused = answer.message.error ?? structured(answer).error;
    expect(refused).toEqual(expect.objectContaining({ message: expect.any(String) }));
    expect(runner.calls).toHaveLength(0);
  });
});

describe('on 2026-07-28 (stateless, every request carries its _meta)', () => {
  const MODERN_META = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'surfaces-modern', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  };
  const modern = (path: string, method: string, params: Record<string, unknown> = {}, token = 'token-all') =>
    post(path, rpc(method, { ...params, _meta: MODERN_META }), token, {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(method === 'tools/call' ? { 'mcp-name': String(params.name) } : {}),
    });

  it('discovers the surface: its instructions, and resources and prompts as on /mcp', async () => {
    const discovered = (await modern('/mcp/x/search', 'server/discover')).message.result;
    expect(discovered.instructions).toContain('find_tools');
    expect(discovered.capabilities).toEqual(expect.objectContaining({ tools: expect.any(Object), resources: expect.any(Object), prompts: expect.any(Object) }));
  });

  it('lists the surface’s tools with resultType and a private cache hint', async () => {
    const search = (await modern('/mcp/x/search', 'tools/list')).message.result;
    expect(search).toEqual(expect.objectContaining({ resultType: 'complete', cacheScope: 'private' }));
    expect(search.tools.map((tool: { name: string }) => tool.name)).toEqual(['find_tools', 'describe_tool', 'call_tool']);
    const project = (await modern('/mcp/x/project/readonly', 'tools/list')).message.result.tools as Array<{ name: string }>;
    expect(project.length).toBeGreaterThan(1);
    expect(project.every((tool) => topicOf(tool.name) === 'project' && catalogue.get(tool.name)!.annotations.readOnlyHint)).toBe(true);
  });

  it('call_tool beyond the grant gets the step-up of a direct call, and runs nothing', async () => {
    runner.calls.length = 0;
    const searched = await modern('/mcp/x/search', 'tools/call', { name: 'call_tool', arguments: { name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } } }, 'token-read');
    expect(searched.status).toBe(403);
    expect(searched.headers['www-authenticate']).toMatch(/insufficient_scope.*project:delete/);
    expect(runner.calls).toHaveLength(0);
  });

  it('a client that shows MCP Apps views gets them on a toolset URL, not in the search mode (its call_tool names no view)', async () => {
    const showsViews = { ...MODERN_META, 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } } };
    const listedWith = async (path: string) => (await post(path, rpc('tools/list', { _meta: showsViews }), 'token-all', { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' })).message.result.tools as Array<{ name: string; _meta?: { ui?: { resourceUri?: string } } }>;
    const project = await listedWith('/mcp/x/project');
    expect(project.find((tool) => tool.name === 'mittwald_project_delete')?._meta?.ui?.resourceUri).toBe('ui://mittwald-mcp/confirmation');
    expect(project.map((tool) => tool.name)).toContain('mittwald_confirm_in_view');
    const search = await listedWith('/mcp/x/search');
    expect(search.map((tool) => tool.name)).toEqual(['find_tools', 'describe_tool', 'call_tool']);
    expect(search.some((tool) => tool._meta?.ui)).toBe(false);
  });

  it('call_tool of a destructive tool asks by multi round-trip; the yes runs it once', async () => {
    runner.calls.length = 0;
    const deleteIt = { name: 'call_tool', arguments: { name: 'mittwald_project_delete', arguments: { project_id: 'p-1' } } };
    const asked = (await modern('/mcp/x/search', 'tools/call', deleteIt)).message.result;
    expect(asked.resultType).toBe('input_required');
    expect(asked.inputRequests.confirm.params.message).toMatch(/"mw project delete" on project_id "p-1"/);
    expect(runner.calls).toHaveLength(0);
    const yes = { inputResponses: { confirm: { action: 'accept', content: { confirm: true } } }, requestState: asked.requestState };
    const altered = await modern('/mcp/x/search', 'tools/call', { name: 'call_tool', arguments: { name: 'mittwald_project_delete', arguments: { project_id: 'p-2' } }, ...yes });
    expect(altered.message.result.isError).toBe(true);
    expect(runner.calls).toHaveLength(0);
    const answered = await modern('/mcp/x/search', 'tools/call', { ...deleteIt, ...yes });
    expect(answered.message.result.isError).toBeFalsy();
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0].argv).toEqual(expect.arrayContaining(['project', 'delete', 'p-1']));
  });
});

describe('the README', () => {
  it('has the table of toolsets with their tool counts, as the catalogue has them', () => {
    const count = (topic: string) => catalogue.tools.filter((tool) => tool.topic === topic);
    const rows = TOPICS.map((topic) => `| \`${topic}\` | ${count(topic).length} | ${count(topic).filter((tool) => tool.annotations.readOnlyHint).length} |`);
    const table = ['| Toolset | Tools | Read-only |', '|---|---|---|', ...rows, `| all (\`/mcp\`) | ${catalogue.tools.length} | ${catalogue.tools.filter((tool) => tool.annotations.readOnlyHint).length} |`].join('\n');
    const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
    expect(readme).toContain(table);
  });
});
