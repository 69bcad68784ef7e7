// Client ID Metadata Documents are fetched from a URL any caller names: the server must never open
// a connection into its own network for one, whatever form the address takes or whatever a host
// name resolves to, and it must not fetch on a caller's behalf at any rate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClientMetadataFetch, type ResolvedAddress } from '../../src/oauth/client-metadata/client-metadata-fetch.ts';
import { createFetchBudget } from '../../src/oauth/client-metadata/fetch-budget.ts';
import { isPublicAddress } from '../../src/oauth/client-metadata/special-use-addresses.ts';
import { startOAuthTestDeployment, type OAuthTestDeployment } from '../support/mittwald-oauth/oauth-test-app.ts';
import { authorizationRequest, authorizeInBrowser, REDIRECT_URI, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';

/** loopback listeners that count every TCP connection accepted, before any byte is read */
let listeners: Server[] = [];
let accepted = 0;
let port = 0;

beforeAll(async () => {
  const first = await listen('127.0.0.1', 0);
  port = (first.address() as { port: number }).port;
  listeners = [first];
  // the same port on ::1, where the machine has IPv6 loopback
  const second = await listen('::1', port).catch(() => undefined);
  if (second) listeners.push(second);
});

afterAll(async () => {
  await Promise.all(listeners.map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(host: string, onPort: number): Promise<Server> {
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(onPort, host, () => resolve(server));
  });
}

/** /authorize with this client_id, as anyone on the internet may send it */
async function authorizeWith(deployment: OAuthTestDeployment, clientId: string) {
  const { url } = authorizationRequest(deployment.app.url, { client_id: clientId, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
  const answer = await fetch(url, { redirect: 'manual' });
  return { status: answer.status, location: answer.headers.get('location'), body: await answer.text() };
}

const id = (host: string) => `https://${host}:${port}/client.json`;
// the fetches' clock stands still: a per-minute count cannot straddle two minutes on a slow machine
const frozenClock = () => Date.parse('2026-12-01T12:00:00Z');

// every way of writing an address of this machine that the URL parser lets through
const LITERAL_HOSTS = [
  '127.0.0.1', '127.1', '127.0.0.2', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '0.0.0.0',
  '[::1]', '[::]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:0:0:1]', '[::127.0.0.1]', '[64:ff9b::7f00:1]', '[2002:7f00:1::]',
  'localhost', 'LOCALHOST', 'localhost.',
];

describe('client id metadata documents on the server’s own network (default fetch)', () => {
  let deployment: OAuthTestDeployment;
  beforeAll(async () => {
    deployment = await startOAuthTestDeployment();
  });
  afterAll(() => deployment.close());

  it.each(LITERAL_HOSTS)('refuses %s without connecting, with a clear error page', async (host) => {
    const before = accepted;
    const answer = await authorizeWith(deployment, id(host));
    expect(answer.location).toBeNull();
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('client_id metadata document');
    expect(accepted - before).toBe(0);
  });
});

describe('client id metadata documents on host names that resolve inward', () => {
  const names: Record<string, string[]> = {
    'loopback.example.test': ['127.0.0.1'],
    'loopback6.example.test': ['::1'],
    'mapped.example.test': ['::ffff:127.0.0.1'],
    // a public address first does not make the loopback one behind it acceptable
    'mixed.example.test': ['93.184.215.14', '127.0.0.1'],
    'metadata.example.test': ['169.254.169.254'],
    'private.example.test': ['10.1.2.3', 'fd00::5'],
  };
  const resolutions: string[] = [];
  const resolveHost = async (hostname: string): Promise<ResolvedAddress[]> => {
    resolutions.push(hostname);
    const addresses = names[hostname] ?? (hostname.startsWith('flood-') ? ['10.9.9.9'] : undefined);
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  let deployment: OAuthTestDeployment;
  beforeAll(async () => {
    deployment = await startOAuthTestDeployment({
      clientMetadataFetch: createClientMetadataFetch({ resolveHost, limits: { inFlight: 8, perMinute: 20, perAddressPerMinute: 12 }, now: frozenClock }),
    });
  });
  afterAll(() => deployment.close());

  it.each(Object.keys(names))('refuses %s without connecting', async (host) => {
    const before = accepted;
    const answer = await authorizeWith(deployment, id(host));
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('client_id metadata document');
    expect(accepted - before).toBe(0);
  });

  it('remembers the failure: the same id again, or another path on that host, is refused without resolving it', async () => {
    resolutions.length = 0;
    for (const path of ['client.json', 'client.json', 'other.json', 'third.json?x=1']) {
      expect((await authorizeWith(deployment, `https://private.example.test:${port}/${path}`)).status).toBe(400);
    }
    expect(resolutions).toEqual([]);
    expect(accepted).toBe(0);
  });

  it('resolves at most its per-minute share of distinct names, then refuses without resolving', async () => {
    resolutions.length = 0;
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++) statuses.add((await authorizeWith(deployment, id(`flood-${i}.example.test`))).status);
    expect([...statuses]).toEqual([400]);
    // 20 per minute in all, of which the names above already used their share
    expect(resolutions.length).toBeLessThanOrEqual(20);
    expect(resolutions.length).toBeGreaterThan(0);
    expect(accepted).toBe(0);
  });
});

describe('a client id metadata document on a host that resolves to an allowed address', () => {
  // A stand-in for a public host: its name resolves (in this test only) to a loopback address the
  // test lets through; the name resolves nowhere else, so a login through it proves the connection
  // went to the address that was checked and not to a second resolution.
  const HOST = 'docs.example.test';
  let documentServer: ReturnType<typeof createHttpsServer>;
  let documentPort = 0;
  let documentConnections = 0;
  let deployment: OAuthTestDeployment;
  const resolutions: string[] = [];
  let answerFor = (hostname: string) => (hostname === HOST ? ['127.0.0.1'] : []);

  beforeAll(async () => {
    const work = mkdtempSync(join(tmpdir(), 'cimd-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(work, 'key.pem'),
        '-out', join(work, 'cert.pem'), '-days', '1', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`], { stdio: 'ignore' });
      const key = readFileSync(join(work, 'key.pem'), 'utf8');
      const cert = readFileSync(join(work, 'cert.pem'), 'utf8');
      documentServer = createHttpsServer({ key, cert }, (request, response) => {
        const clientId = `https://${HOST}:${documentPort}${request.url}`;
        if (request.url === '/huge.json') return void response.writeHead(200, { 'content-type': 'application/json' }).end(`{"client_id":"${clientId}","x":"${'x'.repeat(1 << 20)}"}`);
        if (request.url === '/slow.json') return void response.writeHead(200, { 'content-type': 'application/json' }).write('{'); // and nothing more
        if (request.url !== '/client.json') return void response.writeHead(404).end();
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
        response.end(JSON.stringify({ client_id: clientId, client_name: 'Document Client', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }));
      });
      documentServer.on('connection', () => documentConnections++);
      await new Promise<void>((resolve) => documentServer.listen(0, '127.0.0.1', resolve));
      documentPort = (documentServer.address() as { port: number }).port;
      deployment = await startOAuthTestDeployment({
        clientMetadataFetch: createClientMetadataFetch({
          resolveHost: async (hostname) => {
            resolutions.push(hostname);
            return answerFor(hostname).map((address) => ({ address, family: 4 }));
          },
          isFetchableAddress: (address) => address === '127.0.0.1',
          ca: cert,
          limits: { inFlight: 8, perMinute: 100, perAddressPerMinute: 5 },
          now: frozenClock,
        }),
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await deployment.close();
    documentServer.closeAllConnections();
    await new Promise((resolve) => documentServer.close(resolve));
  });

  it('logs the client in, resolving its host once', async () => {
    const client = { client_id: `https://${HOST}:${documentPort}/client.json`, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' };
    const outcome = await authorizeInBrowser(deployment.app.url, client);
    const code = outcome.callback?.searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await tokenRequest(deployment.app.url, client, { grant_type: 'authorization_code', code: code!, code_verifier: outcome.verifier, redirect_uri: REDIRECT_URI });
    expect(tokens.status).toBe(200);
    expect(resolutions).toEqual([HOST]);
  });

  it.each(['huge', 'slow'])('refuses a %s document with a clear error page', async (name) => {
    const answer = await authorizeWith(deployment, `https://${HOST}:${documentPort}/${name}.json`);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('client_id metadata document');
  });

  it('connects to one address only its per-minute share of times, whatever the client ids', async () => {
    const before = documentConnections;
    for (let i = 0; i < 12; i++) {
      expect((await authorizeWith(deployment, `https://${HOST}:${documentPort}/missing-${i}.json`)).status).toBe(400);
    }
    // five per minute toward 127.0.0.1, of which the login and the two documents above used three
    // (each once: the error handler's second look-up finds the failure remembered)
    expect(documentConnections - before).toBe(2);
  });

  it('refuses the host once one of its addresses is private, without connecting', async () => {
    answerFor = (hostname) => (hostname === HOST ? ['127.0.0.1', '10.0.0.7'] : []);
    const before = accepted;
    const answer = await authorizeWith(deployment, `https://${HOST}:${port}/other.json`);
    expect(answer.status).toBe(400);
    expect(accepted - before).toBe(0);
  });
});

describe('special-use addresses', () => {
  it.each([
    '0.0.0.0', '10.0.0.1', '100.64.0.1', '100.127.255.254', '127.0.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255', '192.0.0.8',
    '192.0.2.1', '192.88.99.1', '192.168.1.1', '198.18.0.1', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250', '240.0.0.1',
    '255.255.255.255', '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:8.8.8.8', '::127.0.0.1', '64:ff9b::a00:1', '100::1',
    'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '2001::1', '2001:db8::1', '2002:a00:1::1', '3fff::1', 'not-an-address',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '93.184.215.14', '100.63.255.255', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('fetch budget', () => {
  let clock = 0;
  const now = () => clock;

  it('lets one address be fetched from a bounded number of times a minute', () => {
    const budget = createFetchBudget({ inFlight: 100, perMinute: 100, perAddressPerMinute: 2 }, now);
    expect([1, 2, 3].map(() => budget.admitAddresses(['93.184.215.14']))).toEqual([true, true, false]);
    expect(budget.admitAddresses(['8.8.8.8'])).toBe(true);
    // one address over its share refuses the whole set, and counts nothing for the others
    expect(budget.admitAddresses(['8.8.4.4', '93.184.215.14'])).toBe(false);
    expect([1, 2].map(() => budget.admitAddresses(['8.8.4.4']))).toEqual([true, true]);
    clock += 60_000;
    expect(budget.admitAddresses(['93.184.215.14'])).toBe(true);
  });

  it('holds the fetches running at once and started per minute', () => {
    const budget = createFetchBudget({ inFlight: 2, perMinute: 3, perAddressPerMinute: 100 }, now);
    const first = budget.start();
    const second = budget.start();
    expect(budget.start()).toBeUndefined();
    first!();
    first!(); // releasing twice frees one slot only
    const third = budget.start();
    expect(third).toBeDefined();
    second!();
    third!();
    expect(budget.start()).toBeUndefined(); // three started this minute
    clock += 60_000;
    expect(budget.start()).toBeDefined();
  });
});
