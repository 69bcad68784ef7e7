// The one scope check: before anything runs, every tool the POST calls (for the app-only tool of
// confirmation views, the tool it confirms) must be covered by the grant. Otherwise 403 insufficient_scope names every scope the client should hold afterwards (so
// it loses none), and the authorization server is told, so the client's refresh-first answer leads
// to consent (oauth/step-up.ts). The same on both eras: it is HTTP, below the protocol.
import type { RequestHandler } from 'express';
import type { AppConfig } from '../../../config.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { StepUpRequests } from '../../../oauth/access.ts';
import { toolCalledBy } from '../../apps/view-confirmations.ts';
import { accessOf } from '../../http/bearer-auth.ts';
import { sendInsufficientScope } from '../../http/challenges.ts';
import type { ToolCatalogue, ToolDefinition } from '../../tools/types.ts';
import { postOf } from './post-state.ts';

export function missingScopes(tool: ToolDefinition, granted: readonly string[]): string[] {
  return tool.scopes.filter((scope) => !granted.includes(scope));
}

export function checkScopes(deps: { config: AppConfig; catalogue: ToolCatalogue; stepUps?: StepUpRequests; logger: Logger }): RequestHandler {
  return async (_req, res, next) => {
    const post = postOf(res);
    const access = accessOf(res);
    post.tools = post.requests
      .filter((m) => m.method === 'tools/call')
      .map((m) => toolCalledBy(m.params, deps.catalogue))
      .filter((tool): tool is ToolDefinition => tool !== undefined);
    const lacking = [...new Set(post.tools.flatMap((tool) => missingScopes(tool, access.scopes)))];
    if (lacking.length === 0) return next();
    const needed = [...new Set([...access.scopes, ...post.tools.flatMap((tool) => tool.scopes)])];
    // Without the record the challenge still stands; only refresh-first clients then give up.
    await deps.stepUps?.record(access.grantId, needed).catch((error: Error) => deps.logger.warn('could not record a step-up', { error: error.message }));
    sendInsufficientScope(res, deps.config, needed, `${post.tools.map((t) => t.name).join(', ')} needs ${lacking.join(', ')}`);
  };
}
