// Two server processes on one Redis behind a load balancer without sticky sessions: the process
// that runs a destructive tool call asks the user (elicitation on the call's event stream); the
// client's answer is a new POST, and it lands at the other process. The answer must still reach
// the question, only for the same user, and a declined question runs nothing. A cancellation
// landing at the other process still stops the call.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AuthorizedClient, authorizeClient, MCP_HEADERS, overridesWithFaultTools, standInProcesses, waitFor } from '../reliability/helpers.ts';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';

type Message = Record<string, any>;

let redis: TestRedis;
let stack: Stack;
let asking: ServerProcess;
let answering: ServerProcess;
let alice: AuthorizedClient;

beforeAll(async () => {
  redis = await startTestRedis();
  stack = await startStack({ env: { REDIS_URL: redis.url } });
  // The stack's own server does the OAuth flow; A and B are further processes of the same deployment
  // (which also offer the stand-in's never-ending command, for the cancellation; it starts a
  // grandchild, which the file sandbox refuses: CLI_SANDBOX_FS=off, the tree is what is killed here;
  // its processes are counted as they start: no warm children starting beside them, CLI_POOL=off).
  const env = { ...stack.env, TOOLS_OVERRIDES_PATH: overridesWithFaultTools(), CLI_SANDBOX_FS: 'off', CLI_POOL: 'off' };
  [asking, answering] = await Promise.all([
    startServerProcess({ ...env, PORT: String(await freePort()) }),
    startServerProcess({ ...env, PORT: String(await freePort()) }),
  ]);
  alice = await authorizeClient(stack.url, { scope: 'user:read project:read project:delete' });
}, 120_000);

afterAll(async () => {
  await Promise.all([asking?.stop('SIGKILL'), answering?.stop('SIGKILL')]);
  await stack?.close();
  await redis?.stop();
});

const post = (server: ServerProcess, token: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });

async function initializeWithElicitation(server: ServerProcess, token: string): Promise<string> {
  const response = await post(server, token, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: { elicitation: {} }, clientInfo: { name: 'lb-client', version: '1' } },
  });
  await response.text();
  return response.headers.get('mcp-session-id')!;
}

/** A tools/call whose event stream is read as it arrives: each message is handed to `onMessage`. */
function streamingCall(server: ServerProcess, token: string, session: string, body: unknown, onMessage: (m: Message) => void): Promise<Message[]> {
  return (async () => {
    const response = await post(server, token, body, { 'mcp-session-id': session });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const messages: Message[] = [];
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body!) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith('data: ')) continue;
        const message = JSON.parse(line.slice(6)) as Message;
        messages.push(message);
        onMessage(message);
      }
    }
    return messages;
  })();
}

const deleteCall = (projectId: string, id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'mittwald_project_delete', arguments: { project_id: projectId, confirm: true } },
});

describe('a confirmation question asked by process A and answered at process B', () => {
  it('runs the command once the user accepts at B; another user cannot answer it', async () => {
    const victim = stack.api.users[0].projects[0].id;
    const session = await initializeWithElicitation(asking, alice.accessToken);
    stack.oauth.loginAs(stack.api.users[1].userId);
    const bob = await authorizeClient(stack.url, { scope: 'user:read project:read' });
    stack.oauth.loginAs(stack.api.users[0].userId);

    let question: Message | undefined;
    let outcome: Message | undefined;
    const asked = new Promise<void>((resolve) => {
      void streamingCall(asking, alice.accessToken, session, deleteCall(victim, 11), (message) => {
        if (message.method === 'elicitation/create') {
          question = message;
          resolve();
        }
      }).then((messages) => (outcome = messages.at(-1)));
    });
    await asked;
    expect(question!.params.message).toContain(victim);
    expect(stack.api.state.projects.has(victim)).toBe(true);

    // another user's answer, at B, is not taken
    const foreign = await post(answering, bob.accessToken, { jsonrpc: '2.0', id: question!.id, result: { action: 'accept', content: { confirm: true } } });
    expect(foreign.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(outcome).toBeUndefined();
    expect(stack.api.state.projects.has(victim)).toBe(true);

    // the user's own answer, at B
    const answer = await post(answering, alice.accessToken, { jsonrpc: '2.0', id: question!.id, result: { action: 'accept', content: { confirm: true } } }, { 'mcp-session-id': session });
    expect(answer.status).toBe(202);
    for (let i = 0; i < 300 && !outcome; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcome?.id).toBe(11);
    expect(outcome?.result?.isError).toBeFalsy();
    expect(stack.api.state.projects.has(victim)).toBe(false);
  }, 60_000);

  it('runs nothing when the user declines at B', async () => {
    const kept = stack.api.users[0].projects[1].id;
    const session = await initializeWithElicitation(asking, alice.accessToken);
    let call: Promise<Message[]> | undefined;
    const question = await new Promise<Message>((resolve) => {
      call = streamingCall(asking, alice.accessToken, session, deleteCall(kept, 12), (message) => {
        if (message.method === 'elicitation/create') resolve(message);
      });
    });
    const answer = await post(answering, alice.accessToken, { jsonrpc: '2.0', id: question.id, result: { action: 'decline' } }, { 'mcp-session-id': session });
    expect(answer.status).toBe(202);
    const outcome = (await call!).at(-1)!;
    expect(outcome.result.isError).toBe(true);
    expect(outcome.result.structuredContent.error.code).toBe('confirmation_required');
    expect(stack.api.state.projects.has(kept)).toBe(true);
  }, 60_000);
});

describe('a cancellation sent to process B', () => {
  it('stops the call running at A and kills its process tree', async () => {
    const session = await initializeWithElicitation(asking, alice.accessToken);
    const call = streamingCall(asking, alice.accessToken, session, { jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 'mittwald_stand_in_hang', arguments: {} } }, () => undefined);
    await waitFor(() => standInProcesses(stack.api.url).length >= 2, 20_000, 'the hanging mw and its grandchild');
    const cancel = await post(answering, alice.accessToken, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 21, reason: 'the user gave up' } }, { 'mcp-session-id': session });
    expect(cancel.status).toBe(202);
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 20_000, 'the cancelled mw and its grandchild to be gone');
    const outcome = (await call).at(-1);
    expect(outcome?.id).toBe(21);
    expect(outcome?.result?.structuredContent?.error?.code).toBe('cancelled');
  }, 60_000);
});
