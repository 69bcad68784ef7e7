// Item 7: many MCP clients setting up their sessions at once (initialize, initialized, tools/list,
// each client on its own new connection), as when a team's assistants reconnect after a deploy.
// The server's memory is reported by kind: V8 heap (used and reserved), the rest of its RSS, and
// the `mw` processes it runs (its descendants) apart from it.
import { readdirSync, readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.ts';
import { residentMemory } from './bench-child.ts';
import type { DeploymentSource } from './deployment.ts';
import { megabytes, ms } from './format.ts';
import { keepAliveAgent, sendExpectingSuccess } from './http-client.ts';
import { jsonRpcAnswer, MCP_PROTOCOL_VERSION, mcpHeaders, toolsListBody } from './mcp-requests.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const GOAL_PEAK_RSS_BYTES = 250 * 1024 ** 2;
/** the server's default CLI_POOL_MAX: no tool call runs here, so every child is a warm one */
const POOL_MAX = loadConfig({}).cli.pool!.max;
const SAMPLE_EVERY_MS = 25;

const initializeBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: { elicitation: {} }, clientInfo: { name: 'bench', version: '1.0.0' } },
});
const initializedBody = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** One client's session set-up on a connection of its own; returns how many tools it was offered. */
async function setUpSession(mcpUrl: string, accessToken: string): Promise<number> {
  const agent = keepAliveAgent(1);
  try {
    const initialized = await sendExpectingSuccess(agent, mcpUrl, { method: 'POST', headers: mcpHeaders(accessToken), body: initializeBody });
    const session = initialized.headers['mcp-session-id'] as string | undefined;
    if (!session) throw new Error('initialize returned no Mcp-Session-Id');
    const headers = { ...mcpHeaders(accessToken), 'mcp-session-id': session };
    await sendExpectingSuccess(agent, mcpUrl, { method: 'POST', headers, body: initializedBody });
    const listed = await sendExpectingSuccess(agent, mcpUrl, { method: 'POST', headers, body: toolsListBody });
    const tools = jsonRpcAnswer(listed.body, listed.headers['content-type'] as string | undefined).result?.tools as unknown[] | undefined;
    if (!tools?.length) throw new Error(`tools/list returned no tools: ${listed.body.slice(0, 200)}`);
    return tools.length;
  } finally {
    agent.destroy();
  }
}

/** The processes below `pid` (the server's `mw` children and theirs), from its tasks' children lists. */
function descendantsOf(pid: number): number[] {
  let children: number[];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return []; // gone meanwhile
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

/** RSS of every process below `pid`. */
function descendantsRssBytes(pid: number): { processes: number; rssBytes: number } {
  const below = descendantsOf(pid);
  const rssOf = (child: number) => {
    try {
      return residentMemory(child).rssBytes || 0; // a zombie has no VmRSS
    } catch {
      return 0; // gone meanwhile
    }
  };
  return { processes: below.length, rssBytes: below.reduce((sum, child) => sum + rssOf(child), 0) };
}

interface Peaks {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  childrenRssBytes: number;
  children: number;
}

export async function benchSessionSetups(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  try {
    const server = deployment.server;
    const tokens: string[] = [];
    for (const userId of deployment.mittwald.users(profile.sessionClients)) tokens.push((await deployment.login(userId)).accessToken);
    // one set-up first, so the burst does not measure the first compile of every path
    await setUpSession(deployment.mcpUrl, tokens[0]);
    const idle = await server.memoryUsageAfterGc();
    const idleRss = server.memory().rssBytes;

    const peaks: Peaks = { rssBytes: 0, heapUsedBytes: 0, heapTotalBytes: 0, externalBytes: 0, childrenRssBytes: 0, children: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const usage = await server.memoryUsage();
        const children = descendantsRssBytes(server.pid);
        peaks.rssBytes = Math.max(peaks.rssBytes, server.memory().rssBytes);
        peaks.heapUsedBytes = Math.max(peaks.heapUsedBytes, usage.heapUsed);
        peaks.heapTotalBytes = Math.max(peaks.heapTotalBytes, usage.heapTotal);
        peaks.externalBytes = Math.max(peaks.externalBytes, usage.external);
        peaks.childrenRssBytes = Math.max(peaks.childrenRssBytes, children.rssBytes);
        peaks.children = Math.max(peaks.children, children.processes);
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      }
    })();

    const latencies: number[] = [];
    const failures: string[] = [];
    const started = performance.now();
    await Promise.all(
      tokens.map(async (token) => {
        for (let round = 0; round < profile.sessionRounds; round++) {
          const sent = performance.now();
          try {
            await setUpSession(deployment.mcpUrl, token);
            latencies.push(performance.now() - sent);
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
      }),
    );
    const completionMs = performance.now() - started;
    sampling = false;
    await sampler;
    const peakRss = server.memory().peakBytes;
    const after = await server.memoryUsageAfterGc();
    const afterRss = server.memory().rssBytes;
    const { p50Ms, p99Ms } = summarise(latencies);

    const heapRow = (label: string, usage: NodeJS.MemoryUsage, rss: number) => [label, megabytes(usage.heapUsed), megabytes(usage.heapTotal), megabytes(usage.external), megabytes(rss), ''];
    return {
      sections: [
        {
          title: `8. ${tokens.length} clients setting up sessions at once (initialize + tools/list), ${profile.sessionRounds} in a row each`,
          columns: ['server memory', 'heap used', 'heap reserved', 'external', 'RSS', '`mw` children (RSS)'],
          rows: [
            heapRow('idle, after GC', idle, idleRss),
            [
              'peak during the burst (sampled)',
              megabytes(peaks.heapUsedBytes),
              megabytes(peaks.heapTotalBytes),
              megabytes(peaks.externalBytes),
              `${megabytes(peaks.rssBytes)} (VmHWM ${megabytes(peakRss)})`,
              `${megabytes(peaks.childrenRssBytes)} in ${peaks.children} processes`,
            ],
            heapRow('after the burst, after GC', after, afterRss),
          ],
          notes: [
            `${latencies.length} set-ups in ${ms(completionMs)}: p50 ${ms(p50Ms)}, p99 ${ms(p99Ms)} per set-up (3 requests on a new connection); ${failures.length} failed.` +
              ` Server figures every ${SAMPLE_EVERY_MS} ms: heap from process.memoryUsage() without GC, RSS from /proc; children are the server's descendants, summed.` +
              ` No tool call runs here: the children are the pool's warm children (default CLI_POOL_MIN 1, CLI_POOL_MAX ${POOL_MAX}), ` +
              `${peaks.children ? megabytes(peaks.childrenRssBytes / peaks.children) : 'n/a'} each at the peak; their memory is bounded by CLI_POOL_MAX × that, apart from the server's.` +
              (failures.length ? ` First error: ${failures[0]}` : ''),
          ],
        },
      ],
      goals: [
        { goal: 'session set-ups: server peak RSS ≤ 250 MB', measured: megabytes(peakRss), met: peakRss <= GOAL_PEAK_RSS_BYTES },
        { goal: `session set-ups: warm children within the pool's bound (≤ ${POOL_MAX})`, measured: String(peaks.children), met: peaks.children <= POOL_MAX },
      ],
      failures: failures.length ? [`${failures.length} session set-ups failed; first: ${failures[0]}`] : [],
    };
  } finally {
    await deployment.stop();
  }
}
