// Item 7: what the wall between users costs per tool call. The same tools/call against servers that
// differ only in the layers their children get, samples taken in turns so a busy moment hits every
// variant alike: none (file sandbox and limits off), the server's own (file sandbox + limits, as
// `npm start` has them), and, when run as root, production's (`node src/main.ts`: the launcher, a uid
// per child); each with warm children (the default) and with a child started per call
// (CLI_POOL=off). Reported as ratios to "none" in the same run, warm to warm and cold to cold.
import { nodeForEveryUid, perCallUidsUnavailable, uidBlockForThisRun } from '../test/isolation/deployment.ts';
import type { Deployment, DeploymentSource } from './deployment.ts';
import { ms, ratio } from './format.ts';
import { keepAliveAgent } from './http-client.ts';
import { callTool } from './mcp-tool-call.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const TOOL = 'mittwald_project_list';
/** after each round, so that the warm variants' pools are full again: they measure warm calls */
const PAUSE_MS = 500;

interface Variant {
  name: string;
  deployment: Deployment;
  accessToken: string;
  layers: string;
  times: number[];
}

export async function benchIsolation(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const node = nodeForEveryUid();
  // this run's own uids: another run on the machine (CI beside other work) may use the defaults
  const uids = uidBlockForThisRun();
  const uidEnv = { CLI_SERVER_UID: String(uids.server), CLI_CHILD_UIDS: `${uids.children.first}-${uids.children.last}` };
  const uidsUnavailable = perCallUidsUnavailable(node.path, uids.children.first);
  const agent = keepAliveAgent(1);
  const variants: Variant[] = [];
  try {
    const open = async (name: string, deployment: Deployment) => {
      const userId = deployment.mittwald.users(1)[0];
      const { accessToken } = await deployment.login(userId);
      variants.push({ name, deployment, accessToken, layers: await layersOf(deployment), times: [] });
    };
    for (const [pool, env] of [['warm', {}], ['cold', { CLI_POOL: 'off' }]] as const) {
      await open(`${pool}: none (file sandbox and limits off)`, await deployments.open({ CLI_SANDBOX_FS: 'off', CLI_LIMITS: 'off', ...env }));
      await open(`${pool}: file sandbox + limits (the server’s own children)`, await deployments.open(env));
      if (!uidsUnavailable) await open(`${pool}: + a uid per child (launcher, as root)`, await deployments.open({ ...env, ...uidEnv }, { launcherNode: node.path }));
    }

    const once = async (variant: Variant) => {
      const started = performance.now();
      await callTool(agent, variant.deployment.mcpUrl, variant.accessToken, TOOL);
      return performance.now() - started;
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, profile.smoke ? 0 : PAUSE_MS));
    for (let i = 0; i < profile.cliWarmupCalls; i++) for (const variant of variants) await once(variant);
    for (let i = 0; i < profile.toolCalls; i++) {
      for (const variant of variants) variant.times.push(await once(variant));
      await pause();
    }

    const perPool = variants.length / 2;
    return {
      sections: [
        {
          title: `7. The wall between users: one tools/call (${TOOL}) with and without the isolation layers`,
          columns: ['children get', 'p50', 'p99', 'p50 vs none', 'p99 vs none'],
          rows: variants.map((variant, index) => {
            const s = summarise(variant.times);
            const none = summarise(variants[index < perPool ? 0 : perPool].times);
            return [variant.name, ms(s.p50Ms), ms(s.p99Ms), ratio(s.p50Ms / none.p50Ms), ratio(s.p99Ms / none.p99Ms)];
          }),
          notes: [
            `${profile.toolCalls} samples per variant, taken in turns with a ${PAUSE_MS} ms pause after each round (warm variants: their pools refill), after ` +
              `${profile.cliWarmupCalls} warm-up calls each; "vs none" compares warm with warm and cold with cold. With warm children a layer's cost at ` +
              'the start of a child is off the call: what is left per call is its cost while the command runs. /readyz of each: ' +
              `${variants.map((v) => v.layers).join(' | ')}.`,
            ...(uidsUnavailable ? [`no per-call uid variant: ${uidsUnavailable}`] : []),
          ],
        },
      ],
      goals: [],
    };
  } finally {
    agent.destroy();
    for (const variant of variants) await variant.deployment.stop();
    node.remove();
  }
}

async function layersOf(deployment: Deployment): Promise<string> {
  const ready = (await (await fetch(`${deployment.publicUrl}/readyz`)).json()) as { checks?: { isolation?: Record<string, string> } };
  const layers = ready.checks?.isolation;
  return layers ? `fs: ${layers.fs}, uid: ${layers.uid}, limits: ${layers.limits}` : 'unknown';
}
