import type { ToolDefinition } from './types.ts';

/** The scopes a tool needs that the grant lacks: the one scope check and completions ask the same question. */
export function missingScopes(tool: ToolDefinition, granted: readonly string[]): string[] {
  return tool.scopes.filter((scope) => !granted.includes(scope));
}
