// Tasks in the store: a user's own, moved once from working to one terminal state, forgotten after
// their lifetime, and bounded in number per user.
import { describe, expect, it } from '@jest/globals';
import { MAX_TASKS_PER_USER, ORPHAN_GRACE_MS, RESULT_RETENTION_MS, createTaskRecords } from '../../src/mcp/protocol/tasks/task-records.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';

const RUN_MS = 60_000;
const done = { content: [{ type: 'text' as const, text: 'backup ready' }] };

function records() {
  let now = Date.parse('2026-12-08T00:00:00Z');
  const clock = () => now;
  return { tasks: createTaskRecords(new MemoryStore({ now: clock }), clock), advance: (ms: number) => void (now += ms) };
}

describe('task records', () => {
  it("are their user's: another user's id, a malformed or unknown id is not found", async () => {
    const { tasks } = records();
    const task = (await tasks.create('alice', RUN_MS))!;
    expect(task).toEqual(expect.objectContaining({ status: 'working', ttl: RUN_MS + RESULT_RETENTION_MS }));
    expect((await tasks.get('alice', task.taskId))?.task.taskId).toBe(task.taskId);
    expect(await tasks.get('bob', task.taskId)).toBeUndefined();
    expect(await tasks.cancel('bob', task.taskId)).toBeUndefined();
    expect(await tasks.list('bob')).toEqual([]);
    expect(await tasks.get('alice', `${task.taskId}:x`)).toBeUndefined();
    expect(await tasks.get('alice', '*')).toBeUndefined();
    expect((await tasks.get('alice', task.taskId))?.task.status).toBe('working');
  });

  it('stay cancelled when the result arrives afterwards, and keep a result once finished', async () => {
    const { tasks } = records();
    const cancelled = (await tasks.create('alice', RUN_MS))!;
    expect((await tasks.cancel('alice', cancelled.taskId))?.task.status).toBe('cancelled');
    await tasks.finish('alice', cancelled.taskId, done);
    const afterwards = await tasks.get('alice', cancelled.taskId);
    expect(afterwards?.task.status).toBe('cancelled');
    expect(afterwards?.result?.isError).toBe(true);

    const finished = (await tasks.create('alice', RUN_MS))!;
    await tasks.finish('alice', finished.taskId, done);
    expect((await tasks.cancel('alice', finished.taskId))?.task.status).toBe('completed');
    expect((await tasks.get('alice', finished.taskId))?.result).toEqual(done);
    await tasks.finish('alice', (await tasks.create('alice', RUN_MS))!.taskId, { ...done, isError: true });
    expect((await tasks.list('alice')).map((t) => t.status).sort()).toEqual(['cancelled', 'completed', 'failed']);
  });

  it('are forgotten once their lifetime from creation is over, result or not', async () => {
    const { tasks, advance } = records();
    const task = (await tasks.create('alice', RUN_MS))!;
    advance(RUN_MS);
    await tasks.finish('alice', task.taskId, done);
    advance(RESULT_RETENTION_MS - 1_000);
    expect((await tasks.get('alice', task.taskId))?.task.status).toBe('completed');
    advance(2_000);
    expect(await tasks.get('alice', task.taskId)).toBeUndefined();
    expect(await tasks.list('alice')).toEqual([]);
  });

  it('are failed once working well past their time limit: the process that ran them is gone', async () => {
    const { tasks, advance } = records();
    const task = (await tasks.create('alice', RUN_MS))!;
    advance(RUN_MS + ORPHAN_GRACE_MS - 1_000);
    expect((await tasks.get('alice', task.taskId))?.task.status).toBe('working');
    advance(2_000);
    const orphan = await tasks.get('alice', task.taskId);
    expect(orphan?.task.status).toBe('failed');
    expect(orphan?.result?.structuredContent).toEqual({ error: expect.objectContaining({ code: 'unavailable' }) });
    await tasks.finish('alice', task.taskId, done);
    expect((await tasks.list('alice'))[0].status).toBe('failed');
  });

  it('are bounded per user: beyond the cap no task is made until one is forgotten', async () => {
    const { tasks, advance } = records();
    for (let i = 0; i < MAX_TASKS_PER_USER; i++) expect(await tasks.create('alice', RUN_MS)).toBeDefined();
    expect(await tasks.create('alice', RUN_MS)).toBeUndefined();
    expect(await tasks.create('bob', RUN_MS)).toBeDefined();
    advance(RUN_MS + RESULT_RETENTION_MS + 1_000);
    expect(await tasks.create('alice', RUN_MS)).toBeDefined();
    expect(await tasks.list('alice')).toHaveLength(1);
  });
});
