// A tools/call that runs as a task (2025-11-25 experimental tasks), and the tasks/* methods.
// Everything that may stop a call happens while the client still waits for the answer to its
// tools/call: input checks, the user's confirmation (scope step-up was before the call got here).
// Only when `mw` is about to start does the call become a task: the client gets the task at once,
// the child runs on under its limits (its time limit too), no longer tied to the request's
// connection, and its result goes to the store. tasks/cancel, from any process, ends the child
// through the same path as a cancelled call (in-flight-calls.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import {
  type CallToolResult,
  type CreateTaskResult,
  type InputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type Server,
  type Task,
} from '@modelcontextprotocol/server';
import type { Logger } from '../../../observability/logger.ts';
import type { VerifiedAccess } from '../../../oauth/access.ts';
import type { ToolCaller } from '../../tools/call-tool.ts';
import type { Confirmer } from '../../tools/confirmation.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import type { InFlightCalls } from '../in-flight-calls.ts';
import { isTerminal, type TaskRecord, type TaskRecords } from './task-records.ts';

/** the in-flight "session" under which tasks are tracked: cancellations address them by task id */
const TASK_CALLS = 'tasks';
/** how often a waiting tasks/result looks at the store */
const RESULT_POLL_MS = 1_000;

const TASK_PARAMS = z.looseObject({ taskId: z.string().max(100) });
const LIST_PARAMS = z.looseObject({ cursor: z.string().max(100).optional() });

const taskNotFound = () => new ProtocolError(ProtocolErrorCode.InvalidParams, 'Task not found');

/**
 * The SDK checks a tools/call result as a CallToolResult, content included; the task rides beside
 * a line for clients that read only the content.
 */
function startedResult(task: Task): CallToolResult & CreateTaskResult {
  const text = `Started as task ${task.taskId}; its result can be read with tasks/result (tasks/get shows its status).`;
  return { task, content: [{ type: 'text', text }] };
}

export function createToolCallTasks(deps: { records: TaskRecords; inFlight: InFlightCalls; callTool: ToolCaller; logger: Logger }) {
  const { records, inFlight } = deps;

  async function callAsTask(
    tool: ToolDefinition,
    args: unknown,
    context: { access: VerifiedAccess; requestSignal: AbortSignal; confirm: Confirmer },
  ): Promise<CallToolResult | InputRequiredResult> {
    const { accountId } = context.access;
    const run = new AbortController();
    // until the task exists, the call is the request's: a closed connection or a cancellation ends it
    const followRequest = () => run.abort(context.requestSignal.reason);
    if (context.requestSignal.aborted) followRequest();
    else context.requestSignal.addEventListener('abort', followRequest, { once: true });
    let created: Task | undefined;
    let announce!: (task: Task) => void;
    const taskCreated = new Promise<Task>((resolve) => (announce = resolve));
    let untrack: (() => void) | undefined;

    const outcome = deps.callTool(tool, args, {
      access: context.access,
      signal: run.signal,
      confirm: context.confirm,
      beforeRun: async ({ timeoutMs }) => {
        const task = await records.create(accountId, timeoutMs);
        if (!task) return; // the user's tasks are at their cap: this call runs as it would without a task
        context.requestSignal.removeEventListener('abort', followRequest);
        untrack = inFlight.track(accountId, TASK_CALLS, task.taskId, run);
        created = task;
        announce(task);
      },
    });
    await Promise.race([outcome, taskCreated]);
    if (!created) {
      context.requestSignal.removeEventListener('abort', followRequest);
      return outcome;
    }
    const taskId = created.taskId;
    void outcome
      .then((result) => records.finish(accountId, taskId, result as CallToolResult))
      .catch((error: Error) => deps.logger.warn('could not store the result of a task', { error: error.message }))
      .finally(() => untrack?.());
    return startedResult(created);
  }

  /** the result as tasks/result gives it: the call's result, marked as the task's */
  const resultOf = (taskId: string, record: TaskRecord): CallToolResult => ({
    ...record.result!,
    _meta: { ...record.result!._meta, [RELATED_TASK_META_KEY]: { taskId } },
  });

  /** tasks/get, tasks/result, tasks/list and tasks/cancel, for the user of this request only */
  function serveTaskMethods(server: Server, accountId: string): void {
    server.setRequestHandler('tasks/get', { params: TASK_PARAMS }, async ({ taskId }) => {
      const record = await records.get(accountId, taskId);
      if (!record) throw taskNotFound();
      return record.task;
    });

    // waits for the end, as the spec has it; bounded by the task's own time limit and the request's connection
    server.setRequestHandler('tasks/result', { params: TASK_PARAMS }, async ({ taskId }, ctx) => {
      for (;;) {
        const record = await records.get(accountId, taskId);
        if (!record) throw taskNotFound();
        if (isTerminal(record.task)) return resultOf(taskId, record);
        await sleep(RESULT_POLL_MS, undefined, { signal: ctx.mcpReq.signal });
      }
    });

    // one page: a user has at most MAX_TASKS_PER_USER
    server.setRequestHandler('tasks/list', { params: LIST_PARAMS }, async () => ({ tasks: await records.list(accountId) }));

    server.setRequestHandler('tasks/cancel', { params: TASK_PARAMS }, async ({ taskId }) => {
      const record = await records.cancel(accountId, taskId);
      if (!record) throw taskNotFound();
      if (record.task.status !== 'cancelled') {
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task ${taskId} has already ${record.task.status}; it cannot be cancelled`);
      }
      await inFlight.cancel(accountId, TASK_CALLS, taskId, 'the task was cancelled');
      return record.task;
    });
  }

  return { callAsTask, serveTaskMethods };
}

export type ToolCallTasks = ReturnType<typeof createToolCallTasks>;
