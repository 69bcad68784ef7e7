// The authorization server's half of the step-up: after /mcp answered a call with 403
// insufficient_scope, the next refresh of that grant is refused with consent_required (a refresh
// cannot add scopes, and SDK clients refresh first), without using up or revoking anything; the
// refusal is for that grant only and only once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { authorizeClient, postMcp, refresh, toolCall } from '../reliability/helpers.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack.close();
});

const deleteProject = () => toolCall('mittwald_project_delete', { project_id: stack.api.users[0].projects[0].id });

describe('a refresh right after a 403 step-up', () => {
  it('is refused once with consent_required, leaving the refresh token as it was', async () => {
    const client = await authorizeClient(stack.url);
    expect((await postMcp(stack.mcpUrl, client.accessToken, deleteProject())).status).toBe(403);
    const before = client.refreshToken;

    const refused = await refresh(stack.url, client);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('consent_required');
    expect(String(refused.body.error_description)).toContain('project:delete');

    // not rotated, not revoked: the same refresh token works, and the grant lives on
    expect(client.refreshToken).toBe(before);
    const refreshed = await refresh(stack.url, client);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.scope).toBe(stack.config.mittwald.scopes.defaults.join(' '));
    expect((await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'))).status).toBe(200);
  });

  it('is refused for the grant that was asked for more only, not for another client of the same user', async () => {
    const asked = await authorizeClient(stack.url);
    const other = await authorizeClient(stack.url);
    expect((await postMcp(stack.mcpUrl, asked.accessToken, deleteProject())).status).toBe(403);
    expect((await refresh(stack.url, other)).status).toBe(200);
    expect((await refresh(stack.url, asked)).body.error).toBe('consent_required');
  });

  it('is not refused after calls the grant may make', async () => {
    const client = await authorizeClient(stack.url);
    expect((await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'))).status).toBe(200);
    expect((await refresh(stack.url, client)).status).toBe(200);
  });
});
