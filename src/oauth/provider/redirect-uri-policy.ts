// Which redirect URIs a client may register (DCR and Client ID Metadata Documents alike), and
// which oidc-provider application_type that implies. Pure: no provider, no HTTP.

export class RedirectUriRejectedError extends Error {
  override name = 'RedirectUriRejectedError';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
// Private-use schemes without the dot RFC 8252 §7.1 asks for, kept because desktop clients in use
// register them: Cursor (cursor://anysphere.cursor-retrieval/…), VS Code and its Insiders build,
// Claude Desktop. Any other dot-less scheme belongs to the browser or the operating system
// (chrome:, mailto:, view-source:, javascript:, file:, ms-settings:, …), not to a client.
const DESKTOP_CLIENT_SCHEMES = new Set(['cursor:', 'vscode:', 'vscode-insiders:', 'claude:']);
const ALLOWED_SCHEMES_RULE =
  'redirect URIs must use https, http on loopback (127.0.0.1, [::1], localhost), or a private-use scheme ' +
  'in reverse-domain form such as com.example.app:/callback (RFC 8252 §7.1)';

export type ApplicationType = 'web' | 'native';

/**
 * https anywhere; http only on loopback (RFC 8252 §7.3, any port); private-use schemes in
 * reverse-domain form (RFC 8252 §7.1) and those of known desktop clients. Loopback and private-use
 * URIs make the client `native`, the only kind for which oidc-provider matches loopback redirects
 * port-agnostically.
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
  if (parsed.protocol === 'https:') return 'https';
  if (parsed.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(parsed.hostname)) {
      throw new RedirectUriRejectedError('http redirect URIs are only allowed on loopback (127.0.0.1, [::1], localhost)');
    }
    return 'loopback';
  }
  if (parsed.protocol.includes('.') || DESKTOP_CLIENT_SCHEMES.has(parsed.protocol)) return 'private-use';
  throw new RedirectUriRejectedError(`${ALLOWED_SCHEMES_RULE}; ${parsed.protocol} is none of these`);
}
