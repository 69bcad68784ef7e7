// The product as a user meets it: a real MCP client pastes the URL, the user logs in at
// (simulated) mittwald, and the assistant runs `mw` commands with that user's own token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectWithOAuth, loginInBrowser } from '../support/sdk-oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';

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
    // default scopes are read-only: read tools are offered, write/delete tools are not
    expect(names).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_user_get', 'mittwald_app_list']));
    expect(names).not.toContain('mittwald_project_delete');
    for (const tool of tools) {
      expect(tool.annotations).toEqual(
        expect.objectContaining({ title: expect.any(String), readOnlyHint: expect.any(Boolean), destructiveHint: expect.any(Boolean), idempotentHint: expect.any(Boolean), openWorldHint: expect.any(Boolean) }),
      );
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
    const response = await fetch(stack.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.savedTokens!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'mittwald_project_delete', arguments: { project_id: stack.api.users[0].projects[0].id, confirm: true } },
      }),
    });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/scope="[^"]*project:delete/);
    expect(stack.api.state.projects.has(stack.api.users[0].projects[0].id)).toBe(true);
  });

  it('steps up to the delete scope, then deletes only with confirm', async () => {
    const { client, provider } = await connectWithOAuth(stack.mcpUrl);
    const victim = stack.api.users[0].projects[1].id;

    // 403 insufficient_scope makes the client start a new authorization for the scopes named.
    // (SDK 1.32.2 would first try a refresh, which can never widen scopes: act as a host that
    // re-authorizes, by not offering it the refresh token.)
    provider.savedTokens = { ...provider.savedTokens!, refresh_token: undefined };
    await expect(client.callTool({ name: 'mittwald_project_delete', arguments: { project_id: victim } })).rejects.toThrow(/Unauthorized/);
    const stepUp = provider.authorizationUrl!;
    expect(stepUp.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['project:read', 'project:delete']));
    await client.close();

    const transport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider });
    await transport.finishAuth(await loginInBrowser(stepUp));
    const upgraded = new Client({ name: 'e2e', version: '1.0.0' });
    await upgraded.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider }));
    expect((await upgraded.listTools()).tools.map((t) => t.name)).toContain('mittwald_project_delete');

    const unconfirmed = (await upgraded.callTool({ name: 'mittwald_project_delete', arguments: { project_id: victim } })) as CallToolResult;
    expect(unconfirmed.isError).toBe(true);
    expect(text(unconfirmed)).toMatch(/confirm/i);
    expect(stack.api.state.projects.has(victim)).toBe(true);

    const confirmed = (await upgraded.callTool({ name: 'mittwald_project_delete', arguments: { project_id: victim, confirm: true } })) as CallToolResult;
    expect(confirmed.isError).toBeFalsy();
    expect(stack.api.state.projects.has(victim)).toBe(false);
    await upgraded.close();
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
