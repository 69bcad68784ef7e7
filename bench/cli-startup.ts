// Item 5: what one `mw` call costs to start, with and without an oclif manifest and Node's compile
// cache: the figures behind the Dockerfile's choices. Restores the manifest state it found.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStandInManifest, standInManifestPath, writeStandInManifest } from '../test/support/mw-cli/index.ts';
import { startMittwaldApiSimulator } from '../test/support/mittwald-api/simulator.ts';
import { openDirectCli, type DirectCli } from './direct-cli.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';
import { ms, ratio } from './format.ts';

const COMMAND = ['project', 'list', '--output', 'json'];

interface Variant {
  manifest: boolean;
  compileCache: boolean;
}

const ALL_VARIANTS: Variant[] = [
  // Grouped by manifest, so a round switches the manifest file only twice.
  { manifest: false, compileCache: false },
  { manifest: false, compileCache: true },
  { manifest: true, compileCache: false },
  { manifest: true, compileCache: true },
];

async function setManifest(present: boolean): Promise<void> {
  if (present === existsSync(standInManifestPath)) return;
  if (present) await writeStandInManifest();
  else await removeStandInManifest();
}

export async function benchCliStartup(profile: Profile): Promise<BenchmarkOutcome> {
  // A smoke run still takes both manifest paths (write and remove), at half the calls.
  const variants = profile.smoke ? [ALL_VARIANTS[0], ALL_VARIANTS[3]] : ALL_VARIANTS;
  const api = await startMittwaldApiSimulator();
  const token = 'bench-cli-startup-token';
  api.grantToken(token, api.users[0].userId);
  const hadManifest = existsSync(standInManifestPath);
  const cacheRoot = await mkdtemp(join(tmpdir(), 'bench-compile-cache-'));
  const times = new Map<Variant, number[]>(variants.map((variant) => [variant, []]));
  const clis = new Map<Variant, DirectCli>();
  try {
    for (const variant of variants) {
      // A fresh cache per variant, primed by the warm-up calls (the image primes it at build time).
      const compileCacheDir = variant.compileCache ? await mkdtemp(join(cacheRoot, 'v-')) : undefined;
      clis.set(variant, await openDirectCli({ mittwaldToken: token, apiBaseUrl: api.url, compileCacheDir }));
    }
    const runOnce = async (variant: Variant) => {
      await setManifest(variant.manifest);
      return clis.get(variant)!.run(COMMAND);
    };
    for (const variant of variants) for (let i = 0; i < profile.cliWarmupCalls; i++) await runOnce(variant);
    // Round robin, so a busy moment on the machine hits every variant alike.
    for (let i = 0; i < profile.cliStartupCalls; i++) {
      for (const variant of variants) times.get(variant)!.push(await runOnce(variant));
    }
  } finally {
    await setManifest(hadManifest);
    for (const cli of clis.values()) await cli.close();
    await rm(cacheRoot, { recursive: true, force: true });
    await api.close();
  }
  const summaries = new Map(variants.map((variant) => [variant, summarise(times.get(variant)!)]));
  const baseline = summaries.get(variants[0])!.p50Ms;
  const rows = variants.map((variant) => {
    const { p50Ms, p99Ms } = summaries.get(variant)!;
    return [variant.manifest ? 'yes' : 'no', variant.compileCache ? 'yes' : 'no', ms(p50Ms), ms(p99Ms), ratio(p50Ms / baseline)];
  });
  return {
    sections: [
      {
        title: '5. CLI start-up: one `mw project list` (stand-in), spawned directly',
        columns: ['oclif manifest', 'compile cache', 'p50', 'p99', 'p50 vs neither'],
        rows,
        notes: [
          `${profile.cliStartupCalls} calls per variant, taking turns, after ${profile.cliWarmupCalls} warm-up calls each. ` +
            'The stand-in has ~20 light command modules where the real `mw` has ~180 heavy ones, so these figures bound what the ' +
            'manifest saves from below; they measure the mechanism, not the real CLI.',
        ],
      },
    ],
    goals: [],
  };
}
