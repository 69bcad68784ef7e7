// Toolset URLs and the search mode as a user meets them: the SDK client pastes /mcp/x/search,
// discovers that URL's own metadata, signs in through (simulated) mittwald, and runs a user's
// commands through call_tool: the step-up, the question to the user and mittwald's answer are
// those of a direct call. One token serves /mcp and every variant.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { followBrowserFlow, REDIRECT_URI } from '../support/mittwald-oauth/oauth-client.ts';
import { BrowserDrivenOAuthProvider, connectAskableClient, connectWithOAuth } from '../support/sdk-oauth-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { surfaceCatalogue } from '../mcp/support/surface.ts';
import { postMcp, rpc, toolCall } from '../reliability/helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const searchUrl = () => `${stack.url}/mcp/x/search`;
const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('the search mode through the whole OAuth flow', () => {
  it('signs in at /mcp/x/search, lists three tools, and runs a command through call_tool with the user’s token', async () => {
    const alice = stack.api.users[0];
    const provider = new BrowserDrivenOAuthProvider();
    const { client } = await connectWithOAuth(searchUrl(), provider);
    // the client found the variant's own metadata and asked for that resource; the token is for /mcp
    expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(searchUrl());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['find_tools', 'describe_tool', 'call_tool']);

    const found = (await client.callTool({ name: 'find_tools', arguments: { query: 'list projects' } })) as CallToolResult;
    expect(text(found)).toContain('mittwald_project_list');
    stack.api.clearRequests();
    const listed = (await client.callTool({ name: 'call_tool', arguments: { name: 'mittwald_project_list', arguments: {} } })) as CallToolResult;
    expect(listed.isError).toBeFalsy();
    const items = (listed.structuredContent as { items: Array<{ id: string }> }).items;
    expect(items.map((p) => p.id).sort()).toEqual(alice.projects.map((p) => p.id).sort());
    expect([...new Set(stack.api.requests.map((r) => r.userId))]).toEqual([alice.userId]);

    // the same token on /mcp and on another variant
    const token = provider.savedTokens!.access_token;
    expect((await postMcp(stack.mcpUrl, token, toolCall('mittwald_project_list'))).message!.result.isError).toBeFalsy();
    const readOnly = await postMcp(`${stack.url}/mcp/x/project/readonly`, token, rpc('tools/list'));
    expect(readOnly.status).toBe(200);
    expect((readOnly.message!.result.tools as unknown[]).length).toBeGreaterThan(3);
    await client.close();
  });

  it('takes a token signed in for /mcp; every tool fits in 120 KB, the search mode in 5 KB', async () => {
    const { provider } = await connectWithOAuth(stack.mcpUrl);
    const token = provider.savedTokens!.access_token;
    const full = await postMcp(stack.mcpUrl, token, rpc('tools/list'));
    expect((full.message!.result.tools as unknown[]).length).toBe(surfaceCatalogue().tools.length);
    expect(Buffer.byteLength(JSON.stringify(full.message))).toBeLessThanOrEqual(120 * 1024);
    const search = await postMcp(searchUrl(), token, rpc('tools/list'));
    expect(Buffer.byteLength(JSON.stringify(search.message))).toBeLessThanOrEqual(5 * 1024);

    const answer = await postMcp(searchUrl(), token, toolCall('call_tool', { name: 'mittwald_user_get', arguments: {} }));
    expect(answer.status).toBe(200);
    expect(answer.message!.result.isError).toBeFalsy();
  });

  it('steps up for a tool beyond the grant and asks the user before it deletes, as a direct call does', async () => {
    const alice = stack.api.users[0];
    const victim = alice.projects[0].id;
    const { client, provider, questions, answers } = await connectAskableClient(searchUrl());

    provider.authorizationUrl = undefined;
    const call = { name: 'call_tool', arguments: { name: 'mittwald_project_delete', arguments: { project_id: victim } } };
    await expect(client.callTool(call)).rejects.toThrow(UnauthorizedError);
    const stepUp = provider.authorizationUrl as URL | undefined;
    expect(stepUp?.searchParams.get('scope')?.split(' ').sort()).toEqual([...stack.config.mittwald.scopes.defaults, 'project:delete'].sort());
    expect(stack.api.state.projects.has(victim)).toBe(true);
    const { callback } = await followBrowserFlow(stepUp!.href, REDIRECT_URI);
    await (client.transport as StreamableHTTPClientTransport).finishAuth(callback!.searchParams.get('code')!);

    // the user declines once, then accepts: asked each time, the project gone only after the yes
    const declined = text((await client.callTool(call)) as CallToolResult);
    const keptAfterNo = stack.api.state.projects.has(victim);
    answers.next = { action: 'accept', content: { confirm: true } };
    const accepted = (await client.callTool(call)) as CallToolResult;
    expect({ declined, keptAfterNo, failed: accepted.isError ?? false, asked: questions.length, goneAfterYes: !stack.api.state.projects.has(victim) }).toEqual({
      declined: expect.stringMatching(/the user declined; nothing was run/),
      keptAfterNo: true,
      failed: false,
      asked: 2,
      goneAfterYes: true,
    });
    expect(questions[0]).toContain(victim);
    await client.close();
  });
});
