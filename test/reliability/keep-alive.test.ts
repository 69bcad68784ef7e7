// A reverse proxy or an HTTP client keeps idle connections to us and sends the next request on one.
// If we closed it first, that request would fail with a reset ("fetch failed", a 502 at the proxy):
// on a busy machine Node's default of 5 s lost that race. Idle connections stay open longer than
// clients keep theirs (60 s at most by default), and the server says so in Keep-Alive.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Agent, get } from 'node:http';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  agent.destroy();
  await stack.close();
});

function healthz(): Promise<{ reusedSocket: boolean; keepAlive: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = get(`${stack.url}/healthz`, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ reusedSocket: request.reusedSocket, keepAlive: response.headers['keep-alive']?.toString() }));
    });
    request.on('error', reject);
  });
}

it('keeps an idle connection open past Node’s default 5 s, and announces how long', async () => {
  const first = await healthz();
  expect(first.keepAlive).toBe('timeout=65');
  await new Promise((resolve) => setTimeout(resolve, 6000));
  expect((await healthz()).reusedSocket).toBe(true);
}, 20_000);
