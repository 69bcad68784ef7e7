// Which calls become tasks (2025-11-25 experimental tasks): tools whose command waits for its work
// at mittwald (`--wait`: backups, app installations, project and stack creation), called by a client
// that declared tasks at initialize (the `tasks` capability: it knows what a task is) and asked for
// one in the call (`params.task`).
import type { ClientCapabilities, ServerCapabilities, ToolExecution } from '@modelcontextprotocol/server';
import type { ToolDefinition } from '../../tools/types.ts';

/** what we announce on the 2025 era: tools/call as tasks, listed and cancelled by their owner */
export const SERVER_TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } } as const satisfies ServerCapabilities['tasks'];

/** listed on a tool that may run as a task; the others may not (absent means forbidden) */
export const TASK_EXECUTION = { taskSupport: 'optional' } as const satisfies ToolExecution;

export const runsAsTask = (tool: ToolDefinition): boolean => tool.wait !== undefined;

export const clientKnowsTasks = (capabilities: ClientCapabilities): boolean => capabilities.tasks !== undefined;
