// Sessions: we run stateless (any process answers any request, restarts lose nothing, no session
// store to read on the hot path), and still hand out an Mcp-Session-Id. It is a signed,
// self-contained handle that remembers what the client declared at initialize (elicitation, MCP
// Apps views, task support) and is bound to the user: a handle presented with another user's token, forged or
// expired is "Session not found" (404). Ending one (DELETE) is remembered in the store, in one
// bounded record per user.
import { createHash, randomBytes } from 'node:crypto';
import { type KeyValueStore, StoreUnavailableError } from '../../store/index.ts';
import { createSignedPayloads } from './signed-payload.ts';

/** A handle is good for this long; afterwards the client initializes again (404). */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 3600;

export interface SessionFacts {
  /** the client declared the elicitation capability at initialize */
  elicitation: boolean;
  /** the client declared the MCP Apps extension (io.modelcontextprotocol/ui) at initialize */
  views: boolean;
  /** the client declared the tasks capability at initialize */
  tasks: boolean;
}

export interface OpenedSession extends SessionFacts {
  /** random per initialize: what DELETE ends */
  id: string;
  /** when the handle was issued, epoch seconds */
  issuedAt: number;
}

interface HandlePayload {
  /** hash of the account id: binds the handle to the user without showing who it is */
  a: string;
  e: 0 | 1;
  /** shows views (absent in handles issued before views existed) */
  v?: 0 | 1;
  /** task support; absent in handles issued before tasks existed */
  k?: 0 | 1;
  s: string;
  /** issued at, epoch seconds */
  t: number;
}

function accountHash(accountId: string): string {
  return createHash('sha256').update(accountId).digest('base64url').slice(0, 22);
}

export function createSessionHandles(secrets: string[], now: () => number = Date.now) {
  const handles = createSignedPayloads(secrets, 'mcp-session-handle', 'v1');

  return {
    issue(accountId: string, facts: SessionFacts): string {
      const payload: HandlePayload = {
        a: accountHash(accountId),
        e: facts.elicitation ? 1 : 0,
        v: facts.views ? 1 : 0,
        k: facts.tasks ? 1 : 0,
        s: randomBytes(12).toString('base64url'),
        t: Math.floor(now() / 1000),
      };
      return handles.seal(payload);
    },
    /** undefined for a forged, foreign or malformed handle */
    open(handle: string, accountId: string): OpenedSession | undefined {
      const payload = handles.open(handle) as Partial<HandlePayload> | undefined;
      if (!payload || payload.a !== accountHash(accountId) || typeof payload.s !== 'string' || typeof payload.t !== 'number') return undefined;
      if (!(now() / 1000 - payload.t < SESSION_MAX_AGE_SECONDS)) return undefined;
      return { elicitation: payload.e === 1, views: payload.v === 1, tasks: payload.k === 1, id: payload.s, issuedAt: payload.t };
    },
  };
}

export type SessionHandles = ReturnType<typeof createSessionHandles>;

/** Ended sessions one user's record names one by one; beyond them, the oldest become a watermark. */
export const MAX_ENDED_SESSIONS_PER_USER = 64;
/** concurrent DELETEs of one user replace the record in turn; beyond this many collisions, 503 */
const MAX_UPDATE_ATTEMPTS = 8;

interface EndedRecord {
  /** every session of the user issued at or before this (epoch seconds) is ended */
  before: number;
  /** sessions issued later that were ended, oldest first */
  sessions: Array<[id: string, issuedAt: number]>;
}

const isEndedIn = (record: EndedRecord, session: OpenedSession) =>
  session.issuedAt <= record.before || record.sessions.some(([id]) => id === session.id);

/**
 * Sessions ended by DELETE, remembered until their handles would have expired anyway: one record
 * per user, so however many sessions a user opens and ends, the store holds a bounded amount for
 * them. Past the cap the oldest ended session becomes a watermark that ends every session issued
 * no later: a live one among them gets 404 and its client initializes again, as the spec has it.
 */
export function createEndedSessions(store: KeyValueStore, now: () => number = Date.now) {
  const key = (accountId: string) => `mcp:ended-sessions:${accountHash(accountId)}`;
  const parse = (stored: string | undefined): EndedRecord => (stored ? (JSON.parse(stored) as EndedRecord) : { before: 0, sessions: [] });

  function withEnded(record: EndedRecord, session: OpenedSession): EndedRecord {
    const stillValid = now() / 1000 - SESSION_MAX_AGE_SECONDS;
    const sessions = [...record.sessions, [session.id, session.issuedAt] as [string, number]]
      .filter(([, issuedAt]) => issuedAt > stillValid)
      .sort((a, b) => a[1] - b[1]);
    let before = record.before;
    while (sessions.length > MAX_ENDED_SESSIONS_PER_USER) before = Math.max(before, sessions.shift()![1]);
    return { before, sessions: sessions.filter(([, issuedAt]) => issuedAt > before) };
  }

  return {
    async end(accountId: string, session: OpenedSession): Promise<void> {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const stored = await store.get(key(accountId));
        const record = parse(stored);
        if (isEndedIn(record, session)) return;
        const next = JSON.stringify(withEnded(record, session));
        const written =
          stored === undefined
            ? await store.setIfAbsent(key(accountId), next, SESSION_MAX_AGE_SECONDS)
            : await store.replaceIfEquals(key(accountId), stored, next, SESSION_MAX_AGE_SECONDS);
        if (written) return;
      }
      throw new StoreUnavailableError('too many sessions of one user ended at once');
    },
    isEnded: async (accountId: string, session: OpenedSession) => isEndedIn(parse(await store.get(key(accountId))), session),
  };
}

export type EndedSessions = ReturnType<typeof createEndedSessions>;
