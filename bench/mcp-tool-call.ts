// One tools/call through /mcp that must succeed: HTTP 2xx, a JSON-RPC result, and no tool error.
import type { Agent } from 'node:http';
import { sendExpectingSuccess } from './http-client.ts';
import { jsonRpcAnswer, mcpHeaders, toolsCallBody } from './mcp-requests.ts';

export async function callTool(agent: Agent, mcpUrl: string, accessToken: string, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await sendExpectingSuccess(agent, mcpUrl, { method: 'POST', headers: mcpHeaders(accessToken), body: toolsCallBody(name, args) });
  const answer = jsonRpcAnswer(response.body, response.headers['content-type'] as string | undefined);
  if (answer.error) throw new Error(`${name}: JSON-RPC error ${answer.error.message}`);
  if (!answer.result || answer.result.isError) throw new Error(`${name} failed: ${JSON.stringify(answer.result).slice(0, 300)}`);
  return answer.result;
}
