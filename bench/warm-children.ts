// Item 9: what a warm child costs and what is left of a call on one. Children are started as the
// server starts its own (bench/direct-children.ts: the same bootstrap, sandbox, limits and compile
// cache), with each preload, with and without the stand-in's oclif manifest: time and CPU until it
// says ready, its memory while it waits, then one `mw project list` handed to it. Below them, the
// command in a fresh process that loaded everything the same way, run three times in-process: its
// first run is what no preload can take off a call (code that runs for the first time), the later
// ones are the floor. Restores the manifest state it found.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PreloadLevel } from '../src/cli/sandbox/spawner.ts';
import { startMittwaldApiSimulator } from '../test/support/mittwald-api/simulator.ts';
import { setStandInManifest, standInManifestPath } from '../test/support/mw-cli/index.ts';
import { openDirectChildren, readyChild, runOnChild } from './direct-children.ts';
import { megabytes, ms } from './format.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const ARGV = ['project', 'list', '--output', 'json'];

interface Variant {
  preload: PreloadLevel;
  manifest: boolean;
  readyMs: number[];
  cpuMs: number[];
  rssBytes: number[];
  threads: number[];
  callMs: number[];
}

const median = (values: number[]) => summarise(values).p50Ms;

function firstRuns(apiUrl: string, token: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-lazy', '--expose-gc', new URL('./first-run.ts', import.meta.url).pathname, apiUrl, token], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve((JSON.parse(out) as { runs: number[] }).runs) : reject(new Error(`first-run.ts exited with ${code}`))));
  });
}

export async function benchWarmChildren(profile: Profile): Promise<BenchmarkOutcome> {
  const samples = profile.smoke ? 1 : 8;
  const api = await startMittwaldApiSimulator();
  const token = 'bench-warm-children-token';
  api.grantToken(token, api.users[0].userId);
  const hadManifest = existsSync(standInManifestPath);
  const cacheRoot = await mkdtemp(join(tmpdir(), 'bench-warm-children-cache-'));
  const direct = await openDirectChildren({ apiBaseUrl: api.url, compileCacheDir: cacheRoot });
  const variants: Variant[] = [];
  for (const manifest of [false, true]) {
    for (const preload of ['none', 'config', 'commands'] as const) variants.push({ preload, manifest, readyMs: [], cpuMs: [], rssBytes: [], threads: [], callMs: [] });
  }
  const first: number[] = [];
  const later: number[] = [];
  try {
    for (const manifest of [false, true]) {
      await setStandInManifest(manifest);
      const these = variants.filter((variant) => variant.manifest === manifest);
      // warm-up: fills the compile caches (one per V8 flag set) for this manifest state
      for (const variant of these) await runOnChild((await readyChild(direct.spawner, variant.preload)).child, ARGV, token);
      for (let i = 0; i < samples; i++) {
        for (const variant of these) {
          const ready = await readyChild(direct.spawner, variant.preload);
          variant.readyMs.push(ready.readyMs);
          variant.cpuMs.push(ready.cpuMs);
          variant.rssBytes.push(ready.rssBytes);
          variant.threads.push(ready.threads);
          variant.callMs.push(await runOnChild(ready.child, ARGV, token));
        }
      }
    }
    await setStandInManifest(false);
    for (let i = 0; i < samples; i++) {
      const [firstRun, ...laterRuns] = await firstRuns(api.url, token);
      first.push(firstRun);
      later.push(...laterRuns);
    }
  } finally {
    await setStandInManifest(hadManifest);
    await direct.close();
    await rm(cacheRoot, { recursive: true, force: true });
    await api.close();
  }
  const commands = variants.find((variant) => variant.preload === 'commands' && !variant.manifest)!;
  const startsPerSecond = (availableParallelism() * 1000) / median(commands.cpuMs);
  const label = (variant: Variant) => (variant.preload === 'none' ? 'none (a cold child: the request is there at once)' : variant.preload);
  return {
    sections: [
      {
        title: '9. Warm children: what one costs, and what is left of a call on one (`mw project list`, no server)',
        columns: ['preload', 'oclif manifest', 'ready after', 'CPU to ready', 'RSS waiting', 'threads', 'call p50', 'call p99'],
        rows: [
          ...variants.map((variant) => {
            const call = summarise(variant.callMs);
            return [
              label(variant),
              variant.manifest ? 'yes' : 'no',
              ms(median(variant.readyMs)),
              ms(median(variant.cpuMs)),
              megabytes(median(variant.rssBytes)),
              String(median(variant.threads)),
              ms(call.p50Ms),
              ms(call.p99Ms),
            ];
          }),
          ['the command in a fresh process, everything loaded: first run', '', '', '', '', '', ms(summarise(first).p50Ms), ms(summarise(first).p99Ms)],
          ['the same process, later runs (the floor)', '', '', '', '', '', ms(summarise(later).p50Ms), ms(summarise(later).p99Ms)],
        ],
        notes: [
          `${samples} children per row, started one at a time as the server starts its own (file sandbox, limits, a call directory each, the compile cache warm), ` +
            'each handed one request once ready; "call" is from handing it the request to its end. CPU and RSS from /proc at ready. ' +
            `A warm child (preload commands, no manifest) costs ${ms(median(commands.cpuMs))} of CPU to start: ${availableParallelism()} cores start at most ` +
            `~${startsPerSecond.toFixed(1)} per second with nothing else running, the limit of any sustained rate of calls, warm or cold. ` +
            'The stand-in generates its 192 commands in one module, so with a manifest `config` still loads none of them and `commands` all; ' +
            'the real mw has one module per command. The last two rows load the same way in one process and run the command there (`bench/first-run.ts`): ' +
            'the first run is the code of the call running for the first time, which no preload takes off a new process.',
        ],
      },
    ],
    goals: [],
  };
}
