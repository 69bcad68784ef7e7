// DNS-rebinding defence and CORS for /mcp. A browser always sends Origin; a present Origin that is
// not ours or explicitly allowed is refused with 403 before anything else happens.
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { AppConfig } from '../../config.ts';

export function allowedOriginsFor(config: AppConfig): Set<string> {
  return new Set([new URL(config.publicUrl).origin, ...config.allowedOrigins.map((o) => new URL(o).origin)]);
}

export function createOriginGuard(config: AppConfig): RequestHandler[] {
  const allowed = allowedOriginsFor(config);
  const checkOrigin: RequestHandler = (req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Forbidden: origin not allowed' }, id: null });
      return;
    }
    next();
  };
  const corsHeaders = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'MCP-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID', 'Mcp-Method', 'Mcp-Name', 'X-MCP-Toolsets', 'X-MCP-Readonly'],
    exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'MCP-Protocol-Version'],
    maxAge: 600,
  });
  return [checkOrigin, corsHeaders];
}
