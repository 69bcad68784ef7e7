// tools/list answers, precomputed: each tool is serialised once at start, and the list for a
// scope set is joined and UTF-8 encoded once and cached, so listing costs a map lookup and one write.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';

const MAX_CACHED_SCOPE_SETS = 256;

export function listedTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: { ...tool.inputSchema },
    annotations: tool.annotations,
  };
}

export function createToolListing(catalogue: ToolCatalogue) {
  const serialised = catalogue.tools.map((tool) => ({ tool, json: JSON.stringify(listedTool(tool)) }));
  const cache = new Map<string, Buffer>();

  function visibleTo(granted: ReadonlySet<string>) {
    return serialised.filter(({ tool }) => tool.scopes.every((scope) => granted.has(scope)));
  }

  return {
    /** the JSON of a tools/list result for a grant with these scopes, as UTF-8 bytes */
    resultJson(scopes: readonly string[]): Buffer {
      const key = [...new Set(scopes)].sort().join(' ');
      let json = cache.get(key);
      if (json === undefined) {
        json = Buffer.from(`{"tools":[${visibleTo(new Set(scopes)).map((entry) => entry.json).join(',')}]}`);
        // Scope sets come from our own grants, so there are few; the cap only bounds a pathology.
        if (cache.size >= MAX_CACHED_SCOPE_SETS) cache.clear();
        cache.set(key, json);
      }
      return json;
    },
    result(scopes: readonly string[]): { tools: Tool[] } {
      return { tools: visibleTo(new Set(scopes)).map(({ tool }) => listedTool(tool)) };
    },
  };
}

export type ToolListing = ReturnType<typeof createToolListing>;
