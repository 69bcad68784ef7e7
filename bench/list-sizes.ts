// What a connection pays before the user says a word: the tools/list answer of each surface
// (every tool, read-only, one toolset, the search mode), in bytes and an estimate of tokens.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { DeploymentSource } from './deployment.ts';
import { kilobytes } from './format.ts';
import { keepAliveAgent, sendExpectingSuccess } from './http-client.ts';
import { jsonRpcAnswer, mcpHeaders, toolsListBody } from './mcp-requests.ts';
import type { BenchmarkOutcome, GoalCheck } from './profile.ts';

/** a rough rule for JSON like this (names, schemas, short English): about 4 bytes per token */
const BYTES_PER_TOKEN = 4;
const FULL_LIST_GOAL_BYTES = 120 * 1024;
const SEARCH_LIST_GOAL_BYTES = 5 * 1024;

const SURFACES = ['/mcp', '/mcp/readonly', '/mcp/x/project', '/mcp/x/app,database', '/mcp/x/search', '/mcp/x/search/readonly'];

export async function benchListSizes(_profile: unknown, deployments: DeploymentSource): Promise<BenchmarkOutcome> {
  const deployment = await deployments.open();
  const agent = keepAliveAgent(1);
  try {
    const { accessToken } = await deployment.login(deployment.mittwald.users(1)[0]);
    const origin = new URL(deployment.mcpUrl).origin;
    const rows: string[][] = [];
    const bytesOf = new Map<string, number>();
    let catalogueTools = 0;
    for (const path of SURFACES) {
      const response = await sendExpectingSuccess(agent, `${origin}${path}`, { method: 'POST', headers: mcpHeaders(accessToken), body: toolsListBody });
      const tools = (jsonRpcAnswer(response.body, response.headers['content-type'] as string | undefined).result?.tools ?? []) as Tool[];
      const bytes = Buffer.byteLength(response.body);
      if (path === '/mcp') catalogueTools = tools.length;
      bytesOf.set(path, bytes);
      rows.push([path, String(tools.length), kilobytes(bytes), `~${Math.round(bytes / BYTES_PER_TOKEN).toLocaleString('en')}`]);
    }
    const full = bytesOf.get('/mcp')!;
    const search = bytesOf.get('/mcp/x/search')!;
    const goals: GoalCheck[] = [
      { goal: `full list (${catalogueTools} tools) ≤ ${kilobytes(FULL_LIST_GOAL_BYTES)}`, measured: kilobytes(full), met: full <= FULL_LIST_GOAL_BYTES },
      { goal: `search mode list ≤ ${kilobytes(SEARCH_LIST_GOAL_BYTES)}`, measured: kilobytes(search), met: search <= SEARCH_LIST_GOAL_BYTES },
    ];
    return {
      sections: [
        {
          title: 'tools/list size per connection surface',
          columns: ['URL', 'tools', 'answer', 'tokens (est.)'],
          rows,
          notes: [`The whole JSON-RPC answer as sent; tokens estimated at ${BYTES_PER_TOKEN} bytes each. The tools are those of the stand-in CLI (the real mw command surface).`],
        },
      ],
      goals,
    };
  } finally {
    agent.destroy();
    await deployment.stop();
  }
}
