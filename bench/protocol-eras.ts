// The two protocol eras on one /mcp, same server, same token: tools/list req/s and a tools/call's
// latency on 2026-07-28 (per-request _meta, Mcp-Method / Mcp-Name, the SDK's createMcpHandler)
// against 2025-11-25 (our relaying transport). The eras take turns, round after round, on their
// own keep-alive connections, so a busy moment of the shared machine hits both alike.
import type { DeploymentSource } from './deployment.ts';
import { kilobytes, ms, perSecond } from './format.ts';
import { keepAliveAgent, sendExpectingSuccess } from './http-client.ts';
import { runLoad } from './load.ts';
import { jsonRpcAnswer, mcpHeaders, toolsCallBody, toolsListBody } from './mcp-requests.ts';
import type { BenchmarkOutcome, GoalCheck, Profile } from './profile.ts';
import { summarise } from './stats.ts';

const MODERN = '2026-07-28';
const LIST_CONCURRENCY = 8;
const CALL_TOOL = 'mittwald_user_get';
/** the most a 2026-07-28 tools/call may add over the same call on 2025-11-25, p50 */
const CALL_OVERHEAD_GOAL_MS = 1;
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Era {
  label: string;
  list: { headers: Record<string, string>; body: string };
  call: { headers: Record<string, string>; body: string };
}

function eras(accessToken: string): Era[] {
  const modernHeaders = (method: string, name?: string) => ({
    ...mcpHeaders(accessToken),
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
  });
  const modernBody = (method: string, params: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: ENVELOPE } });
  return [
    { label: '2025-11-25', list: { headers: mcpHeaders(accessToken), body: toolsListBody }, call: { headers: mcpHeaders(accessToken), body: toolsCallBody(CALL_TOOL) } },
    {
      label: MODERN,
      list: { headers: modernHeaders('tools/list'), body: modernBody('tools/list', {}) },
      call: { headers: modernHeaders('tools/call', CALL_TOOL), body: modernBody('tools/call', { name: CALL_TOOL, arguments: {} }) },
    },
  ];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

export async function benchProtocolEras(profile: Profile, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const failures: string[] = [];
  try {
    const { accessToken } = await deployment.login(deployment.mittwald.users(1)[0]);
    const url = deployment.mcpUrl;
    const targets = eras(accessToken);
    const sizes = new Map<Era, number>();
    const probe = keepAliveAgent(1);
    for (const era of targets) {
      const listed = await sendExpectingSuccess(probe, url, { method: 'POST', ...era.list });
      sizes.set(era, Buffer.byteLength(listed.body));
      const called = await sendExpectingSuccess(probe, url, { method: 'POST', ...era.call });
      const answer = jsonRpcAnswer(called.body, called.headers['content-type'] as string | undefined);
      if (!answer.result || answer.result.isError) failures.push(`${era.label} tools/call failed: ${called.body.slice(0, 200)}`);
    }
    probe.destroy();

    const listRates = new Map<Era, number[]>(targets.map((era) => [era, []]));
    const callTimes = new Map<Era, number[]>(targets.map((era) => [era, []]));
    const listAgents = new Map(targets.map((era) => [era, keepAliveAgent(LIST_CONCURRENCY)]));
    const callAgents = new Map(targets.map((era) => [era, keepAliveAgent(1)]));
    try {
      for (let round = 0; round < profile.listRounds; round++) {
        for (const era of targets) {
          const agent = listAgents.get(era)!;
          const result = await runLoad({
            concurrency: LIST_CONCURRENCY,
            durationMs: profile.listRoundMs,
            request: async () => void (await sendExpectingSuccess(agent, url, { method: 'POST', ...era.list })),
          });
          if (result.errors) failures.push(`${era.label} tools/list: ${result.errors} errors, first: ${result.firstError}`);
          listRates.get(era)!.push(result.perSecond);
        }
      }
      // calls alternate one by one, so both eras see the same warm children and the same machine
      for (let call = 0; call < profile.toolCalls; call++) {
        for (const era of targets) {
          const started = performance.now();
          await sendExpectingSuccess(callAgents.get(era)!, url, { method: 'POST', ...era.call });
          callTimes.get(era)!.push(performance.now() - started);
        }
      }
    } finally {
      for (const agent of [...listAgents.values(), ...callAgents.values()]) agent.destroy();
    }

    const [legacy, modern] = targets;
    const rate = (era: Era) => median(listRates.get(era)!);
    const call = (era: Era) => summarise(callTimes.get(era)!);
    const rows = targets.map((era) => [era.label, perSecond(rate(era)), kilobytes(sizes.get(era)!), ms(call(era).p50Ms), ms(call(era).p99Ms)]);
    const overhead = call(modern).p50Ms - call(legacy).p50Ms;
    const goals: GoalCheck[] = [
      { goal: `tools/list on ${MODERN}: at least the req/s of 2025-11-25`, measured: `${perSecond(rate(modern))} vs ${perSecond(rate(legacy))}`, met: rate(modern) >= rate(legacy) },
      { goal: `tools/call on ${MODERN}: ≤ ${CALL_OVERHEAD_GOAL_MS} ms p50 over 2025-11-25`, measured: `${overhead >= 0 ? '+' : ''}${overhead.toFixed(2)} ms`, met: overhead <= CALL_OVERHEAD_GOAL_MS },
    ];
    return {
      sections: [
        {
          title: 'protocol eras: 2026-07-28 beside 2025-11-25 on one /mcp',
          columns: ['revision', `tools/list req/s (${LIST_CONCURRENCY} clients)`, 'list bytes', `${CALL_TOOL} p50`, 'p99'],
          rows,
          notes: [
            `tools/list: medians over ${profile.listRounds} rounds of ${profile.listRoundMs / 1000} s, the eras taking turns. ` +
              `tools/call: ${profile.toolCalls} calls per era, alternating one by one, one client, warm children (the default). ` +
              `2026-07-28 lists carry resultType and a private cache hint; its calls go through the SDK's createMcpHandler.`,
          ],
        },
      ],
      goals,
      failures,
    };
  } finally {
    await deployment.stop();
  }
}
