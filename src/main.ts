// Process entry: read the config once, start, and shut down gracefully on SIGTERM/SIGINT.
// Started as root, this process becomes the privileged launcher instead (privilege separation):
// it starts the server itself as an unprivileged user and each `mw` child under a uid of its own.
import { ConfigError, loadConfig } from './config.ts';
import { CallRootError } from './cli/sandbox/call-root.ts';

/** The launcher starts the server with this argument and an IPC channel to itself. */
export const UNDER_LAUNCHER = '--under-launcher';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`mittwald-mcp: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  const { IsolationError, startServer } = await import('./server.ts');
  let server;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof IsolationError || error instanceof CallRootError) {
      console.error(`mittwald-mcp: ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second signal means "now"
    server.logger.info('shutting down', { signal });
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
}

main().catch((error: Error) => {
  console.error('mittwald-mcp failed to start:', error.message);
  process.exit(1);
});
