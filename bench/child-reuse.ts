// A principal's reused `mw` child (issue 18's goals): tools/call `mittwald_user_get` through /mcp
// beside its floor, the same API request made directly, with the embedded store and with Redis.
// Patterns: one user back to back (an agent chaining calls) and with a 1 s think time (a model
// between calls); 20 users × 5 calls at once; 20 users calling without pause for a while (calls/s).
// Costs: CPU per repeat call (server and children, from /proc), the growth of a reused child's RSS
// over its calls, the server's peak RSS.
import { readdirSync, readFileSync } from 'node:fs';
import { processUsage } from '../src/cli/child-lives.ts';
import { startTestRedis, type TestRedis } from '../test/support/redis-server.ts';
import type { Deployment, DeploymentSource } from './deployment.ts';
import { megabytes, ms, perSecond } from './format.ts';
import { keepAliveAgent } from './http-client.ts';
import { callTool } from './mcp-tool-call.ts';
import type { BenchmarkOutcome, GoalCheck, Profile } from './profile.ts';
import { summarise, type LatencySummary } from './stats.ts';

const TOOL = 'mittwald_user_get';
const THINK_MS = 1000;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The processes of the deployment's `mw` children (their API origin is in their environment). */
function childPids(apiUrl: string): number[] {
  const marker = `MITTWALD_API_BASE_URL=${apiUrl}\0`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return `${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(marker);
      } catch {
        return false;
      }
    });
}

// What the server's own limits read (CLI_CHILD_MAX_RSS_MB, half of RLIMIT_CPU): 0 once the process is gone.
const cpuSeconds = (pid: number) => processUsage(pid)?.cpuSeconds ?? 0;
const rssBytes = (pid: number) => processUsage(pid)?.rssBytes ?? 0;

interface StoreFigures {
  store: string;
  floor: { backToBack: LatencySummary; think: LatencySummary };
  backToBack: LatencySummary;
  think: LatencySummary;
  crowd: LatencySummary;
  crowdErrors: number;
  cpuPerCallMs: number;
  sustained: { perSecond: number; errors: number; seconds: number };
  childGrowthBytes: number;
  childCalls: number;
  serverPeakBytes: number;
}

async function measure(profile: Profile, deployments: DeploymentSource, store: string, env: Record<string, string>): Promise<StoreFigures> {
  const users = profile.crowdUsers;
  const deployment: Deployment = await deployments.open(env);
  const agent = keepAliveAgent(users);
  try {
    const { api } = deployment.mittwald;
    const userIds = deployment.mittwald.users(users);
    const tokens: string[] = [];
    for (const userId of userIds) tokens.push((await deployment.login(userId)).accessToken);
    const mittwaldTokens = userIds.map((userId) => deployment.mittwaldTokenOf(userId));
    const viaServer = async (user: number) => {
      const started = performance.now();
      await callTool(agent, deployment.mcpUrl, tokens[user], TOOL);
      return performance.now() - started;
    };
    const direct = async (user: number) => {
      const started = performance.now();
      const response = await fetch(`${api.url}/v2/users/${userIds[user]}`, { headers: { 'x-access-token': mittwaldTokens[user] } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`the direct API request answered ${response.status}`);
      return performance.now() - started;
    };
    const series = async (count: number, pauseMs: number, call: (user: number) => Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        times.push(await call(0));
        if (pauseMs) await sleep(pauseMs);
      }
      return summarise(times);
    };

    // every user's child bound (and the floor's connection open) before anything is measured
    for (let user = 0; user < users; user++) await viaServer(user);
    for (let i = 0; i < 3; i++) await Promise.all([viaServer(0), direct(0)]);

    const backToBackCalls = profile.smoke ? 3 : 100;
    const thinkCalls = profile.smoke ? 2 : 10;
    const floor = { backToBack: await series(backToBackCalls, 0, direct), think: await series(thinkCalls, THINK_MS, direct) };
    const backToBack = await series(backToBackCalls, 0, viaServer);
    const think = await series(thinkCalls, THINK_MS, viaServer);

    const crowdTimes: number[] = [];
    let crowdErrors = 0;
    const callsPerUser = Math.max(1, Math.round(profile.crowdCalls / users));
    await Promise.all(
      Array.from({ length: users }, async (_, user) => {
        for (let i = 0; i < callsPerUser; i++) crowdTimes.push(await viaServer(user).catch(() => (crowdErrors++, Number.NaN)));
      }),
    );

    // CPU of repeat calls: the server and the principal's child (the child whose CPU grows; warm
    // children the pool starts meanwhile are not the call's)
    const repeatCalls = profile.smoke ? 3 : 50;
    const serverPid = deployment.server.pid;
    const childCpuBefore = new Map(childPids(api.url).map((pid) => [pid, cpuSeconds(pid)]));
    const serverCpuBefore = cpuSeconds(serverPid);
    for (let i = 0; i < repeatCalls; i++) await viaServer(0);
    const childCpu = Math.max(0, ...[...childCpuBefore].map(([pid, before]) => cpuSeconds(pid) - before));
    const cpuPerCallMs = ((cpuSeconds(serverPid) - serverCpuBefore + childCpu) * 1000) / repeatCalls;

    // sustained: every user calls again as soon as answered
    const sustainedSeconds = profile.smoke ? 2 : 60;
    let sustainedCalls = 0;
    let sustainedErrors = 0;
    const until = performance.now() + sustainedSeconds * 1000;
    await Promise.all(
      Array.from({ length: users }, async (_, user) => {
        while (performance.now() < until) await viaServer(user).then(() => sustainedCalls++, () => sustainedErrors++);
      }),
    );

    // a reused child's RSS over its calls: user 0's child is the one whose CPU grows
    const childCalls = profile.smoke ? 5 : 200;
    const before = new Map(childPids(api.url).map((pid) => [pid, { rss: rssBytes(pid), cpu: cpuSeconds(pid) }]));
    for (let i = 0; i < childCalls; i++) await viaServer(0);
    const busiest = [...before].map(([pid, was]) => ({ pid, was, cpu: cpuSeconds(pid) - was.cpu })).sort((a, b) => b.cpu - a.cpu)[0];
    const childGrowthBytes = busiest && rssBytes(busiest.pid) > 0 ? rssBytes(busiest.pid) - busiest.was.rss : Number.NaN;

    return {
      store,
      floor,
      backToBack,
      think,
      crowd: summarise(crowdTimes.filter((time) => !Number.isNaN(time))),
      crowdErrors,
      cpuPerCallMs,
      sustained: { perSecond: sustainedCalls / sustainedSeconds, errors: sustainedErrors, seconds: sustainedSeconds },
      childGrowthBytes,
      childCalls,
      serverPeakBytes: deployment.server.memory().peakBytes,
    };
  } finally {
    agent.destroy();
    await deployment.stop();
  }
}

function goals(f: StoreFigures): GoalCheck[] {
  const p50Bound = (floor: LatencySummary) => 2 * floor.p50Ms + 10;
  return [
    { goal: `${f.store}: back to back p50 ≤ 2 × floor + 10 ms (${ms(p50Bound(f.floor.backToBack))})`, measured: ms(f.backToBack.p50Ms), met: f.backToBack.p50Ms <= p50Bound(f.floor.backToBack) },
    { goal: `${f.store}: back to back p99 ≤ floor + 50 ms (${ms(f.floor.backToBack.p99Ms + 50)})`, measured: ms(f.backToBack.p99Ms), met: f.backToBack.p99Ms <= f.floor.backToBack.p99Ms + 50 },
    { goal: `${f.store}: 1 s think time p50 ≤ 2 × floor + 10 ms (${ms(p50Bound(f.floor.think))})`, measured: ms(f.think.p50Ms), met: f.think.p50Ms <= p50Bound(f.floor.think) },
    { goal: `${f.store}: 20 users × 5 at once p50 ≤ 100 ms, 0 errors`, measured: `${ms(f.crowd.p50Ms)}, ${f.crowdErrors} errors`, met: f.crowd.p50Ms <= 100 && f.crowdErrors === 0 },
    { goal: `${f.store}: CPU per repeat call ≤ 15 ms`, measured: ms(f.cpuPerCallMs), met: f.cpuPerCallMs <= 15 },
    { goal: `${f.store}: sustained ≥ 100 calls/s with 20 users, 0 errors`, measured: `${perSecond(f.sustained.perSecond)}/s, ${f.sustained.errors} errors`, met: f.sustained.perSecond >= 100 && f.sustained.errors === 0 },
    { goal: `${f.store}: a reused child grows ≤ 10 MB over ${f.childCalls} calls`, measured: megabytes(f.childGrowthBytes), met: f.childGrowthBytes <= 10 * 1024 ** 2 },
    { goal: `${f.store}: server ≤ 250 MB RSS throughout`, measured: megabytes(f.serverPeakBytes), met: f.serverPeakBytes <= 250 * 1024 ** 2 },
  ];
}

export async function benchChildReuse(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  let redis: TestRedis | undefined;
  try {
    const embedded = await measure(profile, deployments, 'embedded store', {});
    redis = await startTestRedis();
    const onRedis = await measure(profile, deployments, 'Redis', { REDIS_URL: redis.url });
    const figures = [embedded, onRedis];
    const latency = (summary: LatencySummary) => `${ms(summary.p50Ms)} / ${ms(summary.p99Ms)}`;
    return {
      sections: [
        {
          title: `Reused children: tools/call ${TOOL}, a principal's own child (CLI_CHILD_REUSE=on, default settings)`,
          columns: ['pattern (p50 / p99)', ...figures.map((f) => `${f.store}: floor`), ...figures.map((f) => `${f.store}: tools/call`)],
          rows: [
            ['one user, back to back', ...figures.map((f) => latency(f.floor.backToBack)), ...figures.map((f) => latency(f.backToBack))],
            [`one user, ${THINK_MS} ms think time`, ...figures.map((f) => latency(f.floor.think)), ...figures.map((f) => latency(f.think))],
            [`${profile.crowdUsers} users × ${Math.max(1, Math.round(profile.crowdCalls / profile.crowdUsers))} at once`, ...figures.map(() => '—'), ...figures.map((f) => `${latency(f.crowd)}, ${f.crowdErrors} errors`)],
          ],
          notes: [
            'The floor is the same API request made directly (fetch with the user’s mittwald token, keep-alive). Every layer of the wall between users on ' +
              '(file sandbox, limits, call directories; per-call uids only as root). Each user’s child is bound by a first call before anything is measured.',
          ],
        },
        {
          title: 'Reused children: what repeat calls cost',
          columns: ['figure', ...figures.map((f) => f.store)],
          rows: [
            ['CPU per repeat call (server + the principal’s child, /proc)', ...figures.map((f) => ms(f.cpuPerCallMs))],
            [`sustained, ${profile.crowdUsers} users without pause`, ...figures.map((f) => `${perSecond(f.sustained.perSecond)} calls/s over ${f.sustained.seconds} s, ${f.sustained.errors} errors`)],
            ['a reused child’s RSS growth', ...figures.map((f) => `${megabytes(f.childGrowthBytes)} over ${f.childCalls} calls`)],
            ['server peak RSS (VmHWM)', ...figures.map((f) => megabytes(f.serverPeakBytes))],
          ],
        },
      ],
      goals: figures.flatMap(goals),
    };
  } finally {
    await redis?.stop();
  }
}
