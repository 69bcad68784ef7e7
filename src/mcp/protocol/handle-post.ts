// POST /mcp after authentication: the JSON-RPC body is looked at before the SDK sees it, to
//  1. refuse foreign or forged session handles (404),
//  2. route answers to earlier server questions and cancellations (no SDK server needed: 202),
//  3. ask for more scopes (403 step-up) before a tool the grant cannot use (also one named through
//     the search mode's call_tool), and tell the authorization server so the client's
//     refresh-first answer leads to consent (oauth/step-up.ts),
//  4. answer tools/list from the precomputed listing of the connection's surface (alone, or
//     beside answers and notifications),
//  5. turn an ended mittwald session into 401 (the client re-authorizes) before a tool runs,
// and only then hands the request to a per-request SDK server.
import type { Request, RequestHandler, Response } from 'express';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { callsPerKeyAtOnce } from '../../cli/concurrency-limiter.ts';
import type { AppConfig } from '../../config.ts';
import type { Logger } from '../../observability/logger.ts';
import { MittwaldUnavailableError, type StepUpRequests, UpstreamSessionEndedError, type VerifiedAccess } from '../../oauth/access.ts';
import { StoreUnavailableError } from '../../store/index.ts';
import { accessOf } from '../http/bearer-auth.ts';
import { sendInsufficientScope, sendUnauthorized } from '../http/challenges.ts';
import { sendJsonRpcError as jsonRpcError, sendJsonRpcUnavailable } from '../http/json-rpc-error.ts';
import type { EndedSessions, SessionFacts, SessionHandles } from '../http/session-handle.ts';
import { missingScopes } from '../tools/call-tool.ts';
import type { ConnectionSurface } from '../surface/connection-surface.ts';
import { surfaceOf } from '../surface/surface-route.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { RelayingTransport, type ElicitationRelay } from './elicitation-relay.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import type { McpServerFactory } from './mcp-server.ts';
import type { ToolListing } from './tool-listing.ts';

const CLOSING_BRACE = Buffer.from('}');
const CLOSING_BRACE_AND_BRACKET = Buffer.from('}]');

type Message = Record<string, unknown> & { method?: unknown; id?: unknown; params?: Record<string, unknown> };

const isId = (id: unknown) => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/**
 * The envelope, checked here because the fast paths below (tools/list, cancellations, answers to
 * our questions) never reach the SDK's own validation: a request or notification has a string
 * method (and a string or number id), a response an id and a result or an error.
 */
function isJsonRpcMessage(value: unknown): value is Message {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Message;
  if (m.jsonrpc !== '2.0') return false;
  if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) return false;
  if ('method' in m) return typeof m.method === 'string' && (m.id === undefined || isId(m.id));
  return ('result' in m || 'error' in m) && (isId(m.id) || m.id === null);
}

function hasToolCallParams(m: Message): boolean {
  const args = m.params?.arguments;
  return typeof m.params?.name === 'string' && (args === undefined || (args !== null && typeof args === 'object' && !Array.isArray(args)));
}

const isRequest = (m: Message) => typeof m.method === 'string' && m.id !== undefined;

/** the catalogue tools these calls run, also those named through the search mode's call_tool */
function toolsCalled(requests: Message[], surface: ConnectionSurface): ToolDefinition[] {
  return requests
    .filter((m) => m.method === 'tools/call' && typeof m.params?.name === 'string')
    .map((m) => surface.resolveCall(m.params!.name as string, m.params!.arguments))
    .flatMap((target) => (target.kind === 'tool' ? [target.tool] : []));
}

function acceptsJsonAndStream(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

export function createPostHandler(deps: {
  config: AppConfig;
  sessions: SessionHandles;
  endedSessions: EndedSessions;
  relay: ElicitationRelay;
  inFlight: InFlightCalls;
  buildServer: McpServerFactory;
  stepUps?: StepUpRequests;
  logger: Logger;
}): RequestHandler {
  const { config, sessions, endedSessions, relay, inFlight, logger } = deps;
  // a batch with more runs than one user may have running and waiting could only partly succeed
  const maxRunsPerBatch = callsPerKeyAtOnce({ maxConcurrent: config.cli.maxConcurrent, maxPerKey: config.cli.maxPerUser, maxQueue: config.cli.maxQueue });

  /** Cancellations and answers to our questions, for this process or (through the store) another. */
  async function routeClientMessages(access: VerifiedAccess, sessionKey: string, messages: Message[]): Promise<void> {
    for (const message of messages) {
      if (message.method === 'notifications/cancelled') {
        const requestId = message.params?.requestId;
        if (typeof requestId === 'string' || typeof requestId === 'number') {
          await inFlight.cancel(access.accountId, sessionKey, requestId, 'cancelled by the client');
        }
      } else if (message.method === undefined && ('result' in message || 'error' in message)) {
        await relay.deliver(access.accountId, message as unknown as JSONRPCMessage);
      }
    }
  }

  /** The shared listing (over 100 KB) written in pieces: never copied or serialised per request. */
  function sendListing(res: Response, listing: ToolListing, id: unknown, inBatch: boolean): void {
    const envelope = Buffer.from(`${inBatch ? '[' : ''}{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`);
    const closing = inBatch ? CLOSING_BRACE_AND_BRACKET : CLOSING_BRACE;
    const result = listing.resultJson();
    res.type('application/json').set('Content-Length', String(envelope.length + result.length + closing.length));
    res.write(envelope);
    res.write(result);
    res.end(closing);
  }

  async function upstreamSessionEnded(access: VerifiedAccess, tools: ToolDefinition[]): Promise<boolean> {
    if (!tools.some((tool) => tool.kind === 'run')) return false;
    try {
      await access.mittwaldAccessToken();
      return false;
    } catch (error) {
      if (error instanceof UpstreamSessionEndedError) return true;
      throw error;
    }
  }

  async function handToSdk(req: Request, res: Response, access: VerifiedAccess, session: SessionFacts, sessionKey: string, surface: ConnectionSurface) {
    const connection = new AbortController();
    const transport = new RelayingTransport(relay, access.accountId);
    const server = deps.buildServer({ access, session, sessionKey, connectionSignal: connection.signal, surface });
    res.on('close', () => {
      connection.abort(new Error('connection closed'));
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  return async (req, res) => {
    const access = accessOf(res);
    const surface = surfaceOf(res);
    const messages = (Array.isArray(req.body) ? req.body : [req.body]) as Message[];
    if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
      return jsonRpcError(res, 400, -32600, 'Invalid Request: expected JSON-RPC 2.0 requests, notifications or responses');
    }
    if (!messages.every((m) => m.method !== 'tools/call' || hasToolCallParams(m))) {
      return jsonRpcError(res, 400, -32602, 'Invalid params: tools/call needs a tool name and an arguments object');
    }
    const initialize = messages.find((m) => m.method === 'initialize');
    const handle = req.get('mcp-session-id');
    let session: SessionFacts = { elicitation: false };
    if (handle && !initialize) {
      const facts = sessions.open(handle, access.accountId);
      if (!facts || (await endedSessions.isEnded(access.accountId, facts))) return jsonRpcError(res, 404, -32001, 'Session not found');
      session = facts;
    }
    const version = req.get('mcp-protocol-version');
    if (version && !initialize && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return jsonRpcError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version}`);
    }
    const sessionKey = handle ?? '';
    const requests = messages.filter(isRequest);
    // answers and notifications alone, or beside a tools/list: nothing for the SDK to do
    const listsOnly = requests.length === 1 && requests[0].method === 'tools/list';
    if (requests.length === 0 || listsOnly) {
      if (listsOnly && !acceptsJsonAndStream(req)) {
        return jsonRpcError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
      }
      try {
        await routeClientMessages(access, sessionKey, messages);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        logger.warn('could not route a client message to another process', { error: error.message });
        return sendJsonRpcUnavailable(res);
      }
      if (listsOnly) sendListing(res, surface.listing(), requests[0].id, Array.isArray(req.body));
      else res.status(202).end();
      return;
    }

    const tools = toolsCalled(requests, surface);
    if (tools.filter((tool) => tool.kind === 'run').length > maxRunsPerBatch) {
      return jsonRpcError(res, 400, -32600, `Invalid Request: a batch may hold at most ${maxRunsPerBatch} tool calls (what one user may have running and waiting at once)`);
    }
    const lacking = [...new Set(tools.flatMap((tool) => missingScopes(tool, access.scopes)))];
    if (lacking.length) {
      const needed = [...new Set([...access.scopes, ...tools.flatMap((tool) => tool.scopes)])];
      // Without the record the challenge still stands; only refresh-first clients then give up.
      await deps.stepUps?.record(access.grantId, needed).catch((error: Error) => logger.warn('could not record a step-up', { error: error.message }));
      return sendInsufficientScope(res, config, needed, `${tools.map((t) => t.name).join(', ')} needs ${lacking.join(', ')}`);
    }

    try {
      if (await upstreamSessionEnded(access, tools)) return sendUnauthorized(res, config, 'invalid_token');
      if (initialize) {
        const capabilities = (initialize.params?.capabilities ?? {}) as Record<string, unknown>;
        res.setHeader('Mcp-Session-Id', sessions.issue(access.accountId, { elicitation: Boolean(capabilities.elicitation) }));
      }
      await handToSdk(req, res, access, session, sessionKey, surface);
    } catch (error) {
      if (res.headersSent) {
        logger.error('MCP request failed after the answer started', { error });
      } else if (error instanceof StoreUnavailableError || error instanceof MittwaldUnavailableError) {
        // An outage (our store, or mittwald while refreshing its token): the grant is fine, retry later.
        logger.warn('MCP request refused during an outage', { error: error.message });
        sendJsonRpcUnavailable(res);
      } else {
        logger.error('MCP request failed', { error });
        jsonRpcError(res, 500, -32603, 'Internal error');
      }
    }
  };
}
