// JSON-RPC bodies for /mcp, parsed here (not by the SDK) so the auth guard can look at the method
// first. Malformed JSON is a JSON-RPC parse error (400), an oversized body 413: never a 500.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';

export const MAX_BODY_BYTES = 1024 * 1024;

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

export function createJsonBodyParser(): RequestHandler[] {
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: true, type: () => true });
  const onlyPostBodies: RequestHandler = (req, res, next) => (req.method === 'POST' ? parse(req, res, next) : next());
  const requireJsonContentType: RequestHandler = (req, res, next) => {
    if (req.method === 'POST' && !req.is('application/json')) {
      res.status(415).json(jsonRpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'));
      return;
    }
    next();
  };
  return [requireJsonContentType, onlyPostBodies];
}

export const jsonBodyErrors: ErrorRequestHandler = (error, _req, res, next) => {
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large') {
    res.status(413).json(jsonRpcError(-32000, `Request body larger than ${MAX_BODY_BYTES} bytes`));
  } else if (type === 'entity.parse.failed' || error instanceof SyntaxError) {
    res.status(400).json(jsonRpcError(-32700, 'Parse error: invalid JSON'));
  } else if (type?.startsWith('encoding.') || type === 'charset.unsupported' || type === 'request.aborted') {
    res.status(400).json(jsonRpcError(-32600, 'Invalid request body'));
  } else {
    next(error);
  }
};
