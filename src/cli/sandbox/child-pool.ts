// Warm children: a few `mw` children started ahead of need through the same spawner as any other
// (so each is isolated exactly as a cold one: its own call directory, uid, sandbox and limits),
// with the CLI loaded (child-bootstrap.mts, preload), waiting for one request. A call takes one, or
// starts a cold child when none is ready. Each child serves one call: the pool never sees it again.
//
// Size: between `min` and `max`; a call that finds none ready raises the target by one, a period
// of `idleMs` without a call (and no child starting) lowers it by one (ending a waiting child).
// Refills start at most `startConcurrency` children at once, so on a small machine they leave the
// cores to running calls, and a taken child is replaced once its call is over.
// A child that crashes while waiting, or starts wrong (never ready, exits, fails its preload), is
// ended and replaced (after a growing pause when starts keep failing); when the installed CLI's
// files change (an upgrade), every waiting child is ended: none started from the old files runs a call.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Logger } from '../../observability/logger.ts';
import type { ChildRequest, ControlMessage } from './control-channel.ts';
import type { ChildSpawner, PreloadLevel, StartedChild } from './spawner.ts';

export interface ChildPoolSettings {
  spawner: ChildSpawner;
  /** children kept waiting even when idle */
  min: number;
  /** at most this many waiting and starting children */
  max: number;
  /** a period this long without a call lowers the target by one */
  idleMs: number;
  preload: PreloadLevel;
  /** children started at once while refilling */
  startConcurrency: number;
  /** identifies the installed CLI's files (cli-fingerprint.ts); undefined when it cannot tell (gone) */
  fingerprint: () => string | undefined;
  /** a child that has not said ready by then is ended (default 60 s) */
  startTimeoutMs?: number;
  /** pause after the first failed start, doubled for each further one (default 1 s, at most 60 s) */
  retryDelayMs?: number;
  logger?: Logger;
  /** told whenever the counts change (metrics) */
  onChange?: (status: ChildPoolStatus) => void;
  /** told why a waiting child was ended (metrics) */
  onDiscard?: (reason: DiscardReason) => void;
}

export type DiscardReason = 'crashed' | 'start_failed' | 'preload_failed' | 'start_timeout' | 'cli_changed' | 'idle' | 'shutdown';

export interface ChildPoolStatus {
  min: number;
  max: number;
  /** how many the pool is keeping ready now */
  target: number;
  ready: number;
  starting: number;
}

export interface ChildPool {
  /** a ready child of the installed CLI, or undefined (start a cold one); the caller owns it from here */
  take(): StartedChild | undefined;
  status(): ChildPoolStatus;
  /** ends every waiting child and starts no more */
  close(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 60_000;
/** a taken child's replacement starts once its call is over, or after this long (a long call needs no CPU) */
const REFILL_AFTER_TAKE_MAX_MS = 1000;

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds).unref());

export function createChildPool(settings: ChildPoolSettings): ChildPool {
  const { spawner, logger } = settings;
  const startTimeoutMs = settings.startTimeoutMs ?? 60_000;
  const retryDelayMs = settings.retryDelayMs ?? 1000;
  /** started and ready, oldest first */
  const ready: PooledChild[] = [];
  /** every child the pool still owns: starting or ready */
  const owned = new Set<PooledChild>();
  const starting = new Set<Promise<void>>();
  /** clean-ups of the children the pool ended */
  const endings = new Set<Promise<void>>();
  let target = settings.min;
  let closed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let lastTakeAt = Date.now();
  let knownCli: string | undefined;

  const status = (): ChildPoolStatus => ({ min: settings.min, max: settings.max, target, ready: ready.length, starting: starting.size });
  const changed = () => settings.onChange?.(status());

  const discard = (child: PooledChild, reason: DiscardReason) => {
    if (!owned.delete(child)) return;
    const index = ready.indexOf(child);
    if (index !== -1) ready.splice(index, 1);
    child.kill();
    const ending = child.cleanedUp.finally(() => endings.delete(ending));
    endings.add(ending);
    settings.onDiscard?.(reason);
  };

  const failed = (reason: DiscardReason, detail: string) => {
    failures += 1;
    // The first in a row is worth a line; the rest repeat it, each after a longer pause.
    if (failures === 1) logger?.warn('a warm mw child did not start; calls start cold ones meanwhile', { reason, detail });
    const delay = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2 ** (failures - 1));
    retryTimer ??= setTimeout(() => {
      retryTimer = undefined;
      refill();
    }, delay).unref();
  };

  const startOne = async () => {
    // The CLI's files as they are before the start: a child is only as current as this.
    const cli = settings.fingerprint();
    if (cli === undefined) return failed('start_failed', 'the installed CLI cannot be read');
    let inner: StartedChild;
    try {
      inner = await spawner.start({ preload: settings.preload });
    } catch (error) {
      return failed('start_failed', (error as Error).message);
    }
    const child = new PooledChild(inner, cli);
    owned.add(child);
    if (closed) return discard(child, 'shutdown');
    const outcome = await child.readiness(startTimeoutMs);
    if (!owned.has(child)) return;
    if (outcome !== 'ready') {
      discard(child, outcome);
      return failed(outcome, child.problem ?? outcome);
    }
    failures = 0;
    ready.push(child);
    // A waiting child that ends was not ended by us: replaced like any other.
    void child.ended.then(() => {
      if (!owned.has(child)) return;
      discard(child, 'crashed');
      logger?.warn('a waiting mw child ended before its call; it is replaced', { pid: inner.pid });
      refill();
    });
  };

  const refill = () => {
    while (!closed && !retryTimer && ready.length + starting.size < target && starting.size < settings.startConcurrency) {
      const started: Promise<void> = startOne()
        .catch((error: Error) => failed('start_failed', error.message))
        .finally(() => {
          starting.delete(started);
          refill();
        });
      starting.add(started);
    }
    changed();
  };

  // Idle: one step down per period without a call, to `min`, and never while children are still
  // starting (on a slow machine a refill can take longer than the period: the pool would never grow).
  // The timer does not keep the process alive.
  const shrinkTimer = setInterval(() => {
    if (Date.now() - lastTakeAt < settings.idleMs || target <= settings.min || starting.size > 0) return;
    target -= 1;
    if (ready.length + starting.size > target && ready.length > 0) discard(ready[0], 'idle');
    changed();
  }, settings.idleMs).unref();

  /** Ends the ready children of other files than the installed CLI's (an upgrade, or the CLI gone). */
  const dropOutdated = (cli: string | undefined) => {
    const outdated = ready.filter((child) => child.cli !== cli);
    if (cli !== knownCli && knownCli !== undefined) logger?.info('the installed mw CLI changed: waiting children are replaced', { ended: outdated.length });
    knownCli = cli;
    for (const child of outdated) discard(child, 'cli_changed');
  };

  refill();
  return {
    take() {
      if (closed) return undefined;
      lastTakeAt = Date.now();
      dropOutdated(settings.fingerprint());
      // Picked in the same turn as the caller's first look at it: no event in between.
      const child = ready.shift();
      if (child) {
        owned.delete(child);
        // Starting a child blocks this process for a few ms (spawn): not while the call's answer is on its way.
        void Promise.race([child.cleanedUp, sleep(REFILL_AFTER_TAKE_MAX_MS)]).then(refill);
      } else {
        target = Math.min(settings.max, target + 1);
        refill();
      }
      changed();
      return child;
    },
    status,
    async close() {
      closed = true;
      clearInterval(shrinkTimer);
      clearTimeout(retryTimer);
      for (const child of [...owned]) discard(child, 'shutdown');
      await Promise.allSettled([...starting]);
      await Promise.allSettled([...endings]);
      changed();
    },
  };
}

/**
 * A pool child as the runner sees it: the started child itself, except that what it said while it
 * waited (ready, permission denials of its start) reaches the caller when the request is handed over.
 */
class PooledChild extends EventEmitter implements StartedChild {
  /** the installed CLI's fingerprint when it started */
  readonly cli: string;
  readonly ended: Promise<void>;
  /** why it did not become ready */
  problem?: string;
  private readonly inner: StartedChild;
  private backlog: ControlMessage[] | undefined = [];
  private startOutcome: Promise<'ready' | 'preload_failed' | 'start_failed'>;

  constructor(inner: StartedChild, cli: string) {
    super();
    this.inner = inner;
    this.cli = cli;
    // exit, or (a start that failed without one) its clean-up
    this.ended = new Promise((resolve) => {
      inner.once('exit', () => resolve());
      void inner.cleanedUp.then(resolve);
    });
    this.startOutcome = new Promise((resolve) => {
      inner.on('control', (message) => {
        if (this.backlog) this.backlog.push(message);
        else this.emit('control', message);
        if (message.type === 'ready') resolve('ready');
        if (message.type === 'preload-failed') {
          this.problem = message.reason;
          resolve('preload_failed');
        }
      });
      void this.ended.then(() => {
        this.problem ??= 'it exited before it was ready';
        resolve('start_failed');
      });
    });
    inner.on('exit', (code, signal) => this.emit('exit', code, signal));
    inner.on('close', (code, signal) => this.emit('close', code, signal));
    inner.on('error', (error) => this.listenerCount('error') > 0 && this.emit('error', error));
  }

  readiness(timeoutMs: number): Promise<'ready' | 'preload_failed' | 'start_failed' | 'start_timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'start_timeout'>((resolve) => (timer = setTimeout(() => resolve('start_timeout'), timeoutMs)));
    return Promise.race([this.startOutcome, timedOut]).finally(() => clearTimeout(timer));
  }

  get pid(): number | undefined {
    return this.inner.pid;
  }
  get stdout(): Readable {
    return this.inner.stdout;
  }
  get stderr(): Readable {
    return this.inner.stderr;
  }
  get cleanedUp(): Promise<void> {
    return this.inner.cleanedUp;
  }

  send(request: ChildRequest): void {
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    for (const message of backlog) this.emit('control', message);
    this.inner.send(request);
  }

  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.inner.signalAll(signal);
  }

  end(): void {
    this.inner.end();
  }

  /** ends a child that never got a request (its clean-up follows as for any child) */
  kill(): void {
    this.inner.signalAll('SIGKILL');
  }
}
