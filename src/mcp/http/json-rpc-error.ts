// The one shape of an error answer at /mcp before (or instead of) the SDK: a JSON-RPC error object,
// with `id: null` unless the request it answers is known.
import type { Response } from 'express';
import { RETRY_AFTER_SECONDS } from './challenges.ts';

export function sendJsonRpcError(res: Response, status: number, code: number, message: string, id: unknown = null, data?: unknown): void {
  res.status(status).json({ jsonrpc: '2.0', error: data === undefined ? { code, message } : { code, message, data }, id });
}

/** 503 during an outage (our store, or mittwald): the request was fine, the client retries later. */
export function sendJsonRpcUnavailable(res: Response): void {
  res.set('Retry-After', String(RETRY_AFTER_SECONDS));
  sendJsonRpcError(res, 503, -32000, 'Temporarily unavailable: try again shortly');
}
