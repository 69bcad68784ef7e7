// /mcp and its Protected Resource Metadata, composed in the order a request meets them:
// connection gauge → origin check + CORS → bearer auth → method → JSON body → JSON-RPC dispatch.
import { Router, type RequestHandler } from 'express';
import type { CliRunner } from '../cli/types.ts';
import type { AppConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AccessTokenVerifier, StepUpRequests } from '../oauth/access.ts';
import type { KeyValueStore } from '../store/index.ts';
import { accessOf, createBearerAuth } from './http/bearer-auth.ts';
import { createJsonBodyParser, jsonBodyErrors } from './http/json-body.ts';
import { createOriginGuard } from './http/origin-guard.ts';
import { createProtectedResourceRouter } from './http/protected-resource.ts';
import { createEndedSessions, createSessionHandles } from './http/session-handle.ts';
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
  /** told which grant a 403 step-up asked for more scopes, so its next refresh leads to consent */
  stepUps?: StepUpRequests;
  catalogue: ToolCatalogue;
  runner: CliRunner;
  logger: Logger;
  metrics: Metrics;
  /** shared by every process: sessions ended by DELETE, answers and cancellations for another process */
  store: KeyValueStore;
  /** for the optional mittwald API token check (DIRECT_API_TOKENS) */
  fetch?: typeof fetch;
  serverInfo?: ServerInfo;
  /** progress heartbeat of running calls (default 10 s) */
  progressIntervalMs?: number;
}

const DEFAULT_SERVER_INFO: ServerInfo = { name: 'mittwald-mcp', title: 'mittwald mStudio', version: '0.1.0' };

export function createMcpRouter(deps: McpRouterDeps): Router {
  const { config, catalogue, logger, metrics } = deps;
  const listing = createToolListing(catalogue);
  const sessions = createSessionHandles(config.keys.cookieKeys);
  const endedSessions = createEndedSessions(deps.store);
  const inFlight = createInFlightCalls({ store: deps.store, logger });
  const relay = createElicitationRelay({ store: deps.store, logger });
  const callTool = createToolCaller({
    catalogue,
    runner: deps.runner,
    logger,
    metrics,
    limits: { defaultMs: config.cli.timeoutMs, maxMs: config.cli.maxTimeoutMs },
  });
  const buildServer = createMcpServerFactory({
    catalogue,
    listing,
    callTool,
    inFlight,
    serverInfo: deps.serverInfo ?? DEFAULT_SERVER_INFO,
    progressIntervalMs: deps.progressIntervalMs,
  });
  const handlePost = createPostHandler({
    config,
    catalogue,
    listing,
    sessions,
    endedSessions,
    relay,
    inFlight,
    buildServer,
    stepUps: deps.stepUps,
    logger,
  });

  const countConnection: RequestHandler = (_req, res, next) => {
    metrics.activeConnections.inc();
    res.once('close', () => metrics.activeConnections.dec());
    next();
  };
  // Stateless: no standalone SSE stream to GET (405, which the spec allows); DELETE ends a session.
  const postOrDelete: RequestHandler = (req, res, next) => {
    if (req.method === 'POST') return next();
    if (req.method === 'DELETE') return endSession(req, res, next);
    res.status(405).set('Allow', 'POST, DELETE').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
  };
  const endSession: RequestHandler = async (req, res, next) => {
    const handle = req.get('mcp-session-id');
    const session = handle ? sessions.open(handle, accessOf(res).accountId) : undefined;
    if (!session) {
      res.status(handle ? 404 : 400).json({ jsonrpc: '2.0', error: { code: -32001, message: handle ? 'Session not found' : 'Mcp-Session-Id header required' }, id: null });
      return;
    }
    try {
      await endedSessions.end(session.id);
      res.status(204).end();
    } catch (error) {
      next(error);
    }
  };

  const router = Router();
  router.use(createProtectedResourceRouter(config));
  router.all(
    '/mcp',
    countConnection,
    ...createOriginGuard(config),
    createBearerAuth({ config, verifier: deps.verifier, logger, fetch: deps.fetch }),
    postOrDelete,
    ...createJsonBodyParser(),
    handlePost,
  );
  router.use('/mcp', jsonBodyErrors);
  return router;
}
