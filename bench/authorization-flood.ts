// An unauthenticated flood of authorization requests (issue 26, H1) at the default limits: many
// loopback source addresses (127.0.0.x, as the server sees them without a proxy), a 2 KB state (the
// longest allowed) and every fourth request a 15 KB one. What the flood gets (by status), what the
// server holds meanwhile (RSS, the store), and whether a user signing in during the flood gets through.
import { get as httpGet } from 'node:http';
import { createClient } from 'redis';
import { authorizationRequest } from '../test/support/mittwald-oauth/oauth-client.ts';
import { startTestRedis, type TestRedis } from '../test/support/redis-server.ts';
import type { Deployment, DeploymentSource } from './deployment.ts';
import { megabytes, ms, perSecond } from './format.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';

const CONNECTIONS = 24;
const ADDRESSES = 250;
const EXPECTED_STATUSES = new Set([303, 400, 429, 503]);

function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { localAddress, agent: false, headers: { accept: 'text/html' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
    });
    request.on('error', reject);
  });
}

interface FloodResult {
  sent: number;
  perSecond: number;
  statuses: Record<string, number>;
  peakRssBytes: number;
  storeFigure: string;
  loginDuringFlood: string;
  healthzWorstMs: number;
}

async function flood(deployment: Deployment, durationMs: number, storeFigure: () => Promise<string>): Promise<FloodResult> {
  const statuses: Record<string, number> = {};
  const url = (sent: number) =>
    authorizationRequest(deployment.publicUrl, deployment.client, { state: 'x'.repeat(sent % 4 === 3 ? 15_000 : 2048) }).url;
  let sent = 0;
  let peakRssBytes = deployment.server.memory().rssBytes;
  let healthzWorstMs = 0;
  const started = performance.now();
  const end = started + durationMs;
  const workers = Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) {
      const n = sent++;
      const status = await getFrom(`127.0.0.${2 + (n % ADDRESSES)}`, url(n)).catch(() => 'connection error');
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  const sampler = (async () => {
    while (performance.now() < end) {
      const asked = performance.now();
      await fetch(`${deployment.publicUrl}/healthz`);
      healthzWorstMs = Math.max(healthzWorstMs, performance.now() - asked);
      peakRssBytes = Math.max(peakRssBytes, deployment.server.memory().rssBytes);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  // a user on its own address (127.0.0.1) signs in once the flood is under way
  await new Promise((resolve) => setTimeout(resolve, Math.min(2000, durationMs / 4)));
  const loginStarted = performance.now();
  const loginDuringFlood = await deployment.login(deployment.mittwald.users(1)[0]).then(
    () => `signed in (${ms(performance.now() - loginStarted)})`,
    (error: Error) => `failed: ${error.message.slice(0, 80)}`,
  );
  await Promise.all([...workers, sampler]);
  return {
    sent,
    perSecond: (sent / (performance.now() - started)) * 1000,
    statuses,
    peakRssBytes,
    storeFigure: await storeFigure(),
    loginDuringFlood,
    healthzWorstMs,
  };
}

export async function benchAuthorizationFlood(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const durationMs = profile.smoke ? 1_000 : 20_000;
  // the limits as shipped: the other benchmarks lift the per-address one
  const limits = { AUTHORIZE_RATE_LIMIT_PER_MINUTE: '60' };
  const rows: string[][] = [];
  const failures: string[] = [];
  let redis: TestRedis | undefined;
  try {
    redis = await startTestRedis({ maxMemory: '384mb' });
    const inspector = createClient({ url: redis.url });
    await inspector.connect();
    const stores: Array<[string, Record<string, string>, (deployment: Deployment) => () => Promise<string>]> = [
      ['memory', {}, (deployment) => async () => `heap after GC ${megabytes((await deployment.server.memoryUsageAfterGc()).heapUsed)}`],
      ['Redis', { REDIS_URL: redis.url }, () => async () => `${await inspector.dbSize()} keys, used_memory ${megabytes(Number(/used_memory:(\d+)/.exec(await inspector.info('memory'))?.[1]))}`],
    ];
    for (const [name, env, figure] of stores) {
      const deployment = await deployments.open({ ...limits, ...env });
      try {
        const result = await flood(deployment, durationMs, figure(deployment));
        const byStatus = Object.entries(result.statuses).map(([status, count]) => `${status}: ${count}`).join(', ');
        rows.push([name, String(result.sent), perSecond(result.perSecond), byStatus, megabytes(result.peakRssBytes), result.storeFigure, ms(result.healthzWorstMs), result.loginDuringFlood]);
        const unexpected = Object.keys(result.statuses).filter((status) => !EXPECTED_STATUSES.has(Number(status)));
        if (unexpected.length) failures.push(`${name}: unexpected answers to the flood: ${unexpected.join(', ')}`);
        if (!result.loginDuringFlood.startsWith('signed in')) failures.push(`${name}: the user signing in during the flood ${result.loginDuringFlood}`);
      } finally {
        await deployment.stop();
      }
    }
    await inspector.close();
  } finally {
    await redis?.stop();
  }
  return {
    sections: [
      {
        title: 'Authorization flood: limits at their defaults',
        columns: ['store', 'requests', 'per second', 'answers by status', 'peak RSS', 'store after', 'worst /healthz', 'a user signing in meanwhile'],
        rows,
        notes: [
          `${durationMs / 1000} s of GET /authorize over ${CONNECTIONS} connections from ${ADDRESSES} loopback addresses, one registered client; ` +
            'state 2 KB (the longest allowed), every fourth 15 KB. AUTHORIZE_RATE_LIMIT_PER_MINUTE=60, AUTHORIZE_MAX_PENDING=10000, ' +
            'MEMORY_STORE_MAX_MB=256; Redis with maxmemory 384mb and noeviction, as in docker-compose.yml. ' +
            'Before the limits (main 019502a), 24 connections from one address took the memory-store server to 2.7 GB RSS in 60 s and it aborted after 206 s.',
        ],
      },
    ],
    goals: [],
    failures,
  };
}
