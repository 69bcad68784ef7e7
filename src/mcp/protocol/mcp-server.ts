// The SDK server for one HTTP request, of either era (stateless: a fresh server per request). This is
// the one place where the MCP methods we answer get their handlers: add a method here, with its
// capability, and both eras serve it (the 2025 era through legacy-transport.ts, 2026-07-28 through
// the SDK's createMcpHandler in modern-handler.ts). tools/list usually never gets here: it is
// answered before the SDK from the precomputed listing (post/hand-over.ts).
import {
  CLIENT_CAPABILITIES_META_KEY,
  type CallToolResult,
  type ClientCapabilities,
  type Icon,
  type InputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { VerifiedAccess } from '../../oauth/access.ts';
import type { SessionFacts } from '../http/session-handle.ts';
import type { ToolCaller } from '../tools/call-tool.ts';
import { askingConfirmer, type ConfirmationAnswer, type Confirmer } from '../tools/confirmation.ts';
import type { ToolCatalogue } from '../tools/types.ts';
import type { RoundTripConfirmations } from './confirmation-round-trip.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import { startProgress } from './progress.ts';
import { runsAsTask, SERVER_TASKS_CAPABILITY } from './tasks/task-support.ts';
import type { ToolCallTasks } from './tasks/tool-call-tasks.ts';
import { TOOL_LIST_CACHE_HINT, type ToolListing } from './tool-listing.ts';

/** how long a 2025 call that needs confirmation waits for the user's answer */
const CONFIRMATION_TIMEOUT_MS = 5 * 60_000;
/** progress heartbeat of a running call, for clients that asked for progress */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface ServerInfo {
  name: string;
  version: string;
  title?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

/** The 2025 era: the client's session (declared at initialize, carried in the signed handle). */
export interface LegacyRequest {
  era: 'legacy';
  session: SessionFacts;
  /** identifies the client session for cancellation (the session handle, or '' without one) */
  sessionKey: string;
}

export interface McpRequestContext {
  access: VerifiedAccess;
  /** 2025 era with its session, or 2026-07-28 (everything the client declares is in each request's `_meta`) */
  request: LegacyRequest | { era: 'modern' };
  /** aborted when the HTTP connection of this request closes (on 2026-07-28 that is how a client cancels) */
  connectionSignal: AbortSignal;
}

const CONFIRM_SCHEMA = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Confirm', description: 'Run it' } },
  required: ['confirm'],
};

/** 2025 era: asks within the call (elicitation/create, relayed back to this process); undefined without elicitation. */
function legacyAskUser(session: SessionFacts, ctx: ServerContext, signal: AbortSignal) {
  if (!session.elicitation) return undefined;
  return async (message: string): Promise<ConfirmationAnswer> => {
    try {
      const answer = await ctx.mcpReq.send(
        { method: 'elicitation/create', params: { message, requestedSchema: CONFIRM_SCHEMA } },
        { signal, timeout: CONFIRMATION_TIMEOUT_MS },
      );
      if (answer.action !== 'accept') return answer.action;
      return answer.content?.confirm === true ? 'accept' : 'decline';
    } catch {
      return 'cancel';
    }
  };
}

export function createMcpServerFactory(deps: {
  catalogue: ToolCatalogue;
  listing: ToolListing;
  callTool: ToolCaller;
  inFlight: InFlightCalls;
  roundTrips: RoundTripConfirmations;
  tasks: ToolCallTasks;
  serverInfo: ServerInfo;
  progressIntervalMs?: number;
}) {
  const { catalogue, listing, callTool, inFlight } = deps;
  const progressIntervalMs = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const instructions =
    `Each tool runs one command of the mittwald CLI (mw ${catalogue.cliVersion}) for the signed-in user. ` +
    'There is no default project: list projects or apps first and pass their ids. ' +
    'Every tool is listed with the scopes it needs (securitySchemes); calling one beyond what the user granted ' +
    'makes the client ask the user to approve more. Destructive and access-granting tools run only after the ' +
    'user confirmed them.';

  function confirmerFor(context: McpRequestContext, ctx: ServerContext, signal: AbortSignal): Confirmer {
    if (context.request.era === 'legacy') return askingConfirmer(legacyAskUser(context.request.session, ctx, signal));
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const elicitation = (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined)?.elicitation;
    return deps.roundTrips({
      accountId: context.access.accountId,
      // form elicitation: declared as `elicitation: {}` (form implied) or with `form`
      elicitation: elicitation !== undefined && (Object.keys(elicitation).length === 0 || elicitation.form !== undefined),
      inputResponses: ctx.mcpReq.inputResponses,
      requestState: ctx.mcpReq.requestState<string>(),
    });
  }

  return function buildServer(context: McpRequestContext): Server {
    const legacyEra = context.request.era === 'legacy';
    const server = new Server(deps.serverInfo, {
      // tasks: the 2025-11-25 experimental ones (the 2026-07-28 extension is not served yet)
      capabilities: { tools: { listChanged: false }, ...(legacyEra && { tasks: SERVER_TASKS_CAPABILITY }) },
      instructions,
      cacheHints: { 'tools/list': TOOL_LIST_CACHE_HINT },
    });

    server.setRequestHandler('tools/list', () => listing.result(context.request.era));
    if (legacyEra) deps.tasks.serveTaskMethods(server, context.access.accountId);

    server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const tool = catalogue.get(request.params.name);
      if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
      const cancelled = new AbortController();
      const legacy = context.request.era === 'legacy' ? context.request : undefined;
      // 2025 era: notifications/cancelled arrives in another POST, perhaps at another process
      const untrack = legacy && inFlight.track(context.access.accountId, legacy.sessionKey, ctx.mcpReq.id, cancelled);
      const signal = AbortSignal.any([ctx.mcpReq.signal, context.connectionSignal, cancelled.signal]);
      if (legacy?.session.tasks && request.params.task !== undefined && runsAsTask(tool)) {
        try {
          return await deps.tasks.callAsTask(tool, request.params.arguments, {
            access: context.access,
            requestSignal: signal,
            confirm: confirmerFor(context, ctx, signal),
          });
        } finally {
          untrack?.();
        }
      }
      const progressToken = request.params._meta?.progressToken;
      const progress =
        progressToken === undefined
          ? undefined
          : startProgress(
              ({ progress, message }) =>
                void ctx.mcpReq
                  .notify({ method: 'notifications/progress', params: { progressToken, progress, message } })
                  .catch(() => undefined), // the stream is gone: the call is being cancelled anyway
              { intervalMs: progressIntervalMs },
            );
      try {
        return await callTool(tool, request.params.arguments, {
          access: context.access,
          signal,
          confirm: confirmerFor(context, ctx, signal),
          onProgress: progress?.line,
        });
      } finally {
        progress?.stop();
        untrack?.();
      }
    });

    return server;
  };
}

export type McpServerFactory = ReturnType<typeof createMcpServerFactory>;
