// The last step: what needs no SDK is answered here (tools/list from the precomputed listing of the
// connection's surface, with views for a client that shows them; on the 2025 era cancellations and
// answers to our questions, routed to the process that holds their call), everything else goes to a
// per-request SDK server: the 2025 era through our relaying transport (with its session handle),
// 2026-07-28 through the SDK's createMcpHandler.
import type { Request, RequestHandler, Response } from 'express';
import { CLIENT_CAPABILITIES_META_KEY, type ClientCapabilities, type JSONRPCMessage } from '@modelcontextprotocol/server';
import type { VerifiedAccess } from '../../../oauth/access.ts';
import { showsViews } from '../../apps/ui-extension.ts';
import { accessOf } from '../../http/bearer-auth.ts';
import { sendJsonRpcError } from '../../http/json-rpc-error.ts';
import type { SessionHandles } from '../../http/session-handle.ts';
import type { ConnectionSurface } from '../../surface/connection-surface.ts';
import { surfaceOf } from '../../surface/surface-route.ts';
import type { InFlightCalls } from '../in-flight-calls.ts';
import { type ElicitationRelay, RelayingTransport } from '../legacy-elicitation-relay.ts';
import type { McpServerFactory } from '../mcp-server.ts';
import { type LegacyRequest, viewsShown } from '../request-context.ts';
import type { ModernHandler } from '../modern-handler.ts';
import { clientKnowsTasks } from '../tasks/task-support.ts';
import type { ToolListing } from '../tool-listing.ts';
import { type Message, postOf } from './post-state.ts';

const CLOSING_BRACE = Buffer.from('}');
const CLOSING_BRACE_AND_BRACKET = Buffer.from('}]');

function acceptsJsonAndStream(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

export function handOver(deps: {
  sessions: SessionHandles;
  relay: ElicitationRelay;
  inFlight: InFlightCalls;
  buildServer: McpServerFactory;
  modern: ModernHandler;
}): RequestHandler {
  const { sessions, relay, inFlight } = deps;

  /** 2025 era: cancellations and answers to our questions, for this process or (through the store) another */
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
  function sendListing(res: Response, listing: ToolListing, id: unknown, inBatch: boolean, era: 'legacy' | 'modern', views: boolean): void {
    const envelope = Buffer.from(`${inBatch ? '[' : ''}{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`);
    const closing = inBatch ? CLOSING_BRACE_AND_BRACKET : CLOSING_BRACE;
    const result = listing.resultJson(era, views);
    res.type('application/json').set('Content-Length', String(envelope.length + result.length + closing.length));
    res.write(envelope);
    res.write(result);
    res.end(closing);
  }

  async function handToLegacySdk(req: Request, res: Response, access: VerifiedAccess, legacy: LegacyRequest, surface: ConnectionSurface, connection: AbortController) {
    const transport = new RelayingTransport(relay, access.accountId);
    const server = deps.buildServer({ access, request: legacy, connectionSignal: connection.signal, surface });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  return async (req, res) => {
    const post = postOf(res);
    const access = accessOf(res);
    const surface = surfaceOf(res);
    const listsOnly = post.requests.length === 1 && post.requests[0].method === 'tools/list';
    if (listsOnly && !acceptsJsonAndStream(req)) {
      return sendJsonRpcError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (post.era.era === 'modern' && listsOnly) {
      const meta = post.requests[0].params?._meta as Record<string, unknown> | undefined;
      return sendListing(res, surface.listing(), post.requests[0].id, false, 'modern', viewsShown(surface, post.era, meta?.[CLIENT_CAPABILITIES_META_KEY]));
    }

    const connection = new AbortController();
    res.on('close', () => connection.abort(new Error('connection closed')));
    if (post.era.era === 'modern') return deps.modern.handle(req, res, { access, request: post.era, connectionSignal: connection.signal, surface });

    // 2025 era: answers and notifications alone, or beside a tools/list: nothing for the SDK to do
    const legacy = post.era;
    if (post.requests.length === 0 || listsOnly) {
      // the store down: the outage step of handle-post.ts answers 503
      await routeClientMessages(access, legacy.sessionKey, post.messages);
      if (listsOnly) sendListing(res, surface.listing(), post.requests[0].id, post.inBatch, 'legacy', viewsShown(surface, legacy, undefined));
      else res.status(202).end();
      return;
    }
    const initialize = post.messages.find((m) => m.method === 'initialize');
    if (initialize) {
      const capabilities = (initialize.params?.capabilities ?? {}) as ClientCapabilities;
      const facts = { elicitation: Boolean(capabilities.elicitation), views: showsViews(capabilities), tasks: clientKnowsTasks(capabilities) };
      res.setHeader('Mcp-Session-Id', sessions.issue(access.accountId, facts));
    }
    await handToLegacySdk(req, res, access, legacy, surface, connection);
  };
}
