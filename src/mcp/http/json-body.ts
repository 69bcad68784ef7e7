// JSON-RPC bodies for /mcp, parsed here (not by the SDK) so the auth guard can look at the method
// first. Malformed JSON is a JSON-RPC parse error (400), an oversized body 413, a body nested deeper
// than any MCP message 400: never a 500.
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '../../observability/logger.ts';
import { sendJsonRpcError } from './json-rpc-error.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * An MCP message is a few levels deep (a batch, the message, params, arguments, a value); every
 * recursive step after parsing (validation, serialising for another process, logging) would
 * overflow the stack on the 50,000 levels a 1 MB body can hold.
 */
export const MAX_JSON_DEPTH = 32;

/** Counted without recursion, so the check itself cannot overflow. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[node: unknown, depth: number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

export function createJsonBodyParser(): RequestHandler[] {
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: true, type: () => true });
  const onlyPostBodies: RequestHandler = (req, res, next) => (req.method === 'POST' ? parse(req, res, next) : next());
  const requireJsonContentType: RequestHandler = (req, res, next) => {
    if (req.method === 'POST' && !req.is('application/json')) {
      return sendJsonRpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    next();
  };
  const refuseDeepNesting: RequestHandler = (req, res, next) => {
    if (nestedDeeperThan(req.body, MAX_JSON_DEPTH)) {
      return sendJsonRpcError(res, 400, -32600, `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    next();
  };
  return [requireJsonContentType, onlyPostBodies, refuseDeepNesting];
}

/** Body errors get their JSON-RPC answer; anything else is logged (redacted) and a bare internal error. */
export function createJsonBodyErrors(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') {
      sendJsonRpcError(res, 413, -32000, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    } else if (type === 'entity.parse.failed' || error instanceof SyntaxError) {
      sendJsonRpcError(res, 400, -32700, 'Parse error: invalid JSON');
    } else if (type?.startsWith('encoding.') || type === 'charset.unsupported' || type === 'request.aborted') {
      sendJsonRpcError(res, 400, -32600, 'Invalid request body');
    } else {
      logger.error('MCP request failed', { error });
      if (res.headersSent) res.destroy();
      else sendJsonRpcError(res, 500, -32603, 'Internal error');
    }
  };
}
