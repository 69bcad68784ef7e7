// A server process (`node src/main.ts`) reuses a principal's `mw` child for its next calls, gives
// another principal's calls a child of their own, and ends a principal's children before its
// revocation answers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { revokeToken } from '../support/mittwald-oauth/oauth-client.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, postMcp, standInProcesses, toolCall } from './helpers.ts';

let stack: Stack;
let server: ServerProcess;

beforeAll(async () => {
  stack = await startStack();
  // only the simulators and the environment are wanted: the server runs as a child process here
  await stack.server.close();
  // no warm children: every stand-in process waiting for a request is a principal's idle child
  server = await startServerProcess({ ...stack.env, CLI_POOL: 'off' });
}, 120_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await stack?.close();
});

const idleChildren = () => standInProcesses(stack.api.url, { waiting: true }).map((line) => Number(line.split(/\s+/)[0]));

async function userGet(accessToken: string) {
  const outcome = await postMcp(stack.mcpUrl, accessToken, toolCall('mittwald_user_get'));
  expect(outcome.status).toBe(200);
  expect(outcome.message?.result?.isError).toBeFalsy();
  return outcome;
}

describe("a principal's mw child", () => {
  it('serves its next calls; another grant gets its own; a revoked grant’s child is gone when /revoke answers', async () => {
    const alice = await authorizeClient(stack.url);
    await userGet(alice.accessToken);
    const [aliceChild, ...more] = idleChildren();
    expect(more).toEqual([]);
    await userGet(alice.accessToken);
    expect(idleChildren()).toEqual([aliceChild]);

    // another grant (of the same mittwald user, even) is another principal
    const second = await authorizeClient(stack.url);
    await userGet(second.accessToken);
    const secondChild = idleChildren().find((pid) => pid !== aliceChild);
    expect(secondChild).toBeDefined();

    expect(await revokeToken(stack.url, alice.client, alice.refreshToken)).toBe(200);
    // no waiting: the revocation answered after the child was gone
    expect(idleChildren()).toEqual([secondChild]);
    expect((await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_user_get'))).status).toBe(401);
    await userGet(second.accessToken);
    expect(idleChildren()).toEqual([secondChild]);
  }, 120_000);
});
