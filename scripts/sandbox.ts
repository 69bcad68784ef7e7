// The whole product offline, for someone without a mittwald account: our server (started through
// src/server.ts, as `npm start` does) in front of the simulated mittwald OAuth server, the
// simulated mittwald API and the stand-in `mw` CLI from the tests. `node scripts/sandbox.ts`;
// PORT picks the port (default 3000), LOG_LEVEL the log detail (default info). Ctrl-C stops it all.
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../src/observability/logger.ts';
import { type Stack, startStack } from '../test/support/stack.ts';

export const DEFAULT_SANDBOX_PORT = 3000;

export interface SandboxOptions {
  port?: number;
  logger?: Logger;
}

/**
 * The sandbox's wiring: PUBLIC_URL is http://localhost:<port> (what people type into clients), and
 * the simulated mittwald logs in its first seeded user at every authorization, without a form.
 */
export function startSandbox(options: SandboxOptions = {}): Promise<Stack> {
  return startStack({
    port: options.port ?? DEFAULT_SANDBOX_PORT,
    hostname: 'localhost',
    logger: options.logger ?? createLogger({ level: 'info', format: 'pretty' }),
  });
}

/** What to do next, printed once the sandbox listens. */
export function sandboxGreeting(stack: Stack): string {
  const user = stack.api.users[0];
  const projects = user.projects.map((p) => `${p.description} (${p.shortId})`).join(', ');
  return [
    '',
    'mittwald-mcp sandbox is running: mittwald\'s login, its API and the `mw` CLI are simulated on 127.0.0.1.',
    '',
    `  MCP URL        ${stack.mcpUrl}`,
    `  you log in as  ${user.firstName} ${user.lastName} <${user.email}> (no password: the simulated`,
    `                 mittwald login signs you in at once); projects: ${projects}`,
    '',
    'Connect a client:',
    `  MCP Inspector  npx @modelcontextprotocol/inspector, transport "Streamable HTTP", URL ${stack.mcpUrl}`,
    `  mcp-remote     npx -p mcp-remote mcp-remote-client ${stack.mcpUrl}   (lists the tools and exits)`,
    `                 npx mcp-remote ${stack.mcpUrl}                        (the stdio bridge for Claude Desktop and others)`,
    '  curl           README.md, "Try it offline: the sandbox and a curl walkthrough"',
    '',
    'Ctrl-C stops the server and the simulators.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT) : DEFAULT_SANDBOX_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`sandbox: PORT must be a port number, not "${process.env.PORT}"`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: 'pretty' });
  let stack: Stack;
  try {
    stack = await startSandbox({ port, logger });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === 'EADDRINUSE'
        ? `sandbox: port ${port} is in use; stop what holds it or choose another: PORT=3001 node scripts/sandbox.ts`
        : `sandbox failed to start: ${(error as Error).message}`,
    );
    process.exit(1);
  }
  process.stdout.write(sandboxGreeting(stack));

  let signals = 0;
  const stop = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second Ctrl-C means "now"
    logger.info('sandbox stopping', { signal });
    stack.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error('sandbox did not stop cleanly', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
