// Children started by the server itself, as its own uid: the file sandbox (layer 2) and the
// resource limits (layer 4) where they are available, a fresh call directory under the private
// root (layer 5). This is what `npm start`, the sandbox and the in-process tests run with.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { createCallDirectory, type CallDirectory } from '../call-directory.ts';
import { ProcessGroupChild, startFailure } from '../run-child-process.ts';
import { planChild, type ChildPlanInput } from './child-allowances.ts';
import { encodeRequest, readControlMessages, type ChildRequest } from './control-channel.ts';
import type { ChildIsolation, ChildSpawner, StartedChild } from './spawner.ts';

export interface LocalSpawnerSettings extends Omit<ChildPlanInput, 'directory'> {
  /** the private root the call directories are created in (checked at start: call-root.ts) */
  callRoot: string;
  isolation: ChildIsolation;
  /** told about a directory that could not be removed (the call has been answered already) */
  onCleanupError?: (error: Error) => void;
}

export function createLocalSpawner(settings: LocalSpawnerSettings): ChildSpawner {
  return {
    isolation: settings.isolation,
    async start(options = {}) {
      const directory = await createCallDirectory(settings.callRoot);
      const plan = planChild({ ...settings, directory, preload: options.preload });
      let child: ChildProcess;
      try {
        child = spawn(plan.command, plan.args, {
          shell: false,
          // fd 3 is the control pipe: the request goes in, permission denials come out.
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
          cwd: plan.cwd,
          env: plan.env,
          // Own process group, so the whole tree can be signalled at once.
          detached: true,
        });
      } catch (error) {
        await directory.remove();
        throw startFailure(plan.command, error as NodeJS.ErrnoException);
      }
      return new LocalChild(child, directory, settings.onCleanupError);
    },
    async checkCallDirectory() {
      await (await createCallDirectory(settings.callRoot)).remove();
    },
  };
}

class LocalChild extends ProcessGroupChild implements StartedChild {
  readonly cleanedUp: Promise<void>;
  private readonly control: Duplex;

  constructor(child: ChildProcess, directory: CallDirectory, onCleanupError?: (error: Error) => void) {
    super(child);
    this.control = child.stdio[3] as Duplex;
    readControlMessages(this.control, (message) => this.emit('control', message));
    this.cleanedUp = new Promise<void>((resolve) => {
      let done = false;
      const cleanUp = () => {
        if (done) return;
        done = true;
        // Nothing of the call may outlive it: strays in the group first, then its files.
        this.signalAll('SIGKILL');
        directory.remove().then(resolve, (error: Error) => {
          onCleanupError?.(error);
          resolve();
        });
      };
      child.once('close', cleanUp);
      child.once('error', cleanUp);
    });
  }

  send(request: ChildRequest): void {
    this.control.write(encodeRequest(request));
  }

  end(): void {
    this.control.end();
  }
}
