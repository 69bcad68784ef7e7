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
      query.resource = canonicalResource(query.resource, options.mcpResource);
      ctx.query = query;
    }
    await next();
  };
}

/** `resource` as oidc-provider must see it, at /authorize and /token alike: the MCP resource's own spelling. */
export function canonicalResource<T>(resource: T, mcpResource: string): T | string {
  return typeof resource === 'string' && sameResource(resource, mcpResource) ? mcpResource : resource;
}

/**
 * RFC 8707 resource comparison, tolerant of what clients are known to send: one trailing slash
 * and upper-case scheme or host (claude.ai has sent `https://host/mcp/`). A URL beneath the MCP
 * resource (`/mcp/x/<toolsets>`, `/mcp/readonly`) names the same resource: those URLs choose which
 * tools a connection sees, never what its token may do, so one token serves them all.
 */
export function sameResource(candidate: string, mcpResource: string): boolean {
  const parsed = URL.parse(candidate);
  if (!parsed || parsed.hash || parsed.search) return false;
  const href = parsed.href.replace(/\/$/, '');
  return href === mcpResource || href.startsWith(`${mcpResource}/`);
}
