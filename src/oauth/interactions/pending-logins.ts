// Browsers on their way to mittwald: our state and PKCE verifier for the upstream authorization
// request, stored server-side, single-use, and only as long as an interaction lives.
import { createHash, randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../../store/index.ts';
import { storeKeys } from '../store-keys.ts';

export interface PendingLogin {
  /** the oidc-provider interaction this login belongs to */
  uid: string;
  codeVerifier: string;
  /** the mittwald scopes requested upstream */
  upstreamScopes: string[];
}

export interface PendingLogins {
  start(uid: string, upstreamScopes: string[]): Promise<{ state: string; codeChallenge: string }>;
  /** the interaction a state belongs to, without using it up */
  interactionOf(state: string): Promise<string | undefined>;
  /** the login, exactly once */
  take(state: string): Promise<PendingLogin | undefined>;
}

export function createPendingLogins(store: KeyValueStore, ttlSeconds: number): PendingLogins {
  const read = (text: string | undefined) => (text === undefined ? undefined : (JSON.parse(text) as PendingLogin));
  const isWellFormed = (state: string) => /^[\w-]{16,128}$/.test(state);
  return {
    async start(uid, upstreamScopes) {
      const state = randomBytes(24).toString('base64url');
      const codeVerifier = randomBytes(32).toString('base64url');
      const login: PendingLogin = { uid, codeVerifier, upstreamScopes };
      await store.set(storeKeys.upstreamLogin(state), JSON.stringify(login), ttlSeconds);
      return { state, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
    },
    async interactionOf(state) {
      return isWellFormed(state) ? read(await store.get(storeKeys.upstreamLogin(state)))?.uid : undefined;
    },
    async take(state) {
      return isWellFormed(state) ? read(await store.take(storeKeys.upstreamLogin(state))) : undefined;
    },
  };
}
