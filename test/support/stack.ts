// The whole product on loopback, wired like production: our server (started through
// src/server.ts, as `npm start` does) in front of the mittwald OAuth simulator, the mittwald
// API simulator and the stand-in `mw`. Used by the end-to-end tests, the sandbox and the bench.
import { type AppConfig, loadConfig } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { type MittwaldApiSimulator, startMittwaldApiSimulator } from './mittwald-api/simulator.ts';
import { MITTWALD_CLIENT_ID, sharedSecrets } from './mittwald-oauth/oauth-test-app.ts';
import { type MittwaldOAuthSimulator, startMittwaldOAuthSimulator } from './mittwald-oauth/simulator.ts';
import { standInCliPath } from './mw-cli/index.ts';
import { freePort } from './redis-server.ts';

export interface Stack {
  /** our server's origin (= PUBLIC_URL) */
  url: string;
  mcpUrl: string;
  config: AppConfig;
  server: RunningServer;
  oauth: MittwaldOAuthSimulator;
  api: MittwaldApiSimulator;
  /** the environment the server was started with (to start a second process on the same Redis) */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** extra or overriding environment variables for our server */
  env?: Record<string, string>;
  port?: number;
  /** the host name in PUBLIC_URL, i.e. what clients type (default 127.0.0.1; the server binds 127.0.0.1 either way) */
  hostname?: string;
  /** PUBLIC_URL itself, for an origin clients reach through something else (a proxy); then `server.url` is where it listens */
  publicUrl?: string;
  logger?: Logger;
  /** reuse running simulators (a second server process of the same deployment) */
  simulators?: { oauth: MittwaldOAuthSimulator; api: MittwaldApiSimulator };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const port = options.port ?? (await freePort());
  const url = options.publicUrl ?? `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const ownSimulators = !options.simulators;
  const api = options.simulators?.api ?? (await startMittwaldApiSimulator());
  const oauth =
    options.simulators?.oauth ??
    (await startMittwaldOAuthSimulator({
      clientId: MITTWALD_CLIENT_ID,
      redirectUri: `${url}/mittwald/callback`,
      scopes: loadConfig({}).mittwald.scopes.upstream,
    }));
  if (ownSimulators) {
    // Tokens minted at login are the ones the API (and so `mw`) accepts, for the user who logged in.
    oauth.onTokenIssued((token, userId) => api.grantToken(token, userId));
    oauth.loginAs(api.users[0].userId);
  }

  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'json',
    MITTWALD_AUTHORIZATION_URL: oauth.authorizationUrl,
    MITTWALD_TOKEN_URL: oauth.tokenUrl,
    MITTWALD_CLIENT_ID,
    MITTWALD_REDIRECT_URI: `${url}/mittwald/callback`,
    MITTWALD_API_BASE_URL: api.url,
    MITTWALD_HTTP_TIMEOUT_MS: '3000',
    MW_CLI: standInCliPath,
    CLI_TIMEOUT_MS: '20000',
    ...sharedSecrets(),
    ...options.env,
  };
  const config = loadConfig({ ...env, PATH: process.env.PATH });
  const logger = options.logger ?? createLogger({ level: 'error', format: 'json' });
  let server: RunningServer;
  try {
    server = await startServer(config, { logger });
  } catch (error) {
    // a suite whose set-up failed must not leave listening simulators behind (its worker could not exit)
    if (ownSimulators) await Promise.all([oauth.close(), api.close()]);
    throw error;
  }

  return {
    url,
    mcpUrl: `${url}/mcp`,
    config,
    server,
    oauth,
    api,
    env,
    async close() {
      await server.close();
      if (ownSimulators) await Promise.all([oauth.close(), api.close()]);
    },
  };
}
