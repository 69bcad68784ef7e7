// A minimal browser for the authorization flow: follows redirects one hop at a time and keeps
// cookies per origin and path (oidc-provider scopes its interaction cookies to a path).
export interface BrowserResponse {
  status: number;
  location?: string;
  body: string;
  headers: Headers;
}

interface Cookie {
  origin: string;
  name: string;
  value: string;
  path: string;
}

/** How the browser's requests travel (default: fetch); tests may send them another way, e.g. with forged headers. */
export type BrowserTransport = (url: URL, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

const fetchTransport: BrowserTransport = (url, init) => fetch(url, { ...init, redirect: 'manual' });

export class TestBrowser {
  #cookies: Cookie[] = [];
  readonly #transport: BrowserTransport;

  constructor(transport: BrowserTransport = fetchTransport) {
    this.#transport = transport;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<BrowserResponse> {
    const target = new URL(url);
    const cookie = this.#cookies
      .filter((c) => c.origin === target.origin && target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await this.#transport(target, {
      method: init.method ?? 'GET',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    });
    for (const line of response.headers.getSetCookie()) this.#store(target, line);
    const location = response.headers.get('location');
    return {
      status: response.status,
      location: location ? new URL(location, target).href : undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }

  cookieNames(): string[] {
    return this.#cookies.map((c) => c.name);
  }

  clearCookies(): void {
    this.#cookies = [];
  }

  #store(target: URL, line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split('=')[1];
    const path = attribute('path') ?? '/';
    const expired = attribute('max-age') === '0' || (attribute('expires') && Date.parse(attribute('expires')!) < Date.now());
    this.#cookies = this.#cookies.filter((c) => !(c.origin === target.origin && c.name === name && c.path === path));
    if (!expired && value) this.#cookies.push({ origin: target.origin, name, value, path });
  }
}
