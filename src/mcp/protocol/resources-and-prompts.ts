// The thin layer between the SDK server and the plain modules beside the tools: resources
// (guides, live templates, and the MCP Apps views, read but not listed: hosts read a view a tool
// names), workflow prompts and id completions, on both eras. Everything it
// registers is announced in RESOURCE_AND_PROMPT_CAPABILITIES, and nothing else (no subscriptions:
// nothing here would ever notify one).
import {
  type CacheHint,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceNotFoundError,
  type Server,
  type ServerContext,
  specTypeSchemas,
} from '@modelcontextprotocol/server';
import { readView } from '../apps/view-resources.ts';
import type { IdCompleter } from '../completions/id-completions.ts';
import { findPrompt, getPrompt, listPrompts } from '../prompts/workflow-prompts.ts';
import type { IdKind } from '../resources/ids.ts';
import type { LiveTemplate } from '../resources/live-reads.ts';
import type { ResourceReader } from '../resources/read-resource.ts';
import { ToolError, ToolInputError } from '../tools/errors.ts';
import type { McpRequestContext } from './request-context.ts';
import { TOOL_LIST_CACHE_HINT } from './tool-listing.ts';

export const RESOURCE_AND_PROMPT_CAPABILITIES = {
  resources: { subscribe: false, listChanged: false },
  prompts: { listChanged: false },
  completions: {},
};

/** 2026-07-28: these lists, like the tool list, change only with the server, and stay private to the caller */
export const RESOURCE_AND_PROMPT_CACHE_HINTS: Record<string, CacheHint> = {
  'resources/list': TOOL_LIST_CACHE_HINT,
  'resources/templates/list': TOOL_LIST_CACHE_HINT,
  'prompts/list': TOOL_LIST_CACHE_HINT,
};

/**
 * The plain modules below throw the tools' typed errors; here they become JSON-RPC errors. A
 * resource that does not exist is ResourceNotFoundError on both eras: -32602 with `data: { uri }`
 * (the 2026-07-28 spec's rule; the SDK maps the 2025 revisions' -32002 to it on every era, and a
 * client tells it from other invalid params by that data). Bad input is -32602; a read that was
 * tried and failed (mw timed out, the server is busy, …) is -32603.
 */
function asProtocolError(error: unknown, uri?: string): unknown {
  if (!(error instanceof ToolError)) return error;
  if (error.code === 'not_found' && uri !== undefined) return new ResourceNotFoundError(uri, error.message);
  const badInput = error.code === 'not_found' || error.code === 'invalid_input';
  return new ProtocolError(badInput ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError, error.message);
}

type CompletionRef = { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };

/** What the argument holds, when it is one we complete; unknown prompts and templates are invalid params. */
function completedKind(templates: LiveTemplate[], ref: CompletionRef, argumentName: string): IdKind | undefined {
  if (ref.type === 'ref/prompt') return findPrompt(ref.name).arguments.find((a) => a.name === argumentName)?.completes;
  const template = templates.find((t) => t.uriTemplate === ref.uri);
  if (!template) throw new ToolInputError(`Unknown resource template: ${ref.uri} (resources/templates/list names them)`);
  return template.variable === argumentName ? template.variable : undefined;
}

export interface ResourcesAndPrompts {
  reader: ResourceReader;
  templates: LiveTemplate[];
  completer: IdCompleter;
}

/**
 * resources/read, prompts/get and completion/complete are registered with their params' schemas:
 * the SDK then answers params that fail them (a number for a URI, no argument) with -32602 naming
 * the field, where a plain handler's failed schema is -32603 Internal error.
 */
export function registerResourcesAndPrompts(server: Server, deps: ResourcesAndPrompts, context: McpRequestContext): void {
  const { reader, templates, completer } = deps;
  const signalOf = (ctx: ServerContext) => AbortSignal.any([ctx.mcpReq.signal, context.connectionSignal]);
  const answering = async <T>(work: () => Promise<T> | T, uri?: string): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asProtocolError(error, uri);
    }
  };

  server.setRequestHandler('resources/list', () => ({ resources: reader.listResources() }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: reader.listTemplates() }));
  server.setRequestHandler('resources/read', { params: specTypeSchemas.ReadResourceRequestParams }, (params, ctx) =>
    answering<ReadResourceResult>(() => readView(params.uri) ?? reader.read(params.uri, { access: context.access, signal: signalOf(ctx) }), params.uri),
  );
  server.setRequestHandler('prompts/list', () => ({ prompts: listPrompts() }));
  server.setRequestHandler('prompts/get', { params: specTypeSchemas.GetPromptRequestParams }, (params) =>
    answering(() => getPrompt(params.name, params.arguments)),
  );
  server.setRequestHandler('completion/complete', { params: specTypeSchemas.CompleteRequestParams }, (params, ctx) =>
    answering(async () => {
      const { ref, argument } = params;
      const kind = completedKind(templates, ref, argument.name);
      const related = params.context?.arguments ?? {};
      const completion = kind
        ? await completer.complete(kind, argument.value, related, context.access, signalOf(ctx))
        : { values: [], total: 0, hasMore: false };
      return { completion };
    }),
  );
}
