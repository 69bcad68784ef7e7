// MCP Apps (the extension io.modelcontextprotocol/ui, stable since 2026-01-26): a tool names a
// `ui://` view in `_meta.ui`, a host that announced the extension renders it in a sandboxed iframe
// and lets it call the server's tools. Only a client that announced the extension (2025: at
// initialize, kept in the session handle; 2026-07-28: in each request's `_meta`) gets views and
// `_meta.ui`; every other client sees the results it always saw.
import { EXTENSION_ID, getUiCapability, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';

export { EXTENSION_ID as UI_EXTENSION_ID, RESOURCE_MIME_TYPE as VIEW_MIME_TYPE };

/** the client's capabilities announce MCP Apps with HTML views */
export function showsViews(capabilities: unknown): boolean {
  if (capabilities === null || typeof capabilities !== 'object') return false;
  const ui = getUiCapability(capabilities as Parameters<typeof getUiCapability>[0]) as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(RESOURCE_MIME_TYPE);
}
