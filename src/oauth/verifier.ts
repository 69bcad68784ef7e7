// AccessTokenVerifier for the MCP side: one store read per request (the access token record); the
// mittwald token is read (and refreshed) only when a tool actually needs it.
import type { Provider } from 'oidc-provider';
import type { AccessTokenVerifier, VerifiedAccess } from './access.ts';
import { parseScope } from './scopes.ts';
import type { UpstreamSessions } from './mittwald/upstream-session.ts';

export function createAccessTokenVerifier(options: { provider: Provider; mcpResource: string; sessions: UpstreamSessions }): AccessTokenVerifier {
  const { provider, mcpResource, sessions } = options;
  return {
    async verify(accessToken: string): Promise<VerifiedAccess | undefined> {
      // oidc-provider checks format, existence and expiry; revoked tokens are gone from the store.
      const token = await provider.AccessToken.find(accessToken).catch(() => undefined);
      if (!token || token.aud !== mcpResource || !token.accountId || !token.grantId || !token.exp) return undefined;
      const grantId = token.grantId;
      return {
        accountId: token.accountId,
        clientId: token.clientId!,
        grantId,
        scopes: parseScope(token.scope),
        expiresAt: token.exp,
        mittwaldAccessToken: () => sessions.accessToken(grantId),
      };
    },
  };
}
