// What the steps of a /mcp POST learn about it, in the order they learn it (res.locals.post).
import type { Response } from 'express';
import type { ToolDefinition } from '../../tools/types.ts';
import type { RequestEra } from '../request-context.ts';

export type Message = Record<string, unknown> & { method?: unknown; id?: unknown; params?: Record<string, unknown> };

export interface PostState {
  /** the body's messages (one, or a 2025-03-26 batch) */
  messages: Message[];
  inBatch: boolean;
  /** the messages that expect an answer */
  requests: Message[];
  /** 2025 era with its session, or 2026-07-28 */
  era: RequestEra;
  /** the catalogue's tools the requests call, and the commands their template reads run */
  tools: ToolDefinition[];
}

export function postOf(res: Response): PostState {
  return res.locals.post as PostState;
}

export const isRequest = (m: Message) => typeof m.method === 'string' && m.id !== undefined;
