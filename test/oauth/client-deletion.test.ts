// A client deleted through RFC 7592 (DELETE /register/:id) takes what it was given along: its
// access token is refused at /mcp from the answer on, and its grants, tokens and the encrypted
// mittwald tokens are deleted, not kept for their 30 days. Another client of the same user keeps
// its grant. Against the whole server on Redis, whose keys the test reads.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, postMcp, rpc } from '../reliability/helpers.ts';

let redis: TestRedis;
let stack: Stack;
let redisClient: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = await startTestRedis();
  stack = await startStack({ env: { REDIS_URL: redis.url } });
  redisClient = createClient({ url: redis.url });
  await redisClient.connect();
});

afterAll(async () => {
  await redisClient?.close();
  await stack?.close();
  await redis?.stop();
});

/** every stored record of `model` that names `clientId`, by id */
async function recordsOf(model: string, clientId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const keys of redisClient.scanIterator({ MATCH: `mwmcp:oauth:${model}:*`, COUNT: 1000 })) {
    for (const key of keys) {
      const record = JSON.parse(String(await redisClient.get(key))) as { payload: { clientId?: string } };
      if (record.payload.clientId === clientId) ids.push(key.slice(`mwmcp:oauth:${model}:`.length));
    }
  }
  return ids;
}

async function stored(client: AuthorizedClient) {
  const grants = await recordsOf('Grant', client.client.client_id);
  const mittwaldTokens = (await Promise.all(grants.map((id) => redisClient.exists(`mwmcp:oauth:mittwald-tokens:${id}`)))).reduce((a, b) => a + b, 0);
  return {
    grants: grants.length,
    accessTokens: (await recordsOf('AccessToken', client.client.client_id)).length,
    refreshTokens: (await recordsOf('RefreshToken', client.client.client_id)).length,
    mittwaldTokens,
  };
}

const toolsList = (client: AuthorizedClient) => postMcp(stack.mcpUrl, client.accessToken, rpc('tools/list')).then((outcome) => outcome.status);

describe('DELETE /register/:id', () => {
  it('ends the client’s grants at once: its access token is refused at /mcp and nothing of them stays stored', async () => {
    const deleted = await authorizeClient(stack.url);
    const kept = await authorizeClient(stack.url);
    expect(await toolsList(deleted)).toBe(200);
    expect(await stored(deleted)).toEqual({ grants: 1, accessTokens: 1, refreshTokens: 1, mittwaldTokens: 1 });

    const { registration_client_uri: uri, registration_access_token: registrationToken } = deleted.client;
    const deletion = await fetch(uri!, { method: 'DELETE', headers: { authorization: `Bearer ${registrationToken}` } });
    expect(deletion.status).toBe(204);

    expect(await toolsList(deleted)).toBe(401);
    expect(await stored(deleted)).toEqual({ grants: 0, accessTokens: 0, refreshTokens: 0, mittwaldTokens: 0 });
    // the same user's other client is not touched
    expect(await toolsList(kept)).toBe(200);
    expect(await stored(kept)).toEqual({ grants: 1, accessTokens: 1, refreshTokens: 1, mittwaldTokens: 1 });
  });
});
