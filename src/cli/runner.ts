// Runs one `mw` command for one user: wait for a slot, give the child a private directory and an
// allow-listed environment carrying the user's token, enforce the limits, record what happened.
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createCallDirectory } from './call-directory.ts';
import { childEnvironment } from './child-environment.ts';
import { UNKNOWN_COMMAND } from './command-id.ts';
import { createConcurrencyLimiter } from './concurrency-limiter.ts';
import { ensurePrivateDirectory } from './private-directory.ts';
import { runChildProcess } from './run-child-process.ts';
import { CliFailure, type CliRunRequest, type CliRunResult, type CliRunner } from './types.ts';

export interface CliRunnerOptions {
  /** path of the `mw` executable (see locateCli) or a name on `path` */
  executable: string;
  /** PATH for the children */
  path: string;
  /** default time limit per call */
  timeoutMs: number;
  /** upper bound for a call's own time limit (CliRunRequest.timeoutMs); default: timeoutMs */
  maxTimeoutMs?: number;
  maxConcurrent: number;
  maxPerUser: number;
  maxQueue: number;
  maxOutputBytes: number;
  /** handed to children as MITTWALD_API_BASE_URL; leave unset for the real API */
  apiBaseUrl?: string;
  /** shared NODE_COMPILE_CACHE directory for the children (created 0700; ignored if someone else could write to it) */
  compileCacheDir?: string;
  /** where per-call directories are created (default: the OS temp dir) */
  callDirectoryParent?: string;
  /** SIGTERM → SIGKILL grace when a child has to be stopped (default 2000 ms) */
  killGraceMs?: number;
  metrics?: Metrics;
  logger?: Logger;
  /** command id for metric labels and logs (see commandIdResolver); never include argument values */
  commandIdOf?: (argv: string[]) => string;
}

/** The caller passed something that must never reach a child (a programming error, not a user error). */
export class InvalidCliRequestError extends Error {
  override name = 'InvalidCliRequestError';
}

type Outcome = 'ok' | 'error' | CliFailure['kind'];

export function createCliRunner(options: CliRunnerOptions): CliRunner {
  const { metrics, logger } = options;
  const commandIdOf = options.commandIdOf ?? (() => UNKNOWN_COMMAND);
  const limiter = createConcurrencyLimiter(
    { maxConcurrent: options.maxConcurrent, maxPerKey: options.maxPerUser, maxQueue: options.maxQueue },
    ({ running, queued }) => {
      metrics?.cliInFlight.set(running);
      metrics?.cliQueued.set(queued);
    },
  );
  const pending = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    pending.add(work);
    const forget = () => pending.delete(work);
    work.then(forget, forget);
    return work;
  };
  const compileCacheDir = usableCompileCacheDir(options.compileCacheDir, logger);
  const maxTimeoutMs = Math.max(options.maxTimeoutMs ?? options.timeoutMs, options.timeoutMs);
  const timeLimitOf = (request: CliRunRequest) => Math.min(request.timeoutMs ?? options.timeoutMs, maxTimeoutMs);

  const runIsolated = async (request: CliRunRequest): Promise<CliRunResult> => {
    const directory = await createCallDirectory(options.callDirectoryParent);
    try {
      return await runChildProcess({
        executable: options.executable,
        args: request.argv,
        cwd: directory.cwd,
        env: childEnvironment({
          path: options.path,
          directory,
          mittwaldToken: request.mittwaldToken,
          apiBaseUrl: options.apiBaseUrl,
          compileCacheDir: await compileCacheDir,
        }),
        timeoutMs: timeLimitOf(request),
        maxOutputBytes: options.maxOutputBytes,
        killGraceMs: options.killGraceMs ?? 2000,
        signal: request.signal,
        onOutput: request.onOutput,
      });
    } finally {
      // Off the caller's path: the result does not wait for the clean-up (drain() does).
      track(directory.remove().catch((error: Error) => logger?.warn('could not remove a CLI call directory', { error })));
    }
  };

  const record = (command: string, outcome: Outcome, details: { exitCode?: number; durationMs: number }) => {
    metrics?.cliCalls.inc({ command, status: outcome });
    const failed = outcome !== 'ok' && outcome !== 'error';
    logger?.log(failed ? 'warn' : 'info', 'mw command finished', { command, status: outcome, ...details });
  };

  const runForUser = async (request: CliRunRequest): Promise<CliRunResult> => {
    assertSafeRequest(request);
    const command = commandIdOf(request.argv);
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const release = await limiter.acquire(request.userKey, request.signal);
      let result: CliRunResult;
      try {
        result = await runIsolated(request);
      } finally {
        release();
      }
      record(command, result.exitCode === 0 ? 'ok' : 'error', { exitCode: result.exitCode, durationMs: elapsed() });
      return result;
    } catch (error) {
      if (error instanceof CliFailure) record(command, error.kind, { durationMs: elapsed() });
      throw error;
    }
  };

  return {
    run(request) {
      return track(runForUser(request));
    },
    stats() {
      const { running, queued } = limiter.stats();
      return { inFlight: running, queued };
    },
    async drain() {
      // Queued calls start as running ones finish, and clean-ups follow them: wait until nothing is left.
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

async function usableCompileCacheDir(dir: string | undefined, logger: Logger | undefined): Promise<string | undefined> {
  if (!dir) return undefined;
  if (await ensurePrivateDirectory(dir)) return dir;
  logger?.warn('CLI compile cache disabled: the directory is not private to this user', { dir });
  return undefined;
}

function assertSafeRequest(request: CliRunRequest): void {
  if (!request.mittwaldToken.trim()) {
    // `mw` would run with an empty token (it only falls back on an unset variable) and fail obscurely.
    throw new InvalidCliRequestError('a mittwald token is required to run the CLI');
  }
  if (/[\0\r\n]/.test(request.mittwaldToken)) {
    throw new InvalidCliRequestError('the mittwald token contains control characters');
  }
  if (request.argv.some((word) => word.includes('\0'))) {
    throw new InvalidCliRequestError('CLI arguments must not contain NUL characters');
  }
}
