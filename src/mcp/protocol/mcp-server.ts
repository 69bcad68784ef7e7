// The SDK server for one HTTP request (stateless mode needs a fresh server and transport per
// request). Only initialize, tools/call and the rarer methods come here: tools/list is answered
// before the SDK from the precomputed listing of the connection's surface.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { VerifiedAccess } from '../../oauth/access.ts';
import type { SessionFacts } from '../http/session-handle.ts';
import type { ConfirmationAnswer, ToolCaller } from '../tools/call-tool.ts';
import type { ConnectionSurface } from '../surface/connection-surface.ts';
import type { ToolCatalogue } from '../tools/types.ts';
import type { InFlightCalls } from './in-flight-calls.ts';
import { startProgress } from './progress.ts';

/** how long a call that needs confirmation waits for the user's answer */
const CONFIRMATION_TIMEOUT_MS = 5 * 60_000;
/** progress heartbeat of a running call, for clients that asked for progress */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface ServerInfo {
  name: string;
  version: string;
  title?: string;
}

export interface McpRequestContext {
  access: VerifiedAccess;
  session: SessionFacts;
  /** identifies the client session for cancellation (the session handle, or '' without one) */
  sessionKey: string;
  /** aborted when the HTTP connection of this request closes */
  connectionSignal: AbortSignal;
  /** the tools this connection lists and may call */
  surface: ConnectionSurface;
}

export function createMcpServerFactory(deps: {
  catalogue: ToolCatalogue;
  callTool: ToolCaller;
  inFlight: InFlightCalls;
  serverInfo: ServerInfo;
  progressIntervalMs?: number;
}) {
  const { catalogue, callTool, inFlight } = deps;
  const progressIntervalMs = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const instructions =
    `Each tool runs one command of the mittwald CLI (mw ${catalogue.cliVersion}) for the signed-in user. ` +
    'There is no default project: list projects or apps first and pass their ids. ' +
    'Every tool is listed with the scopes it needs (securitySchemes); calling one beyond what the user granted ' +
    'makes the client ask the user to approve more. Destructive and access-granting tools run only after the ' +
    'user confirmed them.';

  return function buildServer(context: McpRequestContext): Server {
    const onThisConnection = context.surface.instructions;
    const server = new Server(deps.serverInfo, {
      capabilities: { tools: { listChanged: false } },
      instructions: onThisConnection ? `${instructions} ${onThisConnection}` : instructions,
    });

    server.setRequestHandler(ListToolsRequestSchema, () => context.surface.listing().result());

    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const target = context.surface.resolveCall(request.params.name, request.params.arguments);
      if (target.kind === 'unknown') throw new McpError(ErrorCode.InvalidParams, target.message);
      if (target.kind === 'answer') return target.result;
      const tool = target.tool;
      const cancelled = new AbortController();
      const untrack = inFlight.track(context.access.accountId, context.sessionKey, extra.requestId, cancelled);
      const signal = AbortSignal.any([extra.signal, context.connectionSignal, cancelled.signal]);
      const askUser = context.session.elicitation
        ? async (message: string): Promise<ConfirmationAnswer> => {
            try {
              const answer = await extra.sendRequest(
                {
                  method: 'elicitation/create',
                  params: {
                    message,
                    requestedSchema: {
                      type: 'object',
                      properties: { confirm: { type: 'boolean', title: 'Confirm', description: 'Run it' } },
                      required: ['confirm'],
                    },
                  },
                },
                ElicitResultSchema,
                { signal, timeout: CONFIRMATION_TIMEOUT_MS },
              );
              if (answer.action !== 'accept') return answer.action;
              return answer.content?.confirm === true ? 'accept' : 'decline';
            } catch {
              return 'cancel';
            }
          }
        : undefined;
      const progressToken = request.params._meta?.progressToken;
      const progress =
        progressToken === undefined
          ? undefined
          : startProgress(
              ({ progress, message }) =>
                void extra
                  .sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } })
                  .catch(() => undefined), // the stream is gone: the call is being cancelled anyway
              { intervalMs: progressIntervalMs },
            );
      try {
        return await callTool(tool, target.arguments, { access: context.access, signal, askUser, onProgress: progress?.line });
      } finally {
        progress?.stop();
        untrack();
      }
    });

    return server;
  };
}

export type McpServerFactory = ReturnType<typeof createMcpServerFactory>;
