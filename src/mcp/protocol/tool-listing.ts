// tools/list answers, precomputed once at start: the same list for everyone, serialised and UTF-8
// encoded once, so listing costs one write. Every tool is listed, also those beyond the caller's
// grant, each with the scopes it needs (`securitySchemes`, the field ChatGPT reads, mirrored in
// `_meta` for clients that only read that): a model that never saw a write tool would never call
// it, and the call beyond the grant is what starts the step-up (403 insufficient_scope).
// On 2026-07-28 the list carries `resultType` and a cache hint: private, so no shared cache hands
// one user's list to another (lists per connection or per grant stay safe to add). A client that
// shows MCP Apps views gets the list with views (apps/view-listing.ts).
import { type CacheHint, type Implementation, SERVER_INFO_META_KEY, type Tool } from '@modelcontextprotocol/server';
import { listedWithViews } from '../apps/view-listing.ts';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';
import { runsAsTask, TASK_EXECUTION } from './tasks/task-support.ts';

/** The list changes only when the server restarts with another CLI: a client may keep it a while. */
export const TOOL_LIST_CACHE_HINT = { ttlMs: 5 * 60_000, cacheScope: 'private' } as const satisfies CacheHint;

export interface SecurityScheme {
  type: 'oauth2';
  scopes: string[];
}

/** a listed tool: the MCP fields plus the scopes it needs */
export type ListedTool = Tool & { securitySchemes: SecurityScheme[] };

function securitySchemesOf(tool: ToolDefinition): SecurityScheme[] {
  return [{ type: 'oauth2', scopes: [...tool.scopes] }];
}

export function listedTool(tool: ToolDefinition): ListedTool {
  const securitySchemes = securitySchemesOf(tool);
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: { ...tool.inputSchema } as Tool['inputSchema'],
    annotations: tool.annotations,
    securitySchemes,
    _meta: { securitySchemes },
  };
}

type Era = 'legacy' | 'modern';

/** `serverInfo` goes into 2026-07-28 results' _meta, as the SDK puts it into those it answers itself */
export function createToolListing(catalogue: ToolCatalogue, serverInfo?: Implementation) {
  const tools = catalogue.tools.map(listedTool);
  // 2025 era: the tools that may run as a task say so (the 2026-07-28 tool has no such field)
  const legacyTools = catalogue.tools.map((tool, i) => (runsAsTask(tool) ? { ...tools[i], execution: TASK_EXECUTION } : tools[i]));
  const serverMeta = serverInfo && { _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  // one list per era and views: four, each encoded once here
  const lists = {
    legacy: { plain: legacyTools, views: listedWithViews(catalogue, legacyTools) },
    modern: { plain: tools, views: listedWithViews(catalogue, tools) },
  };
  const encode = (listed: ListedTool[], era: Era) =>
    Buffer.from(JSON.stringify(era === 'modern' ? { tools: listed, resultType: 'complete', ...TOOL_LIST_CACHE_HINT, ...serverMeta } : { tools: listed }));
  const json = {
    legacy: { plain: encode(lists.legacy.plain, 'legacy'), views: encode(lists.legacy.views, 'legacy') },
    modern: { plain: encode(lists.modern.plain, 'modern'), views: encode(lists.modern.views, 'modern') },
  };
  const variant = (views: boolean) => (views ? 'views' : 'plain');

  return {
    /** the JSON of the tools/list result, as UTF-8 bytes: 2025 era, or 2026-07-28 with resultType and cache hint; with views for a client that shows them */
    resultJson: (era: Era = 'legacy', views = false): Buffer => json[era][variant(views)],
    result: (era: Era = 'legacy', views = false): { tools: ListedTool[] } => ({ tools: lists[era][variant(views)] }),
  };
}

export type ToolListing = ReturnType<typeof createToolListing>;
