// A bounded soak on loopback: 50 MCP clients (tokens from the real OAuth flow, once each) mixing
// tools/list, tools/call and refresh against the server as a real process, in two rounds. Nothing
// that should succeed fails, memory is flat after warm-up, and no child process or file handle leaks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, postMcp, refresh, rpc, standInProcesses, toolCall, waitFor } from './helpers.ts';

const CLIENTS = 50;
const ROUND_MS = 12_000;
// every client logs in as the same mittwald user: the CLI's per-user limit (default 3) is the
// concurrency the tool calls may use without anything being refused as busy
const TOOL_CALL_SLOTS = 3;
const MAX_RSS_GROWTH_KB = 50 * 1024;

let stack: Stack;
let server: ServerProcess;
let clients: AuthorizedClient[];

beforeAll(async () => {
  // 50 registrations from one address: above the default per-IP registration limit
  stack = await startStack({ env: { DCR_RATE_LIMIT_PER_HOUR: '1000' } });
  await stack.server.close();
  server = await startServerProcess(stack.env);
  clients = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await authorizeClient(stack.url));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await stack?.close();
});

interface RoundStats {
  served: number;
  byKind: Record<string, number>;
  failures: string[];
}

/** a slot for a tool call, or none right now (then the client lists tools instead of queueing) */
function toolCallSlots(slots: number) {
  let free = slots;
  return {
    tryTake: () => (free > 0 ? (free--, true) : false),
    give: () => {
      free++;
    },
  };
}

async function round(durationMs: number): Promise<RoundStats> {
  const stats: RoundStats = { served: 0, byKind: {}, failures: [] };
  const toolSlots = toolCallSlots(TOOL_CALL_SLOTS);
  const end = Date.now() + durationMs;
  const project = stack.api.users[0].projects[0].id;
  const calls: Array<[string, Record<string, unknown>]> = [
    ['mittwald_project_list', {}],
    ['mittwald_org_list', {}],
    ['mittwald_user_get', {}],
    ['mittwald_app_list', { project_id: project }],
  ];
  const count = (kind: string) => {
    stats.served++;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  };
  await Promise.all(
    clients.map(async (client, index) => {
      for (let step = 0; Date.now() < end && step < 10_000; step++) {
        const dice = (index * 7 + step * 13) % 20;
        try {
          if (dice < 2) {
            const answer = await refresh(stack.url, client);
            if (answer.status !== 200) stats.failures.push(`refresh: ${answer.status} ${JSON.stringify(answer.body)}`);
            count('refresh');
          } else if (dice < 8 && toolSlots.tryTake()) {
            const [tool, args] = calls[step % calls.length];
            const answer = await postMcp(stack.mcpUrl, client.accessToken, toolCall(tool, args)).finally(toolSlots.give);
            if (answer.status !== 200 || answer.message?.result?.isError) {
              stats.failures.push(`${tool}: ${answer.status} ${answer.text.slice(0, 200)}`);
            }
            count('tools/call');
          } else {
            const answer = await postMcp(stack.mcpUrl, client.accessToken, rpc('tools/list'));
            if (answer.status !== 200 || !Array.isArray(answer.message?.result?.tools)) stats.failures.push(`tools/list: ${answer.status}`);
            count('tools/list');
          }
        } catch (error) {
          stats.failures.push(`request failed: ${(error as Error).message}`);
        }
      }
    }),
  );
  return stats;
}

describe('soak: 50 clients, two rounds', () => {
  it('serves every request, keeps memory flat after warm-up, leaks no children or descriptors', async () => {
    const fdsAtStart = server.openFds();
    const warmUp = await round(ROUND_MS);
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 20_000, 'CLI children of round 1 to end');
    const rssAfterWarmUp = server.rssKb();
    const fdsAfterWarmUp = server.openFds();

    const second = await round(ROUND_MS);
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 20_000, 'CLI children of round 2 to end');
    // idle keep-alive sockets from the load close on their own; give them a moment
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssAfterSecond = server.rssKb();
    const fdsAfterSecond = server.openFds();

    const report = {
      served: warmUp.served + second.served,
      warmUp: warmUp.byKind,
      second: second.byKind,
      rssKb: { afterWarmUp: rssAfterWarmUp, afterSecondRound: rssAfterSecond, growth: rssAfterSecond - rssAfterWarmUp },
      fds: { atStart: fdsAtStart, afterWarmUp: fdsAfterWarmUp, afterSecondRound: fdsAfterSecond },
    };
    process.stdout.write(`soak: ${JSON.stringify(report)}\n`);

    expect([...warmUp.failures, ...second.failures].slice(0, 10)).toEqual([]);
    expect(warmUp.byKind['tools/call']).toBeGreaterThan(0);
    expect(second.byKind.refresh).toBeGreaterThan(0);
    expect(rssAfterSecond - rssAfterWarmUp).toBeLessThan(MAX_RSS_GROWTH_KB);
    // descriptors: back to where the warm-up left them, give or take a few pooled sockets
    expect(fdsAfterSecond).toBeLessThanOrEqual(fdsAfterWarmUp + 10);
    expect(standInProcesses(stack.api.url)).toEqual([]);
  }, 90_000);
});
