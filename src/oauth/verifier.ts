// AccessTokenVerifier for the MCP side: one store read per request (the access token record); the
// mittwald token is read (and refreshed) only when a tool actually needs it.
import type { Provider } from 'oidc-provider';
import { StoreUnavailableError } from '../store/index.ts';
import type { AccessTokenVerifier, VerifiedAccess } from './access.ts';
import { parseScope } from './scopes.ts';
import type { UpstreamSessions } from './mittwald/upstream-session.ts';

export function createAccessTokenVerifier(options: { provider: Provider; mcpResource: string; sessions: UpstreamSessions }): AccessTokenVerifier {
  const { provider, mcpResource, sessions } = options;
  return {
    async verify(accessToken: string): Promise<VerifiedAccess | undefined> {
      // oidc-provider checks format, existence and expiry; revoked tokens are gone from the store.
      // An unreachable store is not an invalid token: answering 401 would make clients drop it.
      const token = await provider.AccessToken.find(accessToken).catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) throw error;
        return undefined;
      });
      if (!token || token.aud !== mcpResource || !token.accountId || !token.grantId || !token.exp) return undefined;
      const grantId = token.grantId;
      // One read (and at most one refresh) per request, however many steps ask for it; a failure
      // is not remembered, so a later step may try again.
      let mittwaldToken: Promise<string> | undefined;
      return {
        accountId: token.accountId,
        clientId: token.clientId!,
        grantId,
        scopes: parseScope(token.scope),
        expiresAt: token.exp,
        mittwaldAccessToken: () => {
          mittwaldToken ??= sessions.accessToken(grantId).catch((error: unknown) => {
            mittwaldToken = undefined;
            throw error;
          });
          return mittwaldToken;
        },
      };
    },
  };
}
