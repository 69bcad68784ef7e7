// Item 2: one tool call (`mw project list`) against its floor and against today's cold spawn, with
// every isolation layer on. The floor (a) runs the stand-in's command in this process with the
// user's token, again and again (the API round trip plus the command's own work); (b) is the
// server with its pool off (a child started for each call); "warm" the server as it starts by
// default (CLI_POOL=on). In between, a warm child handed the request directly (no server) splits a
// warm call into what the child does and what the server adds.
//
// Arrival patterns, said as they are: one client, one call at a time with a think time (an
// assistant's turn between tool calls) and back to back; 20 users at once, each with 5 calls in a
// row, each call sent when the previous one answered (no think time): far more calls per second
// than a 2-core machine can start children for, so warm children run out and the rest start cold.
import { startsDuring, startsText } from './cli-starts.ts';
import { openDirectChildren, readyChild, runOnChild, type ReadyChild } from './direct-children.ts';
import type { Deployment, DeploymentSource } from './deployment.ts';
import { ms, ratio } from './format.ts';
import { keepAliveAgent } from './http-client.ts';
import { openInProcessCli, type InProcessCli } from './in-process-cli.ts';
import { callTool } from './mcp-tool-call.ts';
import type { BenchmarkOutcome, GoalCheck, Profile } from './profile.ts';
import { summarise, type LatencySummary } from './stats.ts';

/** what crowd.ts calls */
export const BENCH_TOOL = 'mittwald_user_get';
const TOOL = 'mittwald_project_list';
const COMMAND_ID = 'project:list';
/** what the server runs for TOOL without arguments */
const ARGV = ['project', 'list', '--output', 'json'];
const THINK_MS = 1000;
const BACK_TO_BACK_CALLS = 20;

interface Server {
  deployment: Deployment;
  tokens: string[];
}

async function openServer(deployments: DeploymentSource, env: Record<string, string>, users: number): Promise<Server> {
  const deployment = await deployments.open(env);
  const tokens: string[] = [];
  for (const userId of deployment.mittwald.users(users)) tokens.push((await deployment.login(userId)).accessToken);
  return { deployment, tokens };
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** 20 users × 5 calls: each user's calls in a row, all users at once; the latency of every call. */
async function chains(users: number, callsPerUser: number, call: (user: number) => Promise<number>): Promise<{ times: number[]; completionMs: number }> {
  const times: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: users }, async (_, user) => {
      for (let i = 0; i < callsPerUser; i++) times.push(await call(user));
    }),
  );
  return { times, completionMs: performance.now() - started };
}

function goalRows(label: string, warm: LatencySummary, floor: LatencySummary, cold: LatencySummary): GoalCheck[] {
  const p50Bound = 2 * floor.p50Ms + 10;
  const p99Bound = floor.p99Ms + 50;
  return [
    { goal: `tools/call ${label}: warm p50 ≤ 2 × floor + 10 ms (${ms(p50Bound)})`, measured: ms(warm.p50Ms), met: warm.p50Ms <= p50Bound },
    { goal: `tools/call ${label}: warm p99 ≤ floor + 50 ms (${ms(p99Bound)})`, measured: ms(warm.p99Ms), met: warm.p99Ms <= p99Bound },
    { goal: `tools/call ${label}: warm p50 ≥ 10× faster than cold`, measured: ratio(cold.p50Ms / warm.p50Ms), met: cold.p50Ms >= 10 * warm.p50Ms },
  ];
}

export async function benchToolCall(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const users = profile.crowdUsers;
  const callsPerUser = Math.max(1, Math.round(profile.crowdCalls / profile.crowdUsers));
  const cold = await openServer(deployments, { CLI_POOL: 'off' }, users);
  const warm = await openServer(deployments, {}, users);
  const { mittwald } = warm.deployment;
  const agent = keepAliveAgent(users);
  const direct = await openDirectChildren({ apiBaseUrl: mittwald.api.url, compileCacheDir: warm.deployment.compileCacheDir });
  let floor: InProcessCli | undefined;
  try {
    // The floor runs with the mittwald tokens the servers' children get.
    const mittwaldTokens = mittwald.users(users).map((userId) => warm.deployment.mittwaldTokenOf(userId));
    floor = await openInProcessCli(mittwald.api.url);
    const viaServer = async (server: Server, user: number) => {
      const started = performance.now();
      await callTool(agent, server.deployment.mcpUrl, server.tokens[user], TOOL);
      return performance.now() - started;
    };
    const inProcess = (user: number) => floor!.run(COMMAND_ID, ARGV.slice(2), mittwaldTokens[user]);

    // One client. Warm-up first: JIT of the floor, compile caches, the pools' first fill.
    for (let i = 0; i < Math.max(1, profile.cliWarmupCalls); i++) {
      await inProcess(0);
      await viaServer(cold, 0);
      await viaServer(warm, 0);
      await runOnChild((await readyChild(direct.spawner, 'commands')).child, ARGV, mittwaldTokens[0]);
    }
    const one = { floor: [] as number[], cold: [] as number[], direct: [] as number[], warm: [] as number[] };
    const paced = await startsDuring(warm.deployment, async () => {
      let next: Promise<ReadyChild> = readyChild(direct.spawner, 'commands');
      for (let i = 0; i < profile.toolCalls; i++) {
        one.floor.push(await inProcess(0));
        one.cold.push(await viaServer(cold, 0));
        const waiting = await next;
        one.direct.push(await runOnChild(waiting.child, ARGV, mittwaldTokens[0]));
        one.warm.push(await viaServer(warm, 0));
        // the think time: the server's pool and this bench's next warm child get ready meanwhile
        next = readyChild(direct.spawner, 'commands');
        await sleep(THINK_MS);
      }
      const unused = (await next).child;
      unused.signalAll('SIGKILL');
      await unused.cleanedUp;
    });
    const backToBack = await startsDuring(warm.deployment, async () => {
      const times: number[] = [];
      for (let i = 0; i < (profile.smoke ? 2 : BACK_TO_BACK_CALLS); i++) times.push(await viaServer(warm, 0));
      return times;
    });

    // 20 users × 5 calls, each pattern on its own, after a pause that lets the pool fill again.
    const crowdFloor = await chains(users, callsPerUser, inProcess);
    const crowdCold = await chains(users, callsPerUser, (user) => viaServer(cold, user));
    await sleep(profile.smoke ? 200 : 3000);
    const crowdWarm = await startsDuring(warm.deployment, () => chains(users, callsPerUser, (user) => viaServer(warm, user)));
    if (floor.outputBytes === 0) throw new Error('the in-process command printed nothing');

    const s = {
      floor: summarise(one.floor),
      cold: summarise(one.cold),
      direct: summarise(one.direct),
      warm: summarise(one.warm),
      backToBack: summarise(backToBack.result),
      crowdFloor: summarise(crowdFloor.times),
      crowdCold: summarise(crowdCold.times),
      crowdWarm: summarise(crowdWarm.result.times),
    };
    const row = (label: string, summary: LatencySummary, starts = '') => [label, ms(summary.p50Ms), ms(summary.p99Ms), ratio(summary.p50Ms / s.floor.p50Ms), starts];
    const crowdRow = (label: string, summary: LatencySummary, completionMs: number, starts = '') => [
      label,
      ms(summary.p50Ms),
      ms(summary.p99Ms),
      ratio(summary.p50Ms / s.crowdFloor.p50Ms),
      ms(completionMs),
      starts,
    ];
    return {
      sections: [
        {
          title: `2. One tools/call (${TOOL}): the floor, a cold start per call, warm children`,
          columns: ['one client', 'p50', 'p99', 'p50 vs floor', 'children'],
          rows: [
            row('(a) floor: the command in-process, its oclif loaded once', s.floor),
            row('(b) cold: a child started for the call (CLI_POOL=off), through /mcp', s.cold),
            row('a warm child handed the request directly (no server)', s.direct),
            row(`warm: the pool (default settings), through /mcp, ${THINK_MS} ms think time`, s.warm, startsText(paced)),
            row('warm: the pool, through /mcp, back to back', s.backToBack, startsText(backToBack)),
          ],
          notes: [
            `${profile.toolCalls} samples of each of the first four, taken in turns, after warm-up calls; then ${backToBack.result.length} calls back to back. ` +
              'Every layer of the wall between users on (file sandbox, limits, call directories; per-call uids only as root: item 7). ' +
              `The floor runs \`mw ${ARGV.join(' ')}\` with the user's token in this process (the simulators are in it too); the direct warm child ` +
              'is started as the server starts its own and handed the request as the runner does: the difference to the warm row through /mcp is the server.',
          ],
        },
        {
          title: `2b. ${users} users × ${callsPerUser} calls (${TOOL}): each user's calls in a row, all users at once`,
          columns: ['pattern', 'p50', 'p99', 'p50 vs floor', 'all done in', 'children'],
          rows: [
            crowdRow(`(a) floor: in-process, ${users} at once`, s.crowdFloor, crowdFloor.completionMs),
            crowdRow('(b) cold (CLI_POOL=off)', s.crowdCold, crowdCold.completionMs),
            crowdRow('warm: the pool (default settings)', s.crowdWarm, crowdWarm.result.completionMs, startsText(crowdWarm)),
          ],
          notes: [
            'Each call is sent as soon as the same user\'s previous one answered, no think time: sustained load, not a burst the pool could absorb. ' +
              'The server runs at most CLI_MAX_CONCURRENT (8) calls at once, the rest queue. Every child costs a start (section 9: a few hundred ms of CPU), ' +
              'warm or cold; on 2 cores the pool cannot start them faster than the calls arrive, so most calls start cold and all of them share the cores.',
          ],
        },
      ],
      goals: [...goalRows('1 client', s.warm, s.floor, s.cold), ...goalRows(`${users}×${callsPerUser}`, s.crowdWarm, s.crowdFloor, s.crowdCold)],
    };
  } finally {
    floor?.close();
    agent.destroy();
    await direct.close();
    await warm.deployment.stop();
    await cold.deployment.stop();
  }
}
