// The product as a user meets it: a real MCP client pastes the URL, the user logs in at
// (simulated) mittwald, and the assistant runs `mw` commands with that user's own token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { followBrowserFlow, REDIRECT_URI } from '../support/mittwald-oauth/oauth-client.ts';
import { connectAskableClient, connectWithOAuth } from '../support/sdk-oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { postMcp, rpc, toolCall } from '../reliability/helpers.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack.close();
});

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('a real MCP client against the whole server', () => {
  it('registers, logs in through mittwald, lists tools and runs one with the user’s mittwald token', async () => {
    const alice = stack.api.users[0];
    const { client, provider } = await connectWithOAuth(stack.mcpUrl);
    expect(provider.clientInfo?.client_id).toBeTruthy();
    expect(provider.savedTokens?.refresh_token).toBeTruthy();

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    // every tool is listed, also beyond the read-only default grant: calling one starts the step-up
    expect(names).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_user_get', 'mittwald_app_list', 'mittwald_project_delete']));
    for (const tool of tools) {
      expect(tool.title).toEqual(expect.any(String));
      expect(tool.annotations).toEqual(expect.any(Object));
    }

    stack.api.clearRequests();
    const result = (await client.callTool({ name: 'mittwald_project_list', arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const items = (result.structuredContent as { items: Array<{ id: string }> }).items;
    expect(items.map((p) => p.id).sort()).toEqual(alice.projects.map((p) => p.id).sort());

    // the API saw Alice's mittwald token, never our access token, and no other user's token
    const seen = new Set(stack.api.requests.map((r) => r.userId));
    expect([...seen]).toEqual([alice.userId]);
    const tokensSeen = new Set(stack.api.requests.map((r) => r.token));
    expect(tokensSeen.has(provider.savedTokens!.access_token)).toBe(false);
    await client.close();
  });

  it('refuses a tool beyond the granted scopes with 403 insufficient_scope naming the scopes', async () => {
    const { provider } = await connectWithOAuth(stack.mcpUrl);
    const response = await postMcp(
      stack.mcpUrl,
      provider.savedTokens!.access_token,
      toolCall('mittwald_project_delete', { project_id: stack.api.users[0].projects[0].id, confirm: true }),
    );
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/scope="[^"]*project:delete/);
    expect(stack.api.state.projects.has(stack.api.users[0].projects[0].id)).toBe(true);
  });

  it('with the read-only grant, lists every tool with the scopes it needs, write tools too', async () => {
    const { provider } = await connectWithOAuth(stack.mcpUrl);
    // raw, because the SDK client drops fields it does not know
    const listed = await postMcp(stack.mcpUrl, provider.savedTokens!.access_token, rpc('tools/list'));
    const tools = listed.message!.result.tools as Array<{ name: string; securitySchemes: unknown }>;
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('mittwald_project_list')!.securitySchemes).toEqual([{ type: 'oauth2', scopes: ['project:read'] }]);
    expect(byName.get('mittwald_project_delete')!.securitySchemes).toEqual([{ type: 'oauth2', scopes: ['project:delete'] }]);
  });

  it('a read-only grant, the user asks for a write: the SDK client as it is gets to consent, then the user is asked and the tool runs', async () => {
    const alice = stack.api.users[0];
    const victim = alice.projects[1].id;
    const { client, provider, questions, answers } = await connectAskableClient(stack.mcpUrl);
    const readOnly = provider.savedTokens!;
    expect(readOnly.scope?.split(' ').sort()).toEqual([...stack.config.mittwald.scopes.defaults].sort());

    // The model calls the write tool it saw listed. 403 insufficient_scope; SDK 1.32.2 refreshes
    // first, the refresh is refused with consent_required, and it starts a new authorization.
    provider.authorizationUrl = undefined;
    const call = { name: 'mittwald_project_delete', arguments: { project_id: victim, confirm: true } };
    await expect(client.callTool(call)).rejects.toThrow(UnauthorizedError);
    const stepUp = provider.authorizationUrl as URL | undefined;
    expect(stepUp?.searchParams.get('scope')?.split(' ').sort()).toEqual([...stack.config.mittwald.scopes.defaults, 'project:delete'].sort());
    expect(provider.savedTokens).toBe(readOnly); // refused, not used up: the client still holds its grant
    expect(stack.api.state.projects.has(victim)).toBe(true);

    // The consent page names exactly what will be granted, in words.
    const browser = new TestBrowser();
    const consent = await browser.request((await browser.request(stepUp!.href)).location!);
    expect(consent.body).toContain('<code>project:delete</code> — delete your projects');
    const { callback } = await followBrowserFlow(stepUp!.href, REDIRECT_URI, { browser });
    await (client.transport as StreamableHTTPClientTransport).finishAuth(callback!.searchParams.get('code')!);
    expect(provider.savedTokens!.scope?.split(' ')).toContain('project:delete');

    // Now the call reaches the tool; the user is asked although the model sent confirm: true.
    const declined = (await client.callTool(call)) as CallToolResult;
    expect(declined.isError).toBe(true);
    expect(text(declined)).toMatch(/the user declined; nothing was run/);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain('"mw project delete"');
    expect(questions[0]).toContain(victim);
    expect(stack.api.state.projects.has(victim)).toBe(true);

    answers.next = { action: 'accept', content: { confirm: true } };
    const confirmed = (await client.callTool(call)) as CallToolResult;
    expect(confirmed.isError).toBeFalsy();
    expect(questions).toHaveLength(2);
    expect(stack.api.state.projects.has(victim)).toBe(false);
    await client.close();
  });

  it('answers 401 with the resource metadata challenge when the token is missing or bad', async () => {
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const response = await fetch(stack.mcpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain(
        `resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
  });
});
