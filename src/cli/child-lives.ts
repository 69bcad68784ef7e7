// The life of a `mw` child, in one place: started anonymously (the warm pool, or a cold start),
// bound to one principal (one grant, or one direct API token) by its first call, serving that
// principal's calls one at a time, and ended with a reason. Nobody else's call ever reaches it: a
// child is only handed out again to the principal it is bound to, and only after a call that ended
// normally (the CLI's exit, whatever its code, with nothing left behind: child-bootstrap.mts). Every
// other outcome ends it, and so do its limits: calls, age, idle time, memory, an upgraded CLI, a
// revoked grant, and room needed for another principal (the idle child used least recently goes).
import { readFileSync } from 'node:fs';
import type { ChildLifeConfig } from '../config.ts';
import type { ChildOutcome } from './run-child-process.ts';
import type { StartedChild } from './sandbox/spawner.ts';

/** Why a child ended (the metric's label). */
export type ChildEndReason =
  | 'reuse_off' // CLI_CHILD_REUSE=off: one call per child
  | 'no_principal' // a call without a principal is nobody's to reuse
  | 'failed' // timeout, cancel, output or memory limit, crash, denial: the call did not end normally
  | 'exited' // the CLI ended its process itself (not an oclif CLI, or the call's state could not be put back)
  | 'not_reusable' // the child said something of the call could not be put back
  | 'max_calls'
  | 'max_age'
  | 'max_rss'
  | 'max_cpu' // half its RLIMIT_CPU spent: a later call would be killed for the calls before it
  | 'idle'
  | 'evicted' // room for another principal's child
  | 'cli_changed'
  | 'revoked'
  | 'shutdown';

export interface ChildLifeLimits extends ChildLifeConfig {
  /** children alive at once, serving or idle (CLI_MAX_CONCURRENT): the idle one used least recently makes room */
  maxLive: number;
  /** CPU seconds a child may have used and still take a call (half of RLIMIT_CPU, which counts over its whole life) */
  maxCpuSeconds?: number;
}

export interface ChildLivesSettings extends ChildLifeLimits {
  /** identifies the installed CLI's files (cli-fingerprint.ts); undefined when it cannot tell */
  fingerprint?: () => string | undefined;
  onChange?: (counts: { serving: number; idle: number }) => void;
  onEnd?: (reason: ChildEndReason, child: StartedChild) => void;
}

/** A child bound to a principal. */
export interface BoundChild {
  readonly child: StartedChild;
  readonly principal: string | undefined;
  /** its principal's grant was revoked while it served: the call was stopped */
  readonly revoked?: boolean;
}

interface Life extends BoundChild {
  readonly bornAt: number;
  readonly cli: string | undefined;
  calls: number;
  state: 'serving' | 'idle' | 'ended';
  idleTimer?: NodeJS.Timeout;
  /** revoked while it served: it ends once its call is over */
  revoked?: boolean;
}

export interface ChildLives {
  /** an idle child bound to `principal`, now serving; undefined: none (a reuse miss) */
  take(principal: string | undefined): BoundChild | undefined;
  /** binds a freshly started child to `principal`; it is serving. Ends the idle child used least recently when all slots are taken. */
  bind(principal: string | undefined, child: StartedChild): BoundChild;
  /** after a call: the child waits for the principal's next one, or ends with the reason why not */
  release(bound: BoundChild, outcome: ChildOutcome | undefined): ChildEndReason | undefined;
  /** ends every child of `principal` (a revoked grant); resolves once nothing of them is left */
  endPrincipal(principal: string): Promise<void>;
  close(): Promise<void>;
}

export function createChildLives(settings: ChildLivesSettings): ChildLives {
  const lives = new Set<Life>();
  /** idle children, least recently used first */
  const idle: Life[] = [];

  const counts = () => ({ serving: lives.size - idle.length, idle: idle.length });
  const changed = () => settings.onChange?.(counts());
  const fingerprint = () => settings.fingerprint?.();

  const end = (life: Life, reason: ChildEndReason, how: 'end' | 'kill' = 'end') => {
    if (life.state === 'ended') return;
    const index = idle.indexOf(life);
    if (index !== -1) idle.splice(index, 1);
    clearTimeout(life.idleTimer);
    life.state = 'ended';
    lives.delete(life);
    // A child waiting for a request exits when its pipe closes; one that is busy is stopped.
    if (how === 'kill') life.child.signalAll('SIGKILL');
    else life.child.end();
    settings.onEnd?.(reason, life.child);
    changed();
  };

  /** Why this child may serve no call at all any more (whatever its last one did): too old, or started from other CLI files. */
  const outdated = (life: Life, cli: string | undefined): ChildEndReason | undefined => {
    if (Date.now() - life.bornAt >= settings.maxAgeMs) return 'max_age';
    if (life.cli !== cli) return 'cli_changed';
    return undefined;
  };

  /** Why this child may not serve another call, if it may not. */
  const limitReached = (life: Life, outcome: ChildOutcome | undefined): ChildEndReason | undefined => {
    if (!settings.reuse) return 'reuse_off';
    if (life.principal === undefined) return 'no_principal';
    if (!outcome) return 'failed';
    if (!outcome.done) return 'exited';
    if (outcome.done.notReusable) return 'not_reusable';
    if (life.revoked) return 'revoked';
    if (life.calls >= settings.maxCalls) return 'max_calls';
    const stale = outdated(life, fingerprint());
    if (stale) return stale;
    const usage = life.child.pid === undefined ? undefined : processUsage(life.child.pid);
    if (usage && usage.rssBytes > settings.maxRssBytes) return 'max_rss';
    if (usage && settings.maxCpuSeconds !== undefined && usage.cpuSeconds > settings.maxCpuSeconds) return 'max_cpu';
    return undefined;
  };

  return {
    take(principal) {
      if (principal === undefined || !settings.reuse) return undefined;
      const cli = fingerprint();
      // most recently used first: the others may go idle and end
      for (let index = idle.length - 1; index >= 0; index--) {
        const life = idle[index];
        if (life.principal !== principal) continue;
        const stale = outdated(life, cli);
        if (stale) {
          end(life, stale);
          continue;
        }
        idle.splice(index, 1);
        clearTimeout(life.idleTimer);
        life.state = 'serving';
        life.calls += 1;
        changed();
        return life;
      }
      return undefined;
    },
    bind(principal, child) {
      while (lives.size >= settings.maxLive && idle.length > 0) end(idle[0], 'evicted');
      const life: Life = { child, principal, bornAt: Date.now(), cli: fingerprint(), calls: 1, state: 'serving' };
      lives.add(life);
      // A child that dies while idle is nobody's to reuse, from its exit on: its clean-up (a launcher's
      // uid helper) may take a while, and a call handed to it would wait for an end that came already.
      // One that dies serving is the runner's to release.
      const died = () => life.state === 'idle' && end(life, 'exited');
      child.once('exit', died);
      void child.cleanedUp.then(died);
      changed();
      return life;
    },
    release(bound, outcome) {
      const life = bound as Life;
      if (life.state !== 'serving') return undefined;
      const reason = limitReached(life, outcome);
      if (reason) {
        end(life, reason, outcome?.done ? 'end' : 'kill');
        return reason;
      }
      life.state = 'idle';
      idle.push(life);
      life.idleTimer = setTimeout(() => end(life, 'idle'), settings.idleMs).unref();
      changed();
      return undefined;
    },
    async endPrincipal(principal) {
      const ending: Promise<void>[] = [];
      for (const life of [...lives]) {
        if (life.principal !== principal) continue;
        ending.push(life.child.cleanedUp);
        if (life.state === 'idle') end(life, 'revoked');
        else {
          // Its call is stopped: the grant that pays for it is gone.
          life.revoked = true;
          life.child.signalAll('SIGKILL');
        }
      }
      await Promise.all(ending);
    },
    async close() {
      const ending = [...lives].map((life) => life.child.cleanedUp);
      for (const life of [...lives]) end(life, 'shutdown', life.state === 'idle' ? 'end' : 'kill');
      await Promise.all(ending);
    },
  };
}

const PAGE_SIZE = 4096;
const CLOCK_TICKS_PER_SECOND = 100;

/** /proc/<pid>/statm's resident pages and /proc/<pid>/stat's CPU ticks; undefined where they cannot be read (hidepid, gone). */
export function processUsage(pid: number): { rssBytes: number; cpuSeconds: number } | undefined {
  try {
    const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    // the fields after the command name, which may hold spaces: state is the first, utime and stime the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    return Number.isFinite(resident) && Number.isFinite(cpuSeconds) ? { rssBytes: resident * PAGE_SIZE, cpuSeconds } : undefined;
  } catch {
    return undefined;
  }
}
