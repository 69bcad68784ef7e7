// Process entry: read the config once, start, and shut down gracefully on SIGTERM/SIGINT.
// Started as root, this process becomes the privileged launcher instead (privilege separation,
// src/launcher.ts): it starts the server itself as an unprivileged user and every `mw` child under
// a uid of its own. The server it starts gets UNDER_LAUNCHER and an IPC channel back to it.
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type AppConfig } from './config.ts';
import { connectLauncher, type LauncherChannel, type LauncherConnection } from './cli/launcher/launcher-client.ts';
import { CallRootError } from './cli/sandbox/call-root.ts';
import { createLogger } from './observability/logger.ts';

const UNDER_LAUNCHER = '--under-launcher';
/** beyond the grace period: what closing the store and the children may take after the requests ended */
const SHUTDOWN_MARGIN_MS = 5_000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`mittwald-mcp: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.log);

  let launcher: LauncherConnection | undefined;
  if (process.argv.includes(UNDER_LAUNCHER) && process.send) {
    const channel = process as unknown as LauncherChannel;
    launcher = await connectLauncher(channel);
    // Without the launcher no child can start, and the launcher ends the children with us anyway.
    process.on('disconnect', () => {
      logger.error('the launcher went away: stopping');
      process.exit(1);
    });
  } else if (process.geteuid?.() === 0) {
    const { runLauncher } = await import('./launcher.ts');
    const launched = runLauncher(config, { serverEntry: fileURLToPath(import.meta.url), serverArgument: UNDER_LAUNCHER, logger });
    const { inProcess } = await launched.catch(refuseToStart);
    logger.warn(`privilege separation off, the server runs as root: ${inProcess}`);
  }

  const { startServer } = await import('./server.ts');
  const server = await startServer(config, { logger, launcher }).catch(refuseToStart);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second signal means "now"
    server.logger.info('shutting down', { signal });
    // Shutdown always ends: what still waits past the grace period and a margin is given up on, and named.
    setTimeout(() => {
      server.logger.error('shutdown overran its deadline: exiting', { waitingFor: server.closing() });
      process.exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_MARGIN_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error: Error) => {
        server.logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  launcher?.onShutdown((signal) => signals === 0 && shutdown(signal));
}

/** A state directory that fails its checks, or production without a required layer: a configuration problem. */
async function refuseToStart(error: unknown): Promise<never> {
  const { IsolationError } = await import('./server.ts');
  if (error instanceof IsolationError || error instanceof CallRootError) {
    console.error(`mittwald-mcp: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

main().catch((error: Error) => {
  console.error('mittwald-mcp failed to start:', error.message);
  process.exit(1);
});
