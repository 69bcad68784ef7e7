// oidc-provider builds its endpoint URLs (discovery metadata, registration_client_uri, the address
// an authorization resumes at) from the request: Host, X-Forwarded-Host/-Proto behind a trusted
// proxy, or an absolute-form request target. A request naming another host would be handed URLs
// that send clients, and the codes and tokens they carry, there. Every context the provider creates
// inherits from its request prototype: pinning the origin there, once, covers every endpoint. The
// client address is pinned there too, to the one Express's `trust proxy` gives.
import type Provider from 'oidc-provider';

const ABSOLUTE_FORM = /^https?:\/\//i;

export function pinPublicOrigin(provider: Provider, publicUrl: string): void {
  const { protocol, host, hostname, origin } = new URL(publicUrl);
  const scheme = protocol.slice(0, -1);
  Object.defineProperties(provider.request, {
    protocol: { get: () => scheme },
    host: { get: () => host },
    hostname: { get: () => hostname },
    href: {
      get(this: { originalUrl: string }) {
        return `${origin}${originForm(this.originalUrl)}`;
      },
    },
    URL: {
      get(this: { href: string }) {
        return new URL(this.href);
      },
    },
    // the client address as Express decided it: only a trusted proxy's X-Forwarded-For names it
    ip: {
      get(this: { req: { ip?: string; socket: { remoteAddress?: string } } }) {
        return this.req.ip ?? this.req.socket.remoteAddress ?? '';
      },
    },
  });
}

/** `/path?query` of a request target, also of an absolute-form one (`GET http://host/path`) */
function originForm(target: string): string {
  if (!ABSOLUTE_FORM.test(target)) return target;
  const parsed = URL.parse(target);
  return parsed ? `${parsed.pathname}${parsed.search}` : '/';
}
