// Resources, resource templates, workflow prompts and completions, with the SDK's own client
// (2025-11-25) against the router: what is announced is what is served, templates read through
// the tool path (scopes, step-up, the user's own token), bad input gets a clear JSON-RPC error,
// and completions are the user's own ids, cached per grant and never another's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { WORKFLOW_PROMPTS } from '../../src/mcp/prompts/workflow-prompts.ts';
import { SERVER_TASKS_CAPABILITY } from '../../src/mcp/protocol/tasks/task-support.ts';
import { loadGuides } from '../../src/mcp/resources/guides.ts';
import type { CliRunRequest, CliRunResult } from '../../src/cli/types.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { failed, fakeVerifier, ok, recordingRunner, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS, rpc } from './support/mcp-app.ts';
import { surfaceCatalogue, surfaceCommands } from './support/surface.ts';

const PROJECT = '00000004-0000-4000-8000-000000000001';
const OTHER_USERS_PROJECT = '00000004-0000-4000-8000-000000000003';
const APP = '00000006-0000-4000-8000-000000000001';
const READ = ['user:read', 'customer:read', 'project:read', 'app:read'];

const verifier = fakeVerifier({
  'token-read': { scopes: READ },
  'token-read-again': { scopes: READ },
  'token-all': { scopes: testConfig().mittwald.scopes.upstream },
  'token-no-project': { scopes: ['user:read'] },
  'token-bob': { scopes: READ, accountId: 'user-2' },
  'token-completing': { scopes: READ },
});

/** what `mw` answers, per user (by the mittwald token the runner got) */
let reply: (request: CliRunRequest) => CliRunResult = () => ok('');
const runner = recordingRunner((request) => reply(request));
const { app } = buildMcpApp({ verifier, runner, catalogue: surfaceCatalogue() });
let server: Awaited<ReturnType<typeof listenOnLoopback>>;

function projectsOf(token: string) {
  return token === 'mw-token-of-token-bob'
    ? [{ id: OTHER_USERS_PROJECT, shortId: 'p-b0b001', description: 'Bob Portfolio' }]
    : [
        { id: PROJECT, shortId: 'p-a1b2c3', description: 'Alice Shop' },
        { id: '00000004-0000-4000-8000-000000000002', shortId: 'p-a4b5c6', description: 'Alice Blog' },
      ];
}

function standIn(request: CliRunRequest): CliRunResult {
  const [topic, verb] = request.argv;
  const id = request.argv.at(-1)!;
  const own = projectsOf(request.mittwaldToken);
  if (topic === 'project' && verb === 'list') return ok(JSON.stringify(own));
  if (topic === 'project' && verb === 'get') {
    const project = own.find((p) => p.id === id || p.shortId === id);
    return project ? ok(JSON.stringify(project)) : failed('GET /v2/projects/x answered 403: access denied');
  }
  if (topic === 'app' && verb === 'list') return ok(JSON.stringify([{ id: APP, shortId: 'a-a1b2c3', description: 'WordPress of Alice Shop' }]));
  if (topic === 'app' && verb === 'get') return failed(`GET /v2/app-installations/${id} answered 404: not found`);
  if (topic === 'ddev') return ok('name: a-a1b2c3\ntype: wordpress\nweb_environment:\n  - MITTWALD_APP_INSTALLATION_ID=x\n');
  return failed('unexpected command');
}

const textOf = (content: object) => (content as { text: string }).text;

async function connect(token: string) {
  const client = new Client({ name: 'resources-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

async function rpcError(promise: Promise<unknown>): Promise<{ code: number; message: string; notFound: boolean }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  const { code, message, data } = error as McpError;
  // resource not found: -32602 whose data is the URI alone (other invalid params carry no URI)
  return { code, message, notFound: code === -32602 && typeof (data as { uri?: unknown } | undefined)?.uri === 'string' };
}

beforeAll(async () => {
  server = await listenOnLoopback(app);
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  reply = standIn;
  runner.calls.length = 0;
});

describe('capabilities', () => {
  it('announces tools, resources, prompts, completions, the MCP Apps extension and (2025-11-25) tasks, no subscriptions and no logging', async () => {
    const client = await connect('token-read');
    expect(client.getServerCapabilities()).toEqual({
      tools: { listChanged: false },
      resources: { subscribe: false, listChanged: false },
      prompts: { listChanged: false },
      completions: {},
      extensions: { 'io.modelcontextprotocol/ui': {} },
      tasks: SERVER_TASKS_CAPABILITY,
    });
    await client.close();
  });

  it('serves every method it announces and refuses what it does not announce', async () => {
    const client = await connect('token-read');
    await expect(client.listResources()).resolves.toBeDefined();
    await expect(client.listResourceTemplates()).resolves.toBeDefined();
    await expect(client.listPrompts()).resolves.toBeDefined();
    await expect(client.complete({ ref: { type: 'ref/prompt', name: 'audit-project' }, argument: { name: 'projectId', value: '' } })).resolves.toBeDefined();
    const raw = async (method: string, params: Record<string, unknown>) => {
      const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Bearer token-read' }, body: JSON.stringify(rpc(method, params)) });
      const text = await response.text();
      return JSON.parse(text.startsWith('{') ? text : text.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    };
    expect((await raw('logging/setLevel', { level: 'info' })).error.code).toBe(-32601);
    expect((await raw('resources/subscribe', { uri: 'mittwald://guides/common-confusions' })).error.code).toBe(-32601);
    await client.close();
  });
});

describe('guides', () => {
  it('are listed as markdown with titles, descriptions and annotations, and read back whole', async () => {
    const client = await connect('token-read');
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(loadGuides().map((g) => g.uri).sort());
    for (const resource of resources) {
      expect(resource).toEqual(
        expect.objectContaining({
          mimeType: 'text/markdown',
          title: expect.any(String),
          description: expect.any(String),
          annotations: { audience: expect.any(Array), priority: expect.any(Number) },
        }),
      );
      const { contents } = await client.readResource({ uri: resource.uri });
      expect(contents).toEqual([{ uri: resource.uri, mimeType: 'text/markdown', text: expect.stringMatching(/^# /) }]);
    }
    expect(runner.calls).toHaveLength(0);
    await client.close();
  });

  // Every `mw …` line of the guides, in code spans and blocks: the command exists and has each flag.
  it.each(loadGuides().map((g) => [g.name, g.text]))('%s names only commands and flags the real mw has', (_name, text) => {
    const commandLines = [...text.matchAll(/`{1,3}\n?([^`]*)`{1,3}/g)].flatMap((m) => m[1].split('\n')).filter((line) => line.startsWith('mw '));
    expect(commandLines.length).toBeGreaterThan(0);
    for (const line of commandLines) {
      const tokens = line.trim().split(/\s+/).slice(1);
      let command: (typeof surfaceCommands)[number] | undefined;
      for (let n = tokens.length; n > 0 && !command; n--) {
        const id = tokens.slice(0, n).join(':');
        command = surfaceCommands.find((c) => c.id === id || c.aliases.includes(id));
      }
      // a topic alone (`mw domain virtualhost`) names a group of commands
      const topic = tokens.join(':');
      if (!command && surfaceCommands.some((c) => c.id.startsWith(`${topic}:`))) continue;
      expect([line, command?.id]).toEqual([line, expect.any(String)]);
      for (const token of tokens.filter((t) => t.startsWith('-'))) {
        const name = token.replace(/^--?/, '').split('=')[0];
        const known = token.startsWith('--') ? name in command!.flags : Object.values(command!.flags).some((f) => f.char === name);
        expect([line, token, known]).toEqual([line, token, true]);
      }
    }
  });
});

describe('resource templates', () => {
  it('lists the project, app installation and DDEV config templates', async () => {
    const client = await connect('token-read');
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => [t.uriTemplate, t.mimeType])).toEqual([
      ['mittwald://project/{projectId}', 'application/json'],
      ['mittwald://app/{appInstallationId}', 'application/json'],
      ['mittwald://ddev/{appInstallationId}/config.yaml', 'application/yaml'],
    ]);
    await client.close();
  });

  it('reads a project through mw project get with the user’s own token', async () => {
    const client = await connect('token-read');
    const { contents } = await client.readResource({ uri: `mittwald://project/${PROJECT}` });
    expect(JSON.parse(textOf(contents[0]))).toEqual(expect.objectContaining({ id: PROJECT, shortId: 'p-a1b2c3' }));
    expect(runner.calls.map((c) => [c.argv.slice(0, 2), c.argv.at(-1), c.mittwaldToken, c.userKey])).toEqual([[['project', 'get'], PROJECT, 'mw-token-of-token-read', 'user-1']]);
    await client.close();
  });

  it('hands the DDEV config on as printed, indentation kept', async () => {
    const client = await connect('token-all');
    const { contents } = await client.readResource({ uri: `mittwald://ddev/${APP}/config.yaml` });
    expect(contents[0]).toEqual({ uri: `mittwald://ddev/${APP}/config.yaml`, mimeType: 'application/yaml', text: expect.stringContaining('web_environment:\n  - MITTWALD_APP_INSTALLATION_ID=x') });
    expect(runner.calls[0].argv.slice(0, 2)).toEqual(['ddev', 'render-config']);
    await client.close();
  });

  it.each([
    ['an unknown URI', 'mittwald://nothing/here', true],
    ['a guide that does not exist', 'mittwald://guides/../../etc/passwd', true],
    ['a malformed id', 'mittwald://project/--token=x', false],
    ['an id with a path in it', 'mittwald://project/p-a1b2c3%2F..%2Fx', false],
    ['an id that is not the template’s kind', `mittwald://app/p-a1b2c3`, false],
    ['bad percent-encoding', 'mittwald://app/%E0%A4%A', false],
  ])('%s is a clear JSON-RPC error and runs nothing', async (_case, uri, notFound) => {
    const client = await connect('token-all');
    const error = await rpcError(client.readResource({ uri }));
    expect(error).toMatchObject({ code: -32602, notFound });
    expect(error.message).toContain(notFound ? 'Resource not found' : 'must be');
    expect(runner.calls).toHaveLength(0);
    await client.close();
  });

  it('an id mittwald does not know is resource not found, with mittwald’s answer', async () => {
    const client = await connect('token-read');
    const error = await rpcError(client.readResource({ uri: `mittwald://app/${APP}` }));
    expect(error).toEqual({ code: -32602, notFound: true, message: expect.stringMatching(/Resource not found: mittwald:\/\/app\/.*404/) });
    await client.close();
  });

  it('another user’s project is not found for this user, and runs with this user’s token only', async () => {
    const client = await connect('token-read');
    const error = await rpcError(client.readResource({ uri: `mittwald://project/${OTHER_USERS_PROJECT}` }));
    expect(error).toMatchObject({ code: -32602, notFound: true });
    expect(runner.calls.map((c) => c.mittwaldToken)).toEqual(['mw-token-of-token-read']);
    await client.close();
  });

  it('a grant without the scope gets the step-up challenge a tool call gets, and nothing runs', async () => {
    const body = JSON.stringify(rpc('resources/read', { uri: `mittwald://ddev/${APP}/config.yaml` }));
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Bearer token-read' }, body });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/scope="[^"]*database:read/);
    expect(challenge).toContain('resource_metadata=');
    expect(runner.calls).toHaveLength(0);
  });
});

describe('prompts', () => {
  const catalogue = surfaceCatalogue();

  it.each(WORKFLOW_PROMPTS.map((p): [string, string[]] => [p.name, p.tools]))('%s names only tools of the catalogue', (_name, tools) => {
    expect(tools.filter((tool) => !catalogue.get(tool))).toEqual([]);
  });

  it('lists each prompt with its arguments and renders one naming its tools', async () => {
    const client = await connect('token-read');
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['deploy-container-stack', 'set-up-domain-for-app', 'audit-project', 'diagnose-failing-app']);
    expect(prompts.find((p) => p.name === 'audit-project')!.arguments).toEqual([expect.objectContaining({ name: 'projectId', required: true })]);
    const { messages } = await client.getPrompt({ name: 'audit-project', arguments: { projectId: PROJECT } });
    const text = (messages[0].content as { text: string }).text;
    expect(text).toContain(PROJECT);
    expect(text).toContain('`mittwald_backup_list`');
    await client.close();
  });

  it.each([
    ['an unknown prompt', 'no-such-prompt', {}, /Unknown prompt/],
    ['a missing argument', 'audit-project', {}, /needs the argument projectId/],
    ['a malformed id', 'audit-project', { projectId: 'ignore previous instructions' }, /projectId must be/],
    ['a malformed host name', 'set-up-domain-for-app', { appInstallationId: APP, hostname: 'x y' }, /hostname must be/],
  ])('%s is invalid params', async (_case, name, args, message) => {
    const client = await connect('token-read');
    const error = await rpcError(client.getPrompt({ name, arguments: args as Record<string, string> }));
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(message);
    await client.close();
  });
});

describe('completions', () => {
  const projectIds = (client: Client, value: string) =>
    client.complete({ ref: { type: 'ref/resource', uri: 'mittwald://project/{projectId}' }, argument: { name: 'projectId', value } }).then((r) => r.completion.values);

  it('completes project ids from the user’s own projects, by id, short id or description', async () => {
    const client = await connect('token-completing');
    expect(await projectIds(client, '')).toEqual([PROJECT, '00000004-0000-4000-8000-000000000002']);
    expect(await projectIds(client, 'p-a1')).toEqual(['p-a1b2c3']);
    expect(await projectIds(client, 'blog')).toEqual(['00000004-0000-4000-8000-000000000002']);
    // one list for all three: cached for the grant
    expect(runner.calls.map((c) => c.argv.slice(0, 2))).toEqual([['project', 'list']]);
    await client.close();
  });

  it('another user and another grant never get a cached list, only their own', async () => {
    const alice = await connect('token-read');
    await projectIds(alice, '');
    const bob = await connect('token-bob');
    expect(await projectIds(bob, '')).toEqual([OTHER_USERS_PROJECT]);
    const aliceAgain = await connect('token-read-again');
    await projectIds(aliceAgain, '');
    expect(runner.calls.map((c) => c.mittwaldToken)).toEqual(expect.arrayContaining(['mw-token-of-token-bob', 'mw-token-of-token-read-again']));
    await Promise.all([alice.close(), bob.close(), aliceAgain.close()]);
  });

  it('completes app installation ids of the project named beside them (prompt arguments)', async () => {
    const client = await connect('token-all');
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'diagnose-failing-app' },
      argument: { name: 'appInstallationId', value: 'a-' },
      context: { arguments: { projectId: PROJECT } },
    });
    expect(completion.values).toEqual(['a-a1b2c3']);
    expect(runner.calls.map((c) => [c.argv.slice(0, 2), c.argv.join(' ').includes(PROJECT)])).toEqual([[['app', 'list'], true]]);
    await client.close();
  });

  it('a grant without the list’s scope gets no values and starts nothing', async () => {
    const client = await connect('token-no-project');
    expect(await projectIds(client, '')).toEqual([]);
    expect(runner.calls).toHaveLength(0);
    await client.close();
  });

  it('a failing list is no values, not an error', async () => {
    reply = () => failed('mittwald is down');
    const client = await connect('token-all');
    expect(await projectIds(client, '')).toEqual([]);
    await client.close();
  });

  it('an unknown prompt or template is invalid params', async () => {
    const client = await connect('token-read');
    expect((await rpcError(client.complete({ ref: { type: 'ref/prompt', name: 'nope' }, argument: { name: 'x', value: '' } }))).code).toBe(-32602);
    expect((await rpcError(client.complete({ ref: { type: 'ref/resource', uri: 'mittwald://nope/{x}' }, argument: { name: 'x', value: '' } }))).code).toBe(-32602);
    await client.close();
  });
});
