// Real server processes (`node src/main.ts`) on one Redis: a restart during use keeps every
// client's tokens and ends in-flight tool calls cleanly; two processes behind one origin share
// clients, authorizations and grants, and refresh a mittwald token exactly once between them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, overridesWithFaultTools, postMcp, refresh, rpc, standInProcesses, startLoadBalancer, toolCall, waitFor } from './helpers.ts';

let redis: TestRedis;
let stack: Stack;
const running: ServerProcess[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  stack = await startStack({
    // CLI_SANDBOX_FS=off: `stand-in hang` starts a grandchild, which the file sandbox refuses (test/isolation)
    env: { REDIS_URL: redis.url, TOOLS_OVERRIDES_PATH: overridesWithFaultTools(), CLI_TIMEOUT_MS: '30000', SHUTDOWN_GRACE_MS: '8000', CLI_SANDBOX_FS: 'off' },
  });
  // only the simulators and the environment are wanted: the server runs as child processes here
  await stack.server.close();
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  await stack?.close();
  await redis?.stop();
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const process = await startServerProcess(env);
  running.push(process);
  return process;
}

describe('a restart (SIGTERM, start again) during use', () => {
  it('ends in-flight calls cleanly, leaves no child behind, and keeps every token', async () => {
    // counts the processes of calls as they start: no warm children starting beside them (CLI_POOL=off)
    let server = await start({ ...stack.env, CLI_POOL: 'off' });
    const client = await authorizeClient(stack.url);
    expect((await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'))).status).toBe(200);

    // one call that never finishes on its own, one ordinary call, both in flight at SIGTERM
    const hanging = postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_stand_in_hang')).then(
      (outcome) => ({ outcome, error: undefined }),
      (error: Error) => ({ outcome: undefined, error }),
    );
    await waitFor(() => standInProcesses(stack.api.url).length >= 2, 15_000, 'the hanging mw and its grandchild');
    let ordinaryDone = false;
    const ordinary = postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list')).finally(() => (ordinaryDone = true));
    // its `mw` has started (unless it was quick enough to be done already)
    await waitFor(() => ordinaryDone || standInProcesses(stack.api.url).length >= 3, 15_000, 'the ordinary call to start its mw');

    // exit code 0: the process ended by itself, within the grace period (8 s), not the CLI timeout
    // (30 s) of the hanging call; stop() would have killed it after 20 s (and reported no code)
    const exitCode = await server.stop('SIGTERM');
    expect(exitCode).toBe(0);

    const ordinaryOutcome = await ordinary;
    expect(ordinaryOutcome.status).toBe(200);
    expect(ordinaryOutcome.message?.result?.isError).toBeFalsy();
    const hang = await hanging;
    // either a clean tool error or a closed connection: never an answer claiming success
    if (hang.outcome) expect(hang.outcome.message?.result?.isError ?? hang.outcome.status >= 400).toBe(true);
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 10_000, 'no mw child left after the shutdown');

    server = await start({ ...stack.env, CLI_POOL: 'off' });
    const after = await postMcp(stack.mcpUrl, client.accessToken, toolCall('mittwald_project_list'));
    expect(after.status).toBe(200);
    expect(after.message?.result?.isError).toBeFalsy();
    expect((await refresh(stack.url, client)).status).toBe(200);
    expect((await postMcp(stack.mcpUrl, client.accessToken, rpc('tools/list'))).status).toBe(200);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('ends the warm children with the server', async () => {
    const server = await start(stack.env);
    await waitFor(() => standInProcesses(stack.api.url, { waiting: true }).length > 0, 30_000, 'a warm child waiting');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect([...standInProcesses(stack.api.url), ...standInProcesses(stack.api.url, { waiting: true })]).toEqual([]);
  }, 60_000);
});

describe('two processes behind one origin and one Redis', () => {
  it('register at one, authorize at the other, tools at either; one upstream refresh between them', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await start({ ...stack.env, PORT: String(portA) });
    const b = await start({ ...stack.env, PORT: String(portB) });
    const backends = [a.url, b.url];
    let turn = 0;
    // the public origin (PUBLIC_URL) is a load balancer: registration at A, the authorization and
    // token endpoints at B, the mittwald callback at A, everything else alternating
    const balancer = await startLoadBalancer(Number(new URL(stack.url).port), () => backends, (_method, path) => {
      if (path.startsWith('/register')) return 0;
      if (path.startsWith('/authorize') || path.startsWith('/interaction') || path.startsWith('/token')) return 1;
      if (path.startsWith('/mittwald/callback')) return 0;
      return turn++ % 2;
    });
    try {
      const client = await authorizeClient(stack.url);
      expect(balancer.served[0]).toBeGreaterThan(0);
      expect(balancer.served[1]).toBeGreaterThan(0);
      for (const backend of backends) {
        const outcome = await postMcp(`${backend}/mcp`, client.accessToken, toolCall('mittwald_project_list'));
        expect(outcome.status).toBe(200);
        expect(outcome.message?.result?.isError).toBeFalsy();
      }

      // a grant whose mittwald token is about to expire: the next tool calls must refresh it
      stack.oauth.setAccessTokenLifetime(62);
      const soonStale = await authorizeClient(stack.url);
      stack.oauth.setAccessTokenLifetime(3600);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const refreshesBefore = stack.oauth.counters.refreshes;
      const calls = await Promise.all(
        Array.from({ length: 8 }, (_, i) => postMcp(`${backends[i % 2]}/mcp`, soonStale.accessToken, toolCall('mittwald_project_list'))),
      );
      for (const call of calls) {
        expect(call.status).toBe(200);
        expect(call.message?.result?.isError).toBeFalsy();
      }
      expect(stack.oauth.counters.refreshes - refreshesBefore).toBe(1);

      // our refresh token works at either process
      expect((await refresh(a.url, client)).status).toBe(200);
      expect((await refresh(b.url, client)).status).toBe(200);
      expect((await postMcp(`${a.url}/mcp`, client.accessToken, rpc('tools/list'))).status).toBe(200);
    } finally {
      await balancer.close();
    }
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  });
});
