// Resources, prompts and completions as a user meets them: the SDK client (2025-11-25) through the
// whole OAuth flow, and a direct mittwald API token (also with the SDK's v2 client pinned to
// 2026-07-28), against the server with the stand-in `mw` and the mittwald API simulator. Templates run `mw` in a child with the user's own token; another
// user's ids are not found and no data crosses; a grant without a template's scope gets the step-up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, ResourceNotFoundError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { connectWithOAuth } from '../support/sdk-oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, postMcp, rpc } from '../reliability/helpers.ts';

let stack: Stack;
const BOB_API_TOKEN = 'mittwald-api-token-of-bob';

beforeAll(async () => {
  stack = await startStack({ env: { DIRECT_API_TOKENS: 'true' } });
  stack.api.grantToken(BOB_API_TOKEN, stack.api.users[1].userId);
});
afterAll(async () => {
  await stack.close();
});

const textOf = (content: object) => (content as { text: string }).text;
const installationOf = (projectId: string) => [...stack.api.state.appInstallations.values()].find((i) => i.projectId === projectId)!;

describe('with the SDK client through the whole OAuth flow', () => {
  it('reads the user’s project and app installation through mw, with the user’s token only', async () => {
    const alice = stack.api.users[0];
    const { client } = await connectWithOAuth(stack.mcpUrl);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('mittwald://project/{projectId}');

    stack.api.clearRequests();
    const project = await client.readResource({ uri: `mittwald://project/${alice.projects[0].id}` });
    expect(JSON.parse(textOf(project.contents[0]))).toEqual(expect.objectContaining({ id: alice.projects[0].id, description: 'Alice Shop' }));
    const installation = installationOf(alice.projects[0].id);
    const app = await client.readResource({ uri: `mittwald://app/${installation.id}` });
    expect(JSON.parse(textOf(app.contents[0]))).toEqual(expect.objectContaining({ id: installation.id }));
    expect(new Set(stack.api.requests.map((r) => r.userId))).toEqual(new Set([alice.userId]));
    await client.close();
  });

  it('another user’s project and app installation are not found, and nothing of theirs comes back', async () => {
    const bob = stack.api.users[1];
    const { client } = await connectWithOAuth(stack.mcpUrl);
    for (const uri of [`mittwald://project/${bob.projects[0].id}`, `mittwald://app/${installationOf(bob.projects[0].id).id}`, `mittwald://project/${bob.projects[0].shortId}`]) {
      const error = await client.readResource({ uri }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(error).toMatchObject({ code: -32602, data: { uri } }); // resource not found
      expect((error as McpError).message).not.toContain('Bob Portfolio');
    }
    await client.close();
  }, 120_000); // three mw runs, on a shared machine

  it('completes project ids from the user’s own projects only', async () => {
    const { client } = await connectWithOAuth(stack.mcpUrl);
    const { completion } = await client.complete({ ref: { type: 'ref/prompt', name: 'audit-project' }, argument: { name: 'projectId', value: '' } });
    expect(completion.values.sort()).toEqual(stack.api.users[0].projects.map((p) => p.id).sort());
    const byShortId = await client.complete({ ref: { type: 'ref/resource', uri: 'mittwald://project/{projectId}' }, argument: { name: 'projectId', value: 'p-b0b' } });
    expect(byShortId.completion.values).toEqual([]);
    await client.close();
  });

  it('the default read-only grant gets the step-up challenge for the DDEV config (it needs database:read)', async () => {
    const { provider } = await connectWithOAuth(stack.mcpUrl);
    const installation = installationOf(stack.api.users[0].projects[0].id);
    const response = await postMcp(stack.mcpUrl, provider.savedTokens!.access_token, rpc('resources/read', { uri: `mittwald://ddev/${installation.id}/config.yaml` }));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*scope="[^"]*database:read/);
  });

  it('a grant with database:read reads the DDEV config as YAML (as mw prints it, indentation kept)', async () => {
    const { accessToken } = await authorizeClient(stack.url, { scope: [...stack.config.mittwald.scopes.defaults, 'database:read'].join(' ') });
    const installation = installationOf(stack.api.users[0].projects[0].id);
    const response = await postMcp(stack.mcpUrl, accessToken, rpc('resources/read', { uri: `mittwald://ddev/${installation.id}/config.yaml` }));
    const [contents] = response.message!.result.contents;
    expect(contents.mimeType).toBe('application/yaml');
    expect(contents.text).toContain(`web_environment:\n  - MITTWALD_APP_INSTALLATION_ID=${installation.id}`);
  });
});

describe('with a direct mittwald API token', () => {
  it('reads the token owner’s project and not Alice’s; completions are the owner’s', async () => {
    const bob = stack.api.users[1];
    const alice = stack.api.users[0];
    const own = await postMcp(stack.mcpUrl, BOB_API_TOKEN, rpc('resources/read', { uri: `mittwald://project/${bob.projects[0].id}` }));
    expect(JSON.parse(own.message!.result.contents[0].text).id).toBe(bob.projects[0].id);
    const foreign = await postMcp(stack.mcpUrl, BOB_API_TOKEN, rpc('resources/read', { uri: `mittwald://project/${alice.projects[0].id}` }));
    expect(foreign.message!.error).toMatchObject({ code: -32602, data: { uri: `mittwald://project/${alice.projects[0].id}` } });
    expect(foreign.text).not.toContain('Alice Shop');
    const completed = await postMcp(
      stack.mcpUrl,
      BOB_API_TOKEN,
      rpc('completion/complete', { ref: { type: 'ref/resource', uri: 'mittwald://project/{projectId}' }, argument: { name: 'projectId', value: '' } }),
    );
    expect(completed.message!.result.completion.values).toEqual([bob.projects[0].id]);
  });
});

describe('with the SDK v2 client pinned to 2026-07-28 (a direct mittwald API token)', () => {
  it('discovers resources, prompts and completions, reads the owner’s project through mw, gets a prompt; another user’s project is not found', async () => {
    const bob = stack.api.users[1];
    const alice = stack.api.users[0];
    const client = new Client({ name: 'modern-resources', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${BOB_API_TOKEN}` } } }));
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getServerCapabilities()).toEqual(
      expect.objectContaining({ resources: { subscribe: false, listChanged: false }, prompts: { listChanged: false }, completions: {} }),
    );

    const listed = await client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain('mittwald://guides/common-confusions');
    expect(listed).toEqual(expect.objectContaining({ cacheScope: 'private', ttlMs: expect.any(Number) }));
    const guide = await client.readResource({ uri: 'mittwald://guides/common-confusions' });
    expect(guide.contents[0]).toEqual(expect.objectContaining({ mimeType: 'text/markdown' }));

    stack.api.clearRequests();
    const project = await client.readResource({ uri: `mittwald://project/${bob.projects[0].id}` });
    expect(JSON.parse(textOf(project.contents[0])).id).toBe(bob.projects[0].id);
    expect(new Set(stack.api.requests.map((r) => r.userId))).toEqual(new Set([bob.userId]));
    const foreign = await client.readResource({ uri: `mittwald://project/${alice.projects[0].id}` }).then(() => undefined, (e: unknown) => e);
    expect(foreign).toBeInstanceOf(ResourceNotFoundError);
    expect(String((foreign as Error).message)).not.toContain('Alice Shop');

    const prompt = await client.getPrompt({ name: 'audit-project', arguments: { projectId: bob.projects[0].id } });
    expect(textOf(prompt.messages[0].content)).toContain(bob.projects[0].id);
    const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'audit-project' }, argument: { name: 'projectId', value: '' } });
    expect(completed.completion.values).toEqual([bob.projects[0].id]);
    await client.close();
  }, 120_000);
});
