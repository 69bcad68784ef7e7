import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandIdResolver } from '../../src/cli/command-id.ts';
import { createCliRunner, type CliRunnerOptions, InvalidCliRequestError } from '../../src/cli/runner.ts';
import { CliFailure, type CliRunRequest } from '../../src/cli/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { isAlive, waitUntil } from '../support/processes.ts';

const fakeMw = fileURLToPath(new URL('./fixtures/fake-mw/fake-mw.mjs', import.meta.url));
const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const token = 'mw-token-7f3c9a1e-secret-value';

let scratch: string;
let callRoot: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'runner-test-'));
  callRoot = join(scratch, 'calls');
  mkdirSync(callRoot, { mode: 0o700 });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let testFiles = 0;
const scratchFile = (name: string) => join(scratch, `${++testFiles}-${name}`);

function runnerWith(overrides: Partial<CliRunnerOptions> = {}) {
  return createCliRunner({
    executable: fakeMw,
    path: childPath,
    timeoutMs: 20_000,
    maxConcurrent: 4,
    maxPerUser: 2,
    maxQueue: 10,
    maxOutputBytes: 1024 * 1024,
    killGraceMs: 300,
    callDirectoryParent: callRoot,
    // what describeSelf reads of its own process, beside its call directory
    sandbox: { extraReadPaths: ['/proc/self/cmdline', '/proc/self/environ'] },
    ...overrides,
  });
}

/**
 * These children coordinate with the test through files outside their call directory, or start a
 * grandchild: the file sandbox refuses both (test/cli/sandbox.test.ts), so it is off where what is
 * tested is the queue, the deadlines and the tree killing of a child that got that far.
 */
const outsideTheSandbox: Partial<CliRunnerOptions> = { sandbox: { fileSystem: false } };

function request(argv: string[], extra: Partial<CliRunRequest> = {}): CliRunRequest {
  return { argv, mittwaldToken: token, userKey: 'user-a', ...extra };
}

interface ChildView {
  argv: string[];
  cwd: string;
  cmdline: string[];
  initialEnvironment: string[];
  uid: number;
  env: Record<string, string>;
  cwdEntries: string[];
  configEntries: string[];
}

async function describeChild(runner = runnerWith(), argv: string[] = []): Promise<ChildView> {
  const result = await runner.run(request(['describe', ...argv]));
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as ChildView;
}

async function expectFailure(promise: Promise<unknown>, kind: CliFailure['kind']): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliFailure);
  expect((error as CliFailure).kind).toBe(kind);
}

describe('what a child sees', () => {
  const serverSecret = 'server-only-secret-value-1234';
  beforeAll(() => {
    process.env.SECRET_SIGNING_KEY = serverSecret;
    process.env.REDIS_URL = 'redis://:password@redis:6379';
  });
  afterAll(() => {
    delete process.env.SECRET_SIGNING_KEY;
    delete process.env.REDIS_URL;
  });

  it('gets the token and its argv over the control pipe: neither is on its command line or in its start environment', async () => {
    const child = await describeChild(runnerWith(), ['--project-id', 'p-123']);
    expect(child.env.MITTWALD_API_TOKEN).toBe(token);
    expect(child.argv).toEqual(['describe', '--project-id', 'p-123']);
    expect(child.cmdline.join(' ')).not.toContain(token);
    expect(child.cmdline.join(' ')).not.toContain('p-123');
    expect(child.initialEnvironment.join('\n')).not.toContain(token);
    expect(child.initialEnvironment.some((line) => line.startsWith('MITTWALD_API_TOKEN='))).toBe(false);
  });

  it('sees an allow-listed environment and none of the server secrets', async () => {
    const child = await describeChild();
    expect(Object.keys(child.env).sort()).toEqual(
      [
        'CI', 'HOME', 'MITTWALD_API_TOKEN', 'MW_CACHE_DIR', 'MW_CONFIG_DIR', 'MW_DATA_DIR', 'MW_DISABLE_AUTOUPDATE',
        'MW_SKIP_NEW_VERSION_CHECK', 'NO_COLOR', 'PATH', 'SHELL', 'TMPDIR', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME',
      ].sort(),
    );
    expect(JSON.stringify(child.env)).not.toContain(serverSecret);
    expect(child.env.PATH).toBe(childPath);
    expect(child.env.MW_SKIP_NEW_VERSION_CHECK).toBe('1');
  });

  it('gets the API base URL and compile cache only when they are configured', async () => {
    const compileCacheDir = scratchFile('compile-cache');
    const child = await describeChild(runnerWith({ apiBaseUrl: 'http://127.0.0.1:4010', compileCacheDir }));
    expect(child.env.MITTWALD_API_BASE_URL).toBe('http://127.0.0.1:4010');
    expect(child.env.NODE_COMPILE_CACHE).toBe(compileCacheDir);
  });

  it('gets no compile cache that other users could write to', async () => {
    const shared = scratchFile('shared-compile-cache');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const child = await describeChild(runnerWith({ compileCacheDir: shared }));
    expect(child.env.NODE_COMPILE_CACHE).toBeUndefined();
  });

  it('runs in an empty directory with a config dir of its own, removed afterwards', async () => {
    const runner = runnerWith();
    const first = JSON.parse((await runner.run(request(['leave-state']))).stdout) as ChildView;
    const second = await describeChild(runner);

    for (const child of [first, second]) {
      expect(child.cwd).toBe(join(child.env.HOME!, 'work'));
      expect(child.cwdEntries).toEqual([]);
      expect(child.configEntries).toEqual([]);
      expect(child.env.HOME).not.toBe(process.env.HOME);
    }
    expect(second.env.MW_CONFIG_DIR).not.toBe(first.env.MW_CONFIG_DIR);
    // removal runs after the result is returned, off the caller's path: drain() waits for it
    await runner.drain();
    expect(existsSync(first.env.MW_CONFIG_DIR)).toBe(false);
    expect(existsSync(first.cwd)).toBe(false);
  });
});

describe('how a run ends', () => {
  it('resolves with the exit code and both streams when the command fails', async () => {
    const result = await runnerWith().run(request(['fail']));
    expect(result).toMatchObject({ exitCode: 1, stdout: 'partial output\n', stderr: 'Error: project not found\n' });
  });

  it('kills the whole process tree when the command times out', async () => {
    const pidFile = scratchFile('pids.json');
    await expectFailure(runnerWith({ ...outsideTheSandbox, timeoutMs: 1000 }).run(request(['hang', pidFile])), 'timeout');
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    await waitUntil(() => !isAlive(pids.child) && !isAlive(pids.grandchild), 'the process tree to die');
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const pidFile = scratchFile('pids.json');
    await expectFailure(runnerWith({ ...outsideTheSandbox, timeoutMs: 1000 }).run(request(['hang', pidFile, 'ignore-term'])), 'timeout');
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    await waitUntil(() => !isAlive(pids.child) && !isAlive(pids.grandchild), 'the process tree to die');
  });

  it('kills the process tree when the caller aborts', async () => {
    const pidFile = scratchFile('pids.json');
    const controller = new AbortController();
    const running = runnerWith(outsideTheSandbox).run(request(['hang', pidFile], { signal: controller.signal }));
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0, 'the child to start');
    controller.abort();
    await expectFailure(running, 'cancelled');
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { child: number; grandchild: number };
    await waitUntil(() => !isAlive(pids.child) && !isAlive(pids.grandchild), 'the process tree to die');
  });

  it('stops a command that writes more than the output cap', async () => {
    await expectFailure(runnerWith({ maxOutputBytes: 200_000 }).run(request(['flood'])), 'output_too_large');
  });

  it('reports a missing or non-executable CLI as cli_missing', async () => {
    await expectFailure(runnerWith({ executable: join(scratch, 'no-such-mw') }).run(request(['describe'])), 'cli_missing');
    const notExecutable = scratchFile('mw');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    await expectFailure(runnerWith({ executable: notExecutable }).run(request(['describe'])), 'cli_missing');
  });

  it('refuses an empty token without starting anything', async () => {
    const log = scratchFile('hold.log');
    const runner = runnerWith(outsideTheSandbox);
    for (const mittwaldToken of ['', '   \n']) {
      await expect(runner.run(request(['hold', log, 'x', log], { mittwaldToken }))).rejects.toBeInstanceOf(InvalidCliRequestError);
    }
    expect(existsSync(log)).toBe(false);
    expect(runner.stats()).toEqual({ inFlight: 0, queued: 0 });
  });

  it('counts calls by command id and logs without token or argument values', async () => {
    const metrics = createMetrics();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const commandSet = {
      cliVersion: '1.0.0',
      commands: [{ id: 'fail', hidden: false, aliases: [], args: [], flags: {} }],
    };
    const runner = runnerWith({
      metrics,
      logger: createLogger({ level: 'info', format: 'json', stream }),
      commandIdOf: commandIdResolver(commandSet),
    });

    await runner.run(request(['fail', 'p-secret-project']));
    await expectFailure(runnerWith({ maxQueue: 0, maxConcurrent: 1, metrics, commandIdOf: commandIdResolver(commandSet) }).run(request(['fail'], { signal: AbortSignal.abort() })), 'cancelled');

    const counted = await metrics.registry.getSingleMetricAsString('mittwald_cli_calls_total');
    expect(counted).toContain('mittwald_cli_calls_total{command="fail",status="error"} 1');
    expect(counted).toContain('mittwald_cli_calls_total{command="fail",status="cancelled"} 1');
    expect(counted).not.toContain('p-secret-project');
    const logged = lines.join('');
    expect(logged).toContain('"command":"fail"');
    expect(logged).toContain('"exitCode":1');
    expect(logged).not.toContain('p-secret-project');
    expect(logged).not.toContain(token);
  });
});

describe('concurrency', () => {
  const releases: string[] = [];
  afterEach(() => {
    // Let every held child finish even when a test failed half way.
    for (const file of releases.splice(0)) writeFileSync(file, '');
  });

  const queueRunner = (overrides: Partial<CliRunnerOptions>) => runnerWith({ ...outsideTheSandbox, ...overrides });

  function holdCall(runner: ReturnType<typeof runnerWith>, log: string, user: string, label: string, release: string, signal?: AbortSignal) {
    releases.push(release);
    return runner.run(request(['hold', log, label, release], { userKey: user, signal }));
  }

  function logLines(log: string): string[] {
    return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  }

  /** replays the start/end log; labels are "<user>-<n>" */
  function maxConcurrency(log: string) {
    const running = new Map<string, number>();
    let overall = 0;
    let maxOverall = 0;
    let maxPerUser = 0;
    for (const line of logLines(log)) {
      const [event, label] = line.split(' ');
      const user = label.split('-')[0];
      const delta = event === 'start' ? 1 : -1;
      overall += delta;
      running.set(user, (running.get(user) ?? 0) + delta);
      maxOverall = Math.max(maxOverall, overall);
      maxPerUser = Math.max(maxPerUser, running.get(user)!);
    }
    return { maxOverall, maxPerUser };
  }

  it('holds the overall and per-user limits', async () => {
    const log = scratchFile('hold.log');
    const release = scratchFile('release');
    const runner = queueRunner({ maxConcurrent: 3, maxPerUser: 2 });
    const calls = ['a', 'b', 'c'].flatMap((user) => [1, 2, 3].map((n) => holdCall(runner, log, user, `${user}-${n}`, release)));

    await waitUntil(() => logLines(log).length === 3, 'three children to start');
    expect(runner.stats()).toEqual({ inFlight: 3, queued: 6 });
    writeFileSync(release, '');
    await Promise.all(calls);

    expect(logLines(log).filter((line) => line.startsWith('end'))).toHaveLength(9);
    expect(maxConcurrency(log)).toEqual({ maxOverall: 3, maxPerUser: 2 });
    expect(runner.stats()).toEqual({ inFlight: 0, queued: 0 });
  });

  it('refuses work at once when the queue is full', async () => {
    const log = scratchFile('hold.log');
    const release = scratchFile('release');
    const runner = queueRunner({ maxConcurrent: 1, maxQueue: 1 });
    const running = holdCall(runner, log, 'a', 'a-1', release);
    const queued = holdCall(runner, log, 'b', 'b-1', release);

    await expectFailure(holdCall(runner, log, 'c', 'c-1', release), 'busy');
    writeFileSync(release, '');
    expect((await running).stdout).toBe('a-1');
    expect((await queued).stdout).toBe('b-1');
  });

  it('starts queued work in arrival order', async () => {
    const log = scratchFile('hold.log');
    const release = scratchFile('release');
    writeFileSync(release, '');
    const runner = queueRunner({ maxConcurrent: 1 });
    await Promise.all([1, 2, 3, 4].map((n) => holdCall(runner, log, 'a', `a-${n}`, release)));
    const starts = logLines(log).filter((line) => line.startsWith('start'));
    expect(starts).toEqual(['start a-1', 'start a-2', 'start a-3', 'start a-4']);
  });

  it("does not let one user's queued work block another user", async () => {
    const log = scratchFile('hold.log');
    const [releaseA, releaseB, releaseC] = ['release-a', 'release-b', 'release-c'].map(scratchFile);
    writeFileSync(releaseB, '');
    const runner = queueRunner({ maxConcurrent: 3, maxPerUser: 2 });
    const a = [1, 2, 3].map((n) => holdCall(runner, log, 'a', `a-${n}`, releaseA));
    const c1 = holdCall(runner, log, 'c', 'c-1', releaseC);
    const b1 = holdCall(runner, log, 'b', 'b-1', releaseB);
    expect(runner.stats()).toEqual({ inFlight: 3, queued: 2 });

    // c-1 frees a slot: a-3 is first in the queue but user a is at their limit, so b-1 gets it.
    writeFileSync(releaseC, '');
    await c1;
    expect((await b1).stdout).toBe('b-1');
    expect(logLines(log)).not.toContain('start a-3');
    expect(runner.stats()).toEqual({ inFlight: 2, queued: 1 });
    writeFileSync(releaseA, '');
    await Promise.all(a);
  });

  it('drops a queued request whose caller aborts', async () => {
    const log = scratchFile('hold.log');
    const release = scratchFile('release');
    const runner = queueRunner({ maxConcurrent: 1 });
    const running = holdCall(runner, log, 'a', 'a-1', release);
    const controller = new AbortController();
    const queued = holdCall(runner, log, 'b', 'b-1', release, controller.signal);
    expect(runner.stats().queued).toBe(1);

    controller.abort();
    await expectFailure(queued, 'cancelled');
    expect(runner.stats().queued).toBe(0);
    writeFileSync(release, '');
    await running;
    expect(logLines(log)).toEqual(['start a-1', 'end a-1']);
  });

  it('drains: waits for running and queued calls to finish', async () => {
    const log = scratchFile('hold.log');
    const release = scratchFile('release');
    const runner = queueRunner({ maxConcurrent: 1 });
    const settled: string[] = [];
    for (const label of ['a-1', 'a-2']) void holdCall(runner, log, 'a', label, release).then((r) => settled.push(r.stdout));
    await waitUntil(() => logLines(log).length === 1, 'the first child to start');
    setTimeout(() => writeFileSync(release, ''), 50);
    await runner.drain();
    expect(settled.sort()).toEqual(['a-1', 'a-2']);
    expect(runner.stats()).toEqual({ inFlight: 0, queued: 0 });
  });
});
