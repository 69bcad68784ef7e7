// Wiring only: the whole HTTP surface as a function of its dependencies, so tests build the app
// exactly as production does (with simulators at the true edges: mittwald OAuth, API, `mw`).
import express from 'express';
import type { AppConfig } from './config.ts';
import type { CliCommandSet, CliRunner } from './cli/types.ts';
import { createMcpRouter } from './mcp/router.ts';
import { buildToolCatalogue } from './mcp/tools/catalogue.ts';
import { loadToolOverrides } from './mcp/tools/overrides.ts';
import { createOAuthFacade, type MittwaldOAuthClient } from './oauth/index.ts';
import { createHealthRouter } from './observability/health.ts';
import type { Logger } from './observability/logger.ts';
import { createMetricsRouter } from './observability/metrics-route.ts';
import type { Metrics } from './observability/metrics.ts';
import { requestContext } from './observability/request-context.ts';
import type { KeyValueStore } from './store/index.ts';

export interface AppDependencies {
  config: AppConfig;
  store: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
  /** `problem` says why no CLI was found (then `commands` is empty and /readyz fails) */
  cli: { runner: CliRunner; commands: CliCommandSet; problem?: string };
  /** mittwald's OAuth endpoints; defaults to the real HTTP client built from config */
  mittwald?: MittwaldOAuthClient;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface App {
  app: express.Express;
  /** flips /healthz and /readyz to 503 so load balancers stop sending traffic */
  beginShutdown(): void;
  close(): Promise<void>;
}

export function createApp(deps: AppDependencies): App {
  const { config, store, logger, metrics } = deps;
  let shuttingDown = false;

  const oauth = createOAuthFacade({ config, store, logger, metrics, mittwald: deps.mittwald, now: deps.now });
  const catalogue = buildToolCatalogue(deps.cli.commands, loadToolOverrides(config.tools.overridesPath), {
    readOnly: config.tools.readOnly,
    topics: config.tools.topics,
    knownScopes: config.mittwald.scopes.upstream,
  });
  for (const warning of catalogue.warnings) logger.warn(warning);

  const app = express();
  app.disable('x-powered-by');
  // Responses are POST answers and tokens: nothing a cache could revalidate, so don't hash bodies.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);

  app.use(requestContext({ logger }));
  app.use(
    createHealthRouter({
      isShuttingDown: () => shuttingDown,
      warnings: oauth.warnings,
      checks: {
        store: () => store.ping(),
        cli: async () => {
          if (deps.cli.problem) throw new Error(deps.cli.problem);
          return { version: deps.cli.commands.cliVersion };
        },
        keys: () => config.keys.jwks.keys.length > 0 && config.keys.tokenEncryptionKeys.length > 0,
      },
    }),
  );
  app.use(createMetricsRouter({ metrics, enabled: config.metrics.enabled, basicAuth: config.metrics.basicAuth }));
  app.use(
    createMcpRouter({ config, verifier: oauth.verifier, catalogue, runner: deps.cli.runner, store, logger, metrics, fetch: deps.fetch }),
  );
  app.use(oauth.routes);
  // oidc-provider last: its Koa app answers every path it does not know with its own 404.
  app.use(oauth.providerHandler);

  return {
    app,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: () => oauth.close(),
  };
}
