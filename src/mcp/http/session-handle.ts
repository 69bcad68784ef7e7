// Sessions: we run stateless (any process answers any request, restarts lose nothing, no session
// store to read on the hot path), and still hand out an Mcp-Session-Id. It is a signed,
// self-contained handle that remembers what the client declared at initialize (elicitation
// support) and is bound to the user: a handle presented with another user's token, forged or
// expired is "Session not found" (404). Ending one (DELETE) leaves a marker in the store.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../../store/index.ts';

/** A handle is good for this long; afterwards the client initializes again (404). */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 3600;

export interface SessionFacts {
  /** the client declared the elicitation capability at initialize */
  elicitation: boolean;
}

export interface OpenedSession extends SessionFacts {
  /** random per initialize: what DELETE ends */
  id: string;
}

interface HandlePayload {
  /** hash of the account id: binds the handle to the user without showing who it is */
  a: string;
  e: 0 | 1;
  s: string;
  /** issued at, epoch seconds */
  t: number;
}

function accountHash(accountId: string): string {
  return createHash('sha256').update(accountId).digest('base64url').slice(0, 22);
}

export function createSessionHandles(secrets: string[], now: () => number = Date.now) {
  // Derived keys: the configured secrets serve other purposes too. The first signs, all verify (rotation).
  const keys = secrets.map((secret) => createHmac('sha256', secret).update('mcp-session-handle').digest());
  const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    issue(accountId: string, facts: SessionFacts): string {
      const payload: HandlePayload = {
        a: accountHash(accountId),
        e: facts.elicitation ? 1 : 0,
        s: randomBytes(12).toString('base64url'),
        t: Math.floor(now() / 1000),
      };
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `v1.${encoded}.${sign(keys[0], encoded)}`;
    },
    /** undefined for a forged, foreign or malformed handle */
    open(handle: string, accountId: string): OpenedSession | undefined {
      const [version, encoded, mac] = handle.split('.');
      if (version !== 'v1' || !encoded || !mac) return undefined;
      const given = Buffer.from(mac, 'base64url');
      const signed = keys.some((key) => {
        const expected = Buffer.from(sign(key, encoded), 'base64url');
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
      if (!signed) return undefined;
      try {
        const payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as HandlePayload;
        if (payload.a !== accountHash(accountId) || typeof payload.s !== 'string') return undefined;
        if (!(now() / 1000 - payload.t < SESSION_MAX_AGE_SECONDS)) return undefined;
        return { elicitation: payload.e === 1, id: payload.s };
      } catch {
        return undefined;
      }
    },
  };
}

export type SessionHandles = ReturnType<typeof createSessionHandles>;

/** Sessions ended by DELETE: remembered until their handles would have expired anyway. */
export function createEndedSessions(store: KeyValueStore) {
  const key = (id: string) => `mcp:ended-session:${id}`;
  return {
    end: (id: string) => store.set(key(id), '1', SESSION_MAX_AGE_SECONDS),
    isEnded: async (id: string) => (await store.get(key(id))) !== undefined,
  };
}

export type EndedSessions = ReturnType<typeof createEndedSessions>;
