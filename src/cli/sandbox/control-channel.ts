// The parent's side of a child's control pipe (fd 3 of child-bootstrap.mts): a JSON line in per call
// (the request), JSON lines out (ready or preload-failed, then per call accepted, denied, input-required, done).
// Lines that do not parse are dropped: a child cannot make the server throw by writing garbage there.
import type { Readable } from 'node:stream';

/** What the child is asked to run; env holds the per-call variables (the user's token). */
export interface ChildRequest {
  argv: string[];
  env: Record<string, string>;
}

export interface PermissionDenial {
  /** Node's permission scope, e.g. FileSystemRead, FileSystemWrite, ChildProcess, WorkerThreads */
  permission: string;
  /** the path or program that was refused */
  resource: string;
}

export type ControlMessage =
  /** started (and preloaded, if asked to): waiting for its request */
  | { type: 'ready' }
  /** started, but what it was asked to preload failed: it exits without reading a request */
  | { type: 'preload-failed'; reason: string }
  /** it has read its request: from here on the command runs */
  | { type: 'accepted' }
  /** its command stopped at an interactive prompt nobody can answer: the child exits, without done */
  | { type: 'input-required' }
  | ({ type: 'denied' } & PermissionDenial)
  /** the call is over (the CLI exited, or its event loop emptied) and wrote this many bytes; the child waits for the next */
  | CallDone;

export interface CallDone {
  type: 'done';
  exitCode: number;
  stdoutBytes: number;
  stderrBytes: number;
  /** why this child cannot take another call (it exits): something of the call could not be put back */
  notReusable?: string;
}

const byteCount = (value: unknown) => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined);

const MAX_LINE_LENGTH = 16 * 1024;

export function encodeRequest(request: ChildRequest): string {
  return `${JSON.stringify({ type: 'run', argv: request.argv, env: request.env })}\n`;
}

export function parseControlMessage(line: string): ControlMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const message = parsed as Record<string, unknown>;
  if (message.type === 'ready' || message.type === 'accepted' || message.type === 'input-required') return { type: message.type };
  if (message.type === 'preload-failed') return { type: 'preload-failed', reason: String(message.reason ?? '').slice(0, 500) };
  if (message.type === 'done') {
    const [stdoutBytes, stderrBytes] = [byteCount(message.stdoutBytes), byteCount(message.stderrBytes)];
    if (!Number.isInteger(message.exitCode) || stdoutBytes === undefined || stderrBytes === undefined) return undefined;
    const notReusable = message.notReusable === undefined ? undefined : String(message.notReusable).slice(0, 500);
    return { type: 'done', exitCode: (message.exitCode as number) & 0xff, stdoutBytes, stderrBytes, ...(notReusable ? { notReusable } : {}) };
  }
  if (message.type === 'denied' && typeof message.permission === 'string' && typeof message.resource === 'string') {
    return { type: 'denied', permission: message.permission, resource: message.resource.slice(0, 4096) };
  }
  return undefined;
}

/** Calls `onMessage` for every well-formed line the child writes. */
export function readControlMessages(stream: Readable, onMessage: (message: ControlMessage) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const message = parseControlMessage(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (message) onMessage(message);
    }
    if (pending.length > MAX_LINE_LENGTH) pending = '';
  });
  // A child that exits closes its end; errors on a pipe that is going away say nothing new.
  stream.on('error', () => {});
}
