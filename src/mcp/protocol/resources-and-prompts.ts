// The thin layer between the SDK server and the plain modules beside the tools: resources
// (guides and live templates), workflow prompts and id completions. Everything it registers is
// announced in RESOURCE_AND_PROMPT_CAPABILITIES, and nothing else (no subscriptions: nothing here
// would ever notify one).
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';
import type { VerifiedAccess } from '../../oauth/access.ts';
import type { IdCompleter } from '../completions/id-completions.ts';
import { findPrompt, getPrompt, listPrompts } from '../prompts/workflow-prompts.ts';
import { RequestError } from '../request-error.ts';
import type { IdKind } from '../resources/ids.ts';
import type { LiveTemplate } from '../resources/live-reads.ts';
import type { ResourceReader } from '../resources/read-resource.ts';

export const RESOURCE_AND_PROMPT_CAPABILITIES = {
  resources: { subscribe: false, listChanged: false },
  prompts: { listChanged: false },
  completions: {},
};

/** MCP's code for a resource that does not exist */
const RESOURCE_NOT_FOUND = -32002;

function asMcpError(error: unknown): unknown {
  if (!(error instanceof RequestError)) return error;
  const code = error.code === 'not_found' ? RESOURCE_NOT_FOUND : error.code === 'invalid_params' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
  return new McpError(code, error.message);
}

async function answering<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asMcpError(error);
  }
}

type CompletionRef = { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };

/** What the argument holds, when it is one we complete; unknown prompts and templates are invalid params. */
function completedKind(templates: LiveTemplate[], ref: CompletionRef, argumentName: string): IdKind | undefined {
  if (ref.type === 'ref/prompt') return findPrompt(ref.name).arguments.find((a) => a.name === argumentName)?.completes;
  const template = templates.find((t) => t.uriTemplate === ref.uri);
  if (!template) throw new RequestError('invalid_params', `Unknown resource template: ${ref.uri} (resources/templates/list names them)`);
  return template.variable === argumentName ? template.variable : undefined;
}

type Extra = RequestHandlerExtra<never, never>;
type MethodSchema<T> = z.ZodType<T> & { shape: { method: { value: string } } };

/**
 * A handler whose params are checked here: the SDK answers params that fail its schema (a number
 * for a URI, no argument) with -32603 Internal error; these methods answer -32602 naming the field.
 */
function setCheckedHandler<T>(server: Server, schema: MethodSchema<T>, handler: (request: T, extra: Extra) => unknown): void {
  const method = schema.shape.method.value;
  const anyParams = z.object({ method: z.literal(method), params: z.unknown() });
  server.setRequestHandler(anyParams as never, ((raw: unknown, extra: Extra) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new McpError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${issue.path.join('.') || 'params'}: ${issue.message}`);
    }
    return handler(parsed.data, extra);
  }) as never);
}

export interface ResourcesAndPrompts {
  reader: ResourceReader;
  templates: LiveTemplate[];
  completer: IdCompleter;
}

export function registerResourcesAndPrompts(
  server: Server,
  deps: ResourcesAndPrompts,
  context: { access: VerifiedAccess; connectionSignal: AbortSignal },
): void {
  const { reader, templates, completer } = deps;
  const signalOf = (extra: Extra) => AbortSignal.any([extra.signal, context.connectionSignal]);

  server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: reader.listResources() }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: reader.listTemplates() }));
  setCheckedHandler(server, ReadResourceRequestSchema, (request, extra) =>
    answering(() => reader.read(request.params.uri, { access: context.access, signal: signalOf(extra) })),
  );
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: listPrompts() }));
  setCheckedHandler(server, GetPromptRequestSchema, (request) => answering(() => getPrompt(request.params.name, request.params.arguments)));
  setCheckedHandler(server, CompleteRequestSchema, (request, extra) =>
    answering(async () => {
      const { ref, argument } = request.params;
      const kind = completedKind(templates, ref, argument.name);
      const related = request.params.context?.arguments ?? {};
      const completion = kind
        ? await completer.complete(kind, argument.value, related, context.access, signalOf(extra))
        : { values: [], total: 0, hasMore: false };
      return { completion };
    }),
  );
}
