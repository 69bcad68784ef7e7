// The privileged launcher (privilege separation, as OpenSSH does it): started as root, it keeps only
// what switching uids needs, starts the server as an unprivileged user (CLI_SERVER_UID) with a
// private IPC channel, and on the server's request starts each `mw` child under a uid of its own
// (CLI_CHILD_UIDS). It accepts nothing else: no executable, no uid, no flags from the server. When
// the server exits, for whatever reason, every child is killed and cleaned up, and the launcher
// exits with the server's code. Where the server cannot run unprivileged (node or the project not
// readable by that uid, no setpriv), the caller runs the server in this process instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppConfig } from './config.ts';
import { type HelloMessage } from './cli/launcher/launcher-client.ts';
import { parseServerMessage, START_FAILURES, type LauncherMessage } from './cli/launcher/launcher-protocol.ts';
import { sweepAtStart } from './cli/launcher/sweep-at-start.ts';
import { createUidChildren, uidCleaner } from './cli/launcher/uid-children.ts';
import { openUidLeases, UidLeaseError } from './cli/launcher/uid-leases.ts';
import { createUidPool, type UidPool, type UidPoolStatus } from './cli/launcher/uid-pool.ts';
import { ancestry, processesOf, strangers } from './cli/launcher/uid-processes.ts';
import { findExecutable, locateCli } from './cli/locate-cli.ts';
import { uidArgs } from './cli/sandbox/child-allowances.ts';
import { callRootOf, prepareCallRoot, serverDirectoryOf } from './cli/sandbox/call-root.ts';
import { prepareChildSettings, sandboxRequestOf, withoutLayers } from './cli/sandbox/child-settings.ts';
import type { ChildSpawner, IsolationLayer, StartedChild } from './cli/sandbox/spawner.ts';
import { shareCompileCache } from './cli/sandbox/shared-compile-cache.ts';
import { startCheckedSpawner, startProblem } from './cli/sandbox/start-check.ts';
import { CliFailure } from './cli/types.ts';
import { createLogger, type Logger } from './observability/logger.ts';

export interface LauncherOptions {
  /** the server's entry script (src/main.ts) and the argument that tells it a launcher started it */
  serverEntry: string;
  serverArgument: string;
  logger?: Logger;
}

/** Resolves only when the server could not be started unprivileged (the caller then runs it in-process). */
export async function runLauncher(config: AppConfig, options: LauncherOptions): Promise<{ inProcess: string }> {
  const logger = options.logger ?? createLogger(config.log);
  const { isolation } = config.cli;
  const server = isolation.serverUser;
  const setpriv = await findExecutable('setpriv', config.cli.childPath);
  if (!setpriv) return { inProcess: 'setpriv (util-linux) was not found on PATH' };
  // The server starts node itself (the metadata reader's child): node must be reachable for its uid,
  // which setpriv's own exec does not show (it still holds the launcher's capabilities when it execs).
  const needs = [process.execPath, options.serverEntry, join(dirname(dirname(options.serverEntry)), 'node_modules'), config.tools.overridesPath];
  const unprivileged = serverCanRun(setpriv, server, needs);
  if (unprivileged) return { inProcess: `uid ${server.uid} cannot run the server: ${unprivileged}` };

  // The state directory is the launcher's; the children pass through it to their call directories.
  await mkdir(isolation.stateDir, { recursive: true, mode: 0o711 });
  await chmod(isolation.stateDir, 0o711);
  const serverDirectory = serverDirectoryOf(isolation.stateDir, server.uid);
  await mkdir(serverDirectory, { recursive: true, mode: 0o700 });
  await chown(serverDirectory, server.uid, server.gid);
  let reportUids = (_status: UidPoolStatus) => {};
  const children = await childrenOfTheirOwn(config, setpriv, logger, (status) => reportUids(status));
  // Children of their own uids pass through a root-owned root; else the server makes its own.
  const callOwner = children.spawner ? 0 : server.uid;
  const calls = await prepareCallRoot(callRootOf(isolation.stateDir, callOwner), {
    owner: callOwner,
    mode: children.spawner ? 0o711 : 0o700,
    handOverWithGid: children.spawner ? 0 : server.gid,
  });

  const serverProcess = spawn(setpriv, [...uidArgs(server.uid, server.gid), '--', process.execPath, ...process.execArgv, options.serverEntry, options.serverArgument], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, HOME: serverDirectory },
  });
  const hello: HelloMessage = {
    type: 'hello',
    directories: { calls, server: serverDirectory },
    isolation: children.spawner?.isolation ?? { fs: 'off', uid: 'shared', limits: 'off', reasons: {} },
    children: children.spawner ? 'launcher' : 'local',
    uidReason: children.uidReason,
    compileCacheToPrime: children.compileCache,
    uids: children.uids?.status(),
  };
  serverProcess.send(hello);
  reportUids = (status) => serverProcess.connected && serverProcess.send({ type: 'uids', ...status } satisfies LauncherMessage);
  logger.info('launcher: server started unprivileged', { uid: server.uid, children: hello.children });
  serveChildren(serverProcess, children.spawner, logger, 2 * config.cli.maxOutputBytes);
  return new Promise<never>(() => {});
}

/** undefined when uid can read what the server needs; else why not (a 0700 home above node or the clone). */
function serverCanRun(setpriv: string, user: { uid: number; gid: number }, paths: string[]): string | undefined {
  const probe = spawnSync(
    setpriv,
    [...uidArgs(user.uid, user.gid), '--', process.execPath, '-e', 'for (const p of process.argv.slice(1)) require("fs").accessSync(p, require("fs").constants.R_OK)', ...paths],
    { cwd: '/', env: {}, encoding: 'utf8', timeout: 30_000 },
  );
  if (probe.status === 0) return undefined;
  return (probe.error?.message ?? probe.stderr.split('\n').find((line) => line.includes('Error')) ?? `exit ${probe.status}`).trim();
}

/** The per-call-uid spawner, when CLI_CHILD_UIDS is on and a child under such a uid can start the CLI. */
async function childrenOfTheirOwn(
  config: AppConfig,
  setpriv: string,
  logger: Logger,
  onUidChange: (status: UidPoolStatus) => void,
): Promise<{ spawner?: ChildSpawner; uidReason?: string; compileCache?: string; uids?: UidPool }> {
  const { isolation } = config.cli;
  if (!isolation.childUids) return { uidReason: 'switched off (CLI_CHILD_UIDS=off)' };
  let cli;
  try {
    cli = await locateCli(config.cli.executable, { path: config.cli.childPath });
  } catch (error) {
    return { uidReason: (error as Error).message };
  }
  let leases;
  try {
    leases = openUidLeases(isolation.uidLeaseDir);
  } catch (error) {
    if (!(error instanceof UidLeaseError)) throw error;
    logger.warn(`launcher: mw children share the server's uid: ${error.message}`);
    return { uidReason: `${error.message} (CLI_UID_LEASE_DIR)` };
  }
  const callRoot = await prepareCallRoot(callRootOf(isolation.stateDir, 0), { owner: 0, mode: 0o711 });
  const range = isolation.childUids;
  const launcherLine = await ancestry(process.pid);
  const pool = createUidPool({
    range,
    leases,
    strangers: async (uid, since) => strangers(await processesOf((id) => id === uid), since, launcherLine),
    cleanUp: uidCleaner({ setpriv, node: process.execPath }),
    logger,
    onChange: onUidChange,
  });
  await sweepAtStart({ callRoot, range, pool, logger });
  const cacheProblem = await shareCompileCache(config.cli.compileCacheDir, process.execPath, isolation.serverUser, isolation.childUids);
  if (cacheProblem) logger.warn(`launcher: mw children run without a compile cache: ${cacheProblem}`);
  const compileCacheDir = cacheProblem ? undefined : config.cli.compileCacheDir;
  const build = async (without: IsolationLayer[]) => {
    // no private cache check here: the shared one below is checked by shareCompileCache
    const settings = await prepareChildSettings(withoutLayers({ ...sandboxRequestOf(config), cli, compileCacheDir: undefined }, without));
    const { uid: _shared, ...reasons } = settings.isolation.reasons;
    return createUidChildren({
      ...settings.plan,
      // the server's uid writes it, the children's only read it (checked by shareCompileCache)
      compileCacheDir,
      callRoot,
      pool,
      setpriv,
      isolation: { ...settings.isolation, uid: 'per-call', reasons },
      onProblem: (message, error) => logger.warn(`launcher: ${message}`, { error }),
    });
  };
  // The uid layer on its own first: node, the CLI and the bootstrap must be readable by the child uids.
  let bare: string | undefined;
  try {
    bare = await startProblem(await build(['fs', 'limits']));
  } catch (error) {
    // the server finds the same problem with the CLI and reports it
    return { uidReason: (error as Error).message };
  }
  if (bare) {
    const reason = `a child under uid ${isolation.childUids.first} cannot start the CLI (${bare}): node, the CLI and the project must be readable by other uids`;
    logger.warn(`launcher: mw children share the server's uid: ${reason}`);
    return { uidReason: reason };
  }
  return { spawner: await startCheckedSpawner(build, logger), compileCache: compileCacheDir, uids: pool };
}

/** Relays the server's requests to children and their output back; ends with the server. */
function serveChildren(server: ChildProcess, spawner: ChildSpawner | undefined, logger: Logger, maxRelayedBytes: number): void {
  const children = new Map<string, StartedChild>();
  const tell = (message: LauncherMessage) => {
    if (server.connected) server.send(message);
  };

  server.on('message', (value) => {
    const message = parseServerMessage(value);
    if (!message) return logger.warn('launcher: refused a malformed message from the server');
    if (message.type === 'check-call-directory') {
      if (!spawner) return tell({ type: 'call-directory-checked', id: message.id, error: 'the server creates its own call directories' });
      spawner.checkCallDirectory().then(
        () => tell({ type: 'call-directory-checked', id: message.id }),
        (error: Error) => tell({ type: 'call-directory-checked', id: message.id, error: error.message }),
      );
      return;
    }
    if (message.type === 'start') {
      if (!spawner || children.has(message.id)) return tell({ type: 'start-failed', id: message.id, kind: 'cli_missing', message: 'no child can be started' });
      spawner.start({ preload: message.preload }).then(
        (child) => {
          children.set(message.id, child);
          relay(message.id, child);
        },
        (error: unknown) =>
          tell({
            type: 'start-failed',
            id: message.id,
            kind: START_FAILURES.find((kind) => error instanceof CliFailure && error.kind === kind) ?? 'cli_missing',
            message: error instanceof Error ? error.message : String(error),
          }),
      );
      return;
    }
    const child = children.get(message.id);
    if (!child) return;
    if (message.type === 'request') child.send({ argv: message.argv, env: message.env });
    else if (message.type === 'end') child.end();
    else child.signalAll(message.signal);
  });

  const relay = (id: string, child: StartedChild) => {
    tell({ type: 'started', id, pid: child.pid });
    // The server stops a child at its output cap; should it lag, the launcher does not buffer without end (per call).
    let relayed = 0;
    const output = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
      relayed += data.length;
      if (relayed <= maxRelayedBytes) tell({ type: 'output', id, stream, data });
      else child.signalAll('SIGKILL');
    };
    child.stdout.on('data', output('stdout'));
    child.stderr.on('data', output('stderr'));
    child.on('control', (message) => {
      // A child serves one call at a time, and the server sends the next request only once it has all output of the last.
      if (message.type === 'accepted') relayed = 0;
      tell({ type: 'control', id, message });
    });
    child.on('exit', (code, signal) => tell({ type: 'exit', id, code, signal }));
    child.on('close', (code, signal) => tell({ type: 'close', id, code, signal }));
    child.on('error', () => {});
    void child.cleanedUp.then(() => {
      children.delete(id);
      tell({ type: 'cleaned', id });
    });
  };

  // The launcher is the server's supervisor: a stop request goes to the server (over the channel: a
  // signal from root to another uid needs CAP_KILL), and the server's end is the launcher's.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => tell({ type: 'shutdown', signal }));
  server.on('error', (error) => logger.error('launcher: server process error', { error }));
  server.on('exit', (code, signal) => {
    logger.log(code === 0 ? 'info' : 'error', 'launcher: the server ended; stopping every child', { code, signal });
    for (const child of children.values()) child.signalAll('SIGKILL');
    void Promise.allSettled([...children.values()].map((child) => child.cleanedUp)).then(() => process.exit(code ?? 1));
  });
}
