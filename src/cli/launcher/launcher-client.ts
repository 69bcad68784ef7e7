// The server's side of the launcher channel: the launcher's children look like any StartedChild
// (their output relayed into local streams), so the runner cannot tell them from its own.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { StateDirectories } from '../sandbox/call-root.ts';
import type { ChildRequest } from '../sandbox/control-channel.ts';
import type { ChildIsolation, ChildSpawner, StartedChild } from '../sandbox/spawner.ts';
import { CliFailure } from '../types.ts';
import type { LauncherMessage, ServerMessage } from './launcher-protocol.ts';
import type { UidPoolStatus } from './uid-pool.ts';

/** What a server started by the launcher gets from it. */
export interface LauncherConnection {
  directories: StateDirectories;
  /** the launcher's children (a uid each); undefined when the server starts its own (no uids to give) */
  spawner?: ChildSpawner;
  /** why the server starts its own children */
  uidReason?: string;
  /** the compile cache the server fills for the launcher's children */
  compileCacheToPrime?: string;
  /** the launcher was told to stop (SIGTERM/SIGINT): the server shuts down as on the signal */
  onShutdown(listener: (signal: 'SIGTERM' | 'SIGINT') => void): void;
  /** the child uids now and at every change (only with children of their own uids) */
  onUidStatus(listener: (status: UidPoolStatus) => void): void;
}

/** The IPC end the launcher gave this process (process itself, in production). */
export interface LauncherChannel {
  send(message: ServerMessage): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

export type HelloMessage = Extract<LauncherMessage, { type: 'hello' }> & {
  children: 'launcher' | 'local';
  uidReason?: string;
  /** the compile cache the server fills for the children of their own uids (they only read it) */
  compileCacheToPrime?: string;
  uids?: UidPoolStatus;
};

export function connectLauncher(channel: LauncherChannel, timeoutMs = 60_000): Promise<LauncherConnection> {
  const children = new Map<string, RemoteChild>();
  const checks = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const shutdownListeners: Array<(signal: 'SIGTERM' | 'SIGINT') => void> = [];
  const uidListeners: Array<(status: UidPoolStatus) => void> = [];
  let uids: UidPoolStatus | undefined;
  // A stop asked for while the server still starts (docker stop signals only the launcher) is kept
  // for the listener that comes later: dropped, the server would serve on until a second signal.
  let stopRequested: 'SIGTERM' | 'SIGINT' | undefined;
  let disconnected = false;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the launcher did not say hello')), timeoutMs);
    channel.on('disconnect', () => {
      disconnected = true;
      clearTimeout(timer);
      reject(new Error('the launcher went away'));
      for (const child of children.values()) child.lost();
      children.clear();
    });
    channel.on('message', (value) => {
      const message = value as LauncherMessage | HelloMessage;
      if (message.type === 'hello') {
        clearTimeout(timer);
        const hello = message as HelloMessage;
        resolve({
          directories: hello.directories,
          spawner: hello.children === 'launcher' ? spawner(hello.isolation) : undefined,
          uidReason: hello.uidReason,
          compileCacheToPrime: hello.compileCacheToPrime,
          onShutdown: (listener) => {
            shutdownListeners.push(listener);
            if (stopRequested) listener(stopRequested);
          },
          onUidStatus: (listener) => {
            uidListeners.push(listener);
            if (uids) listener(uids);
          },
        });
        uids = hello.uids;
        return;
      }
      if (message.type === 'uids') {
        const { type: _type, ...status } = message;
        uids = status;
        for (const listener of uidListeners) listener(status);
        return;
      }
      if (message.type === 'shutdown') {
        stopRequested ??= message.signal;
        for (const listener of shutdownListeners) listener(message.signal);
        return;
      }
      if (message.type === 'call-directory-checked') {
        const check = checks.get(message.id);
        checks.delete(message.id);
        if (message.error) check?.reject(new Error(message.error));
        else check?.resolve();
        return;
      }
      if (!('id' in message)) return;
      const child = children.get(message.id);
      if (!child) return;
      child.receive(message);
      if (message.type === 'cleaned' || message.type === 'start-failed') children.delete(message.id);
    });
  });

  function spawner(isolation: ChildIsolation): ChildSpawner {
    return {
      isolation,
      start(options = {}) {
        if (disconnected) return Promise.reject(new CliFailure('cli_missing', 'the launcher is gone'));
        const id = randomUUID();
        const child = new RemoteChild(id, (message) => channel.send(message));
        children.set(id, child);
        channel.send({ type: 'start', id, preload: options.preload ?? 'none' });
        return child.started;
      },
      checkCallDirectory() {
        if (disconnected) return Promise.reject(new Error('the launcher is gone'));
        const id = randomUUID();
        return new Promise<void>((resolve, reject) => {
          checks.set(id, { resolve, reject });
          channel.send({ type: 'check-call-directory', id });
        });
      },
    };
  }
}

class RemoteChild extends EventEmitter implements StartedChild {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly started: Promise<StartedChild>;
  readonly cleanedUp: Promise<void>;
  pid: number | undefined;
  private settleStart!: { resolve: (child: StartedChild) => void; reject: (error: Error) => void };
  private settleCleanup!: () => void;
  private closed = false;
  private readonly id: string;
  private readonly sendToLauncher: (message: ServerMessage) => void;

  constructor(id: string, sendToLauncher: (message: ServerMessage) => void) {
    super();
    this.id = id;
    this.sendToLauncher = sendToLauncher;
    this.started = new Promise((resolve, reject) => (this.settleStart = { resolve, reject }));
    this.cleanedUp = new Promise((resolve) => (this.settleCleanup = resolve));
  }

  receive(message: LauncherMessage): void {
    switch (message.type) {
      case 'started':
        this.pid = message.pid;
        this.settleStart.resolve(this);
        break;
      case 'start-failed':
        this.settleStart.reject(new CliFailure(message.kind, message.message));
        this.settleCleanup();
        break;
      case 'output':
        (message.stream === 'stdout' ? this.stdout : this.stderr).write(Buffer.from(message.data));
        break;
      case 'control':
        this.emit('control', message.message);
        break;
      case 'exit':
        this.emit('exit', message.code, message.signal);
        break;
      case 'close':
        this.close(message.code, message.signal);
        break;
      case 'cleaned':
        this.settleCleanup();
        break;
    }
  }

  /**
   * The launcher went away: the call is over for us. Its child may outlive it (setpriv's
   * parent-death signal does not survive the uid change); the next launcher quarantines that uid.
   */
  lost(): void {
    this.settleStart.reject(new CliFailure('cli_missing', 'the launcher is gone'));
    this.emit('exit', null, 'SIGKILL');
    this.close(null, 'SIGKILL');
    this.settleCleanup();
  }

  send(request: ChildRequest): void {
    this.sendToLauncher({ type: 'request', id: this.id, argv: request.argv, env: request.env });
  }

  end(): void {
    if (!this.closed) this.sendToLauncher({ type: 'end', id: this.id });
  }

  signalAll(signal: 'SIGTERM' | 'SIGKILL'): void {
    if (!this.closed) this.sendToLauncher({ type: 'signal', id: this.id, signal });
  }

  private close(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.stdout.end();
    this.stderr.end();
    // 'close' once both streams are done (read to the end, or destroyed), as a ChildProcess does
    let pending = 2;
    const done = () => --pending === 0 && this.emit('close', code, signal);
    this.stdout.once('close', done);
    this.stderr.once('close', done);
  }
}
