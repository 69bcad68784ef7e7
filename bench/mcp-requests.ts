// The JSON-RPC requests the benchmarks send to /mcp, as an MCP client sends them (stateless POSTs).
export const MCP_PROTOCOL_VERSION = '2025-11-25';

export function mcpHeaders(accessToken?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MCP_PROTOCOL_VERSION,
    ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
  };
}

export const toolsListBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

export function toolsCallBody(name: string, args: Record<string, unknown> = {}): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } });
}

/** The JSON-RPC answer of a response sent as JSON or as a one-message SSE stream. */
export function jsonRpcAnswer(body: string, contentType: string | undefined): { result?: Record<string, unknown>; error?: { message: string } } {
  if (contentType?.includes('text/event-stream')) {
    const data = body.split('\n').filter((line) => line.startsWith('data: ')).at(-1);
    if (!data) throw new Error(`empty event stream: ${body.slice(0, 200)}`);
    return JSON.parse(data.slice(6));
  }
  return JSON.parse(body);
}
