// An unauthenticated flood of authorization requests against the server as a real process, from
// one address and from many (distinct loopback source addresses, 127.0.0.x, as the server sees
// them without a proxy): long parameters are refused, each address is held to its rate, the
// interactions pending overall to their cap, all with a status and Retry-After a client or a browser
// understands; the store stays within its bounds, and a user on another address still signs in and
// keeps working. On the memory store and on Redis alike.
import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { authorizationRequest, registerClient, type RegisteredClient } from '../support/mittwald-oauth/oauth-client.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, postMcp, REDIRECT_URI, refresh, rpc } from './helpers.ts';

const PER_ADDRESS_PER_MINUTE = 10;
const MAX_PENDING = 100;
const LONGEST_STATE = 2048;
/** generous: the process holds ~200 MB at rest; the flood before the limits took it to 2.7 GB */
const MAX_RSS_MB = 600;

interface Answer {
  status: number;
  retryAfter?: string;
  contentType?: string;
}

/** GET from a given local address: the server sees it as the client's address */
function getFrom(localAddress: string, url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { localAddress, agent: false, headers: { accept: 'text/html' } }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'], contentType: response.headers['content-type'] }),
      );
    });
    request.on('error', reject);
  });
}

/** `count` authorization requests from each address, a few at a time per address, all addresses at once */
async function flood(server: ServerProcess, client: RegisteredClient, addresses: string[], count: number, state: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  await Promise.all(
    addresses.map(async (address) => {
      for (let sent = 0; sent < count; sent += 3) {
        const batch = Array.from({ length: Math.min(3, count - sent) }, () => getFrom(address, authorizationRequest(server.url, client, { state }).url));
        answers.push(...(await Promise.all(batch)));
      }
    }),
  );
  return answers;
}

const tally = (answers: Answer[]) => answers.reduce<Record<number, number>>((counts, { status }) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
const addresses = (from: number, count: number) => Array.from({ length: count }, (_, i) => `127.0.0.${from + i}`);

let stack: Stack;
let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
  stack = await startStack({ env: { AUTHORIZE_RATE_LIMIT_PER_MINUTE: String(PER_ADDRESS_PER_MINUTE), AUTHORIZE_MAX_PENDING: String(MAX_PENDING) } });
  // only the simulators and the environment are wanted: the server runs as a child process here
  await stack.server.close();
});

afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

describe.each(['memory', 'Redis'])('an authorization flood on the %s store', (storeKind) => {
  let server: ServerProcess;
  let redisClient: ReturnType<typeof createClient> | undefined;

  beforeAll(async () => {
    if (storeKind === 'Redis') {
      redisClient = createClient({ url: redis.url });
      await redisClient.connect();
      await redisClient.flushAll();
    }
    server = await startServerProcess({ ...stack.env, ...(redisClient ? { REDIS_URL: redis.url } : {}) });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await redisClient?.close();
  });

  /** interactions the store holds now (a fresh count: the first scrape of this process's gauge, or Redis itself) */
  async function pendingInteractions(): Promise<number> {
    if (redisClient) return (await redisClient.keys('mwmcp:oauth:Interaction:*')).length;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^oauth_pending_authorizations (\d+)$/m.exec(metrics)?.[1]);
  }

  it('refuses what passes the limits before storing it, and a user elsewhere still signs in and keeps working', async () => {
    const { body } = await registerClient(server.url, { client_name: 'Flood', redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
    const client = body as unknown as RegisteredClient;

    // one address, a 15 KB state: refused for its length, then for its rate; nothing stored
    const long = await flood(server, client, ['127.0.0.2'], 2 * PER_ADDRESS_PER_MINUTE, 'x'.repeat(15_000));
    expect(tally(long)).toEqual({ 400: PER_ADDRESS_PER_MINUTE, 429: PER_ADDRESS_PER_MINUTE });
    expect(long.find(({ status }) => status === 429)?.retryAfter).toMatch(/^\d+$/);
    expect(long[0].contentType).toMatch(/^text\/html/);

    // six addresses, each at the longest state: each held to its rate
    const spread = await flood(server, client, addresses(10, 6), PER_ADDRESS_PER_MINUTE + 5, 'x'.repeat(LONGEST_STATE));
    expect(tally(spread)).toEqual({ 303: 6 * PER_ADDRESS_PER_MINUTE, 429: 6 * 5 });

    // a well-behaved user on its own address signs in meanwhile, and works
    const alice = await authorizeClient(server.url);
    expect((await postMcp(`${server.url}/mcp`, alice.accessToken, rpc('tools/list'))).status).toBe(200);

    // more addresses than the cap on pending sign-ins allows: refused with 503 before anything is stored
    const wide = await flood(server, client, addresses(20, 8), PER_ADDRESS_PER_MINUTE, 'x'.repeat(LONGEST_STATE));
    const counts = tally(wide);
    expect(counts[503]).toBeGreaterThan(0);
    expect(wide.find(({ status }) => status === 503)?.retryAfter).toMatch(/^\d+$/);
    const admitted = 6 * PER_ADDRESS_PER_MINUTE + 1 + (counts[303] ?? 0); // the flood's and alice's
    // checked before, counted once stored: requests in flight together may pass the cap by their number
    expect(admitted).toBeLessThanOrEqual(MAX_PENDING + 8 * 3);
    expect(await pendingInteractions()).toBeLessThanOrEqual(admitted);

    // the store and the process stay within their bounds; the signed-in user keeps working
    if (redisClient) expect(Number(/used_memory:(\d+)/.exec(await redisClient.info('memory'))?.[1])).toBeLessThan(32 * 1024 ** 2);
    expect(server.rssKb() / 1024).toBeLessThan(MAX_RSS_MB);
    expect((await refresh(server.url, alice)).status).toBe(200);
    expect((await postMcp(`${server.url}/mcp`, alice.accessToken, rpc('tools/list'))).status).toBe(200);
  }, 120_000);
});
