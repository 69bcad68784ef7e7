// Every key the façade writes, in one place: the metrics gauges count by these prefixes.
export const OAUTH_PREFIX = 'oauth:';

export const storeKeys = {
  /** one oidc-provider model record (Client, Grant, AccessToken, Interaction, ...) */
  model: (model: string, id: string) => `${OAUTH_PREFIX}${model}:${id}`,
  modelPrefix: (model: string) => `${OAUTH_PREFIX}${model}:`,
  /** set of model keys issued under one grant (revocation removes them all) */
  grantTokens: (grantId: string) => `${OAUTH_PREFIX}grant-tokens:${grantId}`,
  /** set of the grants of one client (deleting the client ends them) */
  clientGrants: (clientId: string) => `${OAUTH_PREFIX}client-grants:${clientId}`,
  sessionUid: (uid: string) => `${OAUTH_PREFIX}session-uid:${uid}`,
  userCode: (code: string) => `${OAUTH_PREFIX}user-code:${code}`,
  /** a browser on its way to mittwald: our state for the upstream authorization request */
  upstreamLogin: (state: string) => `${OAUTH_PREFIX}upstream-login:${state}`,
  upstreamLoginPrefix: `${OAUTH_PREFIX}upstream-login:`,
  /** the grant's mittwald tokens, encrypted */
  mittwaldTokens: (grantId: string) => `${OAUTH_PREFIX}mittwald-tokens:${grantId}`,
  /** held by the one process refreshing a grant's mittwald token */
  mittwaldRefreshLock: (grantId: string) => `${OAUTH_PREFIX}mittwald-refresh-lock:${grantId}`,
  /** authorization requests admitted in one minute (see http/pending-authorizations.ts) */
  authorizationsAdmitted: (minute: number) => `${OAUTH_PREFIX}authorizations-admitted:${minute}`,
  /** the resource just asked this grant's client for more scopes (see step-up.ts) */
  pendingStepUp: (grantId: string) => `${OAUTH_PREFIX}pending-step-up:${grantId}`,
};
