// Runs one child process to completion with hard limits: a deadline, an output cap and caller
// cancellation, each of which kills the child's whole process group. Knows nothing about users,
// tokens or queues; the runner and the metadata reader both build on it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { signalProcessGroup, terminateProcessGroup } from './kill-process-tree.ts';
import { CliFailure, type CliRunResult } from './types.ts';

export interface ChildProcessOptions {
  executable: string;
  args: string[];
  cwd: string;
  /** the complete environment of the child: nothing is inherited */
  env: Record<string, string>;
  timeoutMs: number;
  /** cap over stdout and stderr together */
  maxOutputBytes: number;
  /** time between SIGTERM and SIGKILL when the child has to be stopped */
  killGraceMs: number;
  signal?: AbortSignal;
  /** each chunk as it arrives (decoded as UTF-8; a multi-byte character may be split across two calls) */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

/** Resolves for any child that exits on its own (whatever its exit code); rejects with CliFailure otherwise. */
export function runChildProcess(options: ChildProcessOptions): Promise<CliRunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(cancelled());

    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(options.executable, options.args, {
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: options.cwd,
        env: options.env,
        // Own process group, so the whole tree can be signalled at once.
        detached: true,
      });
    } catch (error) {
      return reject(startFailure(options.executable, error as NodeJS.ErrnoException));
    }

    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let stopReason: CliFailure | undefined;
    let cancelPendingKill: (() => void) | undefined;
    let closePipesTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stop = (reason: CliFailure) => {
      if (stopReason) return;
      stopReason = reason;
      if (child.pid) cancelPendingKill = terminateProcessGroup(child.pid, options.killGraceMs);
    };
    const collect = (into: Buffer[], stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (stopReason) return;
      outputBytes += chunk.length;
      if (outputBytes > options.maxOutputBytes) {
        stop(new CliFailure('output_too_large', `the command wrote more than ${options.maxOutputBytes} bytes of output`));
      } else {
        into.push(chunk);
        options.onOutput?.(chunk.toString('utf8'), stream);
      }
    };
    const onAbort = () => stop(cancelled());
    const deadline = setTimeout(
      () => stop(new CliFailure('timeout', `the command did not finish within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(closePipesTimer);
      cancelPendingKill?.();
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };

    child.stdout!.on('data', collect(stdout, 'stdout'));
    child.stderr!.on('data', collect(stderr, 'stderr'));
    child.on('exit', () => {
      // Anything the child left running in its group would keep our pipes open (and 'close' from firing).
      if (child.pid) signalProcessGroup(child.pid, 'SIGKILL');
      // A process that left the group (setsid) could hold them open too: stop waiting for it after the grace time.
      closePipesTimer = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
      }, options.killGraceMs);
    });
    child.on('error', (error: NodeJS.ErrnoException) => settle(() => reject(startFailure(options.executable, error))));
    child.on('close', (code, signal) =>
      settle(() =>
        stopReason
          ? reject(stopReason)
          : resolve({
              exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0),
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
              durationMs: Math.round(performance.now() - started),
            }),
      ),
    );
  });
}

function cancelled(): CliFailure {
  return new CliFailure('cancelled', 'the command was cancelled');
}

function startFailure(executable: string, error: NodeJS.ErrnoException): CliFailure {
  return new CliFailure('cli_missing', `cannot start ${executable}: ${error.code ?? error.message}`);
}
