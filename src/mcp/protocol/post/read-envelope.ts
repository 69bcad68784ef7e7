// The JSON-RPC envelope, checked before anything looks inside it: the fast paths (tools/list,
// cancellations, answers to our questions) never reach the SDK's own validation. A request or
// notification has a string method (and a string or number id), a response an id and a result or
// an error; a tools/call names a tool and passes an arguments object.
import type { RequestHandler } from 'express';
import { sendJsonRpcError } from '../../http/json-rpc-error.ts';
import { isRequest, type Message, type PostState } from './post-state.ts';

const isId = (id: unknown) => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

function isJsonRpcMessage(value: unknown): value is Message {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const m = value as Message;
  if (m.jsonrpc !== '2.0') return false;
  if (m.params !== undefined && (m.params === null || typeof m.params !== 'object')) return false;
  if ('method' in m) return typeof m.method === 'string' && (m.id === undefined || isId(m.id));
  return ('result' in m || 'error' in m) && (isId(m.id) || m.id === null);
}

function hasToolCallParams(m: Message): boolean {
  const args = m.params?.arguments;
  return typeof m.params?.name === 'string' && (args === undefined || (args !== null && typeof args === 'object' && !Array.isArray(args)));
}

export function readEnvelope(): RequestHandler {
  return (req, res, next) => {
    const inBatch = Array.isArray(req.body);
    const messages = (inBatch ? req.body : [req.body]) as Message[];
    if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
      return sendJsonRpcError(res, 400, -32600, 'Invalid Request: expected JSON-RPC 2.0 requests, notifications or responses');
    }
    if (!messages.every((m) => m.method !== 'tools/call' || hasToolCallParams(m))) {
      return sendJsonRpcError(res, 400, -32602, 'Invalid params: tools/call needs a tool name and an arguments object');
    }
    res.locals.post = { messages, inBatch, requests: messages.filter(isRequest), tools: [] } satisfies Omit<PostState, 'era'>;
    next();
  };
}
