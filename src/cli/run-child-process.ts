// Runs one child process to completion, or one call of a child that serves several (until it says
// the call is done), with hard limits: a deadline, an output cap and caller cancellation, each of
// which signals everything the child started. Knows nothing about users, tokens or queues; the
// runner (sandboxed `mw` children) and the metadata reader both build on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { signalProcessGroup } from './kill-process-tree.ts';
import type { CallDone } from './sandbox/control-channel.ts';
import { CliFailure, type CliRunResult } from './types.ts';

/** The part of a child the supervision needs (a ChildProcess in its own group, or a launcher's child). */
export interface SupervisedChild {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void;
  on(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** removes a listener added with on() (a child that serves more calls keeps its emitter) */
  off(event: string, listener: (...args: any[]) => void): this;
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
  /** a child that serves several calls: settles when it says this one is done and all its output is in */
  callDone?: Promise<CallDone>;
}

export interface ChildOutcome extends CliRunResult {
  /** the signal that ended the child, when one did */
  signal: NodeJS.Signals | null;
  /** the child finished the call and waits for another (callDone); absent when it exited */
  done?: CallDone;
}

/** Resolves for any child that exits on its own, or says its call is done (whatever its exit code); rejects with CliFailure otherwise. */
export function superviseChild(child: SupervisedChild, options: SupervisionOptions): Promise<ChildOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const received = { stdout: 0, stderr: 0 };
    let outputBytes = 0;
    let stopReason: CliFailure | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let closePipesTimer: NodeJS.Timeout | undefined;
    let done: CallDone | undefined;
    let settled = false;

    const stop = (reason: CliFailure) => {
      if (stopReason) return;
      stopReason = reason;
      child.signalAll('SIGTERM');
      killTimer = setTimeout(() => child.signalAll('SIGKILL'), options.killGraceMs);
    };
    const result = (exitCode: number, signal: NodeJS.Signals | null): ChildOutcome => ({
      exitCode,
      signal,
      stdout: Buffer.concat(output.stdout).toString('utf8'),
      stderr: Buffer.concat(output.stderr).toString('utf8'),
      durationMs: Math.round(performance.now() - started),
    });
    /** A call is over once the child said so and every byte it counted has arrived (two pipes, no order between them). */
    const callComplete = () => {
      if (!done || stopReason || received.stdout < done.stdoutBytes || received.stderr < done.stderrBytes) return;
      const wroteMore = received.stdout > done.stdoutBytes || received.stderr > done.stderrBytes;
      const verdict = wroteMore ? { ...done, notReusable: done.notReusable ?? 'it wrote more than it counted' } : done;
      settle(() => resolve({ ...result(done!.exitCode, null), done: verdict }));
    };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (stopReason) return;
      outputBytes += chunk.length;
      received[stream] += chunk.length;
      if (outputBytes > options.maxOutputBytes) {
        stop(new CliFailure('output_too_large', `the command wrote more than ${options.maxOutputBytes} bytes of output`));
      } else {
        output[stream].push(chunk);
        options.onOutput?.(chunk.toString('utf8'), stream);
        callComplete();
      }
    };
    const onAbort = () => stop(cancelled());
    const deadline = setTimeout(
      () => stop(new CliFailure('timeout', `the command did not finish within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    const onStdout = collect('stdout');
    const onStderr = collect('stderr');
    const onExit = () => {
      // Anything the child left running would keep our pipes open (and 'close' from firing).
      child.signalAll('SIGKILL');
      // A process that escaped (setsid) could hold them open too: stop waiting for it after the grace time.
      closePipesTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, options.killGraceMs);
    };
    const onError = (error: NodeJS.ErrnoException) => settle(() => reject(startFailure(options.what, error)));
    const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => (stopReason ? reject(stopReason) : resolve(result(code ?? 128 + (signal ? constants.signals[signal] : 0), signal))));

    // A child that serves more calls keeps its streams: this call's listeners go with it.
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(closePipesTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout.off('data', onStdout);
      child.stderr.off('data', onStderr);
      child.off('exit', onExit);
      child.off('error', onError);
      child.off('close', onClose);
      outcome();
    };

    child.stdout.on('data', onStdout);
    child.stderr.on('data', onStderr);
    child.on('exit', onExit);
    child.on('error', onError);
    child.on('close', onClose);
    void options.callDone?.then((message) => {
      done = message;
      callComplete();
    });
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
