// Long operations as tasks (2025-11-25 experimental tasks) on two server processes sharing one
// Redis: a `--wait` call that a task-aware client asks to run as a task is answered at once with the
// task; its status and result are read at the other process, which can also cancel it (the mw
// child at the first process ends). Another user's task id is not found there and not listed; a
// client that did not declare tasks gets the call's result as before.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AuthorizedClient, MCP_HEADERS, standInProcesses, waitFor } from '../reliability/helpers.ts';
import type { ServerProcess } from '../support/server-process.ts';
import type { Stack } from '../support/stack.ts';
import { startTwoProcessesOnRedis, type TwoProcessesOnRedis } from '../support/two-processes-on-redis.ts';

type Json = Record<string, any>;
const SCOPE = 'project:read backup:read backup:write database:read database:write';

let started: TwoProcessesOnRedis;
let stack: Stack;
let processA: ServerProcess;
let processB: ServerProcess;
let alice: AuthorizedClient;
let bob: AuthorizedClient;

beforeAll(async () => {
  // the waiting mw is counted as it starts: no warm children starting beside it (CLI_POOL=off)
  started = await startTwoProcessesOnRedis({ env: { CLI_POOL: 'off' }, scope: SCOPE });
  ({ stack, processA, processB, alice, bob } = started);
}, 120_000);

afterAll(() => started?.stop());

let nextId = 1;
/** One 2025-11-25 request; the answer read from JSON or the event stream. */
async function request(server: ServerProcess, token: string, session: string, method: string, params: Json = {}) {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...(session && { 'mcp-session-id': session }) },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  const data = text.startsWith('{') ? text : text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).pop();
  return { status: response.status, session: response.headers.get('mcp-session-id'), message: data ? (JSON.parse(data) as Json) : undefined };
}

async function initialize(server: ServerProcess, token: string, capabilities: Json): Promise<{ session: string; serverCapabilities: Json }> {
  const answer = await request(server, token, '', 'initialize', { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'tasks-client', version: '1' } });
  return { session: answer.session!, serverCapabilities: answer.message!.result.capabilities };
}

const backupCall = (projectId: string) => ({
  name: 'mittwald_backup_create',
  arguments: { project_id: projectId, expires: '7d', wait: true, wait_timeout: '10m' },
  task: { ttl: 60_000 },
});

describe('a --wait call as a task, across processes', () => {
  const projectId = () => stack.api.users[0].projects[0].id;

  /** Alice's backup whose wait does not end by itself, as a task created at A */
  async function startTaskThatWaits(): Promise<{ session: string; taskId: string }> {
    stack.api.setReadinessDelay(600_000);
    const { session } = await initialize(processA, alice.accessToken, { tasks: {} });
    const created = await request(processA, alice.accessToken, session, 'tools/call', backupCall(projectId()));
    return { session, taskId: (created.message!.result.task as Json).taskId };
  }

  it('announces tasks and marks the tools that may run as one', async () => {
    const { session, serverCapabilities } = await initialize(processA, alice.accessToken, { tasks: {} });
    expect(serverCapabilities.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const { message } = await request(processA, alice.accessToken, session, 'tools/list');
    const tools = message!.result.tools as Json[];
    expect(tools.find((t) => t.name === 'mittwald_backup_create')!.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((t) => t.name === 'mittwald_project_list')!.execution).toBeUndefined();
  });

  it('is created at A, read at B while it runs, and its result read at B', async () => {
    stack.api.setReadinessDelay(4_000);
    const { session } = await initialize(processA, alice.accessToken, { tasks: {} });
    const created = await request(processA, alice.accessToken, session, 'tools/call', backupCall(projectId()));
    const task = created.message!.result.task as Json;
    expect(task).toEqual(expect.objectContaining({ status: 'working', taskId: expect.stringMatching(/^[\w-]{24}$/) }));

    const atB = await request(processB, alice.accessToken, session, 'tasks/get', { taskId: task.taskId });
    expect(atB.message!.result).toEqual(expect.objectContaining({ taskId: task.taskId, status: 'working' }));
    const listed = await request(processB, alice.accessToken, session, 'tasks/list');
    expect((listed.message!.result.tasks as Json[]).map((t) => t.taskId)).toContain(task.taskId);

    // tasks/result waits for the end
    const result = await request(processB, alice.accessToken, session, 'tasks/result', { taskId: task.taskId });
    expect(result.message!.result.isError).toBeFalsy();
    expect(result.message!.result._meta['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    const done = await request(processB, alice.accessToken, session, 'tasks/get', { taskId: task.taskId });
    expect(done.message!.result.status).toBe('completed');
  }, 60_000);

  it('is cancelled at B: the mw child at A ends, the task stays cancelled', async () => {
    const { session, taskId } = await startTaskThatWaits();
    await waitFor(() => standInProcesses(stack.api.url).length > 0, 30_000, 'the waiting mw');

    const cancelled = await request(processB, alice.accessToken, session, 'tasks/cancel', { taskId });
    expect(cancelled.message!.result).toEqual(expect.objectContaining({ taskId, status: 'cancelled' }));
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 30_000, 'the cancelled mw to be gone');
    const after = await request(processA, alice.accessToken, session, 'tasks/get', { taskId });
    expect(after.message!.result.status).toBe('cancelled');
    const again = await request(processB, alice.accessToken, session, 'tasks/cancel', { taskId });
    expect(again.message!.result.status).toBe('cancelled');
  }, 60_000);

  it("is not found for another user, at either process, and not in their list", async () => {
    const { session, taskId } = await startTaskThatWaits();

    const bobs = await initialize(processB, bob.accessToken, { tasks: {} });
    for (const server of [processA, processB]) {
      for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
        const answer = await request(server, bob.accessToken, bobs.session, method, { taskId });
        expect(answer.message!.error).toEqual(expect.objectContaining({ code: -32602, message: expect.stringMatching(/Task not found/) }));
      }
    }
    const listed = await request(processB, bob.accessToken, bobs.session, 'tasks/list');
    expect((listed.message!.result.tasks as Json[]).map((t) => t.taskId)).not.toContain(taskId);
    // still running for its owner
    const mine = await request(processB, alice.accessToken, session, 'tasks/get', { taskId });
    expect(mine.message!.result.status).toBe('working');
    await request(processB, alice.accessToken, session, 'tasks/cancel', { taskId });
    await waitFor(() => standInProcesses(stack.api.url).length === 0, 30_000, 'the cancelled mw to be gone');
  }, 60_000);

  it('is not created for a call the user has not confirmed: the refusal comes first and nothing runs', async () => {
    // a destructive --wait tool; without elicitation only the confirm flag confirms it
    const { session } = await initialize(processA, alice.accessToken, { tasks: {} });
    const answer = await request(processA, alice.accessToken, session, 'tools/call', {
      name: 'mittwald_database_mysql_upgrade',
      arguments: { database_id: 'mysql-a1b2c3', version: 'latest', wait: true },
      task: {},
    });
    expect(answer.message!.result.task).toBeUndefined();
    expect(answer.message!.result.structuredContent.error.code).toBe('confirmation_required');
    const listed = await request(processB, alice.accessToken, session, 'tasks/list');
    expect((listed.message!.result.tasks as Json[]).filter((t) => t.status === 'working')).toEqual([]);
    expect(standInProcesses(stack.api.url)).toEqual([]);
  });

  it('runs as before for a client that did not declare tasks', async () => {
    stack.api.setReadinessDelay(1_000);
    const { session, serverCapabilities } = await initialize(processA, alice.accessToken, {});
    expect(serverCapabilities.tasks).toBeDefined(); // announced to all; used only by those that declared them
    const answer = await request(processA, alice.accessToken, session, 'tools/call', backupCall(projectId()));
    expect(answer.message!.result.task).toBeUndefined();
    expect(answer.message!.result.isError).toBeFalsy();
    expect(answer.message!.result.content[0].text).not.toMatch(/task/i);
  }, 60_000);
});
