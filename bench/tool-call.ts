// Item 2: one tools/call through /mcp against spawning the same stand-in command directly with the
// same token and environment recipe: what the server adds to a call. Samples alternate, so drift on
// a busy machine hits both sides alike.
import { openDirectCli } from './direct-cli.ts';
import type { DeploymentSource } from './deployment.ts';
import { ms } from './format.ts';
import { keepAliveAgent } from './http-client.ts';
import { callTool } from './mcp-tool-call.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

export const BENCH_TOOL = 'mittwald_user_get';
/** what the server runs for BENCH_TOOL without arguments */
const BENCH_ARGV = ['user', 'get', '--output=json'];
const GOAL_ADDED_P50_MS = 15;

export async function benchToolCall(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const agent = keepAliveAgent(1);
  try {
    const userId = deployment.mittwald.users(1)[0];
    const { accessToken } = await deployment.login(userId);
    const direct = await openDirectCli({
      executable: deployment.cliExecutable,
      mittwaldToken: deployment.mittwaldTokenOf(userId),
      apiBaseUrl: deployment.mittwald.api.url,
      compileCacheDir: deployment.compileCacheDir,
    });
    const viaServer = async () => {
      const started = performance.now();
      await callTool(agent, deployment.mcpUrl, accessToken, BENCH_TOOL);
      return performance.now() - started;
    };
    try {
      // Also primes the shared compile cache, as the server's first calls would.
      for (let i = 0; i < profile.cliWarmupCalls; i++) {
        await direct.run(BENCH_ARGV);
        await viaServer();
      }
      const directTimes: number[] = [];
      const serverTimes: number[] = [];
      for (let i = 0; i < profile.toolCalls; i++) {
        directTimes.push(await direct.run(BENCH_ARGV));
        serverTimes.push(await viaServer());
      }
      const d = summarise(directTimes);
      const s = summarise(serverTimes);
      // Each pair ran back to back, so its difference is far less exposed to the machine's drift.
      const added = summarise(serverTimes.map((time, i) => time - directTimes[i]));
      return {
        sections: [
          {
            title: `2. One tools/call (${BENCH_TOOL}) vs spawning \`mw ${BENCH_ARGV.join(' ')}\` directly`,
            columns: ['path', 'p50', 'p99'],
            rows: [
              ['direct spawn (same env recipe)', ms(d.p50Ms), ms(d.p99Ms)],
              ['through /mcp', ms(s.p50Ms), ms(s.p99Ms)],
              ['added by the server (per pair)', ms(added.p50Ms), ms(added.p99Ms)],
            ],
            notes: [`${profile.toolCalls} alternating samples each, sequential, after ${profile.cliWarmupCalls} warm-up calls each; both share one compile cache.`],
          },
        ],
        goals: [{ goal: `tools/call: server adds ≤ ${GOAL_ADDED_P50_MS} ms at p50`, measured: ms(added.p50Ms), met: added.p50Ms <= GOAL_ADDED_P50_MS }],
      };
    } finally {
      await direct.close();
    }
  } finally {
    agent.destroy();
    await deployment.stop();
  }
}
