// Sessions: we run stateless (any process answers any request, restarts lose nothing, no shared
// session store), and still hand out an Mcp-Session-Id. It is a signed, self-contained handle that
// remembers what the client declared at initialize (elicitation support) and is bound to the
// user: a handle presented with another user's token, or forged, is "Session not found" (404).
// There is nothing to end, so DELETE answers 405, which the spec allows.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SessionFacts {
  /** the client declared the elicitation capability at initialize */
  elicitation: boolean;
}

interface HandlePayload {
  /** hash of the account id: binds the handle to the user without showing who it is */
  a: string;
  e: 0 | 1;
}

function accountHash(accountId: string): string {
  return createHash('sha256').update(accountId).digest('base64url').slice(0, 22);
}

export function createSessionHandles(secrets: string[]) {
  // Derived keys: the configured secrets serve other purposes too. The first signs, all verify (rotation).
  const keys = secrets.map((secret) => createHmac('sha256', secret).update('mcp-session-handle').digest());
  const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    issue(accountId: string, facts: SessionFacts): string {
      const payload: HandlePayload = { a: accountHash(accountId), e: facts.elicitation ? 1 : 0 };
      const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `v1.${encoded}.${sign(keys[0], encoded)}`;
    },
    /** undefined for a forged, foreign or malformed handle */
    open(handle: string, accountId: string): SessionFacts | undefined {
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
        if (payload.a !== accountHash(accountId)) return undefined;
        return { elicitation: payload.e === 1 };
      } catch {
        return undefined;
      }
    },
  };
}

export type SessionHandles = ReturnType<typeof createSessionHandles>;
