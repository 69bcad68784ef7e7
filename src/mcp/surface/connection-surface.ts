// A connection's surface: which tools it lists and which it may call. The whole catalogue on /mcp;
// the tools of some topics (/mcp/x/app,database), only those that change nothing (/mcp/readonly),
// both, or the three search tools over any of these (/mcp/x/search). A surface narrows what a
// model sees, never what a grant may do: every tool that runs is a catalogue tool and goes the way
// a direct call goes (scopes, step-up, confirmation, limits), whichever surface named it.
import type { CallToolResult, Implementation } from '@modelcontextprotocol/server';
import { createToolListing, sameForEveryClient, type ToolListing, toolListingOf } from '../protocol/tool-listing.ts';
import { ToolError } from '../tools/errors.ts';
import { errorResult } from '../tools/result.ts';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';
import { CALL_TOOL, DESCRIBE_TOOL, describeTool, FIND_TOOLS, findTools, searchToolsListed } from './search-tools.ts';
import { SEARCH_TOOLSET, type SurfaceChoice } from './surface-choice.ts';

/** What a tools/call of a name runs on a surface. */
export type CallTarget =
  /** a catalogue tool, run as a direct call of it */
  | { kind: 'tool'; tool: ToolDefinition; arguments: unknown }
  /** answered without running anything (the search tools, or their refusal); made when answered, not when the scope check resolves the call */
  | { kind: 'answer'; answer: () => CallToolResult }
  /** no such tool on this surface: a JSON-RPC error, as for an unknown tool */
  | { kind: 'unknown'; message: string };

export interface ConnectionSurface {
  /** built on first use, after the token was checked: choosing a surface alone costs nothing */
  listing(): ToolListing;
  /** what the model should know about this connection beyond the server's instructions */
  instructions?: string;
  /**
   * MCP Apps views are offered here, to clients that show them. Not in the search mode: its
   * call_tool names no view, so there a call is confirmed by elicitation or the confirm flag.
   */
  views: boolean;
  resolveCall(name: string, args: unknown): CallTarget;
}

/** distinct surfaces kept built; a client cycling through combinations only rebuilds */
const MAX_SURFACES_KEPT = 32;

const isArguments = (value: unknown): value is Record<string, unknown> =>
  value === undefined || (value !== null && typeof value === 'object' && !Array.isArray(value));

function notHere(name: string): string {
  return `Unknown tool: ${name.slice(0, 200)} is not on this connection's toolsets (connect to /mcp for every tool)`;
}

function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

function directSurface(offered: readonly ToolDefinition[], listing: () => ToolListing, instructions?: string): ConnectionSurface {
  const byName = new Map(offered.map((tool) => [tool.name, tool]));
  return {
    listing,
    instructions,
    views: true,
    resolveCall(name, args) {
      const tool = byName.get(name);
      return tool ? { kind: 'tool', tool, arguments: args } : { kind: 'unknown', message: notHere(name) };
    },
  };
}

function searchSurface(offered: readonly ToolDefinition[], topics: string[], serverInfo?: Implementation): ConnectionSurface {
  const byName = new Map(offered.map((tool) => [tool.name, tool]));
  const refusal = (code: 'invalid_input' | 'unknown_tool', message: string): CallTarget => ({ kind: 'answer', answer: () => errorResult(new ToolError(code, message)) });
  return {
    listing: once(() => toolListingOf(sameForEveryClient(searchToolsListed(topics)), serverInfo)),
    instructions:
      `This connection reaches the tools through ${FIND_TOOLS} (find them by words or topic), ${DESCRIBE_TOOL} (their inputs) ` +
      `and ${CALL_TOOL} (run one by name); each runs as if called directly.`,
    views: false,
    resolveCall(name, args) {
      if (name !== FIND_TOOLS && name !== DESCRIBE_TOOL && name !== CALL_TOOL) return { kind: 'unknown', message: notHere(name) };
      const input = args ?? {};
      if (!isArguments(input)) return refusal('invalid_input', 'arguments must be an object');
      if (name === FIND_TOOLS) return { kind: 'answer', answer: () => findTools(offered, input) };
      if (typeof input.name !== 'string') return refusal('invalid_input', 'name must be a tool name');
      const tool = byName.get(input.name);
      if (!tool) return refusal('unknown_tool', `${notHere(input.name)}; ${FIND_TOOLS} lists the tools here`);
      if (name === DESCRIBE_TOOL) return { kind: 'answer', answer: () => describeTool(tool) };
      if (!isArguments(input.arguments)) return refusal('invalid_input', 'arguments must be an object');
      return { kind: 'tool', tool, arguments: input.arguments };
    },
  };
}

/** The topics a connection may choose: the catalogue's, and `search`. */
function toolsetNames(catalogue: ToolCatalogue): string[] {
  return [...new Set(catalogue.tools.map((tool) => tool.topic)), SEARCH_TOOLSET].sort();
}

/** `serverInfo`: for the 2026-07-28 lists' _meta (tool-listing.ts) */
export function createConnectionSurfaces(catalogue: ToolCatalogue, serverInfo?: Implementation) {
  const toolsets = toolsetNames(catalogue);
  const wholeListing = createToolListing(catalogue, catalogue.tools, serverInfo);
  const whole = directSurface(catalogue.tools, () => wholeListing);
  const built = new Map<string, ConnectionSurface>();

  function build(topics: string[], search: boolean, readOnly: boolean): ConnectionSurface {
    const offered = catalogue.tools.filter(
      (tool) => (topics.length === 0 || topics.includes(tool.topic)) && (!readOnly || tool.annotations.readOnlyHint),
    );
    if (search) return searchSurface(offered, [...new Set(offered.map((tool) => tool.topic))], serverInfo);
    const narrowed = `${topics.length ? `the toolsets ${topics.join(', ')}` : 'every toolset'}${readOnly ? ', read-only tools only' : ''}`;
    return directSurface(offered, once(() => createToolListing(catalogue, offered, serverInfo)), `This connection offers ${narrowed}; /mcp offers every tool.`);
  }

  return {
    /** every toolset name a connection may choose */
    toolsets,
    surfaceFor(choice: SurfaceChoice): ConnectionSurface {
      const chosen = choice.toolsets ?? [];
      const search = chosen.includes(SEARCH_TOOLSET);
      const topics = chosen.filter((name) => name !== SEARCH_TOOLSET).sort();
      if (!search && topics.length === 0 && !choice.readOnly) return whole;
      const key = `${topics.join(',')}|${search}|${choice.readOnly}`;
      let surface = built.get(key);
      if (!surface) {
        surface = build(topics, search, choice.readOnly);
        if (built.size >= MAX_SURFACES_KEPT) built.delete(built.keys().next().value!);
        built.set(key, surface);
      }
      return surface;
    },
  };
}

export type ConnectionSurfaces = ReturnType<typeof createConnectionSurfaces>;
