// Item 5: what one `mw` call costs to start, with and without an oclif manifest and Node's compile
// cache: the figures behind the Dockerfile's choices. Restores the manifest state it found.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStandInManifest, standInManifestPath, writeStandInManifest } from '../test/support/mw-cli/index.ts';
import { startMittwaldApiSimulator } from '../test/support/mittwald-api/simulator.ts';
import { openDirectCli } from './direct-cli.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';
import { ms, ratio } from './format.ts';

const COMMAND = ['project', 'list', '--output', 'json'];

interface Variant {
  manifest: boolean;
  compileCache: boolean;
}

const ALL_VARIANTS: Variant[] = [
  { manifest: false, compileCache: false },
  { manifest: true, compileCache: false },
  { manifest: false, compileCache: true },
  { manifest: true, compileCache: true },
];

export async function benchCliStartup(profile: Profile): Promise<BenchmarkOutcome> {
  // A smoke run still takes both manifest paths (write and remove), at half the calls.
  const variants = profile.smoke ? [ALL_VARIANTS[0], ALL_VARIANTS[3]] : ALL_VARIANTS;
  const api = await startMittwaldApiSimulator();
  const token = 'bench-cli-startup-token';
  api.grantToken(token, api.users[0].userId);
  const hadManifest = existsSync(standInManifestPath);
  const cacheRoot = await mkdtemp(join(tmpdir(), 'bench-compile-cache-'));
  const medians = new Map<Variant, number>();
  const rows: string[][] = [];
  try {
    for (const variant of variants) {
      if (variant.manifest) await writeStandInManifest();
      else await removeStandInManifest();
      // A fresh cache per variant, primed by the warm-up calls (the image primes it at build time).
      const compileCacheDir = variant.compileCache ? await mkdtemp(join(cacheRoot, 'v-')) : undefined;
      const cli = await openDirectCli({ mittwaldToken: token, apiBaseUrl: api.url, compileCacheDir });
      try {
        for (let i = 0; i < profile.cliWarmupCalls; i++) await cli.run(COMMAND);
        const times: number[] = [];
        for (let i = 0; i < profile.cliStartupCalls; i++) times.push(await cli.run(COMMAND));
        const { p50Ms, p99Ms } = summarise(times);
        medians.set(variant, p50Ms);
        rows.push([variant.manifest ? 'yes' : 'no', variant.compileCache ? 'yes' : 'no', ms(p50Ms), ms(p99Ms), '']);
      } finally {
        await cli.close();
      }
    }
  } finally {
    if (hadManifest) await writeStandInManifest();
    else await removeStandInManifest();
    await rm(cacheRoot, { recursive: true, force: true });
    await api.close();
  }
  const baseline = medians.get(variants[0])!;
  variants.forEach((variant, index) => (rows[index][4] = ratio(medians.get(variant)! / baseline)));
  return {
    sections: [
      {
        title: '5. CLI start-up: one `mw project list` (stand-in), spawned directly',
        columns: ['oclif manifest', 'compile cache', 'p50', 'p99', 'p50 vs neither'],
        rows,
        notes: [`${profile.cliStartupCalls} sequential calls per variant after ${profile.cliWarmupCalls} warm-up calls.`],
      },
    ],
    goals: [],
  };
}
