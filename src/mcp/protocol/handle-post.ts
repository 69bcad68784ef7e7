// POST /mcp after authentication, as the steps it takes, in order (each in post/, named for what it
// checks or does; a step either answers the request or passes it on):
//   envelope  — JSON-RPC messages, well formed
//   era       — 2025 (initialize, sessions) or 2026-07-28 (per-request _meta), by the SDK's
//               classifier; headers that disagree with the body get the spec's error
//   access    — 2025 era: the session handle is this user's and not ended (404 otherwise)
//   scopes    — the one scope check: every tool called (also one named through the search mode's
//               call_tool, and the command a template read runs) is within the grant, or 403 step-up
//   tools     — a batch within one user's share; an ended mittwald session is 401
//   hand-over — answered here (the surface's tools/list, routed answers) or by a per-request SDK server
// Outages on the way (our store, mittwald while refreshing) are 503: the grant is fine, retry later;
// any other error goes on to the router's error answer (a bare 500, logged).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { AppConfig } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { MittwaldUnavailableError, type StepUpRequests } from '../../oauth/access.ts';
import { StoreUnavailableError } from '../../store/index.ts';
import { sendJsonRpcUnavailable } from '../http/json-rpc-error.ts';
import type { EndedSessions, SessionHandles } from '../http/session-handle.ts';
import type { LiveTemplate } from '../resources/live-reads.ts';
import type { ToolCatalogue } from '../tools/types.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import type { ElicitationRelay } from './legacy-elicitation-relay.ts';
import type { McpServerFactory } from './mcp-server.ts';
import type { ModernHandler } from './modern-handler.ts';
import { checkScopes } from './post/check-scopes.ts';
import { checkTools } from './post/check-tools.ts';
import { chooseEra } from './post/choose-era.ts';
import { handOver } from './post/hand-over.ts';
import { openSession } from './post/open-session.ts';
import { readEnvelope } from './post/read-envelope.ts';

export function createPostSteps(deps: {
  config: AppConfig;
  /** for the app-only tool of confirmation views, which names the catalogue tool it confirms */
  catalogue: ToolCatalogue;
  /** the resource templates: a read runs a command, so it needs that command's scopes */
  templates: LiveTemplate[];
  sessions: SessionHandles;
  endedSessions: EndedSessions;
  relay: ElicitationRelay;
  inFlight: InFlightCalls;
  buildServer: McpServerFactory;
  modern: ModernHandler;
  /** a batch with more runs than one user may have running and waiting could only partly succeed */
  maxRunsPerBatch: number;
  stepUps?: StepUpRequests;
  logger: Logger;
}): Array<RequestHandler | ErrorRequestHandler> {
  const { logger } = deps;
  const outages: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) {
      logger.error('MCP request failed after the answer started', { error });
      return res.destroy();
    }
    if (!(error instanceof StoreUnavailableError || error instanceof MittwaldUnavailableError)) return next(error);
    logger.warn('MCP request refused during an outage', { error: error.message });
    sendJsonRpcUnavailable(res);
  };
  return [
    readEnvelope(),
    chooseEra(),
    openSession(deps),
    checkScopes(deps),
    checkTools(deps),
    handOver(deps),
    outages,
  ];
}
