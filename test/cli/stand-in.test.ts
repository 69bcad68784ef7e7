// The CLI modules against the mw stand-in (an oclif CLI shaped like mw) and the mittwald API simulator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { commandIdResolver } from '../../src/cli/command-id.ts';
import { createCommandMetadataReader } from '../../src/cli/command-metadata.ts';
import { type LocatedCli, locateCli } from '../../src/cli/locate-cli.ts';
import { createCliRunner } from '../../src/cli/runner.ts';
import { CliFailure, type CliCommandSet } from '../../src/cli/types.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { type MittwaldApiSimulator, SEED_USERS, startMittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { copyStandInCli, writeManifest } from './oclif-packages.ts';

const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const alice = SEED_USERS[0];
const aliceToken = 'alice-stand-in-token-5b1f';

let scratch: string;
let cli: LocatedCli;
let api: MittwaldApiSimulator;
let commands: CliCommandSet;

beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'stand-in-test-')));
  cli = await locateCli(join(copyStandInCli(scratch), 'bin', 'run.js'), { path: '' });
  commands = await createCommandMetadataReader({ cacheDir: join(scratch, 'cache-oclif') }).read(cli);
  api = await startMittwaldApiSimulator({ tokens: { [aliceToken]: alice.userId } });
});
afterAll(async () => {
  await api?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('metadata of the mw stand-in', () => {
  it('has mw-shaped commands: the inherited --token flag and list output formats', () => {
    const projectList = commands.commands.find((c) => c.id === 'project:list')!;
    expect(projectList.flags.token).toMatchObject({ type: 'option', helpGroup: 'AUTHENTICATION' });
    expect(projectList.flags.output).toMatchObject({ char: 'o', options: ['txt', 'json', 'yaml', 'csv', 'tsv'], default: 'txt' });
  });

  it('reads the same commands from a manifest as through oclif', async () => {
    writeManifest(cli.root);
    const fromManifest = await createCommandMetadataReader({ cacheDir: join(scratch, 'cache-manifest'), nodePath: '/nonexistent/node' }).read(cli);
    expect(fromManifest).toEqual(commands);
  });
});

describe('running the mw stand-in', () => {
  const runner = (overrides: { maxOutputBytes?: number } = {}) =>
    createCliRunner({
      executable: cli.executablePath,
      path: childPath,
      timeoutMs: 30_000,
      maxConcurrent: 2,
      maxPerUser: 2,
      maxQueue: 10,
      maxOutputBytes: overrides.maxOutputBytes ?? 4 * 1024 * 1024,
      apiBaseUrl: api.url,
      metrics,
      commandIdOf: commandIdResolver(commands),
    });
  const metrics = createMetrics();

  it("lists the user's projects with the token sent from the environment", async () => {
    api.clearRequests();
    const result = await runner().run({ argv: ['project', 'list', '--output', 'json'], mittwaldToken: aliceToken, userKey: alice.userId });

    expect(result.exitCode).toBe(0);
    const projects = JSON.parse(result.stdout) as Array<{ id: string }>;
    expect(projects.map((p) => p.id).sort()).toEqual(alice.projects.map((p) => p.id).sort());
    expect(api.requests.map((r) => [r.method, r.path, r.token])).toEqual([['GET', '/v2/projects', aliceToken]]);
    expect(await metrics.registry.getSingleMetricAsString('mittwald_cli_calls_total')).toContain('command="project:list",status="ok"');
  });

  it('ends with a non-zero exit code when mittwald refuses the token', async () => {
    const result = await runner().run({ argv: ['project', 'list', '-o', 'json'], mittwaldToken: 'not-a-granted-token', userKey: 'someone' });
    expect(result.exitCode).not.toBe(0);
  });

  it('a command that stops at an interactive select ends the call with input_required and its question, not as a success', async () => {
    const cliRunner = runner();
    const list = await cliRunner.run({ argv: ['app', 'list', '-p', alice.projects[0].id, '-o', 'json'], mittwaldToken: aliceToken, userKey: alice.userId });
    const installation = (JSON.parse(list.stdout) as Array<{ id: string }>)[0].id;
    api.clearRequests();
    const failure = await cliRunner
      .run({ argv: ['app', 'upgrade', installation, '--target-version', '9.9.9'], mittwaldToken: aliceToken, userKey: alice.userId })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CliFailure);
    expect((failure as CliFailure).kind).toBe('input_required');
    expect((failure as CliFailure).message).toContain('Please select target upgrade for your');
    expect(api.requests.some((r) => r.method === 'PATCH')).toBe(false);
    expect(await metrics.registry.getSingleMetricAsString('mittwald_cli_calls_total')).toContain('command="app:upgrade",status="input_required"');
    // the same user's next call runs as usual
    const next = await cliRunner.run({ argv: ['app', 'upgrade', installation, '--target-version', '6.6.1'], mittwaldToken: aliceToken, userKey: alice.userId });
    expect(next.exitCode).toBe(0);
  }, 120_000);

  it('stops a command that prints more than the cap', async () => {
    const failure = await runner({ maxOutputBytes: 256 * 1024 })
      .run({ argv: ['stand-in', 'flood', '--megabytes', '8'], mittwaldToken: aliceToken, userKey: alice.userId })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CliFailure);
    expect((failure as CliFailure).kind).toBe('output_too_large');
  });
});
