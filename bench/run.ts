// `npm run bench [-- --smoke]`: starts everything on loopback, measures our server against its
// references in one run, prints a Markdown table and (full runs only) writes bench/results.md.
// Exits non-zero when anything that should work failed, so the smoke run guards the paths in CI.
import { writeFile } from 'node:fs/promises';
import { benchAuthorizationFlood } from './authorization-flood.ts';
import { benchBatchFlood } from './batch-flood.ts';
import { benchChildReuse } from './child-reuse.ts';
import { benchCliStartup } from './cli-startup.ts';
import { benchCrowd } from './crowd.ts';
import { benchCrowdWithAbusers } from './crowd-with-abusers.ts';
import { benchIsolation } from './isolation.ts';
import { benchListSizes } from './list-sizes.ts';
import { deploymentSource, type DeploymentSource } from './deployment.ts';
import { describeMachine } from './machine.ts';
import { benchMemory } from './memory.ts';
import { benchOAuth } from './oauth-throughput.ts';
import { benchSessionSetups } from './session-setups.ts';
import { FULL, SMOKE, type BenchmarkOutcome, type Profile } from './profile.ts';
import { benchProtocolEras } from './protocol-eras.ts';
import { renderReport } from './report.ts';
import { benchToolCall } from './tool-call.ts';
import { benchToolsList } from './tools-list.ts';
import { benchWarmChildren } from './warm-children.ts';

const RESULTS_FILE = new URL('./results.md', import.meta.url);

type Benchmark = (profile: Profile, deployments: DeploymentSource) => Promise<BenchmarkOutcome>;

const BENCHMARKS: Array<[name: string, run: Benchmark]> = [
  ['tools/list', benchToolsList],
  ['list sizes', benchListSizes],
  ['tools/call', benchToolCall],
  ['many users', benchCrowd],
  ['crowd with abusers', benchCrowdWithAbusers],
  ['OAuth', benchOAuth],
  ['authorization flood', benchAuthorizationFlood],
  ['CLI start-up', benchCliStartup],
  ['memory', benchMemory],
  ['isolation', benchIsolation],
  ['session set-ups', benchSessionSetups],
  ['warm children', benchWarmChildren],
  ['batch flood', benchBatchFlood],
  ['protocol eras', benchProtocolEras],
  ['reused children', benchChildReuse],
];

/** `--only=<name>` or `--only <name>` (e.g. `--only "session set-ups"`): one benchmark, and results.md is left alone */
function onlyArgument(argv: string[]): string | undefined {
  const joined = argv.find((arg) => arg.startsWith('--only='));
  if (joined) return joined.slice('--only='.length);
  return argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
}

async function main(): Promise<number> {
  const profile = process.argv.includes('--smoke') ? SMOKE : FULL;
  const only = onlyArgument(process.argv);
  const startedAt = new Date();
  const outcome: Required<BenchmarkOutcome> = { sections: [], goals: [], failures: [] };
  const deployments = deploymentSource(profile.smoke);
  for (const [name, run] of BENCHMARKS.filter(([name]) => only === undefined || name === only)) {
    const started = performance.now();
    try {
      const result = await run(profile, deployments);
      outcome.sections.push(...result.sections);
      outcome.goals.push(...(profile.smoke ? [] : result.goals));
      outcome.failures.push(...(result.failures ?? []).map((failure) => `${name}: ${failure}`));
    } catch (error) {
      outcome.failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
    }
    process.stderr.write(`bench: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  await deployments.close();
  const markdown = renderReport({
    machine: describeMachine(),
    startedAt,
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    smoke: profile.smoke,
    sections: outcome.sections,
    goals: outcome.goals,
  });
  process.stdout.write(markdown);
  if (outcome.failures.length) {
    process.stderr.write(`\nbench: ${outcome.failures.length} failure(s):\n${outcome.failures.join('\n')}\n`);
    return 1;
  }
  if (!profile.smoke && only === undefined) await writeFile(RESULTS_FILE, markdown);
  return 0;
}

process.exitCode = await main();
