// tools/list answers, precomputed: the same list for everyone on a surface (connection-surface.ts),
// serialised and UTF-8 encoded once, so listing costs one write. Every tool is listed, also those
// beyond the caller's grant, each with the scopes it needs (`securitySchemes`, the field ChatGPT
// reads): a model that never saw a write tool would never call it, and the call beyond the grant is
// what starts the step-up (403 insufficient_scope).
// On 2026-07-28 the list carries `resultType` and a cache hint: private, so no shared cache hands
// one user's list to another (and each surface is its own URL). A client that shows MCP Apps views
// gets the list with views (apps/view-listing.ts).
//
// The list is what every connection pays for in tokens before the user says a word, so no field
// appears twice and nothing is listed the model cannot use: the title once (not again in the
// annotations or `_meta`), hints only where they differ from the spec's defaults, the rules between
// inputs without the reasons the description already gives, and the input schema without the
// guards every value has (length and count caps, no NUL byte, no leading "-"). Those guards stay
// in force: calls are validated against the full schema (validate-input.ts), whose refusal names
// the rule.
import { type CacheHint, type Implementation, SERVER_INFO_META_KEY, type Tool } from '@modelcontextprotocol/server';
import { listedWithViews } from '../apps/view-listing.ts';
import { MAX_ARRAY_ITEMS, MAX_STRING_LENGTH, NO_NUL_BYTES, NOT_FLAG_LIKE } from '../tools/input-schema.ts';
import type { ToolAnnotations, ToolCatalogue, ToolDefinition } from '../tools/types.ts';

/** The list changes only when the server restarts with another CLI: a client may keep it a while. */
export const TOOL_LIST_CACHE_HINT = { ttlMs: 5 * 60_000, cacheScope: 'private' } as const satisfies CacheHint;

export interface SecurityScheme {
  type: 'oauth2';
  scopes: string[];
}

/** a listed tool: the MCP fields plus the scopes it needs */
export type ListedTool = Tool & { securitySchemes: SecurityScheme[] };

/** MCP's defaults (schema.ts): a hint that says the same is left out. */
const DEFAULT_HINTS: Omit<ToolAnnotations, 'title'> = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
const GUARD_PATTERNS = new Set([NO_NUL_BYTES, `^${NOT_FLAG_LIKE}${NO_NUL_BYTES.slice(1)}`]);

function listedHints(annotations: ToolAnnotations): Partial<ToolAnnotations> {
  const hints: Partial<ToolAnnotations> = {};
  for (const key of Object.keys(DEFAULT_HINTS) as Array<keyof typeof DEFAULT_HINTS>) {
    // destructive and idempotent mean something only for a tool that writes
    if (annotations.readOnlyHint && (key === 'destructiveHint' || key === 'idempotentHint')) continue;
    if (annotations[key] !== DEFAULT_HINTS[key]) hints[key] = annotations[key];
  }
  return hints;
}

/** A property's schema without the guards (see above); everything else kept. */
function listedProperty(schema: Record<string, unknown>): Record<string, unknown> {
  const listed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'minLength' && value === 1) continue;
    if (key === 'maxLength' && value === MAX_STRING_LENGTH) continue;
    if (key === 'maxItems' && value === MAX_ARRAY_ITEMS) continue;
    if (key === 'pattern' && GUARD_PATTERNS.has(value as string)) continue;
    listed[key] = key === 'items' && value && typeof value === 'object' ? listedProperty(value as Record<string, unknown>) : value;
  }
  return listed;
}

/** The rules between inputs without their reasons: the tool description says each in words. */
function listedRule({ description: _said, ...rule }: Record<string, unknown>): Record<string, unknown> {
  return rule;
}

export function listedTool(tool: ToolDefinition): ListedTool {
  const { properties, allOf } = tool.inputSchema;
  const inputSchema = {
    ...tool.inputSchema,
    properties: Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, listedProperty(schema)])),
    ...(allOf ? { allOf: allOf.map(listedRule) } : {}),
  };
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: inputSchema as Tool['inputSchema'],
    annotations: listedHints(tool.annotations),
    securitySchemes: [{ type: 'oauth2', scopes: [...tool.scopes] }],
  };
}

/**
 * A tools/list answer for these tools, serialised once for each era, and for clients that show
 * views with `viewTools` (without, they get `tools`). `serverInfo` goes into 2026-07-28 results'
 * _meta, as the SDK puts it into those it answers itself.
 */
export function toolListingOf(tools: Tool[], serverInfo?: Implementation, viewTools?: Tool[]) {
  const serverMeta = serverInfo && { _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  const encode = (listed: Tool[]) => ({
    legacy: Buffer.from(JSON.stringify({ tools: listed })),
    modern: Buffer.from(JSON.stringify({ tools: listed, resultType: 'complete', ...TOOL_LIST_CACHE_HINT, ...serverMeta })),
  });
  const plain = encode(tools);
  const json = { plain, views: viewTools ? encode(viewTools) : plain };
  return {
    /** the JSON of the tools/list result, as UTF-8 bytes: 2025 era, or 2026-07-28 with resultType and cache hint; with views for a client that shows them */
    resultJson: (era: 'legacy' | 'modern' = 'legacy', views = false): Buffer => json[views ? 'views' : 'plain'][era],
    result: (views = false): { tools: Tool[] } => ({ tools: views && viewTools ? viewTools : tools }),
  };
}

/** The listing of `offered` (the whole catalogue, or a surface's share of it), with and without views. */
export function createToolListing(catalogue: ToolCatalogue, offered: readonly ToolDefinition[] = catalogue.tools, serverInfo?: Implementation) {
  const tools = offered.map(listedTool);
  return toolListingOf(tools, serverInfo, listedWithViews(catalogue, tools));
}

export type ToolListing = ReturnType<typeof toolListingOf>;
