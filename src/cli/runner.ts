// Runs one `mw` command for one user: wait for a slot, take a sandboxed child (the principal's own
// idle one, else a warm one from the pool, else a new one from the spawner: local, or the privileged
// launcher), hand it the request, enforce the limits, record what happened, and let the child's life
// (child-lives.ts) decide whether it waits for the principal's next call.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type ResourceLimits } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createChildLives, type ChildLifeLimits } from './child-lives.ts';
import { UNKNOWN_COMMAND } from './command-id.ts';
import { createConcurrencyLimiter } from './concurrency-limiter.ts';
import { locateCli } from './locate-cli.ts';
import { ensurePrivateDirectory } from './private-directory.ts';
import { superviseChild, type ChildOutcome } from './run-child-process.ts';
import { inputRequiredFailure, sandboxFailure } from './sandbox/child-outcome.ts';
import { prepareChildSettings } from './sandbox/child-settings.ts';
import type { CallDone, ControlMessage, PermissionDenial } from './sandbox/control-channel.ts';
import { createLocalSpawner } from './sandbox/local-spawner.ts';
import type { ChildPool } from './sandbox/child-pool.ts';
import type { ChildSpawner, StartedChild } from './sandbox/spawner.ts';
import { CliFailure, type CliRunRequest, type CliRunResult, type CliRunner } from './types.ts';

export interface CliRunnerOptions {
  /** how children start (the server's own, or the launcher's); without one a local spawner is built from the options below */
  spawner?: ChildSpawner | Promise<ChildSpawner>;
  /** warm children of the same spawner, the source of a principal's first child (sandbox/child-pool.ts) */
  pool?: ChildPool;
  /** how long a principal's child lives (default: one call per child) */
  childLife?: ChildLifeLimits;
  /** identifies the installed CLI's files: a child started from other files serves no more calls */
  cliFingerprint?: () => string | undefined;
  /** path of the `mw` executable (see locateCli) or a name on `path` */
  executable?: string;
  /** PATH for the children */
  path?: string;
  /** handed to children as MITTWALD_API_BASE_URL; leave unset for the real API */
  apiBaseUrl?: string;
  /** shared NODE_COMPILE_CACHE directory for the children (created 0700; ignored if someone else could write to it) */
  compileCacheDir?: string;
  /** the private root per-call directories are created in (default: ~/.local/state/mittwald-mcp/calls) */
  callDirectoryParent?: string;
  /** layers of the local sandbox: file system (default on), limits (default DEFAULT_LIMITS; false: off) */
  sandbox?: { fileSystem?: boolean; limits?: ResourceLimits | false; extraReadPaths?: string[]; passThrough?: Record<string, string> };
  /** default time limit per call */
  timeoutMs: number;
  /** upper bound for a call's own time limit (CliRunRequest.timeoutMs); default: timeoutMs */
  maxTimeoutMs?: number;
  maxConcurrent: number;
  maxPerUser: number;
  maxQueue: number;
  maxOutputBytes: number;
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
  let spawner: Promise<ChildSpawner> | undefined;
  const spawnerOnce = () => {
    if (!spawner) {
      spawner = Promise.resolve(options.spawner ?? localSpawnerFrom(options));
      // A CLI that could not be found is looked for again by the next call.
      spawner.catch(() => (spawner = undefined));
    }
    return spawner;
  };
  const maxTimeoutMs = Math.max(options.maxTimeoutMs ?? options.timeoutMs, options.timeoutMs);
  const timeLimitOf = (request: CliRunRequest) => Math.min(request.timeoutMs ?? options.timeoutMs, maxTimeoutMs);

  const lives = createChildLives({
    ...(options.childLife ?? { reuse: false, idleMs: 1, maxCalls: 1, maxAgeMs: 1, maxRssBytes: Infinity, maxLive: options.maxConcurrent }),
    fingerprint: options.cliFingerprint,
    onChange: ({ serving, idle }) => {
      metrics?.cliChildren.set({ state: 'serving' }, serving);
      metrics?.cliChildren.set({ state: 'idle' }, idle);
    },
    onEnd: (reason, child) => {
      metrics?.cliChildEnds.inc({ reason });
      track(child.cleanedUp);
    },
  });

  /** Hands the request to `child` and supervises the call; `accepted`: the child read the request (it ran the command). */
  const runOn = async (child: StartedChild, request: CliRunRequest) => {
    const denials: PermissionDenial[] = [];
    let accepted = false;
    let inputRequired = false;
    let callDone!: (done: CallDone) => void;
    const done = new Promise<CallDone>((resolve) => (callDone = resolve));
    const listen = (message: ControlMessage) => {
      if (message.type === 'denied') denials.push(message);
      if (message.type === 'accepted') accepted = true;
      if (message.type === 'input-required') inputRequired = true;
      if (message.type === 'done') callDone(message);
    };
    child.on('control', listen);
    // The token reaches the child over its control pipe only: never argv, never its start environment.
    child.send({ argv: request.argv, env: { MITTWALD_API_TOKEN: request.mittwaldToken } });
    try {
      const outcome = await superviseChild(child, {
        timeoutMs: timeLimitOf(request),
        maxOutputBytes: options.maxOutputBytes,
        killGraceMs: options.killGraceMs ?? 2000,
        signal: request.signal,
        onOutput: request.onOutput,
        what: 'the mw CLI',
        callDone: done,
      });
      return { outcome, denials, accepted, inputRequired };
    } finally {
      child.off('control', listen);
    }
  };

  /** A child for the call: the principal's own idle one, else a warm one, else a cold start. */
  const childFor = async (request: CliRunRequest, spawner: ChildSpawner) => {
    const reused = lives.take(request.principal);
    if (reused) return { bound: reused, start: 'reused' as const };
    const warm = options.pool?.take();
    return { bound: lives.bind(request.principal, warm ?? (await spawner.start())), start: warm ? ('warm' as const) : ('cold' as const) };
  };

  const runIsolated = async (request: CliRunRequest, command: string): Promise<CliRunResult> => {
    if (request.signal?.aborted) throw new CliFailure('cancelled', 'the command was cancelled');
    const spawner = await spawnerOnce();
    let { bound, start } = await childFor(request, spawner);
    let normalEnd: ChildOutcome | undefined;
    try {
      let run = await runOn(bound.child, request);
      if (!run.accepted && start !== 'cold') {
        // A waiting child that ended before it read the request ran nothing: the call starts cold, as if none had been ready.
        lives.release(bound, undefined);
        bound = lives.bind(request.principal, await spawner.start());
        start = 'cold';
        run = await runOn(bound.child, request);
      }
      metrics?.cliStarts.inc({ start });
      if (bound.revoked) throw new CliFailure('cancelled', 'the command was stopped: its grant was revoked');
      const { outcome, denials, inputRequired } = run;
      const failure = inputRequired ? inputRequiredFailure(outcome) : sandboxFailure(outcome, denials);
      if (denials.length > 0) {
        // The operator needs the paths (a CLI that needs more than the sandbox allows: CLI_SANDBOX_READ_PATHS).
        logger?.log(failure ? 'warn' : 'debug', 'mw child was refused by the sandbox', { command, denied: denials.slice(0, 10) });
      }
      // A prompt's child ends by its own exit (child-bootstrap's loopEmptied): its end is counted as such.
      if (inputRequired) normalEnd = outcome;
      if (failure) throw failure;
      // A refusal the CLI got past still ends the child (what it left of the refused attempt is unknown),
      // but a refused read leaves nothing: mw's update-check plugin is refused npm's config on every command.
      if (denials.every((denial) => denial.permission === 'FileSystemRead')) normalEnd = outcome;
      const { signal: _signal, done: _done, ...result } = outcome;
      return result;
    } finally {
      // The child waits for the principal's next call, or ends (its clean-up off the caller's path: drain() waits for it).
      lives.release(bound, normalEnd);
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
        result = await runIsolated(request, command);
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
    endChildrenOf(principal) {
      return lives.endPrincipal(principal);
    },
    async drain() {
      // Queued calls start as running ones finish, and clean-ups follow them: wait until nothing is left.
      while (pending.size > 0) await Promise.allSettled([...pending]);
      // Then the children waiting for a principal's next call.
      await lives.close();
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

/** Without a spawner from the server: children of this process's uid, with every layer it can have. */
async function localSpawnerFrom(options: CliRunnerOptions): Promise<ChildSpawner> {
  const callRoot = options.callDirectoryParent ?? join(homedir(), '.local', 'state', 'mittwald-mcp', 'calls');
  if (!options.callDirectoryParent) await ensurePrivateDirectory(callRoot);
  const path = options.path ?? '/usr/local/bin:/usr/bin:/bin';
  try {
    const settings = await prepareChildSettings({
      cli: await locateCli(options.executable ?? 'mw', { path }),
      path,
      apiBaseUrl: options.apiBaseUrl,
      compileCacheDir: options.compileCacheDir,
      fileSystem: options.sandbox?.fileSystem ?? true,
      limits: options.sandbox?.limits === false ? undefined : (options.sandbox?.limits ?? DEFAULT_LIMITS),
      extraReadPaths: options.sandbox?.extraReadPaths ?? [],
      passThrough: options.sandbox?.passThrough ?? {},
    });
    if (settings.compileCacheRefused) {
      options.logger?.warn('CLI compile cache disabled: the directory is not private to this user', { dir: settings.compileCacheRefused });
    }
    return createLocalSpawner({
      ...settings.plan,
      callRoot,
      isolation: settings.isolation,
      onCleanupError: (error) => options.logger?.warn('could not remove a CLI call directory', { error }),
    });
  } catch (error) {
    throw new CliFailure('cli_missing', `cannot start the mw CLI: ${(error as Error).message}`);
  }
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
