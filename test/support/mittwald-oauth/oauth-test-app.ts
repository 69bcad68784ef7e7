// Builds the OAuth façade into an Express app the way src/app.ts does (our routes first, the
// provider last), listening on 127.0.0.1, configured by loadConfig() from an environment.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { type AppConfig, generateDevelopmentJwks, loadConfig } from '../../../src/config.ts';
import { createOAuthFacade, type OAuthFacade } from '../../../src/oauth/index.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import type { KeyValueStore } from '../../../src/store/index.ts';
import { freePort } from '../redis-server.ts';
import { type MittwaldOAuthSimulator, startMittwaldOAuthSimulator } from './simulator.ts';
import { MemoryStore } from '../../../src/store/index.ts';

export const MITTWALD_CLIENT_ID = 'mittwald-mcp-test';

/** Keys shared by every instance of one deployment (tokens and cookies must work across them). */
export function sharedSecrets(): Record<string, string> {
  return {
    OAUTH_JWKS: JSON.stringify(generateDevelopmentJwks()),
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
}

/** The environment of one deployment at `publicUrl`, with mittwald played by the simulator. */
export function testEnvironment(sim: MittwaldOAuthSimulator, publicUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    LOG_LEVEL: 'error',
    MITTWALD_AUTHORIZATION_URL: sim.authorizationUrl,
    MITTWALD_TOKEN_URL: sim.tokenUrl,
    MITTWALD_CLIENT_ID: MITTWALD_CLIENT_ID,
    MITTWALD_REDIRECT_URI: `${publicUrl}/mittwald/callback`,
    MITTWALD_API_BASE_URL: sim.url,
    MITTWALD_HTTP_TIMEOUT_MS: '2000',
    ...sharedSecrets(),
    ...extra,
  };
}

export interface OAuthTestApp {
  /** where this instance listens (may differ from config.publicUrl for a second instance) */
  url: string;
  config: AppConfig;
  facade: OAuthFacade;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startOAuthTestApp(options: {
  env: Record<string, string>;
  store: KeyValueStore;
  port?: number;
  clientMetadataFetch?: typeof fetch;
  /** the façade's clock (epoch ms; default Date.now): tests move it instead of sleeping */
  now?: () => number;
}): Promise<OAuthTestApp> {
  const config = loadConfig(options.env);
  const metrics = createMetrics();
  const logger = createLogger({ level: 'error', format: 'json' });
  const facade = createOAuthFacade({ config, store: options.store, logger, metrics, clientMetadataFetch: options.clientMetadataFetch, now: options.now });

  const app = express();
  app.use(facade.routes);
  app.use(facade.providerHandler);
  const port = options.port ?? (await freePort());
  const server: Server = await new Promise((resolve, reject) => {
    const started = app.listen(port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(started)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    facade,
    metrics,
    async close() {
      await facade.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface OAuthTestDeployment<S extends KeyValueStore = MemoryStore> {
  app: OAuthTestApp;
  mittwald: MittwaldOAuthSimulator;
  store: S;
  close(): Promise<void>;
}

/** One façade (on a memory store unless given one) in front of a fresh mittwald simulator that knows `scopes`. */
export async function startOAuthTestDeployment<S extends KeyValueStore = MemoryStore>(
  options: { scopes?: string[]; env?: Record<string, string>; clientMetadataFetch?: typeof fetch; now?: () => number; store?: S } = {},
): Promise<OAuthTestDeployment<S>> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const mittwald = await startMittwaldOAuthSimulator({
    clientId: MITTWALD_CLIENT_ID,
    redirectUri: `${publicUrl}/mittwald/callback`,
    scopes: options.scopes ?? ['user:read', 'customer:read', 'project:read', 'app:read'],
  });
  const store = options.store ?? (new MemoryStore() as KeyValueStore as S);
  let app: OAuthTestApp;
  try {
    app = await startOAuthTestApp({
      env: testEnvironment(mittwald, publicUrl, options.env),
      store,
      port,
      clientMetadataFetch: options.clientMetadataFetch,
      now: options.now,
    });
  } catch (error) {
    // nothing of a failed set-up may stay listening (the suite's worker could not exit)
    await mittwald.close();
    throw error;
  }
  return {
    app,
    mittwald,
    store,
    async close() {
      await app.close();
      await mittwald.close();
      await store.close();
    },
  };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
