// tools/list answers, precomputed once at start: the same list for everyone, serialised and UTF-8
// encoded once, so listing costs one write. Every tool is listed, also those beyond the caller's
// grant, each with the scopes it needs (`securitySchemes`, the field ChatGPT reads, mirrored in
// `_meta` for clients that only read that): a model that never saw a write tool would never call
// it, and the call beyond the grant is what starts the step-up (403 insufficient_scope).
// On 2026-07-28 the list carries `resultType` and a cache hint: private, so no shared cache hands
// one user's list to another (lists per connection or per grant stay safe to add). A client that
// shows MCP Apps views gets the list with views (apps/view-listing.ts).
import type { CacheHint, Tool } from '@modelcontextprotocol/server';
import { listedWithViews } from '../apps/view-listing.ts';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';

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

export function createToolListing(catalogue: ToolCatalogue) {
  const tools = catalogue.tools.map(listedTool);
  const viewTools = listedWithViews(catalogue, tools);
  const encode = (listed: ListedTool[]) => ({
    legacy: Buffer.from(JSON.stringify({ tools: listed })),
    modern: Buffer.from(JSON.stringify({ tools: listed, resultType: 'complete', ...TOOL_LIST_CACHE_HINT })),
  });
  const json = { plain: encode(tools), views: encode(viewTools) };

  return {
    /** the JSON of the tools/list result, as UTF-8 bytes: 2025 era, or 2026-07-28 with resultType and cache hint; with views for a client that shows them */
    resultJson: (era: 'legacy' | 'modern' = 'legacy', views = false): Buffer => json[views ? 'views' : 'plain'][era],
    result: (views = false): { tools: ListedTool[] } => ({ tools: views ? viewTools : tools }),
  };
}

export type ToolListing = ReturnType<typeof createToolListing>;
