// tools/list for a client that shows views: each tool that asks for confirmation names the
// confirmation view (`_meta.ui.resourceUri`), each list with a view names its view, and the app-only tool its Allow calls is listed with
// visibility ["app"], which the extension's hosts keep out of the model's tool list. Clients that
// do not show views get neither (tool-listing.ts keeps both lists).
import type { ListedTool } from '../protocol/listed-tool.ts';
import type { ToolCatalogue } from '../tools/types.ts';
import { CONFIRMATION_VIEW_URI } from './confirmation-view.ts';
import { LIST_VIEWS } from './list-views.ts';
import { CONFIRM_IN_VIEW_INPUT_SCHEMA, CONFIRM_IN_VIEW_TOOL } from './view-confirmations.ts';

export function listedWithViews(catalogue: ToolCatalogue, tools: ListedTool[]): ListedTool[] {
  const viewOf = (name: string) => (catalogue.get(name)?.needsConfirmation ? CONFIRMATION_VIEW_URI : LIST_VIEWS[name]?.uri);
  const withView = tools.map((listed) => {
    const resourceUri = viewOf(listed.name);
    return resourceUri ? { ...listed, _meta: { ...listed._meta, ui: { resourceUri } } } : listed;
  });
  const confirmInView: ListedTool = {
    name: CONFIRM_IN_VIEW_TOOL,
    title: 'Confirm in view',
    description: 'Runs a call the user allowed in the confirmation view. Only the view can call it.',
    inputSchema: CONFIRM_IN_VIEW_INPUT_SCHEMA as ListedTool['inputSchema'],
    annotations: { destructiveHint: true, openWorldHint: true },
    securitySchemes: [],
    _meta: { ui: { resourceUri: CONFIRMATION_VIEW_URI, visibility: ['app'] } },
  };
  return [...withView, confirmInView];
}
