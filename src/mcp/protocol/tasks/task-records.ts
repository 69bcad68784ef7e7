// Tasks in the store, so any server process answers tasks/get, tasks/result, tasks/list and
// tasks/cancel for a call another process runs. Keys are scoped by the user: another user's task id
// is simply not there ("not found", never "forbidden"), and ids are 144 random bits. A task lives
// from its creation for the call's time limit plus RESULT_RETENTION_MS, then the store forgets it;
// each user has at most MAX_TASKS_PER_USER at once (beyond that, a call runs without a task). A
// task left working by a process that ended is failed when next read (ORPHAN_GRACE_MS).
// States only move from working to one terminal state, each move a compare-and-set, so a result
// that arrives after a cancellation does not overwrite it.
import { randomBytes } from 'node:crypto';
import type { CallToolResult, Task } from '@modelcontextprotocol/server';
import type { KeyValueStore } from '../../../store/index.ts';
import { errorResult } from '../../tools/result.ts';
import { ToolError } from '../../tools/errors.ts';

/** how long a finished task's result can still be read */
export const RESULT_RETENTION_MS = 60 * 60_000;
/** a user's live tasks (running or finished, not yet forgotten) */
export const MAX_TASKS_PER_USER = 32;
/**
 * A task still working this long after its time limit has lost the process that ran it (ended or
 * crashed): it is failed then, rather than left working until it is forgotten. Generous, since a
 * call may first wait for a free place to run.
 */
export const ORPHAN_GRACE_MS = 10 * 60_000;
/** what we suggest between two tasks/get */
export const POLL_INTERVAL_MS = 5_000;
const MAX_UPDATE_ATTEMPTS = 8;
/** the shape of the ids we issue: anything else is not found without a store read */
const TASK_ID = /^[A-Za-z0-9_-]{24}$/;

export interface TaskRecord {
  task: Task;
  /** when its time limit ends, epoch ms */
  runUntil: number;
  /** the call's result once the task is terminal */
  result?: CallToolResult;
}

export const isTerminal = (task: Task) => task.status !== 'working' && task.status !== 'input_required';

export function createTaskRecords(store: KeyValueStore, now: () => number = Date.now) {
  const recordKey = (accountId: string, taskId: string) => `mcp:task:${accountId}:${taskId}`;
  const indexKey = (accountId: string) => `mcp:tasks:${accountId}`;
  /** seconds left of the task's lifetime, at least one (the store needs a positive TTL) */
  const secondsLeft = (task: Task) => Math.max(1, Math.ceil((Date.parse(task.createdAt) + (task.ttl ?? 0) - now()) / 1000));

  async function read(accountId: string, taskId: string): Promise<{ stored: string; record: TaskRecord } | undefined> {
    if (!TASK_ID.test(taskId)) return undefined;
    const stored = await store.get(recordKey(accountId, taskId));
    return stored === undefined ? undefined : { stored, record: JSON.parse(stored) as TaskRecord };
  }

  /** moves a working task to its terminal state; undefined when it is gone, else the record as it now is */
  async function settle(accountId: string, taskId: string, next: (task: Task, record: TaskRecord) => TaskRecord): Promise<TaskRecord | undefined> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await read(accountId, taskId);
      if (!current || isTerminal(current.record.task)) return current?.record;
      const record = next(current.record.task, current.record);
      if (await store.replaceIfEquals(recordKey(accountId, taskId), current.stored, JSON.stringify(record), secondsLeft(record.task))) return record;
    }
    return (await read(accountId, taskId))?.record;
  }

  /** the user's tasks the store still holds, each read once; ids whose record it forgot leave the index */
  async function liveRecords(accountId: string): Promise<Array<{ taskId: string; record: TaskRecord }>> {
    const ids = await store.setMembers(indexKey(accountId));
    const found = await Promise.all(ids.map((id) => read(accountId, id)));
    const gone = ids.filter((_, i) => found[i] === undefined);
    if (gone.length > 0) await store.removeFromSet(indexKey(accountId), ...gone);
    return ids.flatMap((taskId, i) => (found[i] ? [{ taskId, record: found[i].record }] : []));
  }

  const failedAs = (error: ToolError) => (task: Task, record: TaskRecord): TaskRecord => ({
    ...record,
    task: { ...task, status: 'failed', statusMessage: error.message, lastUpdatedAt: new Date(now()).toISOString() },
    result: errorResult(error),
  });
  const orphaned = failedAs(
    new ToolError('unavailable', 'the server process running this task ended before it finished; the work may still finish at mittwald'),
  );

  /** the record as it is to be seen: a task whose process is gone is failed first */
  async function seen(accountId: string, taskId: string, record: TaskRecord): Promise<TaskRecord | undefined> {
    if (!isTerminal(record.task) && now() > record.runUntil + ORPHAN_GRACE_MS) return settle(accountId, taskId, orphaned);
    return record;
  }

  async function get(accountId: string, taskId: string): Promise<TaskRecord | undefined> {
    const record = (await read(accountId, taskId))?.record;
    return record && seen(accountId, taskId, record);
  }

  return {
    /** a new working task for a call that may run `runMs`; undefined when the user has too many */
    async create(accountId: string, runMs: number): Promise<Task | undefined> {
      if ((await store.setMembers(indexKey(accountId))).length >= MAX_TASKS_PER_USER && (await liveRecords(accountId)).length >= MAX_TASKS_PER_USER) {
        return undefined;
      }
      const at = new Date(now()).toISOString();
      const task: Task = {
        taskId: randomBytes(18).toString('base64url'),
        status: 'working',
        ttl: runMs + RESULT_RETENTION_MS,
        createdAt: at,
        lastUpdatedAt: at,
        pollInterval: POLL_INTERVAL_MS,
      };
      const seconds = secondsLeft(task);
      await store.set(recordKey(accountId, task.taskId), JSON.stringify({ task, runUntil: now() + runMs } satisfies TaskRecord), seconds);
      await store.addToSet(indexKey(accountId), task.taskId, seconds);
      return task;
    },
    get,
    /** the call's outcome: completed, or failed when its result is an error; a cancelled task stays cancelled */
    finish: (accountId: string, taskId: string, result: CallToolResult) =>
      settle(accountId, taskId, (task, record) => ({
        ...record,
        task: { ...task, status: result.isError ? 'failed' : 'completed', lastUpdatedAt: new Date(now()).toISOString() },
        result,
      })),
    /** the record after the cancellation: cancelled, or the terminal state it had reached before; undefined when not found */
    cancel: (accountId: string, taskId: string) =>
      settle(accountId, taskId, (task, record) => ({
        ...record,
        task: { ...task, status: 'cancelled', statusMessage: 'cancelled by the client', lastUpdatedAt: new Date(now()).toISOString() },
        result: errorResult(new ToolError('cancelled', 'the task was cancelled before it finished; the work may still finish at mittwald')),
      })),
    /** the user's tasks, newest first */
    async list(accountId: string): Promise<Task[]> {
      const records = await Promise.all((await liveRecords(accountId)).map(({ taskId, record }) => seen(accountId, taskId, record)));
      return records.flatMap((record) => (record ? [record.task] : [])).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
  };
}

export type TaskRecords = ReturnType<typeof createTaskRecords>;
