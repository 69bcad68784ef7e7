// Assembles the production dependencies from a validated config and serves the app.
// main.ts, the sandbox and the end-to-end tests all start the server through here.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type App, createApp } from './app.ts';
import type { AppConfig } from './config.ts';
import { commandIdResolver } from './cli/command-id.ts';
import { createCommandMetadataReader } from './cli/command-metadata.ts';
import { CliNotFoundError, type LocatedCli, locateCli } from './cli/locate-cli.ts';
import { createCliRunner } from './cli/runner.ts';
import { prepareStateDirectories, type StateDirectories } from './cli/sandbox/call-root.ts';
import { isolationSummary, missingRequiredLayers } from './cli/sandbox/isolation-report.ts';
import type { LauncherConnection } from './cli/launcher/launcher-client.ts';
import type { UidPoolStatus } from './cli/launcher/uid-pool.ts';
import { sandboxRequestOf } from './cli/sandbox/child-settings.ts';
import { startChildren, startWarmChildren } from './cli/sandbox/children.ts';
import { installedCliFingerprint } from './cli/sandbox/cli-fingerprint.ts';
import type { CliCommandSet } from './cli/types.ts';
import type { MittwaldOAuthClient } from './oauth/index.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { openStore } from './store/index.ts';

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface RunningServer {
  /** the address actually bound, e.g. http://127.0.0.1:3000 */
  url: string;
  app: App;
  logger: Logger;
  /** graceful: stop accepting, finish in-flight requests and CLI runs, close the store */
  close(): Promise<void>;
  /** the steps of close() not finished yet: what a shutdown that overruns its deadline waits for */
  closing(): string[];
}

export interface StartOptions {
  logger?: Logger;
  mittwald?: MittwaldOAuthClient;
  /** set when a privileged launcher started this server: it starts the children, each under a uid of its own */
  launcher?: LauncherConnection;
}

/** The wall between users is weaker than production allows (NODE_ENV=production without CLI_ALLOW_UNISOLATED). */
export class IsolationError extends Error {
  override name = 'IsolationError';
}

export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log);
  if (config.keys.generated) {
    logger.warn('using generated development keys: tokens and logins do not survive a restart (set OAUTH_JWKS, COOKIE_KEYS, TOKEN_ENCRYPTION_KEY)');
  }
  // First: a state directory that fails its checks (layer 5) stops the start before anything is open.
  const directories = options.launcher?.directories ?? (await prepareStateDirectories(config.cli.isolation.stateDir, process.geteuid?.() ?? 0));
  const metrics = createMetrics();
  const store = await openStore({
    redis: config.redis,
    memoryMaxBytes: config.memoryStoreMaxBytes,
    onError: (error) => logger.warn('redis connection problem', { error: error.message }),
  });

  const { cli, commands, problem } = await discoverCli(config, logger, directories);
  let uids: UidPoolStatus | undefined;
  options.launcher?.onUidStatus((status) => {
    uids = status;
    const free = status.size - status.inUse - status.quarantined;
    for (const [state, count] of Object.entries({ free, in_use: status.inUse, quarantined: status.quarantined })) metrics.cliChildUids.set({ state }, count);
  });
  const children = await startChildren({ ...sandboxRequestOf(config), cli, directories, launcher: options.launcher, logger });
  const pool = cli && config.cli.pool ? startWarmChildren({ spawner: children, cli, pool: config.cli.pool, logger, metrics }) : undefined;
  logger.info(
    pool && config.cli.pool
      ? `warm mw children: on, ${config.cli.pool.min} to ${config.cli.pool.max} (preload: ${config.cli.pool.preload})`
      : `warm mw children: off${cli ? ' (CLI_POOL=off)' : ''}`,
  );
  const runner = createCliRunner({
    spawner: children,
    pool,
    timeoutMs: config.cli.timeoutMs,
    maxTimeoutMs: config.cli.maxTimeoutMs,
    maxConcurrent: config.cli.maxConcurrent,
    maxPerUser: config.cli.maxPerUser,
    maxQueue: config.cli.maxQueue,
    maxOutputBytes: config.cli.maxOutputBytes,
    // Live children, serving and idle, are bounded by the slots: the uid range holds them (config.ts).
    childLife: { ...config.cli.childLife, maxLive: config.cli.maxConcurrent, maxCpuSeconds: maxCpuSecondsOf(config) },
    cliFingerprint: cli && installedCliFingerprint(cli),
    metrics,
    logger,
    commandIdOf: commandIdResolver(commands),
  });

  const app = createApp({
    config,
    store,
    logger,
    metrics,
    cli: {
      runner,
      commands,
      problem,
      children: {
        isolation: children.isolation,
        callRoot: directories.calls,
        checkCallDirectory: () => children.checkCallDirectory(),
        warmChildren: () => pool?.status() ?? 'off',
        uids: () => uids,
      },
    },
    mittwald: options.mittwald,
  });
  if (app.isolation) {
    logger.info(`isolation: ${isolationSummary(app.isolation)}`, { isolation: app.isolation });
    const missing = missingRequiredLayers(app.isolation);
    if (config.production && missing.length > 0 && cli) {
      if (!config.cli.isolation.allowUnisolated) {
        await pool?.close();
        await app.close();
        await store.close();
        throw new IsolationError(
          `NODE_ENV=production refuses to start without these layers of the wall between users: ${missing.join('; ')}. ` +
            'Fix them (README, "Isolation") or set CLI_ALLOW_UNISOLATED=true to run without them',
        );
      }
      logger.warn(`running in production without: ${missing.join('; ')} (CLI_ALLOW_UNISOLATED=true)`);
    }
  }
  const server = app.app.listen(config.port, config.host);
  // Idle keep-alive connections outlive those of reverse proxies and HTTP clients (60 s at most
  // by default), so they close them, and never we while they send a request on one: a reset the
  // caller would see as a failed request (Node's own 5 s lose that race on a busy machine).
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  logger.info('listening', { url, publicUrl: config.publicUrl });

  let closing: Promise<void> | undefined;
  const unfinished = new Set<string>();
  const step = async (name: string, work: () => Promise<unknown> | undefined) => {
    unfinished.add(name);
    await work();
    unfinished.delete(name);
  };
  const close = () =>
    (closing ??= (async () => {
      app.beginShutdown();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await Promise.all([step('open HTTP connections', () => stopped), step('running mw calls', () => runner.drain()), step('warm mw children', () => pool?.close())]);
      clearTimeout(forced);
      await step('OAuth', () => app.close());
      await step('the store', () => store.close());
      logger.info('stopped');
    })());

  return { url, app, logger, close, closing: () => [...unfinished] };
}

/**
 * Finds `mw` and reads its commands. A missing CLI does not stop the server (OAuth still works and
 * /readyz says what is wrong): the catalogue is empty until `mw` is installed and the server restarted.
 */
async function discoverCli(
  config: AppConfig,
  logger: Logger,
  directories: StateDirectories,
): Promise<{ cli?: LocatedCli; commands: CliCommandSet; problem?: string }> {
  try {
    const cli = await locateCli(config.cli.executable, { path: config.cli.childPath });
    const commands = await createCommandMetadataReader({ cacheDir: join(directories.server, 'cli-metadata'), workDir: directories.server }).read(cli);
    logger.info('mw CLI found', { cli: `${cli.name}@${cli.version}`, commands: commands.commands.length });
    return { cli, commands };
  } catch (error) {
    if (!(error instanceof CliNotFoundError)) throw error;
    logger.error(`${error.message}: serving no tools until it is installed (see README, "mw not found")`);
    return { commands: { cliVersion: 'unavailable', commands: [] }, problem: error.message };
  }
}

/** RLIMIT_CPU counts over a child's whole life: it serves no call once it has spent half of it. */
function maxCpuSecondsOf(config: AppConfig): number | undefined {
  const limits = config.cli.isolation.limits;
  return limits && limits.cpuSeconds / 2;
}
