// The launcher's children (layer 3): each under a uid of its own from the pool, in a call directory
// that uid owns, with the same file sandbox and limits as any child (child-allowances.ts). Stopping
// and cleaning up run as that uid (uid-cleanup.mts), so even a child that left processes and files
// behind is gone before its uid is leased again; a uid whose clean-up failed is quarantined (uid-pool.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createCallDirectory, type CallDirectory } from '../call-directory.ts';
import { startFailure } from '../run-child-process.ts';
import { planChild, uidArgs, type ChildPlanInput } from '../sandbox/child-allowances.ts';
import { encodeRequest, readControlMessages, type ChildRequest } from '../sandbox/control-channel.ts';
import type { ChildIsolation, ChildSpawner, StartedChild } from '../sandbox/spawner.ts';
import { CliFailure } from '../types.ts';
import type { UidPool, UidPoolSettings } from './uid-pool.ts';
import { startOf } from './uid-processes.ts';

export const UID_CLEANUP = fileURLToPath(new URL('./uid-cleanup.mts', import.meta.url));

export interface UidChildrenSettings extends Omit<ChildPlanInput, 'directory'> {
  callRoot: string;
  pool: UidPool;
  setpriv: string;
  isolation: ChildIsolation;
  onProblem: (message: string, error: unknown) => void;
}

export function createUidChildren(settings: UidChildrenSettings): ChildSpawner {
  const asUid = uidHelper(settings);
  return {
    isolation: settings.isolation,
    async start(options = {}) {
      const uid = await settings.pool.lease();
      if (uid === undefined) throw new CliFailure('busy', 'every child uid is in use or quarantined');
      const gid = uid;
      let directory: CallDirectory;
      try {
        directory = await createCallDirectory(settings.callRoot, { uid, gid });
      } catch (error) {
        settings.pool.release(uid);
        throw error;
      }
      const plan = planChild({ ...settings, directory, preload: options.preload, sandbox: { ...settings.sandbox, uid: { uid, gid, setpriv: settings.setpriv } } });
      // One helper at a time per uid: a helper's kill(-1) would reach another helper of the same uid.
      let helpers = Promise.resolve();
      let closed = false;
      let since: number | undefined;
      const cleanUp = async () => {
        closed = true;
        await helpers;
        await settings.pool.giveBack(uid, { since, directories: [directory.home] });
      };
      let child: ChildProcess;
      try {
        child = spawn(plan.command, plan.args, { shell: false, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], cwd: plan.cwd, env: plan.env });
      } catch (error) {
        await cleanUp();
        throw startFailure(plan.command, error as NodeJS.ErrnoException);
      }
      // Read before the event loop runs again, so the child is not reaped yet: what it and everything
      // it starts run from, to tell its processes from a stranger's of the same uid (uid-processes.ts).
      since = child.pid === undefined ? undefined : startOf(child.pid);
      // Every process of the uid is this child's (the clean-up checks before it signals): signalling
      // them all needs no CAP_KILL and misses no escapee. Once the child has exited, the clean-up
      // (after its pipes close, or are closed for it) kills whatever is left: no helper per call for nothing.
      let exited = false;
      const signalAll = (signal: 'SIGTERM' | 'SIGKILL') => {
        if (closed || exited || since === undefined) return;
        helpers = helpers.then(() => asUid(uid, ['kill', signal, String(since)])).catch((error) => settings.onProblem('could not signal a child', error));
      };
      child.once('exit', () => (exited = true));
      return new UidChild(child, signalAll, cleanUp);
    },
    async checkCallDirectory() {
      await (await createCallDirectory(settings.callRoot)).remove();
    },
  };
}

/**
 * The clean-up of a uid (for the pool): the helper, as that uid, ends the child's processes and
 * empties its call directories; the launcher then removes the empty directories from the root.
 */
export function uidCleaner(settings: { setpriv: string; node: string }): UidPoolSettings['cleanUp'] {
  const asUid = uidHelper(settings);
  return async (uid, { since, directories }) => {
    await asUid(uid, ['clean', since === undefined ? 'none' : String(since), ...directories]);
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  };
}

const uidHelper =
  ({ setpriv, node }: { setpriv: string; node: string }) =>
  (uid: number, args: string[]) =>
    run(setpriv, [...uidArgs(uid, uid), '--', node, UID_CLEANUP, ...args], `uid-cleanup ${args[0]} as uid ${uid}`);

class UidChild extends EventEmitter implements StartedChild {
  readonly cleanedUp: Promise<void>;
  readonly stdout: Readable;
  readonly stderr: Readable;
  private readonly process: ChildProcess;
  private readonly control: Duplex;
  private readonly signal: (signal: 'SIGTERM' | 'SIGKILL') => void;

  constructor(child: ChildProcess, signalAll: (signal: 'SIGTERM' | 'SIGKILL') => void, cleanUp: () => Promise<void>) {
    super();
    this.process = child;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    this.signal = signalAll;
    this.control = child.stdio[3] as Duplex;
    readControlMessages(this.control, (message) => this.emit('control', message));
    child.on('exit', (code, signal) => this.emit('exit', code, signal));
    child.on('close', (code, signal) => this.emit('close', code, signal));
    child.on('error', (error) => this.listenerCount('error') > 0 && this.emit('error', error));
    this.cleanedUp = new Promise((resolve) => {
      let started = false;
      const once = () => {
        if (started) return;
        started = true;
        void cleanUp().then(resolve);
      };
      child.once('close', once);
      child.once('error', once);
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  send(request: ChildRequest): void {
    this.control.write(encodeRequest(request));
  }

  end(): void {
    this.control.end();
  }

  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signal(signal);
  }
}

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const helper = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: '/', env: {} });
    let stderr = '';
    helper.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    helper.once('error', reject);
    helper.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}: ${stderr.trim().slice(-300)}`))));
  });
}
