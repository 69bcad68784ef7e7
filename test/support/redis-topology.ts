// Throwaway highly available Redis setups for one suite, on loopback: Sentinel (a primary, two
// replicas, three sentinels) and Cluster (three primaries, three replicas), each able to lose its
// primary the hard way (SIGKILL) and report when a replica has taken over.
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import type { RedisConfig } from '../../src/config.ts';
import { freePort, spawnRedisServer, startTestRedis } from './redis-server.ts';

/** every form, for suites that run their cases on each */
export const REDIS_FORMS = ['single', 'sentinel', 'cluster'] as const;
export type RedisForm = (typeof REDIS_FORMS)[number];

export interface TestRedisTopology {
  form: RedisForm;
  config: RedisConfig;
  /** the environment a server process needs to use it */
  env: Record<string, string>;
  /**
   * SIGKILLs the primary (on a cluster: the primary of `key`'s slot), resolves with how long it
   * took until a replica was promoted and announced, and starts the killed node again (it rejoins
   * as a replica). One Redis has no replica: not offered.
   */
  killPrimary?(key: string): Promise<{ promotedAfterMs: number }>;
  stop(): Promise<void>;
}

const SENTINEL_NAME = 'mwmcp-test';
const run = promisify(execFile);

export async function startTestTopology(form: RedisForm): Promise<TestRedisTopology> {
  if (form === 'sentinel') return startTestSentinel();
  if (form === 'cluster') return startTestCluster();
  const redis = await startTestRedis();
  return { form, config: { form, url: redis.url }, env: { REDIS_URL: redis.url }, stop: () => redis.stop() };
}

interface Node {
  port: number;
  child: ChildProcess;
  args: string[];
}

async function startNode(port: number, args: string[]): Promise<Node> {
  const all = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args];
  return { port, child: await spawnRedisServer(all), args: all };
}

/**
 * SIGKILLs `node`, waits for `promoted`, then starts it again as a deployment's supervisor would:
 * it comes back as a replica of the new primary, which then has a replica to acknowledge writes.
 */
async function failOver(node: Node, promoted: () => Promise<true | undefined>): Promise<{ promotedAfterMs: number }> {
  const killedAt = Date.now();
  await kill(node);
  await until('a promoted replica', promoted);
  const promotedAfterMs = Date.now() - killedAt;
  node.child = await spawnRedisServer(node.args);
  return { promotedAfterMs };
}

async function kill(node: Node): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGKILL');
  await exited;
}

/** Runs one command on the node at `port` on a connection of its own. */
async function ask(port: number, command: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(command);
  } finally {
    client.destroy();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result !== undefined) return result;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`redis topology: ${what} did not happen within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

/** The nodes of one topology and their directory, gone together. */
function nodeSet(prefix: string): { dir: string; nodes: Node[]; stop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(kill));
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, nodes, stop };
}

async function startTestSentinel(): Promise<TestRedisTopology> {
  const { dir, nodes, stop } = nodeSet('mwmcp-sentinel-');
  try {
    // a directory each: a replica writes the data it receives to dump.rdb there, not into the checkout
    const ownDir = () => ['--dir', mkdtempSync(join(dir, 'node-'))];
    const primary = await startNode(await freePort(), ownDir());
    nodes.push(primary);
    for (let i = 0; i < 2; i++) nodes.push(await startNode(await freePort(), [...ownDir(), '--replicaof', '127.0.0.1', String(primary.port)]));
    await until('two replicas in sync', async () => {
      const info = String(await ask(primary.port, ['INFO', 'replication']));
      return (info.match(/state=online/g) ?? []).length === 2 || undefined;
    });
    const sentinels: Node[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
          '',
        ].join('\n'),
      );
      const sentinel = { port, child: await spawnRedisServer([file, '--sentinel']), args: [file, '--sentinel'] };
      sentinels.push(sentinel);
      nodes.push(sentinel);
    }
    // A failover needs a majority of sentinels that know each other and the replicas.
    for (const sentinel of sentinels) {
      await until('sentinels that know each other and both replicas', async () => {
        const peers = (await ask(sentinel.port, ['SENTINEL', 'SENTINELS', SENTINEL_NAME])) as unknown[];
        const replicas = (await ask(sentinel.port, ['SENTINEL', 'REPLICAS', SENTINEL_NAME])) as unknown[];
        return (peers.length === 2 && replicas.length === 2) || undefined;
      });
    }
    const primaryPort = async () => Number(((await ask(sentinels[0].port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME])) as string[])[1]);
    const addresses = sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
    return {
      form: 'sentinel',
      config: { form: 'sentinel', sentinels: sentinels.map(({ port }) => ({ host: '127.0.0.1', port })), name: SENTINEL_NAME, tls: false },
      env: { REDIS_SENTINELS: addresses, REDIS_SENTINEL_NAME: SENTINEL_NAME },
      killPrimary: async () => {
        const before = await primaryPort();
        return failOver(nodes.find((node) => node.port === before)!, async () => ((await primaryPort()) !== before ? true : undefined));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startTestCluster(): Promise<TestRedisTopology> {
  const { dir, nodes, stop } = nodeSet('mwmcp-cluster-');
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      // The bus port is chosen too: port + 10000, the default, may be anybody's.
      const busPort = await freePort();
      nodes.push(
        await startNode(port, [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '1000',
          '--cluster-port', String(busPort),
          '--dir', mkdtempSync(join(dir, 'node-')),
        ]),
      );
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
    const live = () => nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
    const clusterReady = async () => {
      for (const node of live()) {
        if (!/cluster_state:ok/.test(String(await ask(node.port, ['CLUSTER', 'INFO'])))) return undefined;
        const info = String(await ask(node.port, ['INFO', 'replication']));
        if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return undefined;
      }
      return true;
    };
    await until('a cluster with every slot served and every replica in sync', clusterReady);
    const primaryOf = async (key: string) => {
      const slot = Number(await ask(live()[0].port, ['CLUSTER', 'KEYSLOT', key]));
      const ranges = (await ask(live()[0].port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
      const range = ranges.find(([first, last]) => slot >= first && slot <= last);
      return range ? Number(range[2][1]) : undefined;
    };
    const addresses = nodes.slice(0, 3).map((node) => `127.0.0.1:${node.port}`).join(',');
    return {
      form: 'cluster',
      config: { form: 'cluster', nodes: nodes.slice(0, 3).map(({ port }) => ({ host: '127.0.0.1', port })), tls: false },
      env: { REDIS_CLUSTER_NODES: addresses },
      killPrimary: async (key) => {
        const before = await primaryOf(key);
        return failOver(nodes.find((node) => node.port === before)!, async () => {
          const after = await primaryOf(key);
          return after !== undefined && after !== before && (await clusterReady()) ? true : undefined;
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
