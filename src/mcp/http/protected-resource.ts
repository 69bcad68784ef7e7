// RFC 9728 Protected Resource Metadata, at the path-inserted URL and at the root (some clients
// only try the root). Public and cacheable: any origin may read it.
import { Router, type RequestHandler } from 'express';
import type { AppConfig } from '../../config.ts';

export function protectedResourceMetadata(config: AppConfig) {
  return {
    resource: config.mcpResource,
    authorization_servers: [config.publicUrl],
    // The baseline, not the whole catalogue: a client without a challenge to go by asks for all
    // of these, and more is asked for per tool (403 step-up). The AS metadata lists every scope.
    scopes_supported: [...config.mittwald.scopes.defaults],
    bearer_methods_supported: ['header'],
    resource_name: 'mittwald mStudio MCP server',
  };
}

export function createProtectedResourceRouter(config: AppConfig): Router {
  const body = JSON.stringify(protectedResourceMetadata(config));
  const serve: RequestHandler = (req, res) => {
    res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=3600' });
    if (req.method === 'OPTIONS') {
      res.set({ 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Allow-Headers': '*' }).status(204).end();
      return;
    }
    res.type('application/json').send(body);
  };
  const router = Router();
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    router.get(path, serve);
    router.options(path, serve);
  }
  return router;
}
