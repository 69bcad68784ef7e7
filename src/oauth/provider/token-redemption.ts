// A code or refresh token is spent only by the answer that delivers what replaces it.
//
// oidc-provider's authorization_code and refresh_token grants consume the code or refresh token
// half-way through a token request: before `resource` is resolved (invalid_target), before the new
// refresh and access tokens are stored, each a store operation of its own that may fail or time
// out. An error answer after that point left the token spent while the client kept it, and its
// next use counted as reuse: the code's or the whole grant's tokens were revoked.
//
// Here a token request only notes what the grant consumes and what it mints (the adapter reports
// both into this request's scope). When the grant has built a success answer, the code or refresh
// token is marked spent in one compare-and-set that also records the refresh token issued in its
// place, just before that answer is sent. An error answer, from the grant or from that last step,
// thus leaves the code or refresh token as it was, and the tokens the request minted are dropped.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';
import { errors } from 'oidc-provider';
import { AuthorizationStoreUnavailableError } from '../errors.ts';

export interface TokenReference {
  /** the oidc-provider model: AuthorizationCode, RefreshToken, AccessToken */
  model: string;
  id: string;
}

export interface MintedToken extends TokenReference {
  grantId: string;
}

/** What one token request has consumed and minted so far. */
export interface PendingRedemption {
  consumed?: TokenReference;
  minted: MintedToken[];
}

export type RedemptionOutcome =
  | { outcome: 'spent' }
  /** an earlier answer spent it inside the refresh grace window: that answer's refresh token is the successor */
  | { outcome: 'spentBefore'; successor?: string }
  | { outcome: 'refused'; reason: string }
  /** the store failed; maybeSpent: the mark may have landed, so what was minted stays for a retry to get */
  | { outcome: 'unavailable'; maybeSpent: boolean };

export interface Redeemer {
  /** marks `consumed` spent unless it already is, recording `successor` (the refresh token issued in its place) */
  redeem(consumed: TokenReference, successor: string | undefined): Promise<RedemptionOutcome>;
  /** deletes tokens that were minted but never delivered (best effort) */
  drop(tokens: MintedToken[]): Promise<void>;
}

const tokenRequests = new AsyncLocalStorage<PendingRedemption>();

/** The token request the caller runs in, if any. */
export const pendingRedemption = (): PendingRedemption | undefined => tokenRequests.getStore();

/** Koa middleware for the provider: runs each token request in its own scope and settles it at the end. */
export function spendOnDelivery(tokenPath: string, redeemer: Redeemer): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath) return next();
    const pending: PendingRedemption = { minted: [] };
    await tokenRequests.run(pending, next);
    const { consumed, minted } = pending;
    if (!consumed) return;
    const refreshToken = minted.find((token) => token.model === 'RefreshToken');
    if (ctx.status !== 200) return redeemer.drop(minted);

    const result = await redeemer.redeem(consumed, refreshToken?.id);
    switch (result.outcome) {
      case 'spent':
        return;
      case 'spentBefore':
        // One refresh token, used twice inside the grace window (a retry after a lost answer, two
        // egress addresses at once), continues one chain: the first answer's refresh token again.
        // The access token is this request's own: it cannot mint anything, lives minutes and ends
        // with the grant; repeating the first one would mean keeping its value in this record too.
        if (!result.successor) return; // spent before successors were recorded (an upgrade): this answer's own
        (ctx.body as Record<string, unknown>).refresh_token = result.successor;
        return redeemer.drop(refreshToken ? [refreshToken] : []);
      case 'refused':
        await redeemer.drop(minted);
        return answerWithError(ctx, new errors.InvalidGrant(result.reason));
      case 'unavailable':
        if (!result.maybeSpent) await redeemer.drop(minted);
        return answerWithError(ctx, new AuthorizationStoreUnavailableError());
    }
  };
}

/** The OAuth error answer oidc-provider's own error handler would give (it has run already). */
function answerWithError(ctx: Parameters<Middleware>[0], error: { status: number; error: string; error_description?: string }): void {
  ctx.status = error.status;
  ctx.body = { error: error.error, error_description: error.error_description };
}
