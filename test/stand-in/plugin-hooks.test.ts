// mw loads four oclif plugins whose init hooks run before every command: warn-if-update-available
// asks the npm registry for a newer version (in a program it starts), plugin-update starts
// `mw update --autoupdate` and writes marker files. The switches of the child environment keep them
// off the network and off the disk, call after call in the same call directory (as a reused child
// has it); without the switches the same runs start both programs and write the markers. Through
// the runner, two calls of one user (one child, once children are reused) start nothing and write
// nothing the sandbox refuses; what it does refuse, the same each call, is warn-if-update-available
// reading npm's config files, which it does whatever the switches say.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CallDirectory, createCallDirectory } from '../../src/cli/call-directory.ts';
import { childEnvironment, PLUGIN_HOOKS_OFF } from '../../src/cli/child-environment.ts';
import { createCliRunner } from '../../src/cli/runner.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { standInCliPath } from '../support/mw-cli/index.ts';

const spy = fileURLToPath(new URL('./hook-spy.mjs', import.meta.url));

let scratch: string;
let api: MittwaldApiSimulator;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'plugin-hooks-'));
  api = await startMittwaldApiSimulator();
  api.grantToken('hooks-token', api.users[0].userId);
});
afterAll(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface HookRecord {
  spawned: string[];
  connected: string[];
}

/** Two calls of one user in a row in one call directory; what they started and connected to, per call. */
async function twoCalls(directory: CallDirectory, env: Record<string, string>): Promise<HookRecord[]> {
  const log = join(directory.tmpDir, '..', `spy-${Math.random().toString(36).slice(2)}.log`);
  for (let call = 0; call < 2; call++) {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', spy, standInCliPath, 'user', 'get', '-o', 'json'], {
        cwd: directory.cwd,
        env: { ...env, MITTWALD_API_TOKEN: 'hooks-token', HOOK_SPY_LOG: log },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.once('error', reject);
      child.once('close', resolve);
    });
    expect(code).toBe(0);
  }
  return readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as HookRecord);
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('spy-'))
    .sort();
}

describe('the oclif plugins’ init hooks in an mw child', () => {
  it('with the child environment’s switches: no program started, no connection but the API, nothing written', async () => {
    const directory = await createCallDirectory(scratch);
    const env = childEnvironment({ path: process.env.PATH ?? '', directory, apiBaseUrl: api.url });
    expect(env).toMatchObject({ MW_SKIP_NEW_VERSION_CHECK: '1', MW_DISABLE_AUTOUPDATE: '1' });

    const calls = await twoCalls(directory, env);

    const apiAddress = `127.0.0.1:${new URL(api.url).port}`;
    for (const call of calls) {
      expect(call.spawned).toEqual([]);
      expect(call.connected.length).toBeGreaterThan(0);
      for (const address of call.connected) expect(address).toBe(apiAddress);
    }
    expect(filesUnder(directory.home)).toEqual([]);
  }, 120_000);

  it('without them the same calls start the version check and the autoupdater and write their markers (the hooks are live)', async () => {
    const directory = await createCallDirectory(scratch);
    const env = childEnvironment({ path: process.env.PATH ?? '', directory, apiBaseUrl: api.url });
    for (const name of Object.keys(PLUGIN_HOOKS_OFF)) delete env[name];

    const [first] = await twoCalls(directory, env);

    expect(first.spawned).toEqual(
      expect.arrayContaining([expect.stringContaining('get-version'), expect.stringMatching(/update --autoupdate$/)]),
    );
    expect(filesUnder(directory.home)).toEqual(expect.arrayContaining(['cache/autoupdate', 'cache/lastrun']));
  }, 120_000);

  it('through the runner: two calls of one user in a row start no program and write nothing outside the call root', async () => {
    const logged: Array<{ message: string; denied?: Array<{ permission: string; resource: string }> }> = [];
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      stream: new Writable({ write: (chunk, _encoding, done) => (logged.push(JSON.parse(String(chunk))), done()) }),
    });
    const runner = createCliRunner({
      executable: standInCliPath,
      path: [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter),
      callDirectoryParent: scratch,
      timeoutMs: 60_000,
      maxConcurrent: 1,
      maxPerUser: 1,
      maxQueue: 2,
      maxOutputBytes: 1024 * 1024,
      apiBaseUrl: api.url,
      logger,
    });
    for (let call = 0; call < 2; call++) {
      const result = await runner.run({ argv: ['user', 'get', '-o', 'json'], mittwaldToken: 'hooks-token', userKey: 'one-user' });
      expect(result.exitCode).toBe(0);
    }
    // npm's config, looked for under node's prefix and from the working directory up: reads only, the same each call
    const perCall = logged.filter((line) => line.message === 'mw child was refused by the sandbox').map((line) => line.denied ?? []);
    for (const refused of perCall) expect(refused.filter((denial) => denial.permission !== 'FileSystemRead')).toEqual([]);
    expect(perCall).toHaveLength(2);
    expect(perCall[1]).toEqual(perCall[0]);
  }, 120_000);
});
