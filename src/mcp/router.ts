// /mcp and its Protected Resource Metadata, composed in the order a request meets them:
// connection gauge → origin check + CORS → bearer auth → method → JSON body → JSON-RPC dispatch.
import { Router, type RequestHandler } from 'express';
import type { CliRunner } from '../cli/types.ts';
import type { AppConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AccessTokenVerifier } from '../oauth/access.ts';
import { createBearerAuth } from './http/bearer-auth.ts';
import { createJsonBodyParser, jsonBodyErrors } from './http/json-body.ts';
import { createOriginGuard } from './http/origin-guard.ts';
import { createProtectedResourceRouter } from './http/protected-resource.ts';
import { createSessionHandles } from './http/session-handle.ts';
import { createElicitationRelay } from './protocol/elicitation-relay.ts';
import { createPostHandler } from './protocol/handle-post.ts';
import { createInFlightCalls } from './protocol/in-flight-calls.ts';
import { createMcpServerFactory, type ServerInfo } from './protocol/mcp-server.ts';
import { createToolListing } from './protocol/tool-listing.ts';
import { createToolCaller } from './tools/call-tool.ts';
import type { ToolCatalogue } from './tools/types.ts';

export interface McpRouterDeps {
  config: AppConfig;
  verifier: AccessTokenVerifier;
  catalogue: ToolCatalogue;
  runner: CliRunner;
  logger: Logger;
  metrics: Metrics;
  /** for the optional mittwald API token check (DIRECT_API_TOKENS) */
  fetch?: typeof fetch;
  serverInfo?: ServerInfo;
}

const DEFAULT_SERVER_INFO: ServerInfo = { name: 'mittwald-mcp', title: 'mittwald mStudio', version: '0.1.0' };

export function createMcpRouter(deps: McpRouterDeps): Router {
  const { config, catalogue, logger, metrics } = deps;
  const listing = createToolListing(catalogue);
  const inFlight = createInFlightCalls();
  const relay = createElicitationRelay();
  const callTool = createToolCaller({ catalogue, runner: deps.runner, logger, metrics });
  const buildServer = createMcpServerFactory({
    catalogue,
    listing,
    callTool,
    inFlight,
    serverInfo: deps.serverInfo ?? DEFAULT_SERVER_INFO,
  });
  const handlePost = createPostHandler({
    config,
    catalogue,
    listing,
    sessions: createSessionHandles(config.keys.cookieKeys),
    relay,
    inFlight,
    buildServer,
    logger,
  });

  const countConnection: RequestHandler = (_req, res, next) => {
    metrics.activeConnections.inc();
    res.once('close', () => metrics.activeConnections.dec());
    next();
  };
  // Stateless: no standalone SSE stream to GET and no session to DELETE (see session-handle.ts).
  const postOnly: RequestHandler = (req, res, next) => {
    if (req.method === 'POST') return next();
    res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
  };

  const router = Router();
  router.use(createProtectedResourceRouter(config));
  router.all(
    '/mcp',
    countConnection,
    ...createOriginGuard(config),
    createBearerAuth({ config, verifier: deps.verifier, logger, fetch: deps.fetch }),
    postOnly,
    ...createJsonBodyParser(),
    handlePost,
  );
  router.use('/mcp', jsonBodyErrors);
  return router;
}
