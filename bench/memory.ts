// Item 6: the server's memory at rest, and what 1,000 stored grants cost (heap after GC before and
// after that many logins through the real flow, on the memory store).
import type { DeploymentSource } from './deployment.ts';
import { kilobytes, megabytes } from './format.ts';
import { runLoad } from './load.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';

const SETTLE_MS = 1000;
const CONCURRENCY = 4;
const MAX_DURATION_MS = 300_000;

export async function benchMemory(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  try {
    await new Promise((resolve) => setTimeout(resolve, profile.smoke ? 0 : SETTLE_MS));
    const idle = await deployment.server.memoryUsageAfterGc();
    const idlePeak = deployment.server.memory().peakBytes;

    const userId = deployment.mittwald.users(1)[0];
    const logins = await runLoad({ concurrency: CONCURRENCY, count: profile.grants, durationMs: MAX_DURATION_MS, request: async () => void (await deployment.login(userId)) });
    if (logins.errors) throw new Error(`${logins.errors} logins failed; first: ${logins.firstError}`);
    const grants = logins.requests;
    const loaded = await deployment.server.memoryUsageAfterGc();
    const loadedPeak = deployment.server.memory().peakBytes;
    const perThousand = ((loaded.heapUsed - idle.heapUsed) * 1000) / grants;
    const row = (label: string, usage: NodeJS.MemoryUsage, peak: number) =>
      [label, megabytes(usage.heapUsed), megabytes(usage.heapTotal), megabytes(usage.external), megabytes(usage.rss), megabytes(peak)];
    return {
      sections: [
        {
          title: '6. Server memory: idle, and per 1,000 stored grants (memory store)',
          columns: ['state', 'heap used after GC', 'heap reserved', 'external', 'RSS', 'peak RSS'],
          rows: [
            row('idle, after start and one client registration', idle, idlePeak),
            row(`after ${grants} logins (grants)`, loaded, loadedPeak),
            ['per 1,000 grants (heap used delta)', megabytes(perThousand), '', '', '', ''],
          ],
          notes: [
            `A login leaves a grant, its access and refresh tokens, the session and the encrypted mittwald tokens in the store: ` +
              `${kilobytes(perThousand / 1000)} per login. Interaction records that expire later are included.`,
          ],
        },
      ],
      goals: [],
    };
  } finally {
    await deployment.stop();
  }
}
