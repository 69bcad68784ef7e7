// A principal's child serves its next calls: nothing of one call reaches the next (output, exit
// code, environment, working directory, files, timers, parsed flags), nobody else's call reaches it,
// and every outcome but a normal end, and every limit, ends it with a reason.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { ChildLifeLimits } from '../../src/cli/child-lives.ts';
import { locateCli, type LocatedCli } from '../../src/cli/locate-cli.ts';
import { createCliRunner, type CliRunnerOptions } from '../../src/cli/runner.ts';
import type { CliRunRequest } from '../../src/cli/types.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { isAlive, waitUntil } from '../support/processes.ts';
import { copyReuseCli } from './oclif-packages.ts';

const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const REUSE: ChildLifeLimits = { reuse: true, idleMs: 60_000, maxCalls: 200, maxAgeMs: 600_000, maxRssBytes: 2 ** 40, maxLive: 4 };

let scratch: string;
let cli: LocatedCli;
beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'child-reuse-test-')));
  cli = await locateCli(join(copyReuseCli(scratch), 'bin', 'run.js'), { path: '' });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Shown {
  pid: number;
  flags: Record<string, unknown>;
  exitCode: number | null;
  leftBehind: string | null;
  home: string;
  token: string;
  cwd: string;
  files: { home: string[]; work: string[]; config: string[]; tmp: string[] };
  calls: number;
}

function rig(life: Partial<ChildLifeLimits> = {}, options: Partial<CliRunnerOptions> = {}) {
  const metrics = createMetrics();
  const runner = createCliRunner({
    executable: cli.executablePath,
    path: childPath,
    timeoutMs: 30_000,
    maxConcurrent: 4,
    maxPerUser: 2,
    maxQueue: 10,
    maxOutputBytes: 1024 * 1024,
    killGraceMs: 500,
    metrics,
    childLife: { ...REUSE, ...life },
    ...options,
  });
  const run = (principal: string, argv: string[], extra: Partial<CliRunRequest> = {}) =>
    runner.run({ argv, mittwaldToken: `token-of-${principal}`, userKey: principal, principal, ...extra });
  const show = async (principal: string, argv: string[] = []) => {
    const result = await run(principal, ['show', ...argv]);
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    return JSON.parse(result.stdout) as Shown;
  };
  return { runner, run, show, metrics };
}

async function counter(metrics: Metrics, name: string, label: string): Promise<Record<string, number>> {
  const { values } = await metrics.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(values.map((value) => [String(value.labels[label]), value.value]));
}

describe('a reused child', () => {
  it('serves the principal’s next call with nothing of the call before: output, exit code, environment, directory, files, flags', async () => {
    const { runner, run, show, metrics } = rig();
    const first = await show('alice');
    const left = await run('alice', ['leave', '--name=alice', '--env', '--files', '--chdir', '--exit-code=3', '--stderr=STDERR OF THE CALL BEFORE']);
    // the bin's process.exit(0) after the command, as mw's
    expect(left).toMatchObject({ exitCode: 0, stdout: 'left by alice\n', stderr: 'STDERR OF THE CALL BEFORE' });
    const next = await show('alice');

    expect(next.pid).toBe(first.pid);
    expect(next).toMatchObject({
      flags: {},
      exitCode: null,
      leftBehind: null,
      home: first.home,
      token: 'token-of-alice',
      cwd: first.cwd,
      files: first.files,
    });
    expect(await counter(metrics, 'mittwald_cli_starts_total', 'start')).toEqual({ cold: 1, reused: 2 });
    await runner.drain();
    expect(isAlive(first.pid)).toBe(false);
  }, 120_000);

  it('ends a call with mw’s own error exit and serves the next one, without the error box or the exit code', async () => {
    const { runner, run, show } = rig();
    const first = await show('alice');
    expect(await run('alice', ['leave', '--fail'])).toMatchObject({ exitCode: 1, stdout: 'ERROR BOX: the command failed\n' });
    expect(await run('alice', ['leave', '--exit=4'])).toMatchObject({ exitCode: 4, stdout: '' });
    expect(await run('alice', ['show', '--bogus'])).toMatchObject({ exitCode: 1, stdout: expect.stringContaining('ERROR BOX: Nonexistent flag: --bogus') });
    const next = await show('alice');
    expect(next).toMatchObject({ pid: first.pid, exitCode: null, flags: {} });
    await runner.drain();
  }, 120_000);

  it('drops what a call writes after its exit: it never reaches the next call', async () => {
    const { runner, run, show } = rig();
    const first = await show('alice');
    expect(await run('alice', ['leave', '--after-exit', '--name=late'])).toMatchObject({ exitCode: 0, stdout: 'left by late\n' });
    const next = await run('alice', ['show']);
    expect(next.stdout).not.toContain('WRITTEN AFTER THE EXIT');
    expect(JSON.parse(next.stdout)).toMatchObject({ pid: first.pid });
    await runner.drain();
  }, 120_000);

  it('clears a timer the call unref’d (mw’s exit would have dropped it): it never fires in another call', async () => {
    const { runner, run, show } = rig();
    const first = await show('alice');
    expect(await run('alice', ['leave', '--interval'])).toMatchObject({ exitCode: 0, stdout: 'left by nobody\n' });
    const next = await run('alice', ['show']);
    expect(next.stdout).not.toContain('INTERVAL OUTPUT');
    expect((JSON.parse(next.stdout) as Shown).pid).toBe(first.pid);
    await runner.drain();
  }, 120_000);

  it('is ended after a call whose work keeps running after its exit: that work never reaches another call', async () => {
    const { runner, run, show, metrics } = rig();
    const first = await show('alice');
    expect(await run('alice', ['leave', '--linger'])).toMatchObject({ exitCode: 0, stdout: 'left by nobody\n' });
    await waitUntil(() => !isAlive(first.pid), 'the child whose work lingers to end');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ not_reusable: 1 });
    await runner.drain();
  }, 120_000);

  it('is ended after a call that stopped at a prompt: the call fails with input_required, the next runs in a new child', async () => {
    const { runner, run, show, metrics } = rig();
    const first = await show('alice');
    await expect(run('alice', ['ask'])).rejects.toMatchObject({ kind: 'input_required', message: 'Which version?\n' });
    await waitUntil(() => !isAlive(first.pid), 'the child that stopped at the prompt to end');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ exited: 1 });
    await runner.drain();
  }, 120_000);

  it('is ended after a call that ran a program (without the file sandbox): what the program left may outlive the call', async () => {
    const { runner, run, show, metrics } = rig({}, { sandbox: { fileSystem: false } });
    const first = await show('alice');
    expect(await run('alice', ['leave', '--program'])).toMatchObject({ exitCode: 0 });
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ not_reusable: 1 });
    await runner.drain();
  }, 120_000);

  it('belongs to one principal: another principal’s call gets a child of its own, even from a module’s state', async () => {
    const { runner, show } = rig();
    const alice = await show('alice', ['--name=alice']);
    const bob = await show('bob');
    expect(bob.pid).not.toBe(alice.pid);
    expect(bob).toMatchObject({ token: 'token-of-bob', calls: 1, flags: {} });
    // The CLI's own module state is the principal's: it lives as long as the principal's child.
    expect(await show('alice')).toMatchObject({ pid: alice.pid, token: 'token-of-alice', calls: 2 });
    await runner.drain();
  }, 120_000);

  it('serves a principal’s concurrent calls in children of their own', async () => {
    const { runner, run, show } = rig();
    const stop = new AbortController();
    const waiting = run('alice', ['wait'], { signal: stop.signal });
    await waitUntil(() => runner.stats().inFlight === 1, 'the waiting call');
    const meanwhile = await show('alice');
    expect((await show('alice')).pid).toBe(meanwhile.pid);
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled' });
    await runner.drain();
  }, 120_000);
});

describe('a child’s life ends', () => {
  it.each([
    ['after a timeout', ['wait'], () => ({ timeoutMs: 1500 }), 'timeout'],
    ['when the caller cancels', ['wait'], () => ({ signal: AbortSignal.timeout(1500) }), 'cancelled'],
    ['at the output limit', ['leave', `--stderr=${'x'.repeat(4096)}`], () => ({}), 'output_too_large'],
  ] as const)('%s', async (_when, argv, extra, kind) => {
    const { runner, run, show, metrics } = rig({}, { maxOutputBytes: 2048 });
    const first = await show('alice');
    await expect(run('alice', [...argv], extra())).rejects.toMatchObject({ kind });
    await waitUntil(() => !isAlive(first.pid), 'the child to end');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ failed: 1 });
    await runner.drain();
  }, 120_000);

  it('when it is killed while it waits: the next call gets another child, at once', async () => {
    const { runner, show, metrics } = rig();
    const first = await show('alice');
    process.kill(first.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(first.pid), 'the killed child gone');
    // the kernel reaps it before the server hears its exit: the next call comes after both
    await waitUntil(async () => (await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).exited === 1, 'the server to see the exit');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ exited: 1 });
    await runner.drain();
  }, 120_000);

  it('when it crashes', async () => {
    const { runner, run, show, metrics } = rig();
    const first = await show('alice');
    expect(await run('alice', ['crash'])).toMatchObject({ exitCode: 137 });
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ exited: 1 });
    await runner.drain();
  }, 120_000);

  it('after a permission denial that failed the call', async () => {
    const secret = join(scratch, 'outside.txt');
    writeFileSync(secret, 'outside the call directory');
    const { runner, run, show, metrics } = rig();
    const first = await show('alice');
    await expect(run('alice', ['read', secret])).rejects.toMatchObject({ kind: 'sandbox_denied' });
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ failed: 1 });
    await runner.drain();
  }, 120_000);

  it('after CLI_CHILD_MAX_CALLS calls', async () => {
    const { runner, show, metrics } = rig({ maxCalls: 2 });
    const first = await show('alice');
    expect((await show('alice')).pid).toBe(first.pid);
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ max_calls: 1 });
    await runner.drain();
  }, 120_000);

  it.each([
    ['after a call that leaves it above CLI_CHILD_MAX_RSS_MB', { maxRssBytes: 1024 * 1024 }, 'max_rss'],
    ['once it has spent half its CPU seconds (RLIMIT_CPU counts over its life)', { maxCpuSeconds: 0 }, 'max_cpu'],
    ['with every call when CLI_CHILD_REUSE=off', { reuse: false }, 'reuse_off'],
  ] as const)('%s', async (_when, limits, reason) => {
    const { runner, show, metrics } = rig(limits);
    const first = await show('alice');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect((await counter(metrics, 'mittwald_cli_child_ends_total', 'reason'))[reason]).toBeGreaterThan(0);
    await runner.drain();
  }, 120_000);

  it('after CLI_CHILD_IDLE_MS without a call', async () => {
    const { runner, show, metrics } = rig({ idleMs: 500 });
    const first = await show('alice');
    await waitUntil(() => !isAlive(first.pid), 'the idle child to end');
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toMatchObject({ idle: 1 });
    await runner.drain();
  }, 120_000);

  it('at CLI_CHILD_MAX_AGE_MS', async () => {
    const { runner, show, metrics } = rig({ maxAgeMs: 500 });
    const first = await show('alice');
    const born = Date.now();
    await waitUntil(() => Date.now() - born > 600, 'the child to come of age');
    expect((await show('alice')).pid).not.toBe(first.pid);
    // (the new child may come of age in its first call too, on a slow machine)
    expect((await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).max_age).toBeGreaterThanOrEqual(1);
    await runner.drain();
  }, 120_000);

  it('when another principal needs its slot: the idle child used least recently goes', async () => {
    const { runner, show, metrics } = rig({ maxLive: 2 });
    const alice = await show('alice');
    const bob = await show('bob');
    expect((await show('alice')).pid).toBe(alice.pid);
    const carol = await show('carol');
    await waitUntil(() => !isAlive(bob.pid), 'bob’s idle child to make room');
    expect(isAlive(alice.pid)).toBe(true);
    expect(isAlive(carol.pid)).toBe(true);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ evicted: 1 });
    await runner.drain();
  }, 120_000);

  it('when the installed CLI changes', async () => {
    let files = 'the old files';
    const { runner, show, metrics } = rig({}, { cliFingerprint: () => files });
    const first = await show('alice');
    files = 'an upgrade';
    expect((await show('alice')).pid).not.toBe(first.pid);
    expect(await counter(metrics, 'mittwald_cli_child_ends_total', 'reason')).toEqual({ cli_changed: 1 });
    await runner.drain();
  }, 120_000);

  it('when the principal’s grant is revoked: gone, idle or serving, before endChildrenOf resolves', async () => {
    const { runner, run, show } = rig();
    const idle = await show('alice');
    const serving = run('alice', ['wait']);
    await waitUntil(() => runner.stats().inFlight === 1, 'the waiting call');
    const bob = await show('bob');
    await runner.endChildrenOf('alice');
    expect(isAlive(idle.pid)).toBe(false);
    await expect(serving).rejects.toMatchObject({ kind: 'cancelled', message: expect.stringContaining('revoked') });
    expect((await show('bob')).pid).toBe(bob.pid);
    expect((await show('alice')).pid).not.toBe(idle.pid);
    await runner.drain();
  }, 120_000);
});
