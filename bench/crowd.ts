// Item 3: many users at once with the default limits: every call sent at the same moment, the
// server's queue and in-flight gauges and its RSS sampled while they run.
import type { DeploymentSource } from './deployment.ts';
import { megabytes, ms } from './format.ts';
import { keepAliveAgent, send } from './http-client.ts';
import { callTool } from './mcp-tool-call.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';
import { startsDuring, startsText } from './cli-starts.ts';
import { BENCH_TOOL } from './tool-call.ts';

const GOAL_PEAK_RSS_BYTES = 250 * 1024 ** 2;
const SAMPLE_EVERY_MS = 50;

interface Samples {
  maxQueued: number;
  maxInFlight: number;
  maxRssBytes: number;
}

function gauge(metricsText: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? Number.NaN);
}

/** Samples until stopped; returns the maxima seen. */
function startSampling(metricsUrl: string, rss: () => number): { stop(): Promise<Samples> } {
  const agent = keepAliveAgent(1);
  const samples: Samples = { maxQueued: 0, maxInFlight: 0, maxRssBytes: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const { body } = await send(agent, metricsUrl);
      samples.maxQueued = Math.max(samples.maxQueued, gauge(body, 'mittwald_cli_queued'));
      samples.maxInFlight = Math.max(samples.maxInFlight, gauge(body, 'mittwald_cli_in_flight'));
      samples.maxRssBytes = Math.max(samples.maxRssBytes, rss());
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return samples;
    },
  };
}

export async function benchCrowd(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const agent = keepAliveAgent(profile.crowdCalls);
  try {
    const tokens: string[] = [];
    for (const userId of deployment.mittwald.users(profile.crowdUsers)) tokens.push((await deployment.login(userId)).accessToken);
    // Calls first, so the burst does not measure the first-ever compile-cache fill.
    for (let i = 0; i < profile.cliWarmupCalls; i++) await callTool(agent, deployment.mcpUrl, tokens[0], BENCH_TOOL);
    const idle = deployment.server.memory();

    const sampling = startSampling(`${deployment.publicUrl}/metrics`, () => deployment.server.memory().rssBytes);
    const started = performance.now();
    const burst = await startsDuring(deployment, () =>
      Promise.allSettled(
        Array.from({ length: profile.crowdCalls }, async (_, index) => {
          const sent = performance.now();
          await callTool(agent, deployment.mcpUrl, tokens[index % tokens.length], BENCH_TOOL);
          return performance.now() - sent;
        }),
      ),
    );
    const outcomes = burst.result;
    const completionMs = performance.now() - started;
    const samples = await sampling.stop();
    const peak = deployment.server.memory().peakBytes;

    const latencies = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Error).message] : []));
    const { p50Ms, p99Ms } = summarise(latencies);
    return {
      sections: [
        {
          title: `3. ${profile.crowdCalls} tool calls from ${profile.crowdUsers} users at once (default limits)`,
          columns: ['completion', 'calls/s', 'p50', 'p99', 'errors', 'max queued', 'max running', 'RSS idle', 'RSS max in burst', 'peak RSS (VmHWM)'],
          rows: [
            [
              ms(completionMs),
              (latencies.length / (completionMs / 1000)).toFixed(1),
              ms(p50Ms),
              ms(p99Ms),
              String(failed.length),
              String(samples.maxQueued),
              String(samples.maxInFlight),
              megabytes(idle.rssBytes),
              megabytes(samples.maxRssBytes),
              megabytes(peak),
            ],
          ],
          notes: [
            `Each call is \`${BENCH_TOOL}\` (one \`mw\` child: ${startsText(burst)}, warm children on as by default); queue and running figures are /metrics gauges sampled every ${SAMPLE_EVERY_MS} ms.` +
              (failed.length ? ` First error: ${failed[0]}` : ''),
          ],
        },
      ],
      goals: [
        { goal: 'many users: no errors', measured: String(failed.length), met: failed.length === 0 },
        { goal: 'many users: peak RSS < 250 MB', measured: megabytes(peak), met: peak < GOAL_PEAK_RSS_BYTES },
      ],
      failures: failed.length ? [`${failed.length} of ${profile.crowdCalls} calls failed; first: ${failed[0]}`] : [],
    };
  } finally {
    agent.destroy();
    await deployment.stop();
  }
}
