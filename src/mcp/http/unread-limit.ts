// What a client that does not read its answer can make the server hold. Every byte written for a
// response waits in Node's buffers until the client's socket takes it; a client that never reads
// would keep them there for as long as it keeps the connection. So a response is ended (and what
// it holds freed, its tool calls cancelled) when its unread bytes pass a cap, or when bytes wait
// and the client has taken none of them for a while.
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../../observability/logger.ts';

export interface UnreadLimits {
  /** at least the largest single answer, which a client that reads still has unread for a moment */
  maxUnreadBytes: number;
  /** how long bytes may wait without the client taking any */
  stallMs: number;
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/**
 * Bytes of the socket's current write the kernel has not taken yet. `writableLength` only drops
 * when a whole write is done, which for megabytes to a slow reader can take longer than the stall
 * limit; the handle's queue drops with every piece the kernel takes (Node's own socket timeout
 * reads it the same way).
 */
function kernelQueue(res: Response): number {
  const queued = (res.socket as unknown as { _handle?: { writeQueueSize?: unknown } } | null)?._handle?.writeQueueSize;
  return typeof queued === 'number' ? queued : 0;
}

export function createUnreadLimit(limits: UnreadLimits, logger: Logger): RequestHandler {
  return (_req, res, next) => {
    let offered = 0;
    let stallTimer: NodeJS.Timeout | undefined;
    // what the client had taken when the stall timer started: whole writes done, and the queue of the current one
    let watched = { done: 0, queued: 0 };
    const writesDone = () => offered - res.writableLength;

    const cut = (reason: string) => {
      logger.warn('ended a response its client does not read', { reason, unreadBytes: res.writableLength, requestId: res.locals.requestId });
      res.destroy();
    };
    const watch = () => {
      watched = { done: writesDone(), queued: kernelQueue(res) };
      stallTimer = setTimeout(checkProgress, limits.stallMs);
    };
    const checkProgress = () => {
      stallTimer = undefined;
      if (res.destroyed || res.writableLength === 0) return;
      // a changed queue is progress too: a write handed on (after a cork) or taken in part
      if (writesDone() === watched.done && kernelQueue(res) === watched.queued) return cut(`no byte taken in ${limits.stallMs} ms`);
      watch();
    };
    const look = () => {
      if (res.destroyed) return;
      if (res.writableLength > limits.maxUnreadBytes) return cut(`more than ${limits.maxUnreadBytes} bytes unread`);
      // while nothing waits (a call that runs for minutes in silence) no timer runs
      if (res.writableLength > 0 && !stallTimer) watch();
    };

    // Writers are told to go on (the SDK's stream would otherwise keep the rest of the answer where
    // no cap sees it): every byte produced for the client waits in the response, counted.
    const { write, end } = res;
    res.write = function (chunk: unknown, encoding?: unknown, callback?: unknown) {
      offered += byteLength(chunk, encoding);
      write.call(res, chunk, encoding as BufferEncoding, callback as () => void);
      look();
      return !res.destroyed;
    } as Response['write'];
    res.end = function (chunk?: unknown, encoding?: unknown, callback?: unknown) {
      if (typeof chunk !== 'function') offered += byteLength(chunk, encoding);
      end.call(res, chunk, encoding as BufferEncoding, callback as () => void);
      look();
      return res;
    } as Response['end'];
    res.once('close', () => clearTimeout(stallTimer));
    next();
  };
}
