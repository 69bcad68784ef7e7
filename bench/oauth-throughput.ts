// Item 4: the OAuth flow without a browser (authorize → consent → mittwald login → callback → token)
// and the refresh grant, side by side on the memory store, one Redis, Sentinel and a Cluster (the
// last two wait for a replica before a code or token is answered).
import { type RedisForm, startTestTopology } from '../test/support/redis-topology.ts';
import type { DeploymentSource } from './deployment.ts';
import { ms, perSecond } from './format.ts';
import { runLoad, type LoadResult } from './load.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';

const CONCURRENCY = 4;
/** bounds each measurement even if the server slows to a crawl */
const MAX_DURATION_MS = 120_000;

async function measureStore(profile: Profile, deployments: DeploymentSource, env: Record<string, string>): Promise<{ flows: LoadResult; refreshes: LoadResult }> {
  const deployment = await deployments.open(env);
  try {
    const userId = deployment.mittwald.users(1)[0];
    const flows = await runLoad({
      concurrency: CONCURRENCY,
      count: profile.oauthFlows,
      durationMs: MAX_DURATION_MS,
      request: async () => void (await deployment.login(userId)),
    });
    // Each worker follows its own chain: a refresh token is single-use.
    const chains = await Promise.all(Array.from({ length: CONCURRENCY }, async () => (await deployment.login(userId)).refreshToken));
    const refreshes = await runLoad({
      concurrency: CONCURRENCY,
      count: profile.refreshes,
      durationMs: MAX_DURATION_MS,
      request: async (worker) => {
        chains[worker] = (await deployment.refresh(chains[worker])).refreshToken;
      },
    });
    return { flows, refreshes };
  } finally {
    await deployment.stop();
  }
}

export async function benchOAuth(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const results: Array<[store: string, result: Awaited<ReturnType<typeof measureStore>>]> = [['memory', await measureStore(profile, deployments, {})]];
  for (const [form, name] of [['single', 'Redis'], ['sentinel', 'Redis Sentinel (1+2)'], ['cluster', 'Redis Cluster (3+3)']] as Array<[RedisForm, string]>) {
    const topology = await startTestTopology(form);
    try {
      results.push([name, await measureStore(profile, deployments, topology.env)]);
    } finally {
      await topology.stop();
    }
  }
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const [store, result] of results) {
    for (const [what, load] of [['full flow', result.flows], ['refresh grant', result.refreshes]] as const) {
      rows.push([store, what, perSecond(load.perSecond), ms(load.p50Ms), ms(load.p99Ms), String(load.errors)]);
      if (load.errors) failures.push(`${what} on ${store}: ${load.errors} errors, first: ${load.firstError}`);
    }
  }
  return {
    sections: [
      {
        title: '4. OAuth: full authorization flow and refresh grant',
        columns: ['store', 'what', 'per second', 'p50', 'p99', 'errors'],
        rows,
        notes: [
          `${profile.oauthFlows} flows and ${profile.refreshes} refreshes per store, ${CONCURRENCY} clients at once. ` +
            'A flow is 1 authorize + consent page + consent POST + mittwald simulator + callback + redirects + 1 token request; ' +
            'the client is registered once per deployment. Sentinel and Cluster answer a code or token only once a replica holds it (WAIT 1).',
        ],
      },
    ],
    goals: [],
    failures,
  };
}
