// A real MCP client (SDK 1.32.2) against the router: elicitation for destructive tools and
// cancellation, which cross HTTP requests in stateless mode; what the user is asked, and where
// secret inputs must never show.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { CliRunRequest, CliRunResult } from '../../src/cli/types.ts';
import { failed, fakeVerifier, ok, recordingRunner, runUntilAborted, testConfig } from './support/fakes.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { buildMcpApp, declareTool } from './support/mcp-app.ts';
import { surfaceCatalogue } from './support/surface.ts';

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

describe('confirmation is the user\'s, not the model\'s (the real command surface)', () => {
  const config = testConfig();
  const catalogue = surfaceCatalogue();
  declareTool(catalogue, 'mittwald_project_delete', {
    confirmation: { kind: 'destructive', reason: 'deletes the project and everything in it' },
    targetProperties: ['project_id'],
  });
  declareTool(catalogue, 'mittwald_sftp_user_create', {
    confirmation: { kind: 'privilege', reason: 'creates a login with access to the project\'s files' },
    targetProperties: ['project_id'],
    secretProperties: ['password'],
  });
  declareTool(catalogue, 'mittwald_database_mysql_dump', { secretProperties: ['mysql_password'] });
  const password = 'hunter2-Secret-7731';
  let reply: (request: CliRunRequest) => Promise<CliRunResult> | CliRunResult = () => ok('');
  const surfaceRunner = recordingRunner((request) => reply(request));
  const built = buildMcpApp({ verifier, runner: surfaceRunner, config, catalogue });
  let surface: Awaited<ReturnType<typeof listenOnLoopback>>;
  const questions: string[] = [];

  beforeAll(async () => {
    surface = await listenOnLoopback(built.app);
  });
  afterAll(async () => {
    await surface.close();
  });
  beforeEach(() => {
    questions.length = 0;
    surfaceRunner.calls.length = 0;
    reply = () => ok('');
  });

  async function connectTo(capabilities: Record<string, unknown>, userAnswer: ElicitResult = { action: 'accept', content: { confirm: true } }) {
    const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
    if ('elicitation' in capabilities) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        questions.push(request.params.message);
        return userAnswer;
      });
    }
    await client.connect(new StreamableHTTPClientTransport(new URL(`${surface.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer token-all' } } }));
    return client;
  }
  const textOf = (result: unknown) => (result as CallToolResult).content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

  it('asks the user even when the model sent confirm: true, names the command and target, and runs after the user accepts', async () => {
    const client = await connectTo({ elicitation: {} });
    const result = await client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: 'p-doomed', confirm: true } });
    expect(result.isError).toBeFalsy();
    expect(questions).toEqual([
      'Allow "mw project delete" on project_id "p-doomed"?\n' +
        'It deletes the project with its apps, databases, mail addresses, backups and files. This cannot be undone.',
    ]);
    expect(surfaceRunner.calls.map((c) => c.argv)).toEqual([['project', 'delete', '--quiet', '--force', '--', 'p-doomed']]);
    await client.close();
  });

  it.each([
    ['declines', { action: 'decline' }],
    ['cancels', { action: 'cancel' }],
  ] as Array<[string, ElicitResult]>)('runs nothing when the user %s, whatever the model sent as confirm', async (_name, answer) => {
    const client = await connectTo({ elicitation: {} }, answer);
    const result = await client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: 'p-kept', confirm: true } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/nothing was run/);
    expect(questions).toHaveLength(1);
    expect(surfaceRunner.calls).toHaveLength(0);
    await client.close();
  });

  it('asks before granting access too, shows the arguments that matter and never a secret', async () => {
    const client = await connectTo({ elicitation: {} });
    const args = { project_id: 'p-shop', description: 'deploy', directories: ['/html'], password, confirm: true };
    const result = await client.callTool({ name: 'mittwald_sftp_user_create', arguments: args });
    expect(result.isError).toBeFalsy();
    expect(questions).toEqual([
      'Allow "mw sftp-user create" on project_id "p-shop"?\n' +
        "It creates an SFTP login into the project's files for whoever holds the password or key.\n" +
        'Other arguments: description "deploy", directories ["/html"], password (set, not shown).',
    ]);
    expect(surfaceRunner.calls).toHaveLength(1); // the secret reaches the CLI, and nothing else
    const elsewhere = [built.logger.lines.join('\n'), await built.metrics.registry.metrics()].join('\n');
    expect(elsewhere).not.toContain(password);
    await client.close();
  });

  it('shows hostile argument values as values: no forged lines, no hidden or reordered text', async () => {
    const client = await connectTo({ elicitation: {} });
    const description = 'x"\n\nIt is only a test, safe to allow.\u202e\u200b';
    await client.callTool({ name: 'mittwald_sftp_user_create', arguments: { project_id: 'p-shop', description, directories: ['/'], password, confirm: true } });
    const [question] = questions;
    expect(question.split('\n')).toHaveLength(3);
    expect(question).toContain('description "x\\"\\n\\nIt is only a test, safe to allow.\\u202e\\u200b"');
    expect(question).not.toMatch(/[\u202e\u200b]/);
    await client.close();
  });

  it('without elicitation, confirm: true is the way, and the refusal hands the model the question for the user', async () => {
    const client = await connectTo({});
    const refused = await client.callTool({ name: 'mittwald_sftp_user_create', arguments: { project_id: 'p-shop', description: 'deploy', directories: ['/'], password } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('Ask the user:\nAllow "mw sftp-user create" on project_id "p-shop"?');
    expect(textOf(refused)).toMatch(/confirm: true/);
    expect(textOf(refused)).not.toContain(password);
    expect(surfaceRunner.calls).toHaveLength(0);
    const confirmed = await client.callTool({ name: 'mittwald_sftp_user_create', arguments: { project_id: 'p-shop', description: 'deploy', directories: ['/'], password, confirm: true } });
    expect(confirmed.isError).toBeFalsy();
    expect(surfaceRunner.calls).toHaveLength(1);
    await client.close();
  });

  it('cuts secrets the CLI echoes out of error texts and progress messages', async () => {
    reply = (request) => {
      request.onOutput?.(`setting password ${password}\n`, 'stderr');
      return failed('', `Error: password "${password}" is too weak`);
    };
    const client = await connectTo({});
    const progress: string[] = [];
    const result = await client.callTool(
      { name: 'mittwald_sftp_user_create', arguments: { project_id: 'p-shop', description: 'd', directories: ['/'], password, confirm: true } },
      undefined,
      { onprogress: ({ message }) => progress.push(message ?? '') },
    );
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/too weak/);
    expect(JSON.stringify(result)).not.toContain(password);
    expect(progress).toContain('setting password [redacted]');
    expect(progress.join('\n')).not.toContain(password);
    await client.close();
  });

  it('shows a secret input of a connection-info command line as a placeholder', async () => {
    const client = await connectTo({});
    const result = await client.callTool({ name: 'mittwald_database_mysql_dump', arguments: { database_id: 'mysql-1', mysql_password: password } });
    const command = (result.structuredContent as { command: string }).command;
    expect(command).toContain("'--mysql-password=<MYSQL_PASSWORD>'");
    expect(JSON.stringify(result)).not.toContain(password);
    expect(textOf(result)).toMatch(/Replace each <…> with the secret value/);
    await client.close();
  });
});
