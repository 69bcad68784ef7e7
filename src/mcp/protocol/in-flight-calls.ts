// Cancellation across stateless requests: notifications/cancelled arrives in a new POST, perhaps at
// another process, so the running tool calls are findable by (user, session, request id) and
// aborted from there; a cancellation for a call this process does not run goes through the store.
import type { Logger } from '../../observability/logger.ts';
import type { KeyValueStore } from '../../store/index.ts';
import { createProcessChannel } from './process-channel.ts';

type Key = string;

interface Cancellation {
  accountId: string;
  session: string;
  requestId: string | number;
  reason: string;
}

function keyOf(accountId: string, session: string, requestId: string | number): Key {
  return JSON.stringify([accountId, session, requestId]);
}

export function createInFlightCalls(deps: { store: KeyValueStore; logger: Logger }) {
  const calls = new Map<Key, Set<AbortController>>();

  /** aborts the caller's own call with that id, when it runs here */
  function cancelHere({ accountId, session, requestId, reason }: Cancellation): boolean {
    const set = calls.get(keyOf(accountId, session, requestId));
    if (!set) return false;
    for (const controller of set) controller.abort(new Error(reason));
    return true;
  }

  const channel = createProcessChannel<Cancellation>({
    store: deps.store,
    channel: 'mcp:cancellations',
    logger: deps.logger,
    handle: cancelHere,
  });
  void channel.listen();

  return {
    /** registers a call; the returned function unregisters it */
    track(accountId: string, session: string, requestId: string | number, controller: AbortController): () => void {
      void channel.listen(); // again, should the first subscription have failed
      const key = keyOf(accountId, session, requestId);
      const set = calls.get(key) ?? new Set();
      set.add(controller);
      calls.set(key, set);
      return () => {
        set.delete(controller);
        if (set.size === 0 && calls.get(key) === set) calls.delete(key);
      };
    },
    /** aborts the caller's own call with that id, in whichever process runs it */
    cancel(accountId: string, session: string, requestId: string | number, reason: string): Promise<void> {
      return channel.send({ accountId, session, requestId, reason });
    },
    size: () => calls.size,
  };
}

export type InFlightCalls = ReturnType<typeof createInFlightCalls>;
