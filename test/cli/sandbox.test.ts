// The child's reach, tried as an attacker would through the flags that read or run something
// (`--message-from=<file>`, `--env-file=<file>`, `--editor=<program>`): with the file sandbox on,
// nothing outside the CLI and the call directory can be read or written and nothing started; with
// it off, the resource limits alone end a child that reads /dev/zero. Each refusal is a clear
// failure and a log line naming what was refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createCliRunner, type CliRunnerOptions } from '../../src/cli/runner.ts';
import { CliFailure, type CliRunResult } from '../../src/cli/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { prlimitMissing } from '../support/processes.ts';

const fakeMw = fileURLToPath(new URL('./fixtures/fake-mw/fake-mw.mjs', import.meta.url));
const childPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
const token = 'mw-token-sandbox-test-4b7e';

let scratch: string;
let callRoot: string;
let secretsFile: string;
beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'sandbox-test-')));
  callRoot = join(scratch, 'calls');
  mkdirSync(callRoot, { mode: 0o700 });
  // what sits next to a server: its .env
  secretsFile = join(scratch, '.env');
  writeFileSync(secretsFile, 'TOKEN_ENCRYPTION_KEY=server-secret-key-material\n');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runnerWith(overrides: Partial<CliRunnerOptions> = {}) {
  return createCliRunner({
    executable: fakeMw,
    path: childPath,
    timeoutMs: 30_000,
    maxConcurrent: 4,
    maxPerUser: 4,
    maxQueue: 10,
    maxOutputBytes: 4 * 1024 * 1024,
    killGraceMs: 300,
    callDirectoryParent: callRoot,
    ...overrides,
  });
}

const run = (runner: ReturnType<typeof runnerWith>, argv: string[]) => runner.run({ argv, mittwaldToken: token, userKey: 'attacker' });

async function failureOf(promise: Promise<CliRunResult>): Promise<CliFailure> {
  const outcome = await promise.then(
    (result) => new Error(`expected a failure, got exit ${result.exitCode}: ${result.stdout.slice(0, 200)}`),
    (error: unknown) => error,
  );
  if (!(outcome instanceof CliFailure)) throw outcome;
  return outcome;
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', stream }), lines };
}

describe('the file sandbox (layer 2)', () => {
  const cases: Array<[string, () => string]> = [
    ['the server’s environment', () => `/proc/${process.pid}/environ`],
    ['a .env file next to the server', () => secretsFile],
    ['/etc/passwd', () => '/etc/passwd'],
    ['/dev/zero', () => '/dev/zero'],
  ];
  it.each(cases)('refuses to read %s, as a clear failure and a log line naming the path', async (_what, pathOf) => {
    const { logger, lines } = capturingLogger();
    const path = pathOf();
    const failure = await failureOf(run(runnerWith({ logger }), ['read', path]));
    expect(failure.kind).toBe('sandbox_denied');
    const refusal = lines.map((line) => JSON.parse(line)).find((line) => line.message === 'mw child was refused by the sandbox');
    expect(refusal).toMatchObject({ level: 'warn', denied: [{ permission: 'FileSystemRead', resource: path }] });
  });

  it('starts no program (what --editor would run)', async () => {
    const marker = join(scratch, 'editor-ran');
    const script = join(scratch, 'editor.sh');
    writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const failure = await failureOf(run(runnerWith(), ['start', script]));
    expect(failure.kind).toBe('sandbox_denied');
    expect(failure.message).toContain('ChildProcess');
    expect(existsSync(marker)).toBe(false);
  });

  it('writes nothing outside its call directory', async () => {
    const target = join(scratch, 'planted.json');
    const failure = await failureOf(run(runnerWith(), ['write', target, '{"project-id":"p-planted"}']));
    expect(failure.kind).toBe('sandbox_denied');
    expect(existsSync(target)).toBe(false);
  });

  it('still lets the CLI look for context files in every parent directory, and finds none', async () => {
    const result = await run(runnerWith(), ['context']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ found: [] });
  });

  it('reads what the operator adds (CLI_SANDBOX_READ_PATHS)', async () => {
    const shared = join(scratch, 'operator-shared.txt');
    writeFileSync(shared, 'allowed by the operator');
    const result = await run(runnerWith({ sandbox: { extraReadPaths: [shared] } }), ['read', shared]);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'allowed by the operator' });
  });

  it('gets the proxy settings and may read the private CA file (issue 12, item 7)', async () => {
    const caFile = join(scratch, 'private-ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n');
    const runner = runnerWith({ sandbox: { passThrough: { HTTPS_PROXY: 'http://proxy.internal:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: caFile } } });
    expect((await run(runner, ['read', caFile])).stdout).toContain('BEGIN CERTIFICATE');
    const env = JSON.parse((await run(runner, ['env'])).stdout) as Record<string, string>;
    expect(env).toMatchObject({ HTTPS_PROXY: 'http://proxy.internal:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: caFile });
  });

  it('reads the same file with the sandbox off: the test above proves something', async () => {
    const result = await run(runnerWith({ sandbox: { fileSystem: false } }), ['read', secretsFile]);
    expect(result.stdout).toContain('server-secret-key-material');
  });
});

if (prlimitMissing) console.warn('resource limit tests skipped: prlimit (util-linux) is not installed');

(prlimitMissing ? describe.skip : describe)('the resource limits (layer 4), with the file sandbox off', () => {
  const unsandboxed = (limits: Partial<NonNullable<Exclude<NonNullable<CliRunnerOptions['sandbox']>['limits'], false>>> = {}) =>
    runnerWith({
      sandbox: {
        fileSystem: false,
        limits: { memoryBytes: 1024 * 1024 * 1024, cpuSeconds: 60, openFiles: 256, fileSizeBytes: 8 * 1024 * 1024, processes: 64, ...limits },
      },
    });

  it('ends a child that reads /dev/zero into memory as resource_limit, not as a timeout', async () => {
    const failure = await failureOf(run(unsandboxed(), ['allocate', '/dev/zero']));
    expect(failure.kind).toBe('resource_limit');
  });

  it('ends a child that writes a file beyond the size limit as resource_limit', async () => {
    const failure = await failureOf(run(unsandboxed({ fileSizeBytes: 1024 * 1024 }), ['fill', 'big.bin', String(4 * 1024 * 1024)]));
    expect(failure.kind).toBe('resource_limit');
  });
});
