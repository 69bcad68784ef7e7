// Hostile input at every public endpoint: each request gets a clear 4xx (or, where OAuth says so,
// a redirect carrying the error back to the registered client), never a 5xx, never a stack trace or
// a source path, never a change in the store; and no request makes the server fetch a private address.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createClient } from 'redis';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, leaksInternals, MCP_HEADERS, postMcp, REDIRECT_URI, rpc, toolCall } from './helpers.ts';

let redis: TestRedis;
let redisClient: ReturnType<typeof createClient>;
let stack: Stack;
let alice: AuthorizedClient;
let trap: Server;
let trapConnections = 0;
let trapPort = 0;
const mittwaldTokens = new Set<string>();

beforeAll(async () => {
  redis = await startTestRedis();
  redisClient = createClient({ url: redis.url });
  await redisClient.connect();
  stack = await startStack({ env: { REDIS_URL: redis.url, DCR_RATE_LIMIT_PER_HOUR: '100000' } });
  stack.oauth.onTokenIssued((token) => mittwaldTokens.add(token));
  alice = await authorizeClient(stack.url);
  // a listener on a private address: no hostile client id may make the server connect to it, not
  // even for a TCP handshake (every accepted connection counts)
  trap = createServer((socket) => {
    trapConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => trap?.close(resolve));
  await redisClient?.close();
  await stack?.close();
  await redis?.stop();
});

/** every key in the store with its value: the state a hostile request must not change */
async function storeSnapshot(): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for await (const keys of redisClient.scanIterator({ MATCH: 'mwmcp:*', COUNT: 1000 })) {
    for (const key of keys) {
      // a client record's lifetime is renewed on use; its content is what counts
      const type = await redisClient.type(key);
      snapshot.set(key, type === 'string' ? String(await redisClient.get(key)) : (await redisClient.sMembers(key)).sort().join(','));
    }
  }
  return snapshot;
}

type Expectation = '4xx' | 'redirect-error' | 'revocation-ok';

interface HostileRequest {
  name: string;
  method?: string;
  path: string | (() => string);
  headers?: Record<string, string>;
  body?: string | Buffer | (() => string);
  expect?: Expectation;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
const HUGE = 'x'.repeat(3 * 1024 * 1024);
const CHALLENGE = 'A'.repeat(43);

const register = (name: string, body: string, headers: Record<string, string> = JSON_TYPE): HostileRequest => ({ name: `/register: ${name}`, method: 'POST', path: '/register', headers, body });
const registerUris = (name: string, uris: unknown) => register(name, JSON.stringify({ redirect_uris: uris, token_endpoint_auth_method: 'none' }));

function authorizeQuery(overrides: Record<string, string | undefined>, extra = ''): () => string {
  return () => {
    const query = new URLSearchParams();
    const parameters: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: alice.client.client_id,
      redirect_uri: REDIRECT_URI,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 'st',
      ...overrides,
    };
    for (const [name, value] of Object.entries(parameters)) if (value !== undefined) query.set(name, value);
    return `/authorize?${query}${extra}`;
  };
}
const authorize = (name: string, overrides: Record<string, string | undefined>, expectation: Expectation = '4xx', extra = ''): HostileRequest => ({
  name: `/authorize: ${name}`,
  path: authorizeQuery(overrides, extra),
  expect: expectation,
});
const token = (name: string, body: string | (() => string), headers: Record<string, string> = FORM_TYPE): HostileRequest => ({ name: `/token: ${name}`, method: 'POST', path: '/token', headers, body });
const mcp = (name: string, body: string | (() => string), headers: Record<string, string> = {}): HostileRequest => ({
  name: `/mcp: ${name}`,
  method: 'POST',
  path: '/mcp',
  headers: { ...MCP_HEADERS, authorization: '__BEARER__', ...headers },
  body,
});

const privateClientIds = [
  () => `http://127.0.0.1:${trapPort}/client.json`,
  () => `https://127.0.0.1:${trapPort}/client.json`,
  () => 'http://169.254.169.254/latest/meta-data/',
  () => 'https://169.254.169.254/client.json',
  () => `https://[::1]:${trapPort}/client.json`,
  () => `https://localhost:${trapPort}/client.json`,
  () => 'https://10.0.0.1/client.json',
  () => `https://user:pass@127.0.0.1:${trapPort}/client.json`,
  () => `https://2130706433:${trapPort}/client.json`,
  () => `https://[::ffff:127.0.0.1]:${trapPort}/client.json`,
  () => `https://0.0.0.0:${trapPort}/client.json`,
];

function hostileRequests(): HostileRequest[] {
  return [
    // registration
    register('malformed JSON', '{"redirect_uris": ['),
    register('a JSON array', '[]'),
    register('a JSON string', '"hello"'),
    register('a 3 MB body', JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: HUGE })),
    register('text/plain', JSON.stringify({ redirect_uris: [REDIRECT_URI] }), { 'content-type': 'text/plain' }),
    register('a form instead of JSON', `redirect_uris=${encodeURIComponent(REDIRECT_URI)}`, FORM_TYPE),
    register('no content type', JSON.stringify({ redirect_uris: [REDIRECT_URI] }), {}),
    registerUris('javascript: redirect URI', ['javascript:alert(1)']),
    registerUris('data: redirect URI', ['data:text/html,<script>alert(1)</script>']),
    registerUris('redirect URI with a fragment', ['https://client.example/cb#frag']),
    registerUris('redirect URI with userinfo', ['https://user:pass@client.example/cb']),
    registerUris('plain http to a remote host', ['http://client.example/cb']),
    registerUris('a NUL byte in the redirect URI', ['https://client.example/c\u0000b']),
    registerUris('a relative redirect URI', ['/cb']),
    registerUris('redirect_uris not a list', 'https://client.example/cb'),
    registerUris('redirect_uris a list of objects', [{ uri: 'https://client.example/cb' }]),
    registerUris('no redirect URIs', []),
    register('unknown auth method', JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt' })),
    register('client_credentials grant', JSON.stringify({ redirect_uris: [REDIRECT_URI], grant_types: ['client_credentials'] })),
    register('implicit response type', JSON.stringify({ redirect_uris: [REDIRECT_URI], response_types: ['token'] })),
    register('duplicate keys and a NUL name', `{"redirect_uris":["javascript:x"],"redirect_uris":["javascript:y"],"client_name":"a\\u0000b"}`),
    register('deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`),
    { name: '/register: GET a client without its access token', path: () => `/register/${alice.client.client_id}` },
    { name: '/register: DELETE a client with a forged access token', method: 'DELETE', path: () => `/register/${alice.client.client_id}`, headers: { authorization: 'Bearer forged' } },

    // authorization
    { name: '/authorize: no parameters', path: '/authorize' },
    authorize('unknown client', { client_id: 'no-such-client' }),
    authorize('redirect URI not registered (open redirect)', { redirect_uri: 'https://evil.example/cb' }),
    authorize('registered URI plus a path', { redirect_uri: `${REDIRECT_URI}/../evil` }),
    authorize('javascript: redirect URI', { redirect_uri: 'javascript:alert(1)' }),
    authorize('redirect URI with a fragment', { redirect_uri: `${REDIRECT_URI}#x` }),
    authorize('redirect URI with userinfo', { redirect_uri: 'http://evil@127.0.0.1:53682/callback' }),
    authorize('duplicate client_id', {}, '4xx', '&client_id=other'),
    authorize('duplicate redirect_uri (the error goes to the registered URI)', {}, 'redirect-error', `&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`),
    authorize('duplicate state', {}, 'redirect-error', '&state=second'),
    authorize('no PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'redirect-error'),
    authorize('plain PKCE', { code_challenge_method: 'plain' }, 'redirect-error'),
    authorize('short code challenge', { code_challenge: 'abc' }, 'redirect-error'),
    authorize('implicit response type', { response_type: 'token' }, 'redirect-error'),
    authorize('another resource', { resource: 'https://evil.example/mcp' }, 'redirect-error'),
    authorize('a request object', { request: 'eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.' }, 'redirect-error'),
    authorize('NUL and unicode in scope', { scope: 'project:read\u0000\u202e\uffff' }, 'redirect-error'),
    authorize('a 10 kB client_id', { client_id: 'c'.repeat(10_000) }),
    authorize('a 20 kB query', { state: 's'.repeat(20_000) }),
    { name: '/authorize: POST with JSON', method: 'POST', path: '/authorize', headers: JSON_TYPE, body: '{"client_id":1}' },

    // token
    token('malformed form', '%%%&&&==='),
    token('JSON instead of a form', () => JSON.stringify({ grant_type: 'refresh_token', refresh_token: alice.refreshToken, client_id: alice.client.client_id }), JSON_TYPE),
    token('no grant type', () => `client_id=${alice.client.client_id}`),
    token('unsupported grant type', () => `grant_type=password&username=a&password=b&client_id=${alice.client.client_id}`),
    token('client credentials', () => `grant_type=client_credentials&client_id=${alice.client.client_id}`),
    token('bogus code', () => `grant_type=authorization_code&code=bogus&code_verifier=${'v'.repeat(43)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&client_id=${alice.client.client_id}`),
    token('bogus refresh token', () => `grant_type=refresh_token&refresh_token=bogus&client_id=${alice.client.client_id}`),
    token('duplicate grant_type', () => `grant_type=refresh_token&grant_type=authorization_code&refresh_token=x&client_id=${alice.client.client_id}`),
    token('duplicate refresh_token', () => `grant_type=refresh_token&refresh_token=${alice.refreshToken}&refresh_token=x&client_id=${alice.client.client_id}`),
    token('unknown client', 'grant_type=refresh_token&refresh_token=x&client_id=nobody'),
    token('NUL bytes', () => `grant_type=refresh_token&refresh_token=a%00b&client_id=${alice.client.client_id}%00`),
    token('a 3 MB body', () => `grant_type=refresh_token&refresh_token=${HUGE}&client_id=${alice.client.client_id}`),
    token('malformed Basic credentials', 'grant_type=refresh_token&refresh_token=x', { ...FORM_TYPE, authorization: 'Basic !!!not-base64' }),
    token('Basic and client_id both', () => `grant_type=refresh_token&refresh_token=x&client_id=${alice.client.client_id}`, { ...FORM_TYPE, authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
    token('another resource', () => `grant_type=refresh_token&refresh_token=${alice.refreshToken}&resource=${encodeURIComponent('https://evil.example/mcp')}&client_id=${alice.client.client_id}`),
    { name: '/token: GET', path: '/token?grant_type=refresh_token' },

    // revocation (RFC 7009: an unknown token is answered 200 without effect)
    { name: '/revoke: no token', method: 'POST', path: '/revoke', headers: FORM_TYPE, body: () => `client_id=${alice.client.client_id}` },
    { name: '/revoke: no client', method: 'POST', path: '/revoke', headers: FORM_TYPE, body: 'token=x' },
    { name: '/revoke: JSON', method: 'POST', path: '/revoke', headers: JSON_TYPE, body: () => JSON.stringify({ token: alice.accessToken, client_id: alice.client.client_id }) },
    { name: '/revoke: another client revoking alice’s token', method: 'POST', path: '/revoke', headers: FORM_TYPE, body: () => `token=${alice.accessToken}&client_id=nobody` },
    { name: '/revoke: unknown token', method: 'POST', path: '/revoke', headers: FORM_TYPE, body: () => `token=${'t'.repeat(5000)}&client_id=${alice.client.client_id}`, expect: 'revocation-ok' },

    // mittwald callback
    { name: '/mittwald/callback: no state', path: '/mittwald/callback?code=x' },
    { name: '/mittwald/callback: state pointing elsewhere', path: `/mittwald/callback?state=${encodeURIComponent('https://evil.example/')}&code=x` },
    { name: '/mittwald/callback: unknown well-formed state', path: `/mittwald/callback?state=${'s'.repeat(40)}&code=x` },
    { name: '/mittwald/callback: error with unknown state', path: `/mittwald/callback?error=access_denied&state=${'s'.repeat(40)}` },
    { name: '/mittwald/callback: duplicate state', path: `/mittwald/callback?state=${'a'.repeat(40)}&state=${'b'.repeat(40)}&code=x` },
    { name: '/mittwald/callback: NUL and unicode state', path: '/mittwald/callback?state=%00%E2%80%AE%F0%9F%92%A9&code=x' },
    { name: '/mittwald/callback: state as an array', path: '/mittwald/callback?state[]=a&state[]=b' },
    { name: '/mittwald/callback: a 20 kB state', path: `/mittwald/callback?state=${'s'.repeat(20_000)}` },

    // interactions
    { name: '/interaction: unknown uid', path: '/interaction/unknown-uid' },
    { name: '/interaction: dot-dot uid', path: '/interaction/%2e%2e/%2e%2e/etc/passwd' },
    { name: '/interaction: confirm without session', method: 'POST', path: '/interaction/x/confirm', headers: FORM_TYPE, body: 'decision=allow&csrf=x' },
    { name: '/interaction: confirm with JSON', method: 'POST', path: '/interaction/x/confirm', headers: JSON_TYPE, body: '{"decision":' },
    { name: '/interaction: confirm with a 3 MB form', method: 'POST', path: '/interaction/x/confirm', headers: FORM_TYPE, body: `decision=${HUGE}` },
    { name: '/interaction: mittwald return without session', path: `/interaction/x/mittwald?state=${'s'.repeat(40)}&code=y` },

    // MCP
    mcp('malformed JSON', '{"jsonrpc":'),
    mcp('empty batch', '[]'),
    mcp('batch of numbers', '[1,2,3]'),
    mcp('null', 'null'),
    mcp('a string', '"tools/list"'),
    mcp('wrong jsonrpc version', JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'tools/list' })),
    mcp('missing method', JSON.stringify({ jsonrpc: '2.0', id: 1 })),
    mcp('method not a string', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 42 })),
    mcp('params a string', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: 'x' })),
    mcp('params an array', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: [1, 2] })),
    mcp('id an object', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' })),
    mcp('10k-element batch', JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/list' })))),
    mcp('batch of 200 tool calls', JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'mittwald_project_list', arguments: {} } })))),
    mcp('a 3 MB body', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { x: HUGE } })),
    mcp('deeply nested params', `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`),
    mcp('text/plain', JSON.stringify(rpc('tools/list')), { 'content-type': 'text/plain' }),
    mcp('form encoded', 'jsonrpc=2.0&method=tools/list', FORM_TYPE),
    mcp('accepts only HTML', JSON.stringify(rpc('tools/list')), { accept: 'text/html' }),
    mcp('forged session id', JSON.stringify(rpc('tools/list')), { 'mcp-session-id': 'forged' }),
    mcp('unknown protocol version', JSON.stringify(rpc('ping')), { 'mcp-protocol-version': '1999-01-01' }),
    mcp('no bearer token', JSON.stringify(rpc('tools/list')), { authorization: '' }),
    mcp('bearer with a tab inside', JSON.stringify(rpc('tools/list')), { authorization: 'Bearer ab\tcd' }),
    mcp('basic credentials', JSON.stringify(rpc('tools/list')), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
    mcp('refresh token as bearer', JSON.stringify(rpc('tools/list')), { authorization: '__REFRESH__' }),
    { name: '/mcp: token in the query', method: 'POST', path: () => `/mcp?access_token=${alice.accessToken}`, headers: { ...MCP_HEADERS }, body: JSON.stringify(rpc('tools/list')) },
    { name: '/mcp: GET', path: '/mcp', headers: { authorization: '__BEARER__', accept: 'text/event-stream' } },
    { name: '/mcp: DELETE', method: 'DELETE', path: '/mcp', headers: { authorization: '__BEARER__' } },

    // metrics, discovery, paths
    { name: '/metrics: POST', method: 'POST', path: '/metrics', headers: JSON_TYPE, body: '{}' },
    { name: '/metrics/../register', path: '/metrics/../register' },
    { name: '/.well-known: unknown document', path: '/.well-known/unknown' },
    { name: '/.well-known: dot-dot', path: '/.well-known/oauth-authorization-server/../../../etc/passwd' },
    { name: '/.well-known: encoded dot-dot', path: '/.well-known/%2e%2e/%2e%2e/etc/passwd' },
    { name: '/.well-known: encoded slash', path: '/.well-known%2foauth-authorization-server' },
    { name: '/.well-known: protected resource of another path', path: '/.well-known/oauth-protected-resource/admin' },
    { name: '/.well-known: POST', method: 'POST', path: '/.well-known/oauth-authorization-server', headers: JSON_TYPE, body: '{}' },
    { name: 'double slashes', path: '//register//' },
    { name: 'encoded NUL in the path', path: '/register%00' },
    { name: 'malformed percent encoding', path: '/interaction/%E0%A4%A' },
    { name: 'overlong UTF-8 in the path', path: '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd' },
    { name: 'a 60 kB path', path: `/${'a/'.repeat(30_000)}` },
    { name: 'backslashes', path: '/..\\..\\windows\\win.ini' },
  ];
}

function resolveRequest(request: HostileRequest) {
  const path = typeof request.path === 'function' ? request.path() : request.path;
  const body = typeof request.body === 'function' ? request.body() : request.body;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === '') continue;
    headers[name] = value === '__BEARER__' ? `Bearer ${alice.accessToken}` : value === '__REFRESH__' ? `Bearer ${alice.refreshToken}` : value;
  }
  return { path, body, headers };
}

/** raw HTTP (fetch would normalise paths and refuse control characters) */
async function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer) {
  const { request } = await import('node:http');
  const url = new URL(stack.url);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // the server may answer (413, 431) and close before a huge body is fully sent
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve({ status: 0, headers: {}, text: error.code });
      else reject(error);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('hostile requests at every public endpoint', () => {
  const table = hostileRequests();

  it(`answers all ${table.length} with a clear 4xx (or the OAuth error redirect), no internals, no store change, no private fetch`, async () => {
    const problems: string[] = [];
    for (const request of table) {
      const { path, body, headers } = resolveRequest(request);
      const before = await storeSnapshot();
      const answer = await send(request.method ?? 'GET', path, headers, body);
      const after = await storeSnapshot();
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key));
      if (changed.length) problems.push(`${request.name}: changed the store (${answer.status}): ${changed.map((k) => k.split(':').slice(0, 3).join(':')).join(', ')}`);
      const expectation = request.expect ?? '4xx';
      const location = String(answer.headers.location ?? '');
      const ok =
        expectation === '4xx'
          ? answer.status >= 400 && answer.status < 500
          : expectation === 'redirect-error'
            ? answer.status >= 300 && answer.status < 400 && /^[?#]error=|[?#&]error=/.test(location.slice(REDIRECT_URI.length)) && location.startsWith(REDIRECT_URI)
            : answer.status === 200;
      if (!ok) problems.push(`${request.name}: expected ${expectation}, got ${answer.status} ${location} ${answer.text.slice(0, 200)}`);
      if (answer.status >= 400 && answer.status < 500 && answer.text.trim().length === 0 && ![404, 405, 431].includes(answer.status)) {
        // 431 comes from Node's HTTP parser, before any of our code, without a body
        problems.push(`${request.name}: ${answer.status} without an explanation`);
      }
      if (leaksInternals(answer.text)) problems.push(`${request.name}: internals in the body: ${answer.text.slice(0, 300)}`);
      if (location && !location.startsWith(stack.url) && !location.startsWith('/') && !/^[?#]/.test(location.slice(REDIRECT_URI.length))) {
        problems.push(`${request.name}: redirected elsewhere: ${location}`);
      }
    }
    expect(problems).toEqual([]);
    // the grant is still whole
    expect((await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list'))).message?.result?.isError).toBeFalsy();
  });
});

describe('client id metadata documents at private addresses', () => {
  it('are refused by a real server process, which connects nowhere', async () => {
    const server = await startServerProcess({ ...stack.env, PORT: String(await freePort()) });
    const problems: string[] = [];
    try {
      for (const clientId of privateClientIds) {
        const answer = await fetch(`${server.url}${authorizeQuery({ client_id: clientId() })()}`, { redirect: 'manual' });
        const text = await answer.text();
        if (answer.status < 400 || answer.status >= 500) problems.push(`${clientId()}: ${answer.status} ${answer.headers.get('location')}`);
        if (leaksInternals(text)) problems.push(`${clientId()}: internals in the body`);
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(problems).toEqual([]);
    expect(trapConnections).toBe(0);
  });
});

const OAUTH_PARAMETERS = [
  'response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'scope', 'resource',
  'prompt', 'request', 'request_uri', 'response_mode', 'grant_type', 'code', 'refresh_token', 'code_verifier', 'client_secret', 'token',
];

describe('property: OAuth parameter parsing', () => {
  const value = () =>
    fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(alice.client.client_id, REDIRECT_URI, CHALLENGE, 'S256', 'code', 'refresh_token', 'authorization_code', stack.mcpUrl),
      fc.constantFrom('javascript:alert(1)', 'https://evil.example/', `${'x'.repeat(5000)}`, '\u0000', '%00', '../../', '[]', '{}'),
    );
  const parameters = () => fc.array(fc.tuple(fc.oneof(fc.constantFrom(...OAUTH_PARAMETERS), fc.string()), value()), { maxLength: 12 });
  const encode = (pairs: Array<[string, string]>) => {
    const query = new URLSearchParams();
    for (const [name, text] of pairs) query.append(name, text);
    return query.toString();
  };

  it('/authorize with arbitrary parameters never answers 5xx nor shows internals', async () => {
    await fc.assert(
      fc.asyncProperty(parameters(), async (pairs) => {
        const answer = await send('GET', `/authorize?${encode(pairs)}`, {});
        expect(answer.status).toBeLessThan(500);
        expect(leaksInternals(answer.text)).toBe(false);
      }),
      { numRuns: 80 },
    );
  });

  it('/token and /revoke with arbitrary forms never answer 5xx nor show internals', async () => {
    await fc.assert(
      fc.asyncProperty(parameters(), fc.constantFrom('/token', '/revoke'), async (pairs, path) => {
        const answer = await send('POST', path, FORM_TYPE, encode(pairs));
        expect(answer.status).toBeLessThan(500);
        expect(leaksInternals(answer.text)).toBe(false);
      }),
      { numRuns: 80 },
    );
  });
});

describe('property: tool arguments to argv, end to end through /mcp', () => {
  it('no string value becomes a flag: the API only ever sees the user’s own mittwald token, nothing crashes', async () => {
    const injection = fc.constantFrom(
      '--token=stolen', '--token', '-t', '--help', '-h', '--output=yaml', '--', '-', '--project-id=p-other', '--api-base-url=http://127.0.0.1:1',
      '$(id)', '`id`', '; rm -rf /', '| cat /etc/passwd', '../../etc/passwd', '%00', 'p-\n--token=x', ' --token=x', '\t-h', '--no-token',
    );
    const anyValue = fc.oneof(injection, fc.string({ minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }), fc.tuple(injection, fc.string()).map(([a, b]) => a + b));
    const call = fc.record({ tool: fc.constantFrom<[string, string]>(['mittwald_project_get', 'project_id'], ['mittwald_app_list', 'project_id'], ['mittwald_user_get', 'user_id']), value: anyValue });
    const samples = fc.sample(call, { numRuns: 36, seed: 42 });

    stack.api.clearRequests();
    const outcomes: Array<{ sample: (typeof samples)[number]; outcome: Awaited<ReturnType<typeof postMcp>> }> = [];
    // three at a time: the per-user CLI limit, so nothing is refused as busy
    for (let i = 0; i < samples.length; i += 3) {
      const batch = samples.slice(i, i + 3);
      const answers = await Promise.all(batch.map(({ tool: [name, property], value }) => postMcp(stack.mcpUrl, alice.accessToken, toolCall(name, { [property]: value }))));
      answers.forEach((outcome, index) => outcomes.push({ sample: batch[index], outcome }));
    }
    for (const { sample, outcome } of outcomes) {
      const where = JSON.stringify(sample);
      expect({ where, status: outcome.status }).toEqual({ where, status: 200 });
      const result = outcome.message?.result;
      expect({ where, answered: result !== undefined || outcome.message?.error !== undefined }).toEqual({ where, answered: true });
      const text = JSON.stringify(result ?? outcome.message?.error);
      expect({ where, help: /USAGE|FLAGS\s*\n/.test(text) }).toEqual({ where, help: false });
      expect({ where, leaks: leaksInternals(text) }).toEqual({ where, leaks: false });
      if (result?.isError) expect(result.structuredContent?.error?.code).toEqual(expect.any(String));
    }
    const foreign = stack.api.requests.filter((r) => !r.token || !mittwaldTokens.has(r.token) || r.method !== 'GET');
    expect(foreign).toEqual([]);
    expect(stack.api.requests.length).toBeGreaterThan(0);
    // 36 mw runs, three at a time: each costs what a real mw start costs (the stand-in loads Ink and React too)
  }, 120_000);
});
