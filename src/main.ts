// Process entry: read the config once, start, and shut down gracefully on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.ts';
import { startServer } from './server.ts';

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

  const server = await startServer(config);
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
