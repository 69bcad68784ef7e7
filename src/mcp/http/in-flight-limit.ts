// Requests one principal (a grant, or one direct API token) may have in flight at once, in this
// process: counted from authentication until the response is done or its connection closes, so
// one signed-in client cannot make the server hold an unbounded number of answers and SDK servers.
// Beyond the cap the request is refused before its body is read, and nothing runs.
import type { RequestHandler } from 'express';
import { accessOf } from './bearer-auth.ts';
import { sendJsonRpcError } from './json-rpc-error.ts';

/** a request in flight usually answers within seconds: a second is a fair wait before trying again */
const WAIT_FOR_AN_ANSWER_SECONDS = 1;

export function createInFlightLimit(maxPerPrincipal: number): RequestHandler {
  const inFlight = new Map<string, number>();
  return (_req, res, next) => {
    if (res.closed) return; // the client left while it was authenticated: nothing to answer, nothing to count
    const principal = accessOf(res).grantId;
    const count = inFlight.get(principal) ?? 0;
    if (count >= maxPerPrincipal) {
      res.set('Retry-After', String(WAIT_FOR_AN_ANSWER_SECONDS));
      return sendJsonRpcError(res, 429, -32000, `Too many requests: this client has ${maxPerPrincipal} requests in flight, the most it may; wait for an answer first`);
    }
    inFlight.set(principal, count + 1);
    res.once('close', () => {
      const left = inFlight.get(principal)! - 1;
      if (left === 0) inFlight.delete(principal);
      else inFlight.set(principal, left);
    });
    next();
  };
}
