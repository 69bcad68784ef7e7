// Which redirect URIs a client may register (DCR and Client ID Metadata Documents alike), and
// which oidc-provider application_type that implies. Pure: no provider, no HTTP.

export class RedirectUriRejectedError extends Error {
  override name = 'RedirectUriRejectedError';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
// Schemes that execute or read locally instead of navigating to a client.
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:', 'ftp:', 'ws:', 'wss:']);

export type ApplicationType = 'web' | 'native';

/**
 * https anywhere; http only on loopback (RFC 8252 §7.3, any port); private-use schemes of desktop
 * clients (cursor://, vscode://, claude://). Loopback and private-use URIs make the client `native`,
 * the only kind for which oidc-provider matches loopback redirects port-agnostically.
 */
export function applicationTypeForRedirectUris(uris: string[], requested: ApplicationType): ApplicationType {
  let native = requested === 'native';
  for (const uri of uris) {
    const kind = classifyRedirectUri(uri);
    if (kind !== 'https') native = true;
  }
  return native ? 'native' : 'web';
}

function classifyRedirectUri(uri: string): 'https' | 'loopback' | 'private-use' {
  // The URL parser drops or percent-encodes these silently: the URI registered would not be the one shown.
  if (/[\u0000-\u0020\u007f]/.test(uri)) throw new RedirectUriRejectedError('redirect URIs must not contain whitespace or control characters');
  const parsed = URL.parse(uri);
  if (!parsed) throw new RedirectUriRejectedError(`redirect URI ${JSON.stringify(uri)} is not a URL`);
  if (uri.includes('#')) throw new RedirectUriRejectedError('redirect URIs must not contain a fragment');
  if (parsed.username || parsed.password) throw new RedirectUriRejectedError('redirect URIs must not contain user information');
  if (FORBIDDEN_SCHEMES.has(parsed.protocol)) {
    throw new RedirectUriRejectedError(`redirect URIs must not use the ${parsed.protocol.slice(0, -1)} scheme`);
  }
  if (parsed.protocol === 'https:') return 'https';
  if (parsed.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(parsed.hostname)) {
      throw new RedirectUriRejectedError('http redirect URIs are only allowed on loopback (127.0.0.1, [::1], localhost)');
    }
    return 'loopback';
  }
  return 'private-use';
}
