// Which revision a POST speaks, decided by the SDK's own classifier (the one createMcpHandler runs,
// so our routing never disagrees with it): a request with the per-request `_meta` envelope is
// 2026-07-28, anything else the 2025 era. A request the classifier refuses (its headers and body
// disagree, a malformed envelope) gets the spec's error here, before any other step acts on it.
// Steps after this one answer some requests before the SDK (tools/list, a step-up), so what the
// SDK checks of a 2026-07-28 request after classifying it is checked here too: a revision it
// serves, Mcp-Method on every request, Mcp-Name naming the tool on tools/call.
import type { Request, RequestHandler } from 'express';
import { classifyInboundRequest, SUPPORTED_PROTOCOL_VERSIONS, UnsupportedProtocolVersionError } from '@modelcontextprotocol/server';
import { sendJsonRpcError } from '../../http/json-rpc-error.ts';
import { type Message, postOf } from './post-state.ts';

/** the envelope revisions createMcpHandler serves (the SDK does not export its list) */
const SERVED_MODERN_REVISIONS = ['2026-07-28'];
/** the spec's HeaderMismatch error (HTTP 400) */
export const HEADER_MISMATCH = -32020;
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/;

/** a header value as the client meant it: Mcp-Name may carry non-ASCII names Base64-encoded */
function decodedHeader(value: string | undefined): string | undefined {
  const sentinel = value === undefined ? null : BASE64_SENTINEL.exec(value);
  return sentinel ? Buffer.from(sentinel[1], 'base64').toString('utf8') : value;
}

function standardHeaderProblem(req: Request, message: Message): string | undefined {
  if (message.id === undefined) return undefined; // notifications need none
  if (req.get('mcp-method') === undefined) return `the body names method ${String(message.method)} but the required Mcp-Method header is absent`;
  if (message.method !== 'tools/call') return undefined;
  const name = decodedHeader(req.get('mcp-name'));
  if (name === undefined) return 'the required Mcp-Name header is absent';
  if (name !== message.params?.name) return `the body calls ${JSON.stringify(message.params?.name)} but the Mcp-Name header names ${JSON.stringify(name)}`;
  return undefined;
}

export function chooseEra(): RequestHandler {
  return (req, res, next) => {
    const post = postOf(res);
    const firstId = post.inBatch ? null : (post.messages[0].id ?? null);
    const outcome = classifyInboundRequest({
      httpMethod: 'POST',
      protocolVersionHeader: req.get('mcp-protocol-version'),
      mcpMethodHeader: req.get('mcp-method'),
      mcpNameHeader: req.get('mcp-name'),
      body: req.body,
    });
    if (outcome.kind === 'reject') return sendJsonRpcError(res, outcome.httpStatus, outcome.code, outcome.message, firstId, outcome.data);
    if (outcome.kind === 'modern') {
      const requested = outcome.classification.revision;
      if (!requested || !SERVED_MODERN_REVISIONS.includes(requested)) {
        const error = new UnsupportedProtocolVersionError({ supported: SERVED_MODERN_REVISIONS, requested: requested ?? 'unknown' });
        return sendJsonRpcError(res, 400, error.code, error.message, firstId, error.data);
      }
      const problem = standardHeaderProblem(req, post.messages[0]);
      if (problem) return sendJsonRpcError(res, 400, HEADER_MISMATCH, `Bad Request: the request headers and body disagree: ${problem}`, firstId);
      post.era = { era: 'modern' };
      return next();
    }
    const version = req.get('mcp-protocol-version');
    const initializing = post.messages.some((m) => m.method === 'initialize');
    if (version && !initializing && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return sendJsonRpcError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version}`);
    }
    post.era = { era: 'legacy', session: { elicitation: false, views: false, tasks: false }, sessionKey: '' };
    next();
  };
}
