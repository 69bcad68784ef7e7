// resources/read for the views (ui://mittwald-mcp/…): the confirmation view and the list views,
// each an inline page of the MCP Apps type that declares no outside domain.
import type { ReadResourceResult } from '@modelcontextprotocol/server';
import { CONFIRMATION_VIEW_HTML, CONFIRMATION_VIEW_URI } from './confirmation-view.ts';
import { LIST_VIEW_HTML } from './list-views.ts';
import { VIEW_MIME_TYPE } from './ui-extension.ts';

const VIEWS: Record<string, string> = { [CONFIRMATION_VIEW_URI]: CONFIRMATION_VIEW_HTML, ...LIST_VIEW_HTML };

/** the view at `uri`, or undefined for any other uri */
export function readView(uri: string): ReadResourceResult | undefined {
  const html = Object.hasOwn(VIEWS, uri) ? VIEWS[uri] : undefined;
  if (html === undefined) return undefined;
  return { contents: [{ uri, mimeType: VIEW_MIME_TYPE, text: html, _meta: { ui: { csp: {}, prefersBorder: true } } }] };
}
