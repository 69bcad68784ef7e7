// /mcp and its Protected Resource Metadata, composed in the order a request meets them:
// connection gauge → origin check + CORS → surface (toolsets, read-only, search) → bearer auth →
// in-flight cap → unread cap → method → JSON body → batch policy → the POST's own steps
// (protocol/handle-post.ts).
import { Router, type RequestHandler } from 'express';
import { callsPerKeyAtOnce } from '../cli/concurrency-limiter.ts';
import type { CliRunner } from '../cli/types.ts';
import type { AppConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AccessTokenVerifier, StepUpRequests } from '../oauth/access.ts';
import { type KeyValueStore, StoreUnavailableError } from '../store/index.ts';
import { accessOf, createBearerAuth } from './http/bearer-auth.ts';
import { createInFlightLimit } from './http/in-flight-limit.ts';
import { createJsonBodyErrors, createJsonBodyParser } from './http/json-body.ts';
import { sendJsonRpcError, sendJsonRpcUnavailable } from './http/json-rpc-error.ts';
import { createOriginGuard } from './http/origin-guard.ts';
import { createProtectedResourceRouter } from './http/protected-resource.ts';
import { createEndedSessions, createSessionHandles } from './http/session-handle.ts';
import { createUnreadLimit } from './http/unread-limit.ts';
import { createBatchPolicy } from './protocol/batch-policy.ts';
import { createRoundTripConfirmations } from './protocol/confirmation-round-trip.ts';
import { createPostSteps } from './protocol/handle-post.ts';
import { createInFlightCalls } from './protocol/in-flight-calls.ts';
import { createElicitationRelay } from './protocol/legacy-elicitation-relay.ts';
import { createMcpServerFactory, type ServerInfo } from './protocol/mcp-server.ts';
import { createModernHandler } from './protocol/modern-handler.ts';
import { createTaskRecords } from './protocol/tasks/task-records.ts';
import { createToolCallTasks } from './protocol/tasks/tool-call-tasks.ts';
import { createConnectionSurfaces } from './surface/connection-surface.ts';
import { createSurfaceChooser, MCP_ROUTES, surfaceResourceVariants } from './surface/surface-route.ts';
import { createToolCaller } from './tools/call-tool.ts';
import type { ToolCatalogue } from './tools/types.ts';
import { createIdCompleter } from './completions/id-completions.ts';
import { loadGuides } from './resources/guides.ts';
import type { LiveReads } from './resources/live-reads.ts';
import { createResourceReader } from './resources/read-resource.ts';

export interface McpRouterDeps {
  config: AppConfig;
  verifier: AccessTokenVerifier;
  /** told which grant a 403 step-up asked for more scopes, so its next refresh leads to consent */
  stepUps?: StepUpRequests;
  catalogue: ToolCatalogue;
  /** the resource templates and completion lists, each a read-only mw command run like a tool */
  liveReads: LiveReads;
  runner: CliRunner;
  logger: Logger;
  metrics: Metrics;
  /** shared by every process: sessions ended by DELETE, answers and cancellations for another process, confirmations answered */
  store: KeyValueStore;
  /** for the optional mittwald API token check (DIRECT_API_TOKENS) */
  fetch?: typeof fetch;
  serverInfo?: ServerInfo;
  /** progress heartbeat of running calls (default 10 s) */
  progressIntervalMs?: number;
}

/** a small mark for clients that show server icons (server/discover, initialize) */
const ICON = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2b3bd1"/><path d="M7 23V9h4l5 8 5-8h4v14h-4v-8l-5 8-5-8v8z" fill="#fff"/></svg>',
).toString('base64')}`;

function defaultServerInfo(config: AppConfig): ServerInfo {
  return {
    name: 'mittwald-mcp',
    title: 'mittwald mStudio',
    version: '0.1.0',
    websiteUrl: config.publicUrl,
    icons: [{ src: ICON, mimeType: 'image/svg+xml', sizes: ['any'] }],
  };
}
/** in flight beside the tool calls a grant may have: lists, and answers to the confirmations those calls wait for */
const REQUESTS_BESIDE_TOOL_CALLS = 8;
/** the largest answer beyond a command's whole output: the 200 kB text beside it, envelope and framing */
const ANSWER_BEYOND_OUTPUT_BYTES = 1024 * 1024;
/** bytes waiting while the client takes none of them for this long: it is not reading */
const STALLED_RESPONSE_MS = 30_000;

/** how many tool calls one user may have running and waiting at once */
function callsPerUserAtOnce({ cli }: AppConfig): number {
  return callsPerKeyAtOnce({ maxConcurrent: cli.maxConcurrent, maxPerKey: cli.maxPerUser, maxQueue: cli.maxQueue });
}

/** A grant may have as many requests in flight as its user may have tool calls running and waiting, and a few more. */
export function maxRequestsInFlight(config: AppConfig): number {
  return callsPerUserAtOnce(config) + REQUESTS_BESIDE_TOOL_CALLS;
}

export function createMcpRouter(deps: McpRouterDeps): Router {
  const { config, catalogue, logger, metrics } = deps;
  const serverInfo = deps.serverInfo ?? defaultServerInfo(config);
  const surfaces = createConnectionSurfaces(catalogue, serverInfo);
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
  const { templates, idSources } = deps.liveReads;
  const resourcesAndPrompts = {
    reader: createResourceReader({ guides: loadGuides(), templates, callTool }),
    templates,
    completer: createIdCompleter({ sources: idSources, callTool }),
  };
  const buildServer = createMcpServerFactory({
    catalogue,
    resourcesAndPrompts,
    callTool,
    inFlight,
    roundTrips: createRoundTripConfirmations({ secrets: config.keys.cookieKeys, store: deps.store }),
    tasks: createToolCallTasks({ records: createTaskRecords(deps.store), inFlight, callTool, logger }),
    serverInfo,
    progressIntervalMs: deps.progressIntervalMs,
  });
  const postSteps = createPostSteps({
    config,
    catalogue,
    templates,
    sessions,
    endedSessions,
    relay,
    inFlight,
    buildServer,
    modern: createModernHandler(buildServer, logger),
    maxRunsPerBatch: callsPerUserAtOnce(config),
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
    res.set('Allow', 'POST, DELETE');
    sendJsonRpcError(res, 405, -32000, 'Method not allowed');
  };
  const endSession: RequestHandler = async (req, res, next) => {
    const handle = req.get('mcp-session-id');
    const { accountId } = accessOf(res);
    const session = handle ? sessions.open(handle, accountId) : undefined;
    if (!session) return sendJsonRpcError(res, handle ? 404 : 400, -32001, handle ? 'Session not found' : 'Mcp-Session-Id header required');
    try {
      await endedSessions.end(accountId, session);
      res.status(204).end();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) return next(error);
      logger.warn('could not end a session', { error: error.message });
      sendJsonRpcUnavailable(res);
    }
  };

  const router = Router();
  router.use(createProtectedResourceRouter(config, surfaceResourceVariants(surfaces)));
  router.all(
    MCP_ROUTES,
    countConnection,
    ...createOriginGuard(config),
    createSurfaceChooser(surfaces),
    createBearerAuth({ config, verifier: deps.verifier, logger, fetch: deps.fetch }),
    createInFlightLimit(maxRequestsInFlight(config)),
    createUnreadLimit({ maxUnreadBytes: config.cli.maxOutputBytes + ANSWER_BEYOND_OUTPUT_BYTES, stallMs: STALLED_RESPONSE_MS }, logger),
    postOrDelete,
    ...createJsonBodyParser(),
    createBatchPolicy(),
    ...postSteps,
  );
  router.use('/mcp', createJsonBodyErrors(logger));
  return router;
}
