// tools/list answers, precomputed: the same list for everyone on a surface (connection-surface.ts),
// serialised and UTF-8 encoded once, so listing costs one write. Every tool is listed, also those
// beyond the caller's grant, each with the scopes it needs (`securitySchemes`, the field ChatGPT
// reads): a model that never saw a write tool would never call it, and the call beyond the grant is
// what starts the step-up (403 insufficient_scope).
// On 2026-07-28 the list carries `resultType` and a cache hint: private, so no shared cache hands
// one user's list to another (and each surface is its own URL). A client that shows MCP Apps views
// gets the list with views (apps/view-listing.ts); on 2025-11-25 the tools that may run as a task
// say so.
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
import type { ListedTool } from './listed-tool.ts';
import { MAX_ARRAY_ITEMS, MAX_STRING_LENGTH, NO_NUL_BYTES, NOT_FLAG_LIKE } from '../tools/input-schema.ts';
import type { ToolAnnotations, ToolCatalogue, ToolDefinition } from '../tools/types.ts';
import { runsAsTask, TASK_EXECUTION } from './tasks/task-support.ts';

/** The list changes only when the server restarts with another CLI: a client may keep it a while. */
export const TOOL_LIST_CACHE_HINT = { ttlMs: 5 * 60_000, cacheScope: 'private' } as const satisfies CacheHint;



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

type Era = 'legacy' | 'modern';
type Variant = 'plain' | 'views';
/** the lists a listing answers with: one per era, without and with views */
export type EraLists = Record<Era, Record<Variant, Tool[]>>;

/** One list for every era and client (the search mode's: no views, no tasks). */
export const sameForEveryClient = (tools: Tool[]): EraLists => ({ legacy: { plain: tools, views: tools }, modern: { plain: tools, views: tools } });

/**
 * A tools/list answer, each list encoded once here. `serverInfo` goes into 2026-07-28 results'
 * _meta, as the SDK puts it into those it answers itself.
 */
export function toolListingOf(lists: EraLists, serverInfo?: Implementation) {
  const serverMeta = serverInfo && { _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  const encode = (listed: Tool[], era: Era) =>
    Buffer.from(JSON.stringify(era === 'modern' ? { tools: listed, resultType: 'complete', ...TOOL_LIST_CACHE_HINT, ...serverMeta } : { tools: listed }));
  const json = {
    legacy: { plain: encode(lists.legacy.plain, 'legacy'), views: encode(lists.legacy.views, 'legacy') },
    modern: { plain: encode(lists.modern.plain, 'modern'), views: encode(lists.modern.views, 'modern') },
  };
  const variant = (views: boolean): Variant => (views ? 'views' : 'plain');
  return {
    /** the JSON of the tools/list result, as UTF-8 bytes: 2025 era, or 2026-07-28 with resultType and cache hint; with views for a client that shows them */
    resultJson: (era: Era = 'legacy', views = false): Buffer => json[era][variant(views)],
    result: (era: Era = 'legacy', views = false): { tools: Tool[] } => ({ tools: lists[era][variant(views)] }),
  };
}

/** The listing of `offered` (the whole catalogue, or a surface's share of it), with and without views. */
export function createToolListing(catalogue: ToolCatalogue, offered: readonly ToolDefinition[] = catalogue.tools, serverInfo?: Implementation) {
  const tools = offered.map(listedTool);
  // 2025 era: the tools that may run as a task say so (the 2026-07-28 tool has no such field)
  const legacyTools = offered.map((tool, i) => (runsAsTask(tool) ? { ...tools[i], execution: TASK_EXECUTION } : tools[i]));
  const lists = {
    legacy: { plain: legacyTools, views: listedWithViews(catalogue, legacyTools) },
    modern: { plain: tools, views: listedWithViews(catalogue, tools) },
  };
  return toolListingOf(lists, serverInfo);
}

export type ToolListing = ReturnType<typeof toolListingOf>;
