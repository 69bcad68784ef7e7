// 2025 era only: the Mcp-Session-Id handle (signed, bound to the user, http/session-handle.ts). A
// foreign, forged, expired or ended handle is "Session not found" (404) and the client initializes
// again. 2026-07-28 has no sessions: what the client declares comes with every request.
import type { RequestHandler } from 'express';
import { accessOf } from '../../http/bearer-auth.ts';
import { sendJsonRpcError } from '../../http/json-rpc-error.ts';
import type { EndedSessions, SessionHandles } from '../../http/session-handle.ts';
import { postOf } from './post-state.ts';

export function openSession(deps: { sessions: SessionHandles; endedSessions: EndedSessions }): RequestHandler {
  return async (req, res, next) => {
    const post = postOf(res);
    const handle = req.get('mcp-session-id');
    if (post.era.era !== 'legacy' || !handle || post.messages.some((m) => m.method === 'initialize')) return next();
    const { accountId } = accessOf(res);
    const session = deps.sessions.open(handle, accountId);
    if (!session || (await deps.endedSessions.isEnded(accountId, session))) return sendJsonRpcError(res, 404, -32001, 'Session not found');
    post.era = { era: 'legacy', session, sessionKey: handle };
    next();
  };
}
