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
    const idleHeap = await deployment.server.heapUsedAfterGc();
    const idle = deployment.server.memory();

    const userId = deployment.mittwald.users(1)[0];
    const logins = await runLoad({ concurrency: CONCURRENCY, count: profile.grants, durationMs: MAX_DURATION_MS, request: async () => void (await deployment.login(userId)) });
    if (logins.errors) throw new Error(`${logins.errors} logins failed; first: ${logins.firstError}`);
    const grants = logins.requests;
    const loadedHeap = await deployment.server.heapUsedAfterGc();
    const loaded = deployment.server.memory();
    const perThousand = ((loadedHeap - idleHeap) * 1000) / grants;
    return {
      sections: [
        {
          title: '6. Server memory: idle, and per 1,000 stored grants (memory store)',
          columns: ['state', 'heap used after GC', 'RSS', 'peak RSS'],
          rows: [
            ['idle, after start and one client registration', megabytes(idleHeap), megabytes(idle.rssBytes), megabytes(idle.peakBytes)],
            [`after ${grants} logins (grants)`, megabytes(loadedHeap), megabytes(loaded.rssBytes), megabytes(loaded.peakBytes)],
            ['per 1,000 grants (heap delta)', megabytes(perThousand), '', ''],
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
