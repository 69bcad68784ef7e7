// mittwald's OAuth server slow or down, its API down, `mw` hanging, crashing or flooding: each
// gives the client a clear error within the configured timeouts, leaves no child process behind,
// and the server stays healthy (the next ordinary call works). No clock is read: a slow mittwald
// answers long after our timeout would have fired, with success, so the error itself shows the
// timeout was kept; a hanging `mw` ends with the timeout's own error code.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, leaksInternals, overridesWithFaultTools, postMcp, standInProcesses, toolCall, waitFor } from './helpers.ts';

// generous for a busy CI machine (the stand-in `mw` is a Node process that takes a while to start)
const CLI_TIMEOUT_MS = 8_000;
const HTTP_TIMEOUT_MS = 1_500;

let stack: Stack;
let client: AuthorizedClient;

beforeAll(async () => {
  stack = await startStack({
    env: {
      TOOLS_OVERRIDES_PATH: overridesWithFaultTools(),
      CLI_TIMEOUT_MS: String(CLI_TIMEOUT_MS),
      MITTWALD_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
      CLI_MAX_OUTPUT_BYTES: String(256 * 1024),
      // `stand-in hang` starts a grandchild, which the file sandbox refuses (test/isolation): off
      // here, so the killing of a whole tree is what these faults test
      CLI_SANDBOX_FS: 'off',
    },
  });
  client = await authorizeClient(stack.url);
});

afterEach(async () => {
  stack.oauth.setSlow(0);
  stack.oauth.setDown(false);
  stack.api.setDown(false);
  // the server stays healthy and serves an ordinary call after every fault
  expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  const normal = await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'));
  expect(normal.status).toBe(200);
  expect(normal.message?.result?.isError).toBeFalsy();
  await waitFor(() => standInProcesses(stack.api.url).length === 0, 15_000, 'no mw child left');
});

afterAll(async () => {
  await stack?.close();
});

/** a grant whose mittwald token is within the refresh margin: its next tool call refreshes at mittwald */
async function grantDueForRefresh(): Promise<AuthorizedClient> {
  stack.oauth.setAccessTokenLifetime(62);
  const due = await authorizeClient(stack.url);
  stack.oauth.setAccessTokenLifetime(3600);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  return due;
}

describe('mittwald OAuth slow or down', () => {
  it.each([
    ['slow', () => stack.oauth.setSlow(20_000)],
    ['down', () => stack.oauth.setDown(true)],
  ])('%s during a token refresh: 503 with Retry-After within the HTTP timeout, the grant survives', async (_name, fault) => {
    // (slow: the simulator answers long after the test; were mittwald to rotate the refresh token
    // of a request we gave up on, that session would be lost: an inherent limit of rotation)
    const due = await grantDueForRefresh();
    fault();
    const outcome = await postMcp(stack.mcpUrl, due.accessToken, toolCall('mittwald_project_list'));
    expect(outcome.status).toBe(503);
    expect(outcome.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(leaksInternals(outcome.text)).toBe(false);

    stack.oauth.setSlow(0);
    stack.oauth.setDown(false);
    const recovered = await postMcp(stack.mcpUrl, due.accessToken, toolCall('mittwald_project_list'));
    expect(recovered.status).toBe(200);
    expect(recovered.message?.result?.isError).toBeFalsy();
  });

  it.each([
    ['slow', () => stack.oauth.setSlow(HTTP_TIMEOUT_MS * 4)],
    ['down', () => stack.oauth.setDown(true)],
  ])('%s while completing a login: the client gets error=temporarily_unavailable within the HTTP timeout', async (_name, fault) => {
    fault();
    const attempt = await authorizeClient(stack.url).then(() => undefined, (error: Error) => error);
    expect(attempt?.message).toContain('error=temporarily_unavailable');
  });
});

describe('mittwald API down', () => {
  it('a tool call ends with a clear tool error within the CLI timeout', async () => {
    stack.api.setDown(true);
    const outcome = await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'));
    expect(outcome.status).toBe(200);
    const result = outcome.message?.result;
    expect(result?.isError).toBe(true);
    expect(result?.structuredContent?.error?.code).toEqual(expect.any(String));
    expect(leaksInternals(outcome.text)).toBe(false);
  });
});

describe('mw misbehaving', () => {
  it.each([
    ['hangs (with a grandchild)', 'mittwald_stand_in_hang', {}, 'timeout'],
    ['dies from a signal', 'mittwald_stand_in_crash', { how: 'signal' }, undefined],
    ['throws an uncaught error', 'mittwald_stand_in_crash', { how: 'error' }, undefined],
    ['floods stdout', 'mittwald_stand_in_flood', { megabytes: 50 }, undefined],
  ])('%s: a clear tool error within the CLI timeout, nothing left running', async (_name, tool, args, code) => {
    const outcome = await postMcp(stack.mcpUrl, client.accessToken, toolCall(tool, args));
    expect(outcome.status).toBe(200);
    const result = outcome.message?.result;
    expect(result?.isError).toBe(true);
    expect(result?.structuredContent?.error?.code).toEqual(code ?? expect.any(String));
    expect(String(result?.content?.[0]?.text).length).toBeGreaterThan(10);
    expect(leaksInternals(outcome.text)).toBe(false);
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 10_000, 'the child and its grandchildren gone');
  });

  it('several hanging calls at once all end, and the limits free up again', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 3 }, () => postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_stand_in_hang'))),
    );
    for (const outcome of outcomes) expect(outcome.message?.result?.structuredContent?.error?.code).toBe('timeout');
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 10_000, 'every hanging child gone');
  });
});
