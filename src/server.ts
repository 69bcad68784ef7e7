// Assembles the production dependencies from a validated config and serves the app.
// main.ts, the sandbox and the end-to-end tests all start the server through here.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type App, createApp } from './app.ts';
import type { AppConfig } from './config.ts';
import { commandIdResolver } from './cli/command-id.ts';
import { createCommandMetadataReader } from './cli/command-metadata.ts';
import { CliNotFoundError, type LocatedCli, locateCli } from './cli/locate-cli.ts';
import type { CliCommandSet } from './cli/types.ts';
import { createCliRunner } from './cli/runner.ts';
import type { MittwaldOAuthClient } from './oauth/index.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { openStore } from './store/index.ts';

export interface RunningServer {
  /** the address actually bound, e.g. http://127.0.0.1:3000 */
  url: string;
  app: App;
  logger: Logger;
  /** graceful: stop accepting, finish in-flight requests and CLI runs, close the store */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  mittwald?: MittwaldOAuthClient;
}

export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.log);
  if (config.keys.generated) {
    logger.warn('using generated development keys: tokens and logins do not survive a restart (set OAUTH_JWKS, COOKIE_KEYS, TOKEN_ENCRYPTION_KEY)');
  }
  const metrics = createMetrics();
  const store = await openStore(config.redisUrl, (error) => logger.warn('redis connection problem', { error: error.message }));

  const { cli, commands, problem } = await discoverCli(config, logger);
  const runner = createCliRunner({
    executable: cli?.executablePath ?? config.cli.executable,
    path: config.cli.childPath,
    timeoutMs: config.cli.timeoutMs,
    maxTimeoutMs: config.cli.maxTimeoutMs,
    maxConcurrent: config.cli.maxConcurrent,
    maxPerUser: config.cli.maxPerUser,
    maxQueue: config.cli.maxQueue,
    maxOutputBytes: config.cli.maxOutputBytes,
    apiBaseUrl: config.mittwald.apiBaseUrlOverridden ? config.mittwald.apiBaseUrl : undefined,
    compileCacheDir: config.cli.compileCacheDir,
    metrics,
    logger,
    commandIdOf: commandIdResolver(commands),
  });

  const app = createApp({ config, store, logger, metrics, cli: { runner, commands, problem }, mittwald: options.mittwald });
  const server = app.app.listen(config.port, config.host);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  logger.info('listening', { url, publicUrl: config.publicUrl });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      app.beginShutdown();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await Promise.all([stopped, runner.drain()]);
      clearTimeout(forced);
      await app.close();
      await store.close();
      logger.info('stopped');
    })());

  return { url, app, logger, close };
}

/**
 * Finds `mw` and reads its commands. A missing CLI does not stop the server (OAuth still works and
 * /readyz says what is wrong): the catalogue is empty until `mw` is installed and the server restarted.
 */
async function discoverCli(
  config: AppConfig,
  logger: Logger,
): Promise<{ cli?: LocatedCli; commands: CliCommandSet; problem?: string }> {
  try {
    const cli = await locateCli(config.cli.executable, { path: config.cli.childPath });
    const commands = await createCommandMetadataReader().read(cli);
    logger.info('mw CLI found', { cli: `${cli.name}@${cli.version}`, commands: commands.commands.length });
    return { cli, commands };
  } catch (error) {
    if (!(error instanceof CliNotFoundError)) throw error;
    logger.error(`${error.message}: serving no tools until it is installed (see README, "mw not found")`);
    return { commands: { cliVersion: 'unavailable', commands: [] }, problem: error.message };
  }
}
