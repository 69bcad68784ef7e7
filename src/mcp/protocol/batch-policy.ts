// JSON-RPC batches, a step before the POST handler. MCP 2025-03-26 let a POST carry an array of
// messages; 2025-06-18 took batches out again. A client names its version in MCP-Protocol-Version
// on every request after initialize, and one that sends none speaks 2025-03-26 (the spec says to
// assume so). Only then is an array accepted, and only as large as such a client needs: a few
// answers and notifications, perhaps a request or two. Each message of a batch can cost a store
// publish, an SDK answer or a `mw` run, so the cap holds notification-only batches too.
import type { RequestHandler } from 'express';
import { sendJsonRpcError } from '../http/json-rpc-error.ts';

const LAST_VERSION_WITH_BATCHES = '2025-03-26';
export const MAX_BATCH_MESSAGES = 16;

/** A batch's method names, where its entries have one (the envelope is checked after this step). */
function methodsOf(batch: unknown[]): unknown[] {
  return batch.map((message) => (message !== null && typeof message === 'object' ? (message as { method?: unknown }).method : undefined));
}

export function createBatchPolicy(): RequestHandler {
  return (req, res, next) => {
    if (!Array.isArray(req.body)) return next();
    const version = req.get('mcp-protocol-version');
    // versions are dates (YYYY-MM-DD): later ones sort after
    if (version !== undefined && version > LAST_VERSION_WITH_BATCHES) {
      return sendJsonRpcError(res, 400, -32600, `Invalid Request: MCP ${version} has no JSON-RPC batches; send one message per request`);
    }
    if (req.body.length > MAX_BATCH_MESSAGES) {
      return sendJsonRpcError(res, 400, -32600, `Invalid Request: a batch may hold at most ${MAX_BATCH_MESSAGES} messages`);
    }
    const methods = methodsOf(req.body);
    if (methods.includes('initialize')) {
      return sendJsonRpcError(res, 400, -32600, 'Invalid Request: initialize must not be part of a batch');
    }
    // the list is the same for every entry: one answer is all a client can use
    if (methods.filter((method) => method === 'tools/list').length > 1) {
      return sendJsonRpcError(res, 400, -32600, 'Invalid Request: a batch may ask for tools/list once');
    }
    next();
  };
}
