// RFC 9728 Protected Resource Metadata, at the path-inserted URL and at the root (some clients
// only try the root). Public and cacheable: any origin may read it. A toolset URL (/mcp/x/…,
// /mcp/readonly) has its own document naming that URL as the resource, as RFC 9728 §3.3 asks;
// tokens are issued for /mcp whichever of them a client names (authorization-defaults.ts).
import { Router, type Request, type RequestHandler } from 'express';
import type { AppConfig } from '../../config.ts';

export function protectedResourceMetadata(config: AppConfig, resource = config.mcpResource) {
  return {
    resource,
    authorization_servers: [config.publicUrl],
    // The baseline, not the whole catalogue: a client without a challenge to go by asks for all
    // of these, and more is asked for per tool (403 step-up). The AS metadata lists every scope.
    scopes_supported: [...config.mittwald.scopes.defaults],
    bearer_methods_supported: ['header'],
    resource_name: 'mittwald mStudio MCP server',
  };
}

/** The resource paths beneath /mcp: their routes, and the path a request names (undefined: none). */
export interface ResourceVariants {
  routes: string[];
  pathOf(req: Request): string | undefined;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export function createProtectedResourceRouter(config: AppConfig, variants?: ResourceVariants): Router {
  const body = JSON.stringify(protectedResourceMetadata(config));
  const answer = (res: Parameters<RequestHandler>[1], req: Request, json: string) => {
    res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=3600' });
    if (req.method === 'OPTIONS') {
      res.set({ 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Allow-Headers': '*' }).status(204).end();
      return;
    }
    res.type('application/json').send(json);
  };
  const serve: RequestHandler = (req, res) => answer(res, req, body);
  const router = Router();
  for (const path of [`${WELL_KNOWN}/mcp`, WELL_KNOWN]) {
    router.get(path, serve);
    router.options(path, serve);
  }
  if (variants) {
    const serveVariant: RequestHandler = (req, res, next) => {
      const path = variants.pathOf(req);
      if (!path) return next();
      answer(res, req, JSON.stringify(protectedResourceMetadata(config, `${config.publicUrl}${path}`)));
    };
    const routes = variants.routes.map((route) => `${WELL_KNOWN}${route}`);
    router.get(routes, serveVariant);
    router.options(routes, serveVariant);
  }
  return router;
}
