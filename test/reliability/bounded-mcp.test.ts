// What one signed-in user can make the server hold through /mcp is bounded, against the server as a
// real process: batch floods on connections that never read, requests in flight, answers nobody
// reads, notification floods, deeply nested bodies, and sessions opened and ended by the thousand.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { maxRequestsInFlight } from '../../src/mcp/router.ts';
import { MAX_ENDED_SESSIONS_PER_USER } from '../../src/mcp/http/session-handle.ts';
import { waitUntil } from '../support/processes.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, leaksInternals, MCP_HEADERS, postMcp, rpc, toolCall } from './helpers.ts';

// a command's output may be 2 MiB here: an answer may then run 3 MiB ahead of its client
const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;
// RSS the floods below may add: the unbounded server took 1 GB on the same flood
const MAX_RSS_GROWTH_KB = 200 * 1024;

let redis: TestRedis;
let redisClient: ReturnType<typeof createClient>;
let stack: Stack;
let server: ServerProcess;
let alice: AuthorizedClient;
let bob: AuthorizedClient;
let port: number;
const openSockets = new Set<Socket>();

beforeAll(async () => {
  redis = await startTestRedis();
  redisClient = createClient({ url: redis.url });
  await redisClient.connect();
  stack = await startStack({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'warn', CLI_MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES) } });
  await stack.server.close();
  server = await startServerProcess(stack.env);
  port = Number(new URL(server.url).port);
  alice = await authorizeClient(stack.url);
  bob = await authorizeClient(stack.url);
}, 120_000);

afterAll(async () => {
  for (const socket of openSockets) socket.destroy();
  await redisClient?.close();
  await server?.stop();
  await stack?.close();
  await redis?.stop();
});

/** A raw HTTP request on a connection of its own whose answer is never read (until `read()`). */
function unreadRequest(token: string, body: string, headers: Record<string, string> = MCP_HEADERS, sendBytes = Buffer.byteLength(body)) {
  const socket = connect(port, '127.0.0.1');
  openSockets.add(socket);
  const head = Object.entries({ ...headers, authorization: `Bearer ${token}`, 'content-length': String(Buffer.byteLength(body)) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.write(`POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${head}\r\n`);
  socket.write(Buffer.from(body).subarray(0, sendBytes));
  socket.pause();
  let closed = false;
  socket.once('close', () => (closed = true));
  return {
    socket,
    /** reads what the server sent until it closed the connection */
    async read(): Promise<string> {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.resume();
      await waitUntil(() => closed, 'the server to close the connection', 30_000);
      return text;
    },
  };
}

async function healthzAnswers(): Promise<boolean> {
  const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return response.status === 200;
}

describe('a batch flood on connections that never read', () => {
  it('leaves the RSS bounded and /healthz answering', async () => {
    const before = server.rssKb();
    const lists = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => rpc('tools/list', {})).map((m, i) => ({ ...m, id: i })));
    const { 'mcp-protocol-version': _, ...withoutVersion } = MCP_HEADERS;
    const flood = [
      // what brought the server down: 100 lists per request, a 2025-11-25 client and one without a version (2025-03-26)
      ...Array.from({ length: 30 }, () => unreadRequest(alice.accessToken, lists(100))),
      ...Array.from({ length: 30 }, () => unreadRequest(alice.accessToken, lists(100), withoutVersion)),
      // the most a 2025-03-26 client may batch: one list beside 15 notifications, answered from the shared listing
      ...Array.from({ length: 20 }, () =>
        unreadRequest(bob.accessToken, JSON.stringify([rpc('tools/list'), ...Array.from({ length: 15 }, () => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } }))]), withoutVersion),
      ),
    ];
    for (let i = 0; i < 5; i++) {
      expect(await healthzAnswers()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(server.rssKb() - before).toBeLessThan(MAX_RSS_GROWTH_KB);
    for (const request of flood) request.socket.destroy();
    // and the server still serves the flooding user
    expect((await postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list'))).message?.result?.tools?.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('requests in flight', () => {
  it('are capped per grant: beyond the cap a 429 JSON-RPC error and nothing runs; other grants go on', async () => {
    const cap = maxRequestsInFlight(stack.config);
    // requests whose bodies never finish stay in flight without running anything
    const call = JSON.stringify(toolCall('mittwald_project_list'));
    const held = Array.from({ length: cap }, () => unreadRequest(alice.accessToken, call, MCP_HEADERS, 5));
    await waitUntil(async () => (await postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list'))).status === 429, 'the cap to be reached', 30_000);
    const apiCallsBefore = stack.api.requests.length;
    const refused = await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.message).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expect(refused.message?.error.message).toContain(`${cap} requests in flight`);
    expect(stack.api.requests.length).toBe(apiCallsBefore);

    expect((await postMcp(stack.mcpUrl, bob.accessToken, toolCall('mittwald_project_list'))).message?.result?.isError).toBeFalsy();
    for (const request of held) request.socket.destroy();
    await waitUntil(async () => (await postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list'))).status === 200, 'the held requests to be let go', 30_000);
  }, 60_000);
});

describe('an answer its client never reads', () => {
  it('is ended once it runs too far ahead, and what it held is let go', async () => {
    // a project list of about 1 MB per call, eight of them in one 2025-03-26 batch: ~10 MB of answers
    const project = stack.api.state.projects.get(stack.api.users[0].projects[0].id)!;
    const description = project.description;
    project.description = 'x'.repeat(1_000_000);
    try {
      const { 'mcp-protocol-version': _, ...withoutVersion } = MCP_HEADERS;
      const batch = JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ ...toolCall('mittwald_project_list'), id: i })));
      const unread = unreadRequest(alice.accessToken, batch, withoutVersion);
      await waitUntil(() => server.output().includes('ended a response its client does not read'), 'the server to end the unread answer', 45_000);
      const received = await unread.read();
      // cut short: not every answer arrived, and the event stream never ended
      expect(received.match(/"result"/g)?.length ?? 0).toBeLessThan(8);
      expect(received.endsWith('0\r\n\r\n')).toBe(false);
    } finally {
      project.description = description;
    }
    expect((await postMcp(stack.mcpUrl, alice.accessToken, toolCall('mittwald_project_list'))).message?.result?.isError).toBeFalsy();
  }, 90_000);
});

describe('notifications', () => {
  it('are held to the batch cap: a flood of cancellations publishes nothing', async () => {
    const subscriber = redisClient.duplicate();
    await subscriber.connect();
    let published = 0;
    await subscriber.subscribe('mwmcp:mcp:cancellations', () => published++);
    try {
      const { 'mcp-protocol-version': _, ...withoutVersion } = MCP_HEADERS;
      const cancellations = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: i } }));
      const flood = await postMcp(stack.mcpUrl, alice.accessToken, cancellations, { headers: withoutVersion });
      expect(flood.status).toBe(400);
      expect((await postMcp(stack.mcpUrl, alice.accessToken, cancellations)).status).toBe(400);
      // one cancellation alone is still passed on
      expect((await postMcp(stack.mcpUrl, alice.accessToken, cancellations[0])).status).toBe(202);
      await waitUntil(() => published >= 1, 'the single cancellation to be published', 10_000);
      expect(published).toBe(1);
    } finally {
      await subscriber.close();
    }
  });
});

describe('a deeply nested body', () => {
  it('gets a JSON error without stack or path, and nothing is written raw to stderr', async () => {
    const depth = 50_000;
    const deep = `{"jsonrpc":"2.0","id":"x","result":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const outputBefore = server.output().length;
    const answer = await postMcp(stack.mcpUrl, alice.accessToken, deep);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(leaksInternals(answer.text)).toBe(false);
    // give a stray stderr line time to arrive; the server logs JSON lines only (LOG_FORMAT=json)
    expect((await postMcp(stack.mcpUrl, alice.accessToken, rpc('tools/list'))).status).toBe(200);
    const written = server.output().slice(outputBefore).split('\n').filter(Boolean);
    expect(written.filter((line) => !line.startsWith('{'))).toEqual([]);
    expect(written.filter((line) => leaksInternals(line) || line.includes('RangeError'))).toEqual([]);
  });
});

describe('sessions ended', () => {
  it('are remembered in one bounded record per user, and every one stays ended', async () => {
    const initialize = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'ender', version: '1' } });
    const ended: string[] = [];
    for (let i = 0; i < MAX_ENDED_SESSIONS_PER_USER + 16; i++) {
      const session = (await postMcp(stack.mcpUrl, bob.accessToken, initialize)).headers.get('mcp-session-id')!;
      const end = await fetch(stack.mcpUrl, { method: 'DELETE', headers: { authorization: `Bearer ${bob.accessToken}`, 'mcp-session-id': session } });
      expect(end.status).toBe(204);
      ended.push(session);
    }
    const keys: string[] = [];
    for await (const batch of redisClient.scanIterator({ MATCH: 'mwmcp:mcp:ended-session*', COUNT: 1000 })) keys.push(...batch);
    expect(keys).toHaveLength(1);
    expect((await redisClient.get(keys[0]))!.length).toBeLessThan(MAX_ENDED_SESSIONS_PER_USER * 64);
    const listWith = async (session: string) => (await postMcp(stack.mcpUrl, bob.accessToken, rpc('tools/list'), { headers: { 'mcp-session-id': session } })).status;
    for (const session of [ended[0], ended.at(-1)!]) expect(await listWith(session)).toBe(404);
    // a session opened afterwards lives (handles carry their issue time to the second: from the next second on)
    const opened = async () => (await postMcp(stack.mcpUrl, bob.accessToken, initialize)).headers.get('mcp-session-id')!;
    await waitUntil(async () => (await listWith(await opened())) === 200, 'a new session to live', 10_000);
  }, 60_000);
});
