// What the per-request server knows of the request it answers (mcp-server.ts builds one server per
// request; the steps of a POST and the method handlers beside it read the same facts).
import type { VerifiedAccess } from '../../oauth/access.ts';
import { showsViews } from '../apps/ui-extension.ts';
import type { SessionFacts } from '../http/session-handle.ts';
import type { ConnectionSurface } from '../surface/connection-surface.ts';

/** The 2025 era: the client's session (declared at initialize, carried in the signed handle). */
export interface LegacyRequest {
  era: 'legacy';
  session: SessionFacts;
  /** identifies the client session for cancellation (the session handle, or '' without one) */
  sessionKey: string;
}

/** 2025 era with its session, or 2026-07-28 (everything the client declares is in each request's `_meta`) */
export type RequestEra = LegacyRequest | { era: 'modern' };

export interface McpRequestContext {
  access: VerifiedAccess;
  request: RequestEra;
  /** aborted when the HTTP connection of this request closes (on 2026-07-28 that is how a client cancels) */
  connectionSignal: AbortSignal;
  /** the tools this connection lists and may call */
  surface: ConnectionSurface;
}

/**
 * MCP Apps views for this request: where the surface offers them, to a client that declared it
 * shows them (2025 era: at initialize, in its session; 2026-07-28: in this request's `_meta`).
 */
export function viewsShown(surface: ConnectionSurface, request: RequestEra, modernCapabilities: unknown): boolean {
  return surface.views && (request.era === 'legacy' ? request.session.views : showsViews(modernCapabilities));
}
