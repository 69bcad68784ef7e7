// The fetch oidc-provider makes its outgoing requests with (Client ID Metadata Documents: the
// client_id is an https URL that anyone may put in an authorization request). oidc-provider's own
// guard looks at the socket after it connected (and after the TLS handshake), so the server had
// already reached whatever address a caller named. Here the host name is resolved first, every
// address it resolves to is checked, and the socket connects only to those checked addresses: no
// second resolution that a rebinding DNS server could answer differently.
import { lookup as systemLookup } from 'node:dns/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { createFailureMemory } from './failure-memory.ts';
import { createFetchBudget, DEFAULT_FETCH_LIMITS, type FetchLimits } from './fetch-budget.ts';
import { isPublicAddress } from './special-use-addresses.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** every address a host name resolves to */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export interface ClientMetadataFetchOptions {
  /** default: the system resolver (as any connection would use it, /etc/hosts included) */
  resolveHost?: ResolveHost;
  limits?: FetchLimits;
  /** epoch milliseconds; default Date.now */
  now?: () => number;
  /** default isPublicAddress; tests let a stand-in document host on loopback through */
  isFetchableAddress?: (address: string) => boolean;
  /** certificates to trust instead of the system's (tests: the stand-in host's own) */
  ca?: string;
}

/** a fetch the server would not make; oidc-provider answers invalid_client without showing the reason */
class ClientMetadataFetchRefusedError extends Error {
  override name = 'ClientMetadataFetchRefusedError';
}

// oidc-provider passes a signal of its own with the same bound (and limits the body to 5 KB);
// this one holds even if it stops doing so.
const FETCH_TIMEOUT_MS = 2_500;
const FAILURE_TTL_MS = 120_000;
const FAILURE_ENTRIES = 10_000;

const resolveWithSystem: ResolveHost = (hostname) => systemLookup(hostname, { all: true, order: 'verbatim' });

export function createClientMetadataFetch(options: ClientMetadataFetchOptions = {}): typeof fetch {
  const resolveHost = options.resolveHost ?? resolveWithSystem;
  const now = options.now ?? Date.now;
  const isFetchable = options.isFetchableAddress ?? isPublicAddress;
  const budget = createFetchBudget(options.limits ?? DEFAULT_FETCH_LIMITS, now);
  const failures = createFailureMemory({ ttlMs: FAILURE_TTL_MS, maxEntries: FAILURE_ENTRIES, now });

  async function fetchDocument(url: URL, init: RequestInit): Promise<Response> {
    // A host that resolves nowhere public fails for every path on it; a refused connection for every
    // path on that port; an error status only for that document.
    const keys = { host: `host:${url.hostname}`, origin: `origin:${url.origin}`, document: `document:${url.href}` };
    const remembered = failures.recall(keys.host) ?? failures.recall(keys.origin) ?? failures.recall(keys.document);
    if (remembered) throw new ClientMetadataFetchRefusedError(`${remembered} (failed lately, not tried again yet)`);
    if (url.protocol !== 'https:') throw new ClientMetadataFetchRefusedError('client metadata documents are fetched over https only');
    if ((init.method ?? 'GET') !== 'GET') throw new ClientMetadataFetchRefusedError('client metadata documents are only read (GET)');
    const literal = literalAddress(url.hostname);
    if (literal !== undefined && !isFetchable(literal)) {
      failures.remember(keys.host, `${literal} is not a public address`);
      throw new ClientMetadataFetchRefusedError(`${literal} is not a public address`);
    }

    const release = budget.start();
    if (!release) throw new ClientMetadataFetchRefusedError('too many client metadata fetches at the moment');
    const signal = AbortSignal.any([AbortSignal.timeout(FETCH_TIMEOUT_MS), ...(init.signal ? [init.signal] : [])]);
    try {
      let addresses: ResolvedAddress[];
      try {
        addresses = literal === undefined ? await fetchableAddressesOf(url.hostname, resolveHost, isFetchable, signal) : [{ address: literal, family: isIP(literal) }];
      } catch (error) {
        const reason = error instanceof ClientMetadataFetchRefusedError ? error.message : `${url.hostname} does not resolve`;
        failures.remember(keys.host, reason);
        throw new ClientMetadataFetchRefusedError(reason);
      }
      if (!budget.admitAddresses(addresses.map(({ address }) => address))) {
        throw new ClientMetadataFetchRefusedError(`too many client metadata fetches toward ${url.hostname} at the moment`);
      }

      let message: IncomingMessage;
      try {
        message = await get(url, { addresses, headers: new Headers(init.headers), signal, ca: options.ca });
      } catch (error) {
        failures.remember(keys.origin, `${url.origin} cannot be reached (${(error as Error).message})`);
        throw error;
      }
      // the fetch holds its slot until the body is read or dropped
      message.once('close', release);
      if (message.statusCode !== 200) {
        message.destroy();
        failures.remember(keys.document, `${url.href} answered ${message.statusCode}`);
        throw new ClientMetadataFetchRefusedError(`${url.href} answered ${message.statusCode}`);
      }
      // A body dropped half-way (over oidc-provider's size limit, or out of time) fails that document,
      // remembered before oidc-provider's error handler looks the client up (and would fetch it) again.
      const body = bodyOf(message, () => failures.remember(keys.document, `${url.href} was not read to its end (too large or too slow)`));
      return new Response(body, { status: 200, headers: headersOf(message) });
    } catch (error) {
      release();
      throw error;
    }
  }

  return ((input: string | URL | Request, init: RequestInit = {}) =>
    fetchDocument(new URL(input instanceof Request ? input.url : String(input)), init)) as typeof fetch;
}

/** the address in a URL's host when it is an IP literal (the URL parser already wrote 0x7f.1 as 127.0.0.1) */
function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : undefined;
}

/** every address of the host, all of them fetchable, or a refusal: one private address is enough to refuse */
async function fetchableAddressesOf(
  hostname: string,
  resolveHost: ResolveHost,
  isFetchable: (address: string) => boolean,
  signal: AbortSignal,
): Promise<ResolvedAddress[]> {
  const addresses = await abortable(resolveHost(hostname), signal);
  if (addresses.length === 0) throw new ClientMetadataFetchRefusedError(`${hostname} does not resolve`);
  const refused = addresses.find(({ address }) => !isFetchable(address));
  if (refused) throw new ClientMetadataFetchRefusedError(`${hostname} resolves to ${refused.address}, not a public address`);
  return addresses;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** a GET whose socket connects to one of the checked addresses, never to a fresh resolution */
function get(
  url: URL,
  { addresses, headers, signal, ca }: { addresses: ResolvedAddress[]; headers: Headers; signal: AbortSignal; ca?: string },
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'GET', headers: Object.fromEntries(headers), agent: false, lookup: pinnedLookup(addresses), signal, ...(ca ? { ca } : {}) },
      resolve,
    );
    outgoing.once('error', reject);
    outgoing.end();
  });
}

function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { family?: number | string; all?: boolean }, callback: (...args: unknown[]) => void) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    const usable = family ? addresses.filter((address) => address.family === family) : addresses;
    if (usable.length === 0) callback(Object.assign(new Error('no checked address of this family'), { code: 'ENOTFOUND' }));
    else if (options.all) callback(null, usable);
    else callback(null, usable[0].address, usable[0].family);
  }) as LookupFunction;
}

/** the response body as a web stream that says at once (not a tick later) when it was not read to its end */
function bodyOf(message: IncomingMessage, onIncomplete: () => void): ReadableStream<Uint8Array> {
  const chunks = message[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value));
      } catch (error) {
        onIncomplete();
        controller.error(error);
      }
    },
    cancel() {
      onIncomplete();
      message.destroy();
    },
  });
}

function headersOf(message: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    for (const one of [value ?? []].flat()) headers.append(name, one);
  }
  return headers;
}
