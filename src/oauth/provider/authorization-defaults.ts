// Koa middleware in front of oidc-provider's authorization endpoint: fills in what MCP clients
// often leave out, before the provider validates the request.
import type { Middleware } from 'koa';
import type { ScopeCatalogue } from '../../config.ts';
import { parseScope, withDefaultScopes } from '../scopes.ts';

export interface AuthorizationDefaults {
  authorizationPath: string;
  mcpResource: string;
  scopes: ScopeCatalogue;
}

export function authorizationRequestDefaults(options: AuthorizationDefaults): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === options.authorizationPath) {
      const query = { ...ctx.query };
      query.scope = withDefaultScopes(parseScope(query.scope), options.scopes).join(' ');
      const resource = query.resource;
      if (typeof resource === 'string' && sameResource(resource, options.mcpResource)) query.resource = options.mcpResource;
      ctx.query = query;
    }
    await next();
  };
}

/**
 * RFC 8707 resource comparison, tolerant of what clients are known to send: one trailing slash
 * and upper-case scheme or host (claude.ai has sent `https://host/mcp/`).
 */
export function sameResource(candidate: string, mcpResource: string): boolean {
  const parsed = URL.parse(candidate);
  if (!parsed || parsed.hash || parsed.search) return false;
  return parsed.href.replace(/\/$/, '') === mcpResource;
}
