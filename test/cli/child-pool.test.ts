// Warm children (issue 11): started through the same spawner as any child, waiting for one request.
// What a user or an attacker would notice if it went wrong: a child serving a second call, a token
// in a child before its call, a call that runs differently on a warm child than on a cold one, a
// crashed or badly started child, or one started from an old CLI, reaching a call.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateCli } from '../../src/cli/locate-cli.ts';
import { createCliRunner } from '../../src/cli/runner.ts';
import { DEFAULT_LIMITS } from '../../src/config.ts';
import { createChildPool, type ChildPool, type ChildPoolSettings, type DiscardReason } from '../../src/cli/sandbox/child-pool.ts';
import { prepareChildSettings } from '../../src/cli/sandbox/child-settings.ts';
import { installedCliFingerprint } from '../../src/cli/sandbox/cli-fingerprint.ts';
import { createLocalSpawner } from '../../src/cli/sandbox/local-spawner.ts';
import type { ChildSpawner, PreloadLevel, StartedChild } from '../../src/cli/sandbox/spawner.ts';
import type { CliRunner, CliRunResult } from '../../src/cli/types.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { standInCliPath, standInCliRoot } from '../support/mw-cli/index.ts';
import { isAlive, waitUntil } from '../support/processes.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const fakeMw = fileURLToPath(new URL('./fixtures/fake-mw/fake-mw.mjs', import.meta.url));
const preloadCli = (bin: string) => fileURLToPath(new URL(`./fixtures/preload-cli/bin/${bin}.mjs`, import.meta.url));
const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const token = 'mw-token-pool-test-9d2e4f61';

let scratch: string;
let api: MittwaldApiSimulator;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'child-pool-test-'));
  api = await startMittwaldApiSimulator();
  api.grantToken(token, api.users[0].userId);
});
afterAll(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface StartRecord {
  pid: number;
  preload: PreloadLevel;
  requests: Array<{ argv: string[]; env: Record<string, string> }>;
  child: StartedChild;
}

/** A spawner that remembers every child it started, with what it preloads and every request it was handed. */
function recording(spawner: ChildSpawner): { spawner: ChildSpawner; starts: StartRecord[] } {
  const starts: StartRecord[] = [];
  return {
    starts,
    spawner: {
      ...spawner,
      async start(options = {}) {
        const child = await spawner.start(options);
        const record: StartRecord = { pid: child.pid!, preload: options.preload ?? 'none', requests: [], child };
        starts.push(record);
        const send = child.send.bind(child);
        child.send = (request) => {
          record.requests.push(request);
          send(request);
        };
        return child;
      },
    },
  };
}

interface PoolRig {
  spawner: ChildSpawner;
  runner: CliRunner;
  pool: ChildPool;
  starts: StartRecord[];
  discards: DiscardReason[];
  metrics: Metrics;
  callRoot: string;
  run(argv: string[]): Promise<CliRunResult>;
  /** the children that are ready now (started by the pool, never handed a request, still there) */
  waiting(): StartRecord[];
  close(): Promise<void>;
}

const rigs: PoolRig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
});

/** `fileSystem: false` for children that coordinate with the test through files outside their call directory */
/** the runner's limits in every rig of this suite: room for every call, none of them the point */
const RUNNER_LIMITS = { timeoutMs: 30_000, maxConcurrent: 4, maxPerUser: 4, maxQueue: 10, maxOutputBytes: 1024 * 1024, killGraceMs: 300 };

async function poolRig(executable: string, pool: Partial<ChildPoolSettings> = {}, { fileSystem = true } = {}): Promise<PoolRig> {
  const cli = await locateCli(executable, { path: childPath });
  const callRoot = mkdtempSync(join(scratch, 'calls-'));
  const settings = await prepareChildSettings({
    cli,
    path: childPath,
    apiBaseUrl: api.url,
    fileSystem,
    limits: DEFAULT_LIMITS,
    // what fake-mw's describe reads of its own process
    extraReadPaths: ['/proc/self/cmdline', '/proc/self/environ'],
    passThrough: {},
  });
  const { spawner, starts } = recording(createLocalSpawner({ ...settings.plan, callRoot, isolation: settings.isolation }));
  const discards: DiscardReason[] = [];
  const metrics = createMetrics();
  const childPool = createChildPool({
    spawner,
    min: 1,
    max: 2,
    idleMs: 60_000,
    preload: 'commands',
    startConcurrency: 1,
    fingerprint: installedCliFingerprint(cli),
    onDiscard: (reason) => discards.push(reason),
    ...pool,
  });
  const cliRunner = createCliRunner({
    spawner,
    pool: childPool,
    ...RUNNER_LIMITS,
    metrics,
  });
  const rig: PoolRig = {
    spawner,
    runner: cliRunner,
    pool: childPool,
    starts,
    discards,
    metrics,
    callRoot,
    run: (argv) => cliRunner.run({ argv, mittwaldToken: token, userKey: 'user-a' }),
    waiting: () => starts.filter((start) => start.preload !== 'none' && start.requests.length === 0 && isAlive(start.pid)),
    async close() {
      await childPool.close();
      await cliRunner.drain();
    },
  };
  rigs.push(rig);
  return rig;
}

const readyCount = (rig: PoolRig, count = 1) => waitUntil(() => rig.pool.status().ready >= count, `${count} ready child(ren)`);

async function startsByKind(metrics: Metrics): Promise<{ warm: number; cold: number }> {
  const values = (await metrics.cliStarts.get()).values;
  const count = (start: string) => values.filter((value) => value.labels.start === start).reduce((sum, value) => sum + value.value, 0);
  return { warm: count('warm'), cold: count('cold') };
}

/** A plain runner of the same CLI without a pool: what a cold start gives. */
function coldRunner(executable: string): CliRunner {
  return createCliRunner({
    executable,
    path: childPath,
    apiBaseUrl: api.url,
    callDirectoryParent: mkdtempSync(join(scratch, 'cold-calls-')),
    ...RUNNER_LIMITS,
    sandbox: { extraReadPaths: ['/proc/self/cmdline', '/proc/self/environ'] },
  });
}

const outcome = (result: CliRunResult) => ({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr });

describe('a warm child', () => {
  it('serves one call and is gone: every call runs in a child of its own, handed exactly one request', async () => {
    const rig = await poolRig(fakeMw);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      await readyCount(rig);
      const result = await rig.run(['describe']);
      expect(result.exitCode).toBe(0);
      pids.push(...rig.starts.filter((start) => start.requests.length > 0 && !pids.includes(start.pid)).map((start) => start.pid));
    }
    expect(new Set(pids).size).toBe(3);
    for (const start of rig.starts) expect(start.requests.length).toBeLessThanOrEqual(1);
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 3, cold: 0 });
    await rig.runner.drain();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 60_000);

  it('holds no token while it waits: not in its command line, not in its start environment, and it was handed no request', async () => {
    const rig = await poolRig(fakeMw);
    await readyCount(rig);
    // a call, so that the pool has started a child after a token was in use
    expect((await rig.run(['describe'])).exitCode).toBe(0);
    await readyCount(rig);
    const waiting = rig.waiting();
    expect(waiting.length).toBeGreaterThan(0);
    for (const { pid, requests } of waiting) {
      expect(requests).toEqual([]);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).not.toContain(token);
      const environment = readFileSync(`/proc/${pid}/environ`, 'latin1');
      expect(environment).not.toContain(token);
      expect(environment.split('\0').some((entry) => entry.startsWith('MITTWALD_API_TOKEN='))).toBe(false);
    }
  }, 60_000);

  it('gets the token over its control pipe only, as a cold child does', async () => {
    const rig = await poolRig(fakeMw);
    await readyCount(rig);
    const child = JSON.parse((await rig.run(['describe'])).stdout) as { env: Record<string, string>; cmdline: string[]; initialEnvironment: string[] };
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 1, cold: 0 });
    expect(child.env.MITTWALD_API_TOKEN).toBe(token);
    expect(child.cmdline.join(' ')).not.toContain(token);
    expect(child.initialEnvironment.join('\n')).not.toContain(token);
  }, 60_000);

  it('runs a command exactly as a cold child does: output, errors and exit codes of the real oclif CLI', async () => {
    const rig = await poolRig(standInCliPath);
    const cold = coldRunner(standInCliPath);
    const commands = [
      ['project', 'list', '--output', 'json'],
      ['--version'],
      // an unserved command: mw's error box and exit 1
      ['domain', 'list', '--project-id', 'p-a11ce1'],
      // a parse error
      ['project', 'list', '--no-such-flag'],
    ];
    for (const argv of commands) {
      await readyCount(rig);
      const warm = outcome(await rig.run(argv));
      expect({ argv, ...warm }).toEqual({ argv, ...outcome(await cold.run({ argv, mittwaldToken: token, userKey: 'user-a' })) });
    }
    expect(JSON.parse(outcome(await rig.run(['project', 'list', '--output', 'json'])).stdout).length).toBeGreaterThan(0);
    expect((await startsByKind(rig.metrics)).warm).toBeGreaterThanOrEqual(commands.length);
    await cold.drain();
  }, 120_000);
});

describe('the pool', () => {
  it('refills after a call: a new child, never the one that ran it', async () => {
    const rig = await poolRig(fakeMw);
    await readyCount(rig);
    const [first] = rig.waiting();
    await rig.run(['describe']);
    await waitUntil(() => rig.waiting().some((start) => start.pid !== first.pid), 'a new waiting child');
    expect(rig.waiting().map((start) => start.pid)).not.toContain(first.pid);
    expect(first.requests.length).toBe(1);
  }, 60_000);

  it('starts a cold child when none is ready, and keeps more ready from then on', async () => {
    const rig = await poolRig(fakeMw, { min: 0, max: 2 });
    expect(rig.pool.status()).toMatchObject({ target: 0, ready: 0, starting: 0 });
    expect((await rig.run(['describe'])).exitCode).toBe(0);
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 0, cold: 1 });
    expect(rig.starts.find((start) => start.requests.length > 0)?.preload).toBe('none');
    await readyCount(rig);
    expect((await rig.run(['describe'])).exitCode).toBe(0);
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 1, cold: 1 });
  }, 60_000);

  it('meets a burst beyond its size with cold children, and grows to its maximum', async () => {
    const rig = await poolRig(fakeMw, { min: 1, max: 3 });
    await readyCount(rig);
    const results = await Promise.all(Array.from({ length: 4 }, () => rig.run(['describe'])));
    expect(results.every((result) => result.exitCode === 0)).toBe(true);
    const { warm, cold } = await startsByKind(rig.metrics);
    expect(warm + cold).toBe(4);
    expect(cold).toBeGreaterThan(0);
    expect(rig.pool.status().target).toBe(3);
    await readyCount(rig, 3);
  }, 60_000);

  it('shrinks to its minimum when no call comes', async () => {
    const rig = await poolRig(fakeMw, { min: 1, max: 3, idleMs: 300 });
    await Promise.all(Array.from({ length: 3 }, () => rig.run(['describe'])));
    expect(rig.pool.status().target).toBeGreaterThan(1);
    await waitUntil(() => rig.pool.status().target === 1 && rig.waiting().length === 1, 'the pool back at its minimum');
    expect(rig.discards).toContain('idle');
  }, 60_000);

  it('replaces a waiting child that crashed; a call then runs warm', async () => {
    const rig = await poolRig(fakeMw);
    await readyCount(rig);
    const [crashed] = rig.waiting();
    process.kill(crashed.pid, 'SIGKILL');
    await waitUntil(() => rig.discards.includes('crashed'), 'the crash noticed');
    await readyCount(rig);
    expect(rig.waiting().map((start) => start.pid)).not.toContain(crashed.pid);
    expect((await rig.run(['describe'])).exitCode).toBe(0);
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 1, cold: 0 });
    expect(crashed.requests).toEqual([]);
  }, 60_000);

  it('runs the call on a cold child when the warm one dies as it is taken', async () => {
    const inner = await poolRig(fakeMw);
    await readyCount(inner);
    // a pool that hands out a child killed a moment before: its end arrives while the call waits on it
    const dying: ChildPool = {
      take() {
        const child = inner.pool.take()!;
        child.signalAll('SIGKILL');
        return child;
      },
      status: () => inner.pool.status(),
      close: () => inner.pool.close(),
    };
    const metrics = createMetrics();
    const runner = createCliRunner({
      spawner: inner.spawner,
      pool: dying,
      timeoutMs: 30_000,
      maxConcurrent: 2,
      maxPerUser: 2,
      maxQueue: 2,
      maxOutputBytes: 1024 * 1024,
      metrics,
    });
    const result = await runner.run({ argv: ['describe'], mittwaldToken: token, userKey: 'user-a' });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).env.MITTWALD_API_TOKEN).toBe(token);
    expect(await startsByKind(metrics)).toEqual({ warm: 0, cold: 1 });
    await runner.drain();
  }, 60_000);

  it('kills a warm child whose call is cancelled, and refills', async () => {
    const rig = await poolRig(fakeMw, {}, { fileSystem: false });
    await readyCount(rig);
    const [taken] = rig.waiting();
    const abort = new AbortController();
    const running = rig.runner.run({ argv: ['hang', join(scratch, 'hang-pids.json')], mittwaldToken: token, userKey: 'user-a', signal: abort.signal });
    await waitUntil(() => existsSync(join(scratch, 'hang-pids.json')), 'the hanging command');
    abort.abort();
    await expect(running).rejects.toMatchObject({ kind: 'cancelled' });
    const { child, grandchild } = JSON.parse(readFileSync(join(scratch, 'hang-pids.json'), 'utf8')) as { child: number; grandchild: number };
    expect(child).toBe(taken.pid);
    await waitUntil(() => !isAlive(child) && !isAlive(grandchild), 'the child and its grandchild gone');
    await waitUntil(() => rig.waiting().some((start) => start.pid !== taken.pid), 'a new waiting child');
  }, 60_000);

  it('ends every waiting child and its call directory when closed', async () => {
    const rig = await poolRig(fakeMw, { min: 2, max: 2 });
    await readyCount(rig, 2);
    const waiting = rig.waiting();
    expect(readdirSync(rig.callRoot).length).toBe(2);
    await rig.pool.close();
    for (const { pid } of waiting) expect(isAlive(pid)).toBe(false);
    expect(readdirSync(rig.callRoot)).toEqual([]);
    expect(rig.pool.take()).toBeUndefined();
  }, 60_000);
});

describe('a child that starts wrong never gets a request: the call is what a cold start gives', () => {
  it.each([
    ['fails its preload (throws)', 'throws', 'preload_failed'],
    ['exits during its preload', 'exits', 'start_failed'],
    ['never says ready', 'hangs', 'start_timeout'],
    ['has a bin whose imports run a command', 'wrapper', 'preload_failed'],
  ] as const)('one that %s', async (_what, bin, reason) => {
    const executable = preloadCli(bin);
    const rig = await poolRig(executable, { startTimeoutMs: 2000, retryDelayMs: 60_000 });
    await waitUntil(() => rig.discards.includes(reason), `a discard for ${reason}`);
    const argv = bin === 'wrapper' ? ['--version'] : ['one', 'two'];
    const result = outcome(await rig.run(argv));
    const cold = coldRunner(executable);
    expect(result).toEqual(outcome(await cold.run({ argv, mittwaldToken: token, userKey: 'user-a' })));
    expect(result.exitCode).toBe(0);
    for (const start of rig.starts.filter((s) => s.preload !== 'none')) expect(start.requests).toEqual([]);
    expect(await startsByKind(rig.metrics)).toEqual({ warm: 0, cold: 1 });
    await cold.drain();
  }, 60_000);
});

describe('a CLI upgrade under a running server', () => {
  it('is picked up: no child started from the old files runs a call', async () => {
    mkdirSync(join(projectRoot, '.cache'), { recursive: true });
    // a copy inside the project, so that it finds the project's node_modules as an installed CLI finds its own
    const copy = mkdtempSync(join(projectRoot, '.cache', 'upgraded-cli-'));
    try {
      for (const entry of ['bin', 'commands', 'lib', 'data', 'commands.js', 'package.json']) cpSync(join(standInCliRoot, entry), join(copy, entry), { recursive: true });
      const rig = await poolRig(join(copy, 'bin', 'run.js'));
      await readyCount(rig);
      expect((await rig.run(['--version'])).stdout).toContain('mw-stand-in/1.22.0-stand-in');
      await readyCount(rig);
      const packageJson = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { version: string };
      writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...packageJson, version: '1.23.0-upgraded' }));
      // the ready child loaded the old package.json: it must not answer
      expect((await rig.run(['--version'])).stdout).toContain('mw-stand-in/1.23.0-upgraded');
      expect(rig.discards).toContain('cli_changed');
      await readyCount(rig);
      expect((await rig.run(['--version'])).stdout).toContain('mw-stand-in/1.23.0-upgraded');
      expect(await startsByKind(rig.metrics)).toEqual({ warm: 2, cold: 1 });
      await rig.close();
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);
});
