// The mittwald OAuth client used when MITTWALD_CLIENT_ID is not set belongs to one deployment:
// mittwald compares the redirect URI byte for byte with the one registered for the client, so
// anywhere else every login ends at mittwald's error page. The server still starts (discovery,
// registration and the sandbox work); the operator is told why logins will fail.
import { DEFAULT_MITTWALD_CLIENT_ID } from '../../config.ts';

/**
 * The registered deployment: the earlier mittwald MCP server's OAuth bridge, whose fixed callback
 * is `${BRIDGE_BASE_URL}/mittwald/callback` with BRIDGE_BASE_URL https://auth.mcp.mittwald.de.
 */
export const DEFAULT_CLIENT_REDIRECT_URI = 'https://auth.mcp.mittwald.de/mittwald/callback';

export function defaultClientWarning(mittwald: { clientId: string; redirectUri: string }): string | undefined {
  if (mittwald.clientId !== DEFAULT_MITTWALD_CLIENT_ID || mittwald.redirectUri === DEFAULT_CLIENT_REDIRECT_URI) return undefined;
  return (
    `MITTWALD_CLIENT_ID is not set: the default client "${DEFAULT_MITTWALD_CLIENT_ID}" is registered at mittwald for ` +
    `${DEFAULT_CLIENT_REDIRECT_URI} only, so mittwald will refuse logins that return to ${mittwald.redirectUri}; ` +
    'create a client for this deployment (README, "Your own deployment: a mittwald OAuth client")'
  );
}
