// What tools/list shows of a tool, shared by the plain list (tool-listing.ts) and the list with
// MCP Apps views (apps/view-listing.ts).
import type { Tool } from '@modelcontextprotocol/server';

export interface SecurityScheme {
  type: 'oauth2';
  scopes: string[];
}

/** a listed tool: the MCP fields plus the scopes it needs */
export type ListedTool = Tool & { securitySchemes: SecurityScheme[] };
