// tools/list answers, precomputed once at start: the same list for everyone, serialised and UTF-8
// encoded once, so listing costs one write. Every tool is listed, also those beyond the caller's
// grant, each with the scopes it needs (`securitySchemes`, the field ChatGPT reads, mirrored in
// `_meta` for clients that only read that): a model that never saw a write tool would never call
// it, and the call beyond the grant is what starts the step-up (403 insufficient_scope).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';

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
    inputSchema: { ...tool.inputSchema },
    annotations: tool.annotations,
    securitySchemes,
    _meta: { securitySchemes },
  };
}

export function createToolListing(catalogue: ToolCatalogue) {
  const tools = catalogue.tools.map(listedTool);
  const json = Buffer.from(JSON.stringify({ tools }));

  return {
    /** the JSON of the tools/list result, as UTF-8 bytes */
    resultJson: (): Buffer => json,
    result: (): { tools: ListedTool[] } => ({ tools }),
  };
}

export type ToolListing = ReturnType<typeof createToolListing>;
