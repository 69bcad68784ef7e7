// A handful of accounts or addresses must not lock other users out (issue 21), run as an attacker
// would against a server process: each client address is a loopback source address of its own
// (127.x.y.z, one TCP connection each), not a header anyone could send.
// - three accounts flooding the CLI queue with slow calls leave a place for a fourth user;
// - junk bearers from 1,000 addresses spend no new user's token check, and 20 colleagues behind one
//   address with new tokens all get in;
// - under the X-Forwarded-For setting we ship, a client connecting directly cannot name its own
//   address with that header to lift the registration limit or its token checks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { parseEnv } from 'node:util';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { MCP_HEADERS, overridesWithFaultTools, REDIRECT_URI, rpc, toolCall, waitFor } from './helpers.ts';

const shipped = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
const REGISTRATIONS_PER_HOUR = 5;

let stack: Stack;
let server: ServerProcess;

beforeAll(async () => {
  stack = await startStack();
  server = await startServerProcess({
    ...stack.env,
    PORT: String(await freePort()),
    DIRECT_API_TOKENS: 'true',
    TRUST_PROXY: shipped.TRUST_PROXY!,
    DCR_RATE_LIMIT_PER_HOUR: String(REGISTRATIONS_PER_HOUR),
    // a queue small enough for three accounts to fill: 2 slots, 1 per user, 4 places (2 per user alone)
    CLI_MAX_CONCURRENT: '2',
    CLI_MAX_PER_USER: '1',
    CLI_MAX_QUEUE: '4',
    CLI_POOL: 'off',
    CLI_CHILD_UIDS: 'off',
    CLI_TIMEOUT_MS: '10000',
    TOOLS_OVERRIDES_PATH: overridesWithFaultTools(),
    // `stand-in hang` starts a grandchild, which the file sandbox refuses (test/isolation)
    CLI_SANDBOX_FS: 'off',
  });
}, 90_000);

afterAll(async () => {
  await server?.stop();
  await stack?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** one request on a connection of its own from `from` (a loopback address) */
function send(from: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, localAddress: from, agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const postMcpFrom = (from: string, token: string, message: unknown, headers: Record<string, string> = {}) =>
  send(from, 'POST', '/mcp', { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...headers }, message);

/** the CLI slots and queue as /metrics shows them */
async function cliGauges(): Promise<string> {
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const gauge = (name: string) => /^(\S+) (\d+)$/m.exec(metrics.split('\n').filter((line) => line.startsWith(`${name} `)).join('\n'))?.[2];
  return `running ${gauge('mittwald_cli_in_flight')}, queued ${gauge('mittwald_cli_queued')}`;
}

const tokenChecks = () => stack.api.requests.filter((request) => request.path === '/v2/users/self').length;

/** `count` at a time, in order */
async function inWaves<T>(items: number, count: number, one: (index: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let start = 0; start < items; start += count) {
    answers.push(...(await Promise.all(Array.from({ length: Math.min(count, items - start) }, (_, i) => one(start + i)))));
  }
  return answers;
}

describe('X-Forwarded-For from a client connecting directly, with the TRUST_PROXY we ship', () => {
  it('does not lift the registration limit', async () => {
    const statuses = await inWaves(REGISTRATIONS_PER_HOUR + 5, 1, (i) =>
      send('127.0.0.1', 'POST', '/register', { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` }, {
        client_name: 'spoofer',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
      }).then((answer) => answer.status),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(REGISTRATIONS_PER_HOUR);
    expect(statuses.slice(REGISTRATIONS_PER_HOUR)).toEqual(Array(5).fill(429));
  });

  it('does not lift the per-address token checks', async () => {
    const before = tokenChecks();
    const answers = await inWaves(40, 1, (i) =>
      postMcpFrom('127.0.0.1', `junk-${i}-${Math.random()}`, rpc('tools/list'), { 'x-forwarded-for': `203.0.${i}.7` }),
    );
    const perAddress = stack.config.directApiTokenChecks.perAddressPerMinute;
    expect(tokenChecks() - before).toBe(perAddress);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(40 - perAddress);
  });
});

describe('junk bearers from many addresses', () => {
  it('leave a new user with a valid token on a new address their check', async () => {
    const before = tokenChecks();
    // 1,000 addresses in four /24 networks, one junk bearer each
    const flood = await inWaves(1000, 25, (i) => postMcpFrom(`127.0.${10 + Math.floor(i / 250)}.${1 + (i % 250)}`, `junk-${i}-${Math.random()}`, rpc('tools/list')));
    const floodChecks = tokenChecks() - before;
    console.log(`token checks at mittwald for 1,000 junk bearers from 1,000 addresses: ${floodChecks}`);
    expect(new Set(flood.map((answer) => answer.status))).toEqual(new Set([401, 429]));
    expect(floodChecks).toBeLessThanOrEqual(stack.config.directApiTokenChecks.perMinute);

    stack.api.grantToken('api-token-of-a-newcomer', stack.api.users[1].userId);
    expect((await postMcpFrom('127.0.99.1', 'api-token-of-a-newcomer', rpc('tools/list'))).status).toBe(200);
  });

  it('leave 20 colleagues with new tokens behind one address all getting in', async () => {
    const statuses = await inWaves(20, 5, async (i) => {
      stack.api.grantToken(`api-token-of-colleague-${i}`, stack.api.users[i % 3].userId);
      return (await postMcpFrom('127.0.98.1', `api-token-of-colleague-${i}`, rpc('tools/list'))).status;
    });
    expect(statuses).toEqual(Array(20).fill(200));
  });
});

describe('three accounts flooding the CLI queue with slow calls', () => {
  it('leave a place for a user with nothing running, whose call runs in the next freed slot', async () => {
    const [alice, bob, carol] = stack.api.users;
    for (const user of [alice, bob, carol]) stack.api.grantToken(`api-token-of-${user.userId}`, user.userId);
    const tokenOf = (user: typeof alice) => `api-token-of-${user.userId}`;
    const finished: string[] = [];
    const hang = (user: typeof alice, label: string) =>
      postMcpFrom('127.0.97.1', tokenOf(user), toolCall('mittwald_stand_in_hang')).then((answer) => (finished.push(label), answer));

    // each account: one call running and its two places in the queue; the queue is full
    const flood = [alice, bob].flatMap((user, u) => Array.from({ length: 3 }, (_, i) => hang(user, `hostile-${u}-${i}`)));
    await waitFor(async () => (await cliGauges()) === 'running 2, queued 4', 30_000, 'both slots and the whole queue taken by the flood');
    const newcomer = postMcpFrom('127.0.97.2', tokenOf(carol), toolCall('mittwald_project_list')).then((answer) => (finished.push('newcomer'), answer));

    const answer = await newcomer;
    expect(answer.status).toBe(200);
    expect(answer.body).not.toMatch(/"code":"busy"/);
    expect(answer.body).not.toMatch(/"isError":true/);
    // it ran after the first hanging calls ended, ahead of the flood's calls waiting behind them
    const waitingBehind = 6 - finished.indexOf('newcomer');
    expect(waitingBehind).toBeGreaterThan(0);
    const floodAnswers = await Promise.all(flood);
    // one flood call gave its place up, answered busy as a call beyond its account's share is
    expect(floodAnswers.filter((a) => a.body.includes('"code":"busy"'))).toHaveLength(1);
  }, 120_000);
});
