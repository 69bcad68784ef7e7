// Long-running commands (`--wait`) through the whole MCP side with the real runner: a call that
// asks to wait gets the time its wait needs (not CLI_TIMEOUT_MS), capped by CLI_MAX_TIMEOUT_MS;
// the client sees progress while it runs; cancelling it kills the child.
// The CLI is a fixture that waits like `mw backup create --wait` (test/mcp/fixtures/waiting-mw.mjs):
// once the stand-in CLI has --wait with a configurable readiness delay, this can run against it.
import { afterAll, describe, expect, it } from '@jest/globals';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { createCliRunner } from '../../src/cli/runner.ts';
import { listenOnLoopback, type Listening } from '../support/listen.ts';
import { fakeVerifier, testConfig } from './support/fakes.ts';
import { buildMcpApp, declareTool, surfaceCatalogue } from './support/mcp-app.ts';

const waitingMw = fileURLToPath(new URL('./fixtures/waiting-mw.mjs', import.meta.url));
const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const verifier = fakeVerifier({ 'token-backup': { scopes: ['project:read', 'backup:read', 'backup:write'] } });
const servers: Listening[] = [];

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** The MCP side with the real runner on the fixture CLI; the default limit is far below the fixture's 2.5 s. */
async function start(env: Record<string, string>) {
  const config = testConfig({ CLI_TIMEOUT_MS: '1000', ...env });
  const catalogue = surfaceCatalogue(config);
  declareTool(catalogue, 'mittwald_backup_create', { wait: { property: 'wait', timeoutProperty: 'wait_timeout', defaultTimeoutSeconds: 600 } });
  const runner = createCliRunner({
    executable: waitingMw,
    path: childPath,
    timeoutMs: config.cli.timeoutMs,
    maxTimeoutMs: config.cli.maxTimeoutMs,
    maxConcurrent: 4,
    maxPerUser: 2,
    maxQueue: 10,
    maxOutputBytes: 1024 * 1024,
    killGraceMs: 300,
  });
  const { app } = buildMcpApp({ verifier, runner, config, catalogue, progressIntervalMs: 400 });
  const server = await listenOnLoopback(app);
  servers.push(server);
  const client = new Client({ name: 'long-running', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer token-backup' } } }));
  return client;
}

const backup = (args: Record<string, unknown>) => ({ name: 'mittwald_backup_create', arguments: { project_id: 'p-1', expires: '7d', ...args } });
const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('a call that waits for its work', () => {
  it('runs past CLI_TIMEOUT_MS as its wait allows, reporting the CLI\'s lines and a heartbeat with the elapsed time', async () => {
    const client = await start({});
    const progress: Progress[] = [];
    const result = (await client.callTool(backup({ wait: true, wait_timeout: '20s' }), undefined, {
      onprogress: (p) => progress.push(p),
      timeout: 60_000,
    })) as CallToolResult;
    expect(text(result)).toBe('id: b-ready');
    const messages = progress.map((p) => p.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^started backup \(pid \d+\)$/), expect.stringMatching(/^waiting for the backup to be ready \(\d+\)$/)]));
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^still running \(\d+ s\)$/)]));
    // progress is the elapsed time in seconds and grows with every notification
    const values = progress.map((p) => p.progress);
    expect(values.every((value, i) => i === 0 || value > values[i - 1])).toBe(true);
    expect(values.at(-1)).toBeGreaterThanOrEqual(1);
    await client.close();
  }, 60_000);

  it('is stopped at CLI_MAX_TIMEOUT_MS, and told that the work may still finish at mittwald', async () => {
    const client = await start({ CLI_MAX_TIMEOUT_MS: '1500' });
    const result = (await client.callTool(backup({ wait: true, wait_timeout: '20s' }), undefined, { timeout: 60_000 })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.structuredContent as { error: { code: string } }).error.code).toBe('timeout');
    expect(text(result)).toMatch(/may still finish at mittwald/);
    await client.close();
  }, 60_000);

  it('is killed, with its process, when the client cancels it', async () => {
    const client = await start({});
    const abort = new AbortController();
    let pid: number | undefined;
    const started = new Promise<void>((resolve) => {
      void client
        .callTool(backup({ wait: true }), undefined, {
          signal: abort.signal,
          timeout: 60_000,
          onprogress: ({ message }) => {
            const match = /pid (\d+)/.exec(message ?? '');
            if (match) {
              pid = Number(match[1]);
              resolve();
            }
          },
        })
        .catch(() => undefined);
    });
    await started;
    expect(() => process.kill(pid!, 0)).not.toThrow();
    abort.abort('the user gave up');
    const gone = () => {
      try {
        process.kill(pid!, 0);
        return false;
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 200 && !gone(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(gone()).toBe(true);
    await client.close();
  }, 60_000);
});
