// What the façade needs from mittwald's OAuth server. The HTTP implementation is in http-client.ts;
// tests may pass their own (or point the HTTP client at the simulator).

export interface MittwaldTokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresInSeconds: number;
  /** the scopes mittwald says it granted, when its answer names them */
  scopes?: string[];
}

export interface MittwaldOAuthClient {
  /** where to send the user's browser; `scopes` are mittwald scope names only */
  authorizeUrl(state: string, codeChallenge: string, scopes: string[]): string;
  /** throws MittwaldRejectedError (bad/used code) or MittwaldUnavailableError */
  exchangeCode(code: string, codeVerifier: string): Promise<MittwaldTokenSet>;
  /** throws MittwaldRejectedError with error `invalid_grant` when the session ended at mittwald */
  refresh(refreshToken: string): Promise<MittwaldTokenSet>;
  /** the mittwald user id the token belongs to */
  fetchUserId(accessToken: string): Promise<string>;
}
