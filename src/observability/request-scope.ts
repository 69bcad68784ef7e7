// The request id of the request being served, carried across awaits so that every log line written
// while serving it (by any module) can name it without passing it around.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<{ requestId: string }>();

export function runInRequestScope<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

/** undefined outside a request (start-up, timers not started by a request) */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
