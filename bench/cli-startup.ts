// Item 5: what one `mw` call costs to start, with and without an oclif manifest and Node's compile
// cache: the figures behind the Dockerfile's choices; and what the stand-in loads at start against
// the real mw's module count, so a reader can judge the stand-in. Restores the manifest state it found.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setStandInManifest, standInManifestPath } from '../test/support/mw-cli/index.ts';
import { startMittwaldApiSimulator } from '../test/support/mittwald-api/simulator.ts';
import { countStandInModules, type ModuleCount } from '../test/stand-in/count-modules.ts';
import { openDirectCli, type DirectCli } from './direct-cli.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';
import { ms, ratio } from './format.ts';

const COMMAND = ['project', 'list', '--output', 'json'];

/** issue 11: the real mw's first command loads ~330 modules (@oclif/core, @mittwald/api-client, ink/react) */
const REAL_FIRST_COMMAND_MODULES = 330;

const MODULE_GROUPS: Array<[string, (name: string) => boolean]> = [
  ['@oclif/core', (name) => name === '@oclif/core'],
  ['API client + axios', (name) => name.startsWith('@mittwald/') || name === 'axios'],
  ['Ink + React', (name) => ['ink', 'react', 'react-reconciler', 'scheduler', 'yoga-layout'].includes(name)],
  ['es-toolkit (Ink)', (name) => name === 'es-toolkit'],
  ['stand-in', (name) => name === 'mw-stand-in'],
];

function moduleRow(label: string, manifest: boolean, count: ModuleCount): string[] {
  const sums = MODULE_GROUPS.map(([, matches]) =>
    Object.entries(count.byPackage).filter(([name]) => matches(name)).reduce((sum, [, n]) => sum + n, 0),
  );
  const other = count.total - sums.reduce((a, b) => a + b, 0);
  return [label, manifest ? 'yes' : 'no', String(count.total), ...sums.map(String), String(other), ratio(count.total / REAL_FIRST_COMMAND_MODULES)];
}

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
  const moduleRows: string[][] = [];
  try {
    const env = { MITTWALD_API_BASE_URL: api.url, MITTWALD_API_TOKEN: token, MW_CONFIG_DIR: cacheRoot };
    for (const manifest of [false, true]) {
      await setStandInManifest(manifest);
      moduleRows.push(moduleRow('mw --version', manifest, await countStandInModules(['--version'], env)));
      moduleRows.push(moduleRow(`mw ${COMMAND.join(' ')}`, manifest, await countStandInModules(COMMAND, env)));
    }
    for (const variant of variants) {
      // A fresh cache per variant, primed by the warm-up calls (the image primes it at build time).
      const compileCacheDir = variant.compileCache ? await mkdtemp(join(cacheRoot, 'v-')) : undefined;
      clis.set(variant, await openDirectCli({ mittwaldToken: token, apiBaseUrl: api.url, compileCacheDir }));
    }
    const runOnce = async (variant: Variant) => {
      await setStandInManifest(variant.manifest);
      return clis.get(variant)!.run(COMMAND);
    };
    for (const variant of variants) for (let i = 0; i < profile.cliWarmupCalls; i++) await runOnce(variant);
    // Round robin, so a busy moment on the machine hits every variant alike.
    for (let i = 0; i < profile.cliStartupCalls; i++) {
      for (const variant of variants) times.get(variant)!.push(await runOnce(variant));
    }
  } finally {
    await setStandInManifest(hadManifest);
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
            'The stand-in loads what the real mw loads at start (@oclif/core, @mittwald/api-client, Ink and React for the ' +
            'error box) but its 192 commands are generated in one module, where the real mw imports ~180 command modules ' +
            'when it has no manifest; so the manifest saves less here than for the real CLI.',
        ],
      },
      {
        title: '5b. What the stand-in loads at start, against the real mw',
        columns: ['command', 'oclif manifest', 'modules', ...MODULE_GROUPS.map(([name]) => name), 'other', `vs real mw (~${REAL_FIRST_COMMAND_MODULES})`],
        rows: [...moduleRows, ['real mw 1.12, first command (issue 11)', '?', `~${REAL_FIRST_COMMAND_MODULES}`, '', '', '', '', '', '', '1.00']],
        notes: [
          'Modules: every file a run loads (ESM, CommonJS, JSON), counted by a module.registerHooks preload ' +
            '(test/stand-in/module-counter.ts). The real CLI cannot be installed here and the ~330 is from issue 11, its ' +
            'counting method unknown; ink 6.5.1 (the version mw 1.12 ships) alone pulls in ~415 es-toolkit files, so the ' +
            'real mw counted this way is likely above ~330 as well. Start times of these runs: section 5.',
        ],
      },
    ],
    goals: [],
  };
}
