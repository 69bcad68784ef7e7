// Step-up for clients that refresh first. A call beyond the grant gets 403 insufficient_scope
// naming the scopes it needs; the MCP SDK client (1.32.2, and the hosts built on it) answers that
// by refreshing its token before anything else, and a refresh can never widen a grant: it
// succeeds, the retry meets the same 403, and the client gives up. So the resource remembers for
// a minute which grant it asked for more, and the next refresh of that grant is refused with
// `consent_required` (OpenID Connect's "the user must consent"), before oidc-provider rotates or
// revokes anything. The SDK takes an error it does not know as "could not refresh", keeps its
// tokens and starts a new authorization for the scopes the challenge named: the user's consent.
// Clients that re-authorize on 403 without refreshing never meet the refusal; it expires unused.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { KeyValueStore } from '../store/index.ts';
import type { StepUpRequests } from './access.ts';
import { asProviderFailure } from './provider/store-adapter.ts';
import { storeKeys } from './store-keys.ts';

/** how long the resource's request for more scopes waits for the client's refresh */
export const STEP_UP_WINDOW_SECONDS = 60;

export interface PendingStepUps extends StepUpRequests {
  /** the scopes asked for, once; undefined when none are pending for the grant */
  take(grantId: string): Promise<string | undefined>;
}

export function createPendingStepUps(store: KeyValueStore): PendingStepUps {
  return {
    record: (grantId, scopes) => store.set(storeKeys.pendingStepUp(grantId), scopes.join(' '), STEP_UP_WINDOW_SECONDS),
    take: (grantId) => store.take(storeKeys.pendingStepUp(grantId)),
  };
}

/**
 * For oidc-provider's rotateRefreshToken hook: it runs after the refresh token and its grant were
 * found valid and before anything changes, so a refusal here leaves the token as it was.
 */
export async function refuseRefreshAwaitingStepUp(ctx: KoaContextWithOIDC, stepUps: PendingStepUps): Promise<void> {
  const grantId = ctx.oidc.entities.RefreshToken?.grantId;
  if (!grantId) return;
  // inside oidc-provider: an unreachable store is its 503 temporarily_unavailable, not a 500
  const scopes = await stepUps.take(grantId).catch(asProviderFailure);
  if (scopes === undefined) return;
  throw new errors.ConsentRequired(`a refresh cannot add scopes: authorize again for ${scopes} to approve them`);
}
