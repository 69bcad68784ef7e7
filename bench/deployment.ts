// One deployment under test: mittwald simulators in this process, our server (bench/serve.ts) in a
// child with the stand-in `mw`, a registered client, and logging users in without a browser.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standInCliPath } from '../test/support/mw-cli/index.ts';
import { productionNodeFlags } from '../test/support/server-process.ts';
import { startBenchChild, type BenchChild } from './bench-child.ts';
import { startLauncherChild } from './launcher-child.ts';
import { authorizeAndRedeem, refresh, registerPublicClient, type RegisteredClient, type TokenSet } from './oauth-flow.ts';
import { ALL_SCOPES, mittwaldEnvironment, planDeployment, startMittwald, type Mittwald } from './simulators.ts';

export interface Deployment {
  server: BenchChild;
  mittwald: Mittwald;
  publicUrl: string;
  mcpUrl: string;
  client: RegisteredClient;
  /** the NODE_COMPILE_CACHE of the server's `mw` children (the direct references use it too) */
  compileCacheDir: string;
  /** the whole authorization flow for one user; returns our tokens */
  login(userId: string): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /** the mittwald access token last minted for a user (what `mw` runs with) */
  mittwaldTokenOf(userId: string): string;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  /** start `node src/main.ts` with this node (one every uid can run) instead of bench/serve.ts: as root, the launcher */
  launcherNode?: string;
}

export async function startDeployment(env: Record<string, string> = {}, options: DeploymentOptions = {}): Promise<Deployment> {
  const plan = await planDeployment();
  const mittwald = await startMittwald({ publicUrl: plan.publicUrl });
  const mittwaldTokens = new Map<string, string>();
  mittwald.oauth.onTokenIssued((token, userId) => mittwaldTokens.set(userId, token));
  const compileCacheDir = await mkdtemp(join(tmpdir(), 'bench-server-compile-cache-'));
  const removeFiles = () => rm(compileCacheDir, { recursive: true, force: true });
  let server: BenchChild;
  try {
    const serverEnv = {
      ...plan.env,
      ...mittwaldEnvironment(mittwald, plan.publicUrl),
      // the stand-in has the whole mw command surface (192 commands with their real flags)
      MW_CLI: standInCliPath,
      CLI_COMPILE_CACHE_DIR: compileCacheDir,
      // every simulated user signs in from the bench's one loopback address: the limit is per address
      AUTHORIZE_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    };
    server = options.launcherNode
      ? await startLauncherChild(options.launcherNode, serverEnv)
      : // production's Node flags (npm start), so its memory figures are production's
        await startBenchChild(new URL('./serve.ts', import.meta.url), { nodeFlags: productionNodeFlags(), env: serverEnv });
  } catch (error) {
    await mittwald.close();
    await removeFiles();
    throw error;
  }
  const mcpUrl = `${plan.publicUrl}/mcp`;
  const client = await registerPublicClient(plan.publicUrl);
  return {
    server,
    mittwald,
    publicUrl: plan.publicUrl,
    mcpUrl,
    client,
    compileCacheDir,
    login(userId) {
      // The simulator logs in whoever was named last: callers never overlap logins of different users.
      mittwald.oauth.loginAs(userId);
      return authorizeAndRedeem(plan.publicUrl, client, { scopes: ALL_SCOPES, resource: mcpUrl });
    },
    refresh: (refreshToken) => refresh(plan.publicUrl, client, refreshToken),
    mittwaldTokenOf(userId) {
      const token = mittwaldTokens.get(userId);
      if (!token) throw new Error(`no mittwald token was minted for ${userId}`);
      return token;
    },
    async stop() {
      await server.stop();
      await mittwald.close();
      await removeFiles();
    },
  };
}

export interface DeploymentSource {
  /** a running deployment with this extra environment; stop() it when done */
  open(env?: Record<string, string>, options?: DeploymentOptions): Promise<Deployment>;
  /** stops what is still running */
  close(): Promise<void>;
}

/**
 * Full runs measure each item on a fresh server (clean memory figures); smoke runs share one server
 * per environment, since starting servers would take most of their few seconds.
 */
export function deploymentSource(share: boolean): DeploymentSource {
  if (!share) return { open: startDeployment, close: async () => undefined };
  const shared = new Map<string, Promise<Deployment>>();
  return {
    async open(env = {}, options = {}) {
      const key = JSON.stringify([env, options]);
      if (!shared.has(key)) shared.set(key, startDeployment(env, options));
      const deployment = await shared.get(key)!;
      return { ...deployment, stop: async () => undefined };
    },
    async close() {
      for (const deployment of shared.values()) await (await deployment).stop();
    },
  };
}
