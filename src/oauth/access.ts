// What the MCP side learns from one of our access tokens. This, and the other verifier beside it
// (direct-api-token.ts, a mittwald API token as the bearer), are what `src/mcp` imports from the
// OAuth façade.

export interface VerifiedAccess {
  /** mittwald user id (the OAuth subject) */
  accountId: string;
  clientId: string;
  grantId: string;
  /** mittwald scopes granted to this token, e.g. ["project:read", "app:write"] */
  scopes: string[];
  /** epoch seconds */
  expiresAt: number;
  /**
   * A valid mittwald access token for this grant, refreshed at mittwald first when it is about to
   * expire (one refresh at a time per grant, across processes). Throws UpstreamSessionEndedError
   * when mittwald refuses the refresh: the grant is then revoked and the client must re-authorize.
   */
  mittwaldAccessToken(): Promise<string>;
}

export interface AccessTokenVerifier {
  /** undefined for anything that is not a live access token of ours for the MCP resource */
  verify(accessToken: string): Promise<VerifiedAccess | undefined>;
}

/** The resource tells the authorization server it asked a grant's client for more scopes (403 step-up). */
export interface StepUpRequests {
  record(grantId: string, scopes: string[]): Promise<void>;
}

/** mittwald could not be reached (or did not answer in time) while refreshing: try again later. */
export { MittwaldUnavailableError } from './errors.ts';

/** mittwald no longer accepts this grant's refresh token: answer 401 so the client re-authorizes. */
export class UpstreamSessionEndedError extends Error {
  override name = 'UpstreamSessionEndedError';
}
