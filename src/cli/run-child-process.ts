// Runs one child process to completion with hard limits: a deadline, an output cap and caller
// cancellation, each of which signals everything the child started. Knows nothing about users,
// tokens or queues; the runner (sandboxed `mw` children) and the metadata reader both build on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { signalProcessGroup } from './kill-process-tree.ts';
import { CliFailure, type CliRunResult } from './types.ts';

/** The part of a child the supervision needs (a ChildProcess in its own group, or a launcher's child). */
export interface SupervisedChild {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void;
  on(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface SupervisionOptions {
  timeoutMs: number;
  /** cap over stdout and stderr together */
  maxOutputBytes: number;
  /** time between SIGTERM and SIGKILL when the child has to be stopped */
  killGraceMs: number;
  signal?: AbortSignal;
  /** each chunk as it arrives (decoded as UTF-8; a multi-byte character may be split across two calls) */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** names the program in a start failure */
  what: string;
}

export interface ChildOutcome extends CliRunResult {
  /** the signal that ended the child, when one did */
  signal: NodeJS.Signals | null;
}

/** Resolves for any child that exits on its own (whatever its exit code); rejects with CliFailure otherwise. */
export function superviseChild(child: SupervisedChild, options: SupervisionOptions): Promise<ChildOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let stopReason: CliFailure | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let closePipesTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stop = (reason: CliFailure) => {
      if (stopReason) return;
      stopReason = reason;
      child.signalAll('SIGTERM');
      killTimer = setTimeout(() => child.signalAll('SIGKILL'), options.killGraceMs);
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
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(closePipesTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };

    child.stdout.on('data', collect(stdout, 'stdout'));
    child.stderr.on('data', collect(stderr, 'stderr'));
    child.on('exit', () => {
      // Anything the child left running would keep our pipes open (and 'close' from firing).
      child.signalAll('SIGKILL');
      // A process that escaped (setsid) could hold them open too: stop waiting for it after the grace time.
      closePipesTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, options.killGraceMs);
    });
    child.on('error', (error: NodeJS.ErrnoException) => settle(() => reject(startFailure(options.what, error))));
    child.on('close', (code, signal) =>
      settle(() =>
        stopReason
          ? reject(stopReason)
          : resolve({
              exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0),
              signal,
              stdout: Buffer.concat(stdout).toString('utf8'),
              stderr: Buffer.concat(stderr).toString('utf8'),
              durationMs: Math.round(performance.now() - started),
            }),
      ),
    );
  });
}

/** A spawned ChildProcess in a process group of its own, as the supervision sees it. */
export class ProcessGroupChild extends EventEmitter implements SupervisedChild {
  readonly process: ChildProcess;
  constructor(child: ChildProcess) {
    super();
    this.process = child;
    child.on('exit', (code, signal) => this.emit('exit', code, signal));
    child.on('close', (code, signal) => this.emit('close', code, signal));
    // Supervision listens for it; a child nobody supervises yet ends in 'close' all the same.
    child.on('error', (error) => this.listenerCount('error') > 0 && this.emit('error', error));
  }
  get pid(): number | undefined {
    return this.process.pid;
  }
  get stdout(): Readable {
    return this.process.stdout!;
  }
  get stderr(): Readable {
    return this.process.stderr!;
  }
  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void {
    if (this.process.pid) signalProcessGroup(this.process.pid, signal);
  }
}

export interface ChildProcessOptions extends Omit<SupervisionOptions, 'what'> {
  executable: string;
  args: string[];
  cwd: string;
  /** the complete environment of the child: nothing is inherited */
  env: Record<string, string>;
}

/** Spawns a plain program (no sandbox) in its own process group and supervises it. */
export function runChildProcess(options: ChildProcessOptions): Promise<CliRunResult> {
  if (options.signal?.aborted) return Promise.reject(cancelled());
  let child: ChildProcess;
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
    return Promise.reject(startFailure(options.executable, error as NodeJS.ErrnoException));
  }
  return superviseChild(new ProcessGroupChild(child), { ...options, what: options.executable }).then(
    ({ signal: _signal, ...result }) => result,
  );
}

function cancelled(): CliFailure {
  return new CliFailure('cancelled', 'the command was cancelled');
}

export function startFailure(what: string, error: NodeJS.ErrnoException): CliFailure {
  return new CliFailure('cli_missing', `cannot start ${what}: ${error.code ?? error.message}`);
}
