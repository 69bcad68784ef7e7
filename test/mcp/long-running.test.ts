// Long-running commands (`--wait`) through the whole product: the stand-in's `backup create --wait`
// polls the API simulator until the backup is ready (its readiness delay). A call that asks to wait
// gets the time its wait needs, not CLI_TIMEOUT_MS, capped by CLI_MAX_TIMEOUT_MS; the client sees
// progress while it runs (a heartbeat with the elapsed time: with --quiet mw prints no step lines);
// cancelling it kills the child.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { authorizeClient, standInProcesses, waitFor } from '../reliability/helpers.ts';
import { startStack, type Stack } from '../support/stack.ts';

const SCOPE = 'project:read backup:read backup:write';
const stacks: Stack[] = [];

afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
});

async function deployment(env: Record<string, string>) {
  // the waiting mw is counted as it starts: no warm children starting beside it (CLI_POOL=off)
  const stack = await startStack({ env: { CLI_POOL: 'off', ...env } });
  stacks.push(stack);
  const { accessToken } = await authorizeClient(stack.url, { scope: SCOPE });
  const connect = async () => {
    const client = new Client({ name: 'long-running', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
    return client;
  };
  return { stack, connect, projectId: stack.api.users[0].projects[0].id };
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const errorCode = (result: CallToolResult) => (result.structuredContent as { error?: { code: string } } | undefined)?.error?.code;

describe('a call that waits for its work', () => {
  // The default limit is far below the backup's readiness delay; the server's maximum is not.
  let waiting: Awaited<ReturnType<typeof deployment>>;
  beforeAll(async () => {
    waiting = await deployment({ CLI_TIMEOUT_MS: '4000', CLI_MAX_TIMEOUT_MS: '90000' });
  }, 60_000);

  it('runs past CLI_TIMEOUT_MS as its wait allows, with a heartbeat carrying the elapsed time', async () => {
    waiting.stack.api.setReadinessDelay(12_000);
    const client = await waiting.connect();
    const progress: Progress[] = [];
    const result = (await client.callTool(
      { name: 'mittwald_backup_create', arguments: { project_id: waiting.projectId, expires: '7d', wait: true, wait_timeout: '60s' } },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 85_000 },
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(text(result)).toMatch(/^id: \S+$/);
    const messages = progress.map((p) => p.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^still running \(\d+ s\)$/)]));
    // progress is the elapsed time in seconds and grows with every notification
    const values = progress.map((p) => p.progress);
    expect(values.every((value, i) => i === 0 || value > values[i - 1])).toBe(true);
    await client.close();
  }, 90_000);

  it('is killed, with its process, when the client cancels it', async () => {
    waiting.stack.api.setReadinessDelay(600_000);
    const client = await waiting.connect();
    const abort = new AbortController();
    const call = client
      .callTool({ name: 'mittwald_backup_create', arguments: { project_id: waiting.projectId, expires: '7d', wait: true } }, undefined, {
        signal: abort.signal,
        timeout: 85_000,
      })
      .catch((error: Error) => error);
    await waitFor(() => standInProcesses(waiting.stack.api.url).length > 0, 30_000, 'the waiting mw');
    abort.abort('the user gave up');
    await waitFor(() => standInProcesses(waiting.stack.api.url).length === 0, 30_000, 'the cancelled mw to be gone');
    expect(await call).toBeInstanceOf(Error);
    await client.close();
  }, 90_000);
});

describe('a wait beyond the server\'s maximum', () => {
  it('is stopped at CLI_MAX_TIMEOUT_MS, and the model is told that the work may still finish at mittwald', async () => {
    const { stack, connect, projectId } = await deployment({ CLI_TIMEOUT_MS: '2000', CLI_MAX_TIMEOUT_MS: '3000' });
    stack.api.setReadinessDelay(600_000);
    const client = await connect();
    const result = (await client.callTool(
      { name: 'mittwald_backup_create', arguments: { project_id: projectId, expires: '7d', wait: true, wait_timeout: '20m' } },
      undefined,
      { timeout: 60_000 },
    )) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toBe('timeout');
    expect(text(result)).toMatch(/may still finish at mittwald/);
    await client.close();
  }, 90_000);
});
