// Wiring only: the whole HTTP surface as a function of its dependencies, so tests build the app
// exactly as production does (with simulators at the true edges: mittwald OAuth, API, `mw`).
import express from 'express';
import { type AppConfig, trustProxyWarning } from './config.ts';
import type { UidPoolStatus } from './cli/launcher/uid-pool.ts';
import { isolationReport, type IsolationReport } from './cli/sandbox/isolation-report.ts';
import type { ChildPoolStatus } from './cli/sandbox/child-pool.ts';
import type { ChildIsolation } from './cli/sandbox/spawner.ts';
import type { CliCommandSet, CliRunner } from './cli/types.ts';
import { createMcpRouter } from './mcp/router.ts';
import { buildToolCatalogue } from './mcp/tools/catalogue.ts';
import { loadToolOverrides } from './mcp/tools/overrides.ts';
import { buildLiveReads } from './mcp/resources/live-reads.ts';
import { framesAndScriptsPolicy } from './oauth/http/page-policy.ts';
import { createOAuthFacade, type MittwaldOAuthClient } from './oauth/index.ts';
import { createErrorAnswer } from './observability/error-answer.ts';
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
  cli: { runner: CliRunner; commands: CliCommandSet; problem?: string; children?: ChildrenStatus };
  /** mittwald's OAuth endpoints; defaults to the real HTTP client built from config */
  mittwald?: MittwaldOAuthClient;
  now?: () => number;
  fetch?: typeof fetch;
}

/** What the runner's children get (layers 2 to 5), for the start log and /readyz. */
export interface ChildrenStatus {
  isolation: ChildIsolation;
  callRoot: string;
  /** rejects when no call directory can be created: no tool call could run */
  checkCallDirectory(): Promise<void>;
  /** the pool of warm children now (sandbox/child-pool.ts), or off */
  warmChildren?: () => ChildPoolStatus | 'off';
  /** the child uids now, when the children have uids of their own (launcher/uid-pool.ts) */
  uids?: () => UidPoolStatus | undefined;
}

export interface App {
  app: express.Express;
  /** the layers of the wall between users in force (with the catalogue's layer 1), when the children are known */
  isolation?: IsolationReport;
  /** flips /healthz and /readyz to 503 so load balancers stop sending traffic */
  beginShutdown(): void;
  close(): Promise<void>;
}

export function createApp(deps: AppDependencies): App {
  const { config, store, logger, metrics } = deps;
  let shuttingDown = false;

  // A revoked grant's `mw` children are gone before the revocation answers.
  const grantTokensRevoked = (grantId: string) => deps.cli.runner.endChildrenOf(grantId);
  const oauth = createOAuthFacade({ config, store, logger, metrics, mittwald: deps.mittwald, now: deps.now, grantTokensRevoked });
  const overrides = loadToolOverrides(config.tools.overridesPath);
  const catalogue = buildToolCatalogue(deps.cli.commands, overrides, {
    readOnly: config.tools.readOnly,
    topics: config.tools.topics,
    knownScopes: config.mittwald.scopes.upstream,
  });
  for (const warning of catalogue.warnings) logger.warn(warning);
  const liveReads = buildLiveReads(deps.cli.commands, overrides, config.mittwald.scopes.upstream);
  // without a CLI every command is missing: /readyz says so already
  if (!deps.cli.problem) for (const warning of liveReads.warnings) logger.warn(warning);
  const children = deps.cli.children;
  const isolation = children && isolationReport(catalogue.inputPolicy, children.isolation, children.callRoot);

  const app = express();
  app.disable('x-powered-by');
  // Responses are POST answers and tokens: nothing a cache could revalidate, so don't hash bodies.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const proxyWarning = trustProxyWarning(config.trustProxy);
  if (proxyWarning) logger.warn(proxyWarning);

  app.use(framesAndScriptsPolicy());
  app.use(requestContext({ logger }));
  app.use(
    createHealthRouter({
      isShuttingDown: () => shuttingDown,
      warnings: proxyWarning ? [...oauth.warnings, proxyWarning] : oauth.warnings,
      checks: {
        store: () => store.ping(),
        cli: async () => {
          if (deps.cli.problem) throw new Error(deps.cli.problem);
          return { version: deps.cli.commands.cliVersion, warmChildren: children?.warmChildren?.(), childUids: children?.uids?.() };
        },
        keys: () => config.keys.jwks.keys.length > 0 && config.keys.tokenEncryptionKeys.length > 0,
        isolation:
          isolation &&
          (async () => {
            await children!.checkCallDirectory().catch((error: Error) => {
              throw new Error(`cannot create a call directory in ${isolation.callRoot}: ${error.message}`);
            });
            return isolation;
          }),
      },
    }),
  );
  app.use(createMetricsRouter({ metrics, enabled: config.metrics.enabled, basicAuth: config.metrics.basicAuth }));
  app.use(
    createMcpRouter({
      config,
      verifier: oauth.verifier,
      stepUps: oauth.stepUps,
      catalogue,
      liveReads,
      runner: deps.cli.runner,
      store,
      logger,
      metrics,
      fetch: deps.fetch,
    }),
  );
  app.use(oauth.routes);
  // oidc-provider last: its Koa app answers every path it does not know with its own 404.
  app.use(oauth.providerHandler);
  app.use(createErrorAnswer(logger));

  return {
    app,
    isolation,
    beginShutdown: () => {
      shuttingDown = true;
    },
    close: () => oauth.close(),
  };
}
