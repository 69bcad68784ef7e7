// The H2 flood of issue 26: one signed-in user opens connections that never read and posts a
// JSON-RPC batch of 100 tools/list on each (half as a 2025-11-25 client, half without a version
// header, i.e. 2025-03-26). /healthz latency and the server's RSS are sampled before and during the
// flood. Unbounded, the server once buffered ~18 MB per request: 1.3 GB and /healthz in seconds.
import { connect, type Socket } from 'node:net';
import type { DeploymentSource } from './deployment.ts';
import { megabytes, ms } from './format.ts';
import { keepAliveAgent, sendExpectingSuccess } from './http-client.ts';
import { mcpHeaders } from './mcp-requests.ts';
import type { BenchmarkOutcome, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const BATCH_ENTRIES = 100;
const GOAL_HEALTHZ_P99_MS = 200;
const SAMPLE_PAUSE_MS = 20;

interface Phase {
  latenciesMs: number[];
  maxRssBytes: number;
}

/** /healthz one request after another (with a short pause) for `durationMs`, and the RSS beside it. */
async function sampleHealth(url: string, durationMs: number, rss: () => number): Promise<Phase> {
  const agent = keepAliveAgent(1);
  const phase: Phase = { latenciesMs: [], maxRssBytes: rss() };
  try {
    for (const end = performance.now() + durationMs; performance.now() < end; ) {
      const sent = performance.now();
      await sendExpectingSuccess(agent, `${url}/healthz`);
      phase.latenciesMs.push(performance.now() - sent);
      phase.maxRssBytes = Math.max(phase.maxRssBytes, rss());
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_PAUSE_MS));
    }
    return phase;
  } finally {
    agent.destroy();
  }
}

/** A POST on a connection of its own whose answer is never read. */
function unreadPost(mcpUrl: string, headers: Record<string, string>, body: string): Socket {
  const { hostname, port, pathname } = new URL(mcpUrl);
  const socket = connect(Number(port), hostname);
  const head = Object.entries({ ...headers, host: `${hostname}:${port}`, 'content-length': String(Buffer.byteLength(body)) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.on('error', () => undefined); // the server may end it: that is what is measured
  socket.write(`POST ${pathname} HTTP/1.1\r\n${head}\r\n${body}`);
  socket.pause();
  return socket;
}

export async function benchBatchFlood(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const sockets: Socket[] = [];
  try {
    const { accessToken } = await deployment.login(deployment.mittwald.users(1)[0]);
    const rss = () => deployment.server.memory().rssBytes;
    const idle = await sampleHealth(deployment.publicUrl, profile.floodSampleMs, rss);

    const batch = JSON.stringify(Array.from({ length: BATCH_ENTRIES }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/list' })));
    const { 'mcp-protocol-version': _, ...withoutVersion } = mcpHeaders(accessToken);
    for (let i = 0; i < profile.floodConnections; i++) {
      sockets.push(unreadPost(deployment.mcpUrl, i % 2 === 0 ? mcpHeaders(accessToken) : withoutVersion, batch));
    }
    const flood = await sampleHealth(deployment.publicUrl, profile.floodSampleMs, rss);

    const rows = [
      ['before', idle],
      [`${profile.floodConnections} unread connections × ${BATCH_ENTRIES}-entry batch`, flood],
    ].map(([label, phase]) => {
      const { latenciesMs, maxRssBytes } = phase as Phase;
      const { count, p50Ms, p99Ms } = summarise(latenciesMs);
      return [label as string, String(count), ms(p50Ms), ms(p99Ms), ms(Math.max(...latenciesMs)), megabytes(maxRssBytes)];
    });
    const floodP99 = summarise(flood.latenciesMs).p99Ms;
    return {
      sections: [
        {
          title: `10. batch flood: /healthz while ${profile.floodConnections} connections that never read post ${BATCH_ENTRIES} tools/list each`,
          columns: ['phase', '/healthz samples', 'p50', 'p99', 'max', 'max RSS'],
          rows,
          notes: [
            `Half the connections send \`MCP-Protocol-Version: 2025-11-25\` (no batches: refused), half none (2025-03-26: at most 16 messages, tools/list once: refused). /healthz is asked one request after another, ${SAMPLE_PAUSE_MS} ms apart, for ${ms(profile.floodSampleMs)} per phase.`,
          ],
        },
      ],
      goals: [
        { goal: `batch flood: /healthz p99 ≤ ${GOAL_HEALTHZ_P99_MS} ms`, measured: ms(floodP99), met: floodP99 <= GOAL_HEALTHZ_P99_MS },
        { goal: 'batch flood: RSS grows < 100 MB', measured: megabytes(flood.maxRssBytes - idle.maxRssBytes), met: flood.maxRssBytes - idle.maxRssBytes < 100 * 1024 ** 2 },
      ],
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await deployment.stop();
  }
}
