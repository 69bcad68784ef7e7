// Item 1: tools/list through our /mcp (token check included) against (a) the plain SDK pattern and
// (b) plain Express answering precomputed JSON, all serving the tool list our server returns.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { startBenchChild, type BenchChild } from './bench-child.ts';
import type { DeploymentSource } from './deployment.ts';
import { kilobytes, megabytes, ms, percent, perSecond } from './format.ts';
import { keepAliveAgent, sendExpectingSuccess } from './http-client.ts';
import { runLoad, type LoadResult } from './load.ts';
import { jsonRpcAnswer, mcpHeaders, toolsListBody } from './mcp-requests.ts';
import type { BenchmarkOutcome, GoalCheck, Profile } from './profile.ts';
import type { ReferenceInit, ReferenceKind } from './serve-reference.ts';

const CONCURRENCY = [1, 32];
const GOAL_SHARE_OF_LIMIT = 0.5;

interface Target {
  label: string;
  url: string;
  headers: Record<string, string>;
  process: BenchChild;
}

async function listTools(target: Pick<Target, 'url' | 'headers'>): Promise<{ tools: Tool[]; bytes: number }> {
  const agent = keepAliveAgent(1);
  try {
    const response = await sendExpectingSuccess(agent, target.url, { method: 'POST', headers: target.headers, body: toolsListBody });
    const answer = jsonRpcAnswer(response.body, response.headers['content-type'] as string | undefined);
    const tools = answer.result?.tools as Tool[] | undefined;
    if (!tools?.length) throw new Error(`tools/list at ${target.url} returned no tools: ${response.body.slice(0, 200)}`);
    return { tools, bytes: Buffer.byteLength(response.body) };
  } finally {
    agent.destroy();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Each figure is the median over the rounds; errors are summed. */
function combineRounds(rounds: LoadResult[]): LoadResult {
  return {
    requests: rounds.reduce((sum, round) => sum + round.requests, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    firstError: rounds.find((round) => round.firstError)?.firstError,
    perSecond: median(rounds.map((round) => round.perSecond)),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
  };
}

/** The targets take turns, round after round, on their own keep-alive connections. */
async function measureInTurns(targets: Target[], concurrency: number, profile: Profile): Promise<Map<Target, LoadResult>> {
  const loads = targets.map((target) => {
    const agent = keepAliveAgent(concurrency);
    const request = async () => void (await sendExpectingSuccess(agent, target.url, { method: 'POST', headers: target.headers, body: toolsListBody }));
    return { target, agent, request, rounds: [] as LoadResult[] };
  });
  try {
    if (profile.warmupMs) for (const { request } of loads) await runLoad({ concurrency, durationMs: profile.warmupMs, request });
    for (let round = 0; round < profile.listRounds; round++) {
      for (const load of loads) load.rounds.push(await runLoad({ concurrency, durationMs: profile.listRoundMs, request: load.request }));
    }
    return new Map(loads.map((load) => [load.target, combineRounds(load.rounds)]));
  } finally {
    for (const { agent } of loads) agent.destroy();
  }
}

async function startReference(kind: ReferenceKind, tools: Tool[]): Promise<BenchChild> {
  const init: ReferenceInit = { type: 'start', kind, tools };
  return startBenchChild(new URL('./serve-reference.ts', import.meta.url), { init });
}

export async function benchToolsList(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const children: BenchChild[] = [];
  try {
    const { accessToken } = await deployment.login(deployment.mittwald.users(1)[0]);
    const ours = { url: deployment.mcpUrl, headers: mcpHeaders(accessToken) };
    const { tools } = await listTools(ours);
    const sdk = await startReference('sdk-per-request', tools);
    children.push(sdk);
    const limit = await startReference('precomputed-express', tools);
    children.push(limit);
    const targets: Target[] = [
      { label: 'ours: /mcp with token check', ...ours, process: deployment.server },
      { label: '(a) SDK, McpServer per request', url: `${sdk.url}/mcp`, headers: mcpHeaders(), process: sdk },
      { label: '(b) Express, precomputed JSON', url: `${limit.url}/mcp`, headers: mcpHeaders(), process: limit },
    ];
    const sizes = await Promise.all(targets.map(async (target) => (await listTools(target)).bytes));

    const rows: string[][] = [];
    const goals: GoalCheck[] = [];
    const failures: string[] = [];
    for (const concurrency of CONCURRENCY) {
      const results = await measureInTurns(targets, concurrency, profile);
      for (const [target, result] of results) {
        if (result.errors) failures.push(`${target.label} at ${concurrency}: ${result.errors} errors, first: ${result.firstError}`);
      }
      const limitRate = results.get(targets[2])!.perSecond;
      for (const target of targets) {
        const result = results.get(target)!;
        rows.push([target.label, String(concurrency), perSecond(result.perSecond), ms(result.p50Ms), ms(result.p99Ms), percent(result.perSecond / limitRate), megabytes(target.process.memory().peakBytes)]);
      }
      const share = results.get(targets[0])!.perSecond / limitRate;
      goals.push({ goal: `tools/list at ${concurrency} client(s): ours ≥ ${percent(GOAL_SHARE_OF_LIMIT)} of (b)`, measured: percent(share), met: share >= GOAL_SHARE_OF_LIMIT });
    }
    return {
      sections: [
        {
          title: `1. tools/list: ${tools.length} tools, keep-alive clients`,
          columns: ['server', 'clients', 'req/s', 'p50', 'p99', 'req/s vs (b)', 'peak RSS so far'],
          rows,
          notes: [
            `Response sizes: ${targets.map((t, i) => `${t.label.split(':')[0].split(',')[0]} ${kilobytes(sizes[i])}`).join(', ')}. ` +
              `Medians over ${profile.listRounds} rounds of ${profile.listRoundMs / 1000} s in which the servers take turns, after ${profile.warmupMs / 1000} s warm-up each; ` +
              'each server in its own process, the load generator in the bench process. ' +
              'The tools are those of the real mw command surface (the stand-in CLI has all 192 commands), all scopes granted. ' +
                '(a) declares its schemas in zod, which has no words for the rules between inputs (not, if/then): its listing lacks them.',
          ],
        },
      ],
      goals,
      failures,
    };
  } finally {
    for (const child of children) await child.stop();
    await deployment.stop();
  }
}
