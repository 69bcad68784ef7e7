// After a full run (registration with a secret, login, tool calls, refresh, a failing call, revoke,
// outages), no token, code, client secret or mittwald token appears in the logs (debug level),
// in /metrics or in any tool result; and Redis holds no mittwald token in readable form.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import { revokeToken } from '../support/mittwald-oauth/oauth-client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { authorizeClient, type AuthorizedClient, postMcp, refresh, rpc, toolCall } from './helpers.ts';

let redis: TestRedis;
let stack: Stack;
const logLines: string[] = [];
const mittwaldTokens: string[] = [];
const toolResults: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  stack = await startStack({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'debug' }, logger: createLogger({ level: 'debug', format: 'json', stream }) });
  stack.oauth.onTokenIssued((token) => mittwaldTokens.push(token));
});

afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

async function useTools(client: AuthorizedClient): Promise<void> {
  for (const [name, args] of [
    ['mittwald_project_list', {}],
    ['mittwald_user_get', {}],
    ['mittwald_project_get', { project_id: 'p-does-not-exist' }],
    ['mittwald_app_list', { project_id: `--token=${client.accessToken}` }],
  ] as Array<[string, Record<string, unknown>]>) {
    const outcome = await postMcp(stack.mcpUrl, client.accessToken, toolCall(name, args));
    toolResults.push(outcome.text);
  }
  toolResults.push((await postMcp(stack.mcpUrl, client.accessToken, rpc('tools/list'))).text);
}

describe('secrets after a full run', () => {
  it('appear in no log line, no metric and no tool result; Redis keeps mittwald tokens encrypted', async () => {
    const secrets: string[] = [];
    const confidential = await authorizeClient(stack.url, { confidential: true });
    const publicClient = await authorizeClient(stack.url);
    expect(confidential.client.client_secret).toBeTruthy();
    for (const client of [confidential, publicClient]) {
      await useTools(client);
      expect((await refresh(stack.url, client)).status).toBe(200);
      await useTools(client);
    }
    // a mittwald token due for refresh, and a refresh mittwald refuses (the grant ends)
    stack.oauth.setAccessTokenLifetime(62);
    const ending = await authorizeClient(stack.url);
    stack.oauth.setAccessTokenLifetime(3600);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    stack.oauth.setRefuseRefresh(true);
    toolResults.push((await postMcp(stack.mcpUrl, ending.accessToken, toolCall('mittwald_project_list'))).text);
    stack.oauth.setRefuseRefresh(false);
    // our tokens used wrongly: in the query, as a refresh token, revoked then used
    toolResults.push((await postMcp(`${stack.mcpUrl}?access_token=${publicClient.accessToken}`, undefined, rpc('tools/list'))).text);
    await refresh(stack.url, { ...publicClient, refreshToken: publicClient.accessToken });
    expect(await revokeToken(stack.url, publicClient.client, publicClient.accessToken)).toBe(200);
    toolResults.push((await postMcp(stack.mcpUrl, publicClient.accessToken, rpc('tools/list'))).text);

    for (const client of [confidential, publicClient, ending]) secrets.push(...client.secrets);
    secrets.push(...mittwaldTokens);
    expect(mittwaldTokens.length).toBeGreaterThanOrEqual(3);
    expect(secrets.length).toBeGreaterThan(15);

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const logs = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const secret of new Set(secrets)) {
      for (const [where, text] of [['logs', logs], ['metrics', metrics], ['tool results', toolResults.join('\n')]] as const) {
        if (text.includes(secret)) found.push(`${where}: ${secret.slice(0, 6)}…`);
      }
    }
    expect(found).toEqual([]);

    // at rest: every value under our prefix, none holding a mittwald token in the clear
    const redisClient = createClient({ url: redis.url });
    await redisClient.connect();
    try {
      const values: string[] = [];
      for await (const keys of redisClient.scanIterator({ MATCH: 'mwmcp:*', COUNT: 1000 })) {
        for (const key of keys) {
          const type = await redisClient.type(key);
          values.push(type === 'string' ? String(await redisClient.get(key)) : (await redisClient.sMembers(key)).join(' '));
        }
      }
      expect(values.length).toBeGreaterThan(5);
      const stored = values.join('\n');
      expect(mittwaldTokens.filter((token) => stored.includes(token))).toEqual([]);
      // nor the secret half of any stored mittwald refresh token (same alphabet, so a base64 slice check)
      expect(mittwaldTokens.filter((token) => stored.includes(token.slice(-16)))).toEqual([]);
    } finally {
      await redisClient.close();
    }
  }, 60_000);
});
