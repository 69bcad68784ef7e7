// NODE_ENV=production refuses to start without layers 1 (inputs), 2 (fs) and 4 (limits) of the wall
// between users, naming what is missing, unless the operator says so with CLI_ALLOW_UNISOLATED.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { prlimitMissing } from './deployment.ts';

let stack: Stack;
const running: ServerProcess[] = [];
beforeAll(async () => {
  stack = await startStack();
  await stack.server.close();
});
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop('SIGKILL')));
  await stack?.close();
});

const production = async (env: Record<string, string>) => ({
  ...stack.env,
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://mcp.example.test',
  PORT: String(await freePort()),
  LOG_LEVEL: 'warn',
  ...env,
});

describe('production and the wall between users', () => {
  it('refuses to start without the file sandbox and the limits, and says which layers are missing', async () => {
    const failure = await startServerProcess(await production({ CLI_SANDBOX_FS: 'off', CLI_LIMITS: 'off' })).then(
      (server) => {
        running.push(server);
        return undefined;
      },
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/exited with 78/);
    expect(failure).toMatch(/fs \(switched off \(CLI_SANDBOX_FS=off\)\)/);
    expect(failure).toMatch(/limits \(switched off \(CLI_LIMITS=off\)\)/);
    expect(failure).toContain('CLI_ALLOW_UNISOLATED');
  });

  it('starts without them when the operator allows it explicitly, and warns', async () => {
    const server = await startServerProcess(await production({ CLI_SANDBOX_FS: 'off', CLI_ALLOW_UNISOLATED: 'true' }));
    running.push(server);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { checks: { isolation: Record<string, unknown> } };
    expect(ready.checks.isolation).toMatchObject({ fs: 'off', limits: prlimitMissing ? 'off' : 'on' });
    expect(server.output()).toMatch(/running in production without: .*fs/);
  });
});
