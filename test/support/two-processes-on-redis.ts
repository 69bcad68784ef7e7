// Two server processes sharing one Redis, beside the stack (the simulated mittwald and our server on
// that Redis), with two users signed in: the set-up of the tests where what process A starts (a
// confirmation, a task, a view's question) is finished, read or refused at process B.
import { type AuthorizedClient, authorizeClient } from '../reliability/helpers.ts';
import { freePort, startTestRedis, type TestRedis } from './redis-server.ts';
import { type ServerProcess, type ServerProcessOptions, startServerProcess } from './server-process.ts';
import { startStack, type Stack } from './stack.ts';

export interface TwoProcessesOnRedis {
  redis: TestRedis;
  stack: Stack;
  processA: ServerProcess;
  processB: ServerProcess;
  /** the stack's first user */
  alice: AuthorizedClient;
  /** the stack's second user */
  bob: AuthorizedClient;
  stop(): Promise<void>;
}

/**
 * `env`: added to the stack's for A and B; `scope`: what alice and bob grant. The processes start
 * one after another (the machine is shared), each with `ready`'s time to get ready.
 */
export async function startTwoProcessesOnRedis(options: { env?: Record<string, string>; scope: string; ready?: ServerProcessOptions }): Promise<TwoProcessesOnRedis> {
  const redis = await startTestRedis();
  const started: Array<{ stop(): Promise<unknown> }> = [];
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
  };
  try {
    const stack = await startStack({ env: { REDIS_URL: redis.url } });
    started.push({ stop: () => stack.close() });
    const env = { ...stack.env, ...options.env };
    const processA = await startServerProcess({ ...env, PORT: String(await freePort()) }, options.ready);
    started.push({ stop: () => processA.stop('SIGKILL') });
    const processB = await startServerProcess({ ...env, PORT: String(await freePort()) }, options.ready);
    started.push({ stop: () => processB.stop('SIGKILL') });
    const alice = await authorizeClient(stack.url, { scope: options.scope });
    stack.oauth.loginAs(stack.api.users[1].userId);
    const bob = await authorizeClient(stack.url, { scope: options.scope });
    stack.oauth.loginAs(stack.api.users[0].userId);
    return { redis, stack, processA, processB, alice, bob, stop: () => stop().finally(() => redis.stop()) };
  } catch (error) {
    // a part that did not start: what did is ended, not left to the next test
    await stop().finally(() => redis.stop());
    throw error;
  }
}
