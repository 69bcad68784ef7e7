// Where a server's `mw` children come from: the launcher's (a uid each) when a launcher started the
// server, else the server's own with every layer this process can give them. For the launcher's,
// the server fills their shared compile cache in the background. Warm children come from the same
// spawner, so each is isolated exactly as a cold one.
import { availableParallelism } from 'node:os';
import type { PoolConfig } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { LauncherConnection } from '../launcher/launcher-client.ts';
import type { LocatedCli } from '../locate-cli.ts';
import { CliFailure } from '../types.ts';
import type { StateDirectories } from './call-root.ts';
import { createChildPool, type ChildPool } from './child-pool.ts';
import { prepareChildSettings, type SandboxRequest } from './child-settings.ts';
import { installedCliFingerprint } from './cli-fingerprint.ts';
import { NotANodeScriptError } from './cli-install-tree.ts';
import { prepareLocalChildren, unavailableChildren } from './local-children.ts';
import { createLocalSpawner } from './local-spawner.ts';
import { primeCompileCache } from './shared-compile-cache.ts';
import type { ChildSpawner } from './spawner.ts';

export interface ChildrenOptions extends Omit<SandboxRequest, 'cli'> {
  /** the located `mw`; undefined when none was found (every call then fails with cli_missing) */
  cli?: LocatedCli;
  directories: StateDirectories;
  launcher?: LauncherConnection;
  logger: Logger;
}

export async function startChildren(options: ChildrenOptions): Promise<ChildSpawner> {
  const { cli, launcher, logger } = options;
  if (launcher?.spawner) {
    if (launcher.compileCacheToPrime && cli) {
      fillSharedCompileCache(cli, options, launcher.compileCacheToPrime).catch((error: Error) =>
        logger.warn('could not fill the children’s compile cache', { error: error.message }),
      );
    }
    return launcher.spawner;
  }
  if (!cli) return unavailableChildren(new CliFailure('cli_missing', 'the mw CLI is not installed on this server'), options.directories.calls);
  try {
    return await prepareLocalChildren({
      ...options,
      cli,
      callRoot: options.directories.calls,
      uidReason:
        launcher?.uidReason ??
        (process.geteuid?.() === 0
          ? 'started as root without the launcher (in-process): children run as root'
          : 'children run as the server’s uid (per-call uids need a start as root: README, "Isolation")'),
    });
  } catch (error) {
    if (!(error instanceof NotANodeScriptError)) throw error;
    logger.error(`${error.message}: every tool call fails until it does`);
    return unavailableChildren(new CliFailure('cli_missing', 'the mw CLI cannot be started on this server; tell the operator'), options.directories.calls);
  }
}

/**
 * The pool of warm children, started at once. Refills start children one per two cores at most
 * (one on a 2-core machine): a start costs a few hundred ms of CPU that running calls need too.
 */
export function startWarmChildren(options: { spawner: ChildSpawner; cli: LocatedCli; pool: PoolConfig; logger: Logger; metrics?: Metrics }): ChildPool {
  const { metrics } = options;
  return createChildPool({
    spawner: options.spawner,
    ...options.pool,
    startConcurrency: Math.max(1, Math.floor(availableParallelism() / 2)),
    fingerprint: installedCliFingerprint(options.cli),
    logger: options.logger,
    onChange: ({ target, ready, starting }) => {
      metrics?.cliPoolTarget.set(target);
      metrics?.cliPoolChildren.set({ state: 'ready' }, ready);
      metrics?.cliPoolChildren.set({ state: 'starting' }, starting);
    },
    onDiscard: (reason) => metrics?.cliPoolDiscarded.inc({ reason }),
  });
}

/** With commands that carry nothing of a user, as this server's uid: the children only read it. */
async function fillSharedCompileCache(cli: LocatedCli, options: ChildrenOptions, compileCacheDir: string): Promise<void> {
  const settings = await prepareChildSettings({ ...options, cli, compileCacheDir: undefined });
  await primeCompileCache(createLocalSpawner({ ...settings.plan, compileCacheDir, callRoot: options.directories.server, isolation: settings.isolation }));
}
