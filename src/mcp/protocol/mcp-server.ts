// The SDK server for one HTTP request, of either era (stateless: a fresh server per request). This is
// the one place where the MCP methods we answer get their handlers: add a method here, with its
// capability, and both eras serve it (the 2025 era through legacy-elicitation-relay.ts, 2026-07-28 through
// the SDK's createMcpHandler in modern-handler.ts); resources, prompts and completions are
// registered here through resources-and-prompts.ts. tools/list usually never gets here: it is
// answered before the SDK from the precomputed listing of the connection's surface (post/hand-over.ts).
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
import { UI_EXTENSION_ID } from '../apps/ui-extension.ts';
import {
  CONFIRM_IN_VIEW_TOOL,
  type ConfirmInViewArguments,
  confirmInViewArguments,
  createViewConfirmations,
  notConfirmable,
} from '../apps/view-confirmations.ts';
import type { SessionFacts } from '../http/session-handle.ts';
import type { CallTarget } from '../surface/connection-surface.ts';
import type { ToolCaller } from '../tools/call-tool.ts';
import {
  askingConfirmer,
  CONFIRMATION_ANSWER_TTL_MS,
  CONFIRMATION_FORM,
  type ConfirmationAnswer,
  type Confirmer,
  formAnswer,
} from '../tools/confirmation.ts';
import { errorResult } from '../tools/result.ts';
import type { ToolCatalogue } from '../tools/types.ts';
import type { RoundTripConfirmations } from './confirmation-round-trip.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import { startProgress } from './progress.ts';
import { type McpRequestContext, viewsShown } from './request-context.ts';
import {
  registerResourcesAndPrompts,
  RESOURCE_AND_PROMPT_CACHE_HINTS,
  RESOURCE_AND_PROMPT_CAPABILITIES,
  type ResourcesAndPrompts,
} from './resources-and-prompts.ts';
import { runsAsTask, SERVER_TASKS_CAPABILITY } from './tasks/task-support.ts';
import type { ToolCallTasks } from './tasks/tool-call-tasks.ts';
import { TOOL_LIST_CACHE_HINT } from './tool-listing.ts';

/** progress heartbeat of a running call, for clients that asked for progress */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface ServerInfo {
  name: string;
  version: string;
  title?: string;
  websiteUrl?: string;
  icons?: Icon[];
}

/** 2025 era: asks within the call (elicitation/create, relayed back to this process); undefined without elicitation. */
function legacyAskUser(session: SessionFacts, ctx: ServerContext, signal: AbortSignal) {
  if (!session.elicitation) return undefined;
  return async (message: string): Promise<ConfirmationAnswer> => {
    try {
      const answer = await ctx.mcpReq.send(
        { method: 'elicitation/create', params: { message, requestedSchema: CONFIRMATION_FORM } },
        { signal, timeout: CONFIRMATION_ANSWER_TTL_MS },
      );
      return formAnswer(answer);
    } catch {
      return 'cancel';
    }
  };
}

export function createMcpServerFactory(deps: {
  catalogue: ToolCatalogue;
  callTool: ToolCaller;
  inFlight: InFlightCalls;
  roundTrips: RoundTripConfirmations;
  tasks: ToolCallTasks;
  serverInfo: ServerInfo;
  resourcesAndPrompts: ResourcesAndPrompts;
  progressIntervalMs?: number;
}) {
  const { catalogue, callTool, inFlight } = deps;
  const progressIntervalMs = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const instructions =
    `Each tool runs one command of the mittwald CLI (mw ${catalogue.cliVersion}) for the signed-in user. ` +
    'There is no default project: list projects or apps first and pass their ids. ' +
    'Every tool is listed with the scopes it needs (securitySchemes); calling one beyond what the user granted ' +
    'makes the client ask the user to approve more. Destructive and access-granting tools run only after the ' +
    'user confirmed them. Guides are resources: read mittwald://guides/common-confusions before the first command.';

  const views = createViewConfirmations(deps.roundTrips);

  /** what the client declared in this request's `_meta` (2026-07-28) */
  const modernCapabilities = (ctx: ServerContext) =>
    (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;

  const clientShowsViews = (context: McpRequestContext, ctx: ServerContext) => viewsShown(context.surface, context.request, modernCapabilities(ctx));

  /** the call Allow in a view confirms; only a call that needs confirming */
  function confirmedInView(inView: ConfirmInViewArguments): CallTarget {
    const tool = catalogue.get(inView.tool);
    if (!tool) return { kind: 'unknown', message: `Unknown tool: ${inView.tool.slice(0, 200)}` };
    if (!tool.needsConfirmation) return { kind: 'answer', answer: () => errorResult(notConfirmable(tool.name), []) };
    return { kind: 'tool', tool, arguments: inView.arguments };
  }

  function confirmerFor(context: McpRequestContext, ctx: ServerContext, signal: AbortSignal): Confirmer {
    // a client that shows views asks in the view, also where it could elicit: the same question either way
    if (clientShowsViews(context, ctx)) return views.asking(context.access.accountId);
    if (context.request.era === 'legacy') return askingConfirmer(legacyAskUser(context.request.session, ctx, signal));
    const elicitation = modernCapabilities(ctx)?.elicitation;
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
    const onThisConnection = context.surface.instructions;
    const server = new Server(deps.serverInfo, {
      capabilities: {
        tools: { listChanged: false },
        ...RESOURCE_AND_PROMPT_CAPABILITIES,
        // views are served to every client that asks; only those that announced the extension are shown them
        extensions: { [UI_EXTENSION_ID]: {} },
        // tasks: the 2025-11-25 experimental ones (the 2026-07-28 extension is not served yet)
        ...(legacyEra && { tasks: SERVER_TASKS_CAPABILITY }),
      },
      instructions: onThisConnection ? `${instructions} ${onThisConnection}` : instructions,
      cacheHints: { 'tools/list': TOOL_LIST_CACHE_HINT, ...RESOURCE_AND_PROMPT_CACHE_HINTS },
    });
    registerResourcesAndPrompts(server, deps.resourcesAndPrompts, context);

    server.setRequestHandler('tools/list', (_request, ctx) => context.surface.listing().result(context.request.era, clientShowsViews(context, ctx)));
    if (legacyEra) deps.tasks.serveTaskMethods(server, context.access.accountId);

    server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult | InputRequiredResult> => {
      const inView = request.params.name === CONFIRM_IN_VIEW_TOOL ? confirmInViewArguments(request.params.arguments) : undefined;
      if (request.params.name === CONFIRM_IN_VIEW_TOOL && !inView) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid arguments for ${CONFIRM_IN_VIEW_TOOL}`);
      // Allow in a view names the call it confirms: a call made on this connection's surface
      const target = inView ? confirmedInView(inView) : context.surface.resolveCall(request.params.name, request.params.arguments);
      if (target.kind === 'unknown') throw new ProtocolError(ProtocolErrorCode.InvalidParams, target.message);
      if (target.kind === 'answer') return target.answer();
      const tool = target.tool;
      const cancelled = new AbortController();
      const legacy = context.request.era === 'legacy' ? context.request : undefined;
      // 2025 era: notifications/cancelled arrives in another POST, perhaps at another process
      const untrack = legacy && inFlight.track(context.access.accountId, legacy.sessionKey, ctx.mcpReq.id, cancelled);
      const signal = AbortSignal.any([ctx.mcpReq.signal, context.connectionSignal, cancelled.signal]);
      const confirm = inView ? views.answered(context.access.accountId, inView.confirmation) : confirmerFor(context, ctx, signal);
      try {
        // the app-only tool of a view is not listed as one that runs as a task: its call runs as it is
        if (!inView && legacy?.session.tasks && request.params.task !== undefined && runsAsTask(tool)) {
          return await deps.tasks.callAsTask(tool, target.arguments, { access: context.access, requestSignal: signal, confirm });
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
          return await callTool(tool, target.arguments, { access: context.access, signal, confirm, onProgress: progress?.line });
        } finally {
          progress?.stop();
        }
      } finally {
        untrack?.();
      }
    });

    return server;
  };
}

export type McpServerFactory = ReturnType<typeof createMcpServerFactory>;
