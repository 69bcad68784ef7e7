// The one scope check: before anything runs, every tool the POST calls (on the connection's surface:
// also one named through the search mode's call_tool; for the app-only tool of confirmation views,
// the tool it confirms), and every command a resources/read of a template runs (a read is a tool
// call in all but its answer), must be covered by the grant. Otherwise 403 insufficient_scope names
// every scope the client should hold afterwards (so it loses none), and the authorization server is
// told, so the client's refresh-first answer leads to consent (oauth/step-up.ts). The same on both eras: it is HTTP, below the protocol.
import type { RequestHandler } from 'express';
import type { AppConfig } from '../../../config.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { StepUpRequests } from '../../../oauth/access.ts';
import { CONFIRM_IN_VIEW_TOOL, toolCalledBy } from '../../apps/view-confirmations.ts';
import { accessOf } from '../../http/bearer-auth.ts';
import { sendInsufficientScope } from '../../http/challenges.ts';
import { type LiveTemplate, templateCommand } from '../../resources/live-reads.ts';
import type { ConnectionSurface } from '../../surface/connection-surface.ts';
import { surfaceOf } from '../../surface/surface-route.ts';
import { missingScopes } from '../../tools/missing-scopes.ts';
import type { ToolCatalogue, ToolDefinition } from '../../tools/types.ts';
import { type Message, postOf } from './post-state.ts';

/** What the requests run: the tools they call and the commands behind the templates they read. */
function commandsRun(requests: Message[], surface: ConnectionSurface, { catalogue, templates }: { catalogue: ToolCatalogue; templates: LiveTemplate[] }): ToolDefinition[] {
  return requests
    .map((m) => {
      if (m.method === 'tools/call' && m.params!.name === CONFIRM_IN_VIEW_TOOL) return toolCalledBy(m.params, catalogue);
      if (m.method === 'tools/call') {
        const target = surface.resolveCall(m.params!.name as string, m.params!.arguments);
        return target.kind === 'tool' ? target.tool : undefined;
      }
      if (m.method === 'resources/read' && typeof m.params?.uri === 'string') return templateCommand(templates, m.params.uri);
      return undefined;
    })
    .filter((tool): tool is ToolDefinition => tool !== undefined);
}

export function checkScopes(deps: {
  config: AppConfig;
  catalogue: ToolCatalogue;
  templates: LiveTemplate[];
  stepUps?: StepUpRequests;
  logger: Logger;
}): RequestHandler {
  return async (_req, res, next) => {
    const post = postOf(res);
    const access = accessOf(res);
    post.tools = commandsRun(post.requests, surfaceOf(res), deps);
    const lacking = [...new Set(post.tools.flatMap((tool) => missingScopes(tool, access.scopes)))];
    if (lacking.length === 0) return next();
    const needed = [...new Set([...access.scopes, ...post.tools.flatMap((tool) => tool.scopes)])];
    // Without the record the challenge still stands; only refresh-first clients then give up.
    await deps.stepUps?.record(access.grantId, needed).catch((error: Error) => deps.logger.warn('could not record a step-up', { error: error.message }));
    sendInsufficientScope(res, deps.config, needed, `${post.tools.map((t) => t.name).join(', ')} needs ${lacking.join(', ')}`);
  };
}
