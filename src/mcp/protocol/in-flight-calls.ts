// Cancellation across stateless requests: notifications/cancelled arrives in a new POST, so the
// running tool calls are findable here by (user, session, request id) and aborted from there.
type Key = string;

function keyOf(accountId: string, session: string, requestId: string | number): Key {
  return JSON.stringify([accountId, session, requestId]);
}

export function createInFlightCalls() {
  const calls = new Map<Key, Set<AbortController>>();

  return {
    /** registers a call; the returned function unregisters it */
    track(accountId: string, session: string, requestId: string | number, controller: AbortController): () => void {
      const key = keyOf(accountId, session, requestId);
      const set = calls.get(key) ?? new Set();
      set.add(controller);
      calls.set(key, set);
      return () => {
        set.delete(controller);
        if (set.size === 0 && calls.get(key) === set) calls.delete(key);
      };
    },
    /** aborts the caller's own call with that id; true when there was one */
    cancel(accountId: string, session: string, requestId: string | number, reason: string): boolean {
      const set = calls.get(keyOf(accountId, session, requestId));
      if (!set) return false;
      for (const controller of set) controller.abort(new Error(reason));
      return true;
    },
    size: () => calls.size,
  };
}

export type InFlightCalls = ReturnType<typeof createInFlightCalls>;
