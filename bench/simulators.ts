// mittwald, played by the test doubles: the OAuth simulator logs users in and mints tokens, the API
// simulator accepts exactly those tokens (for the façade's user lookup and for `mw`), and knows as
// many users as a benchmark needs.
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../test/support/mittwald-api/simulator.ts';
import { startMittwaldOAuthSimulator, type MittwaldOAuthSimulator } from '../test/support/mittwald-oauth/simulator.ts';
import { MITTWALD_CLIENT_ID, sharedSecrets } from '../test/support/mittwald-oauth/oauth-test-app.ts';
import { freePort } from '../test/support/redis-server.ts';
import { readFileSync } from 'node:fs';

const scopeCatalogue = JSON.parse(readFileSync(new URL('../scopes.json', import.meta.url), 'utf8')) as { upstream: string[] };
/** every scope mittwald knows, so tools/list shows the whole catalogue */
export const ALL_SCOPES = scopeCatalogue.upstream;

export interface Mittwald {
  api: MittwaldApiSimulator;
  oauth: MittwaldOAuthSimulator;
  /** ids of the first `count` users who can log in and use the API (created on demand) */
  users(count: number): string[];
  close(): Promise<void>;
}

export interface DeploymentPlan {
  publicUrl: string;
  port: number;
  /** the server's environment (the rest is the server's defaults) */
  env: Record<string, string>;
}

export async function startMittwald(options: { publicUrl: string }): Promise<Mittwald> {
  const api = await startMittwaldApiSimulator();
  const oauth = await startMittwaldOAuthSimulator({
    clientId: MITTWALD_CLIENT_ID,
    redirectUri: `${options.publicUrl}/mittwald/callback`,
    scopes: ALL_SCOPES,
  });
  oauth.onTokenIssued((token, userId) => api.grantToken(token, userId));
  const ids = api.users.map((user) => user.userId);
  return {
    api,
    oauth,
    users(count) {
      for (let n = ids.length; n < count; n++) ids.push(addUserLike(api, ids[0], n));
      return ids.slice(0, count);
    },
    close: async () => void (await Promise.all([api.close(), oauth.close()])),
  };
}

/** A copy of an existing API user under a new id (the benchmarks need more users than the seed). */
function addUserLike(api: MittwaldApiSimulator, templateId: string, n: number): string {
  const userId = `00000001-0000-4000-8000-b${String(n).padStart(11, '0')}`;
  api.state.users.set(userId, { ...api.state.users.get(templateId)!, userId, email: `bench-${n}@example.test` });
  return userId;
}

/** A deployment's address and environment: fixed port (mittwald needs the callback URL up front). */
export async function planDeployment(): Promise<DeploymentPlan> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  // Production's log settings (NODE_ENV=production would also demand https): logging is part of the cost.
  const logging = { LOG_LEVEL: 'info', LOG_FORMAT: 'json' };
  return { port, publicUrl, env: { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: publicUrl, ...logging, ...sharedSecrets() } };
}

export function mittwaldEnvironment(mittwald: Mittwald, publicUrl: string): Record<string, string> {
  return {
    MITTWALD_AUTHORIZATION_URL: mittwald.oauth.authorizationUrl,
    MITTWALD_TOKEN_URL: mittwald.oauth.tokenUrl,
    MITTWALD_CLIENT_ID: MITTWALD_CLIENT_ID,
    MITTWALD_REDIRECT_URI: `${publicUrl}/mittwald/callback`,
    MITTWALD_API_BASE_URL: mittwald.api.url,
  };
}
