// How the runner gets a sandboxed `mw` child, whoever starts it: the server itself (same uid) or
// the privileged launcher (a uid per child). A started child waits for its first request, so a pool
// can start children ahead of need and hand each a request later; it may serve more (child-lives.ts).
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { ChildRequest, ControlMessage } from './control-channel.ts';

export interface StartedChild extends EventEmitter {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** hands the child a request (one at a time: the next once it said `done`); it runs the command as soon as it has read it */
  send(request: ChildRequest): void;
  /** closes its control pipe: a child waiting for a request exits */
  end(): void;
  /** signals the child and everything it started (its process group, or every process of its uid) */
  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** settles once nothing of the child is left: processes, call directory, the uid's lease */
  readonly cleanedUp: Promise<void>;
  // events: 'control' (ControlMessage: ready or preload-failed once started; per call accepted once it
  // has its request, denied, done), 'exit' (code, signal), 'close' (code, signal), 'error' (Error)
  on(event: 'control', listener: (message: ControlMessage) => void): this;
  on(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

export type IsolationLayer = 'fs' | 'uid' | 'limits';

/** The layers a spawner's children get (issue "a wall between users", layers 2 to 4). */
export interface ChildIsolation {
  fs: 'permission-model' | 'off';
  uid: 'per-call' | 'shared';
  limits: 'on' | 'off';
  /** why a layer is off, for the start log and /readyz */
  reasons: Partial<Record<IsolationLayer, string>>;
}

/**
 * What a child loads before it waits for its request (child-bootstrap.mts): nothing (a cold child,
 * its request is on the way), `config` (oclif, the bin's imports and oclif's Config) or `commands`
 * (also every command module): a warm child of the pool.
 */
export const PRELOAD_LEVELS = ['none', 'config', 'commands'] as const;

export type PreloadLevel = (typeof PRELOAD_LEVELS)[number];

export interface StartOptions {
  /** default `none` */
  preload?: PreloadLevel;
}

export interface ChildSpawner {
  /** a child that waits for its request; rejects with CliFailure('cli_missing') when none can start ('busy' when no uid is free) */
  start(options?: StartOptions): Promise<StartedChild>;
  readonly isolation: ChildIsolation;
  /** creates and removes a call directory (readiness: no call can run without one) */
  checkCallDirectory(): Promise<void>;
}

/** Hands a child its only request (a start check, a priming run): it exits once that call is over. */
export function sendOnlyRequest(child: StartedChild, request: ChildRequest): void {
  child.send(request);
  child.end();
}
