// Raw MCP over HTTP for the apps tests: a 2026-07-28 request with its envelope and required
// headers, and a 2025-11-25 session (initialize, then calls with its handle).
export type Json = Record<string, any>;

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
export const CLIENT_META_KEYS = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw-apps', version: '1' },
};

let nextId = 1;

async function post(url: string, token: string, headers: Record<string, string>, body: Json) {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  const data = text.startsWith('{') ? text : text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).pop();
  const message = data ? (JSON.parse(data) as Json) : {};
  return { status: response.status, headers: response.headers, result: message.result as Json, error: message.error as Json | undefined };
}

/** one 2026-07-28 request (params carry their own `_meta`) */
export function rawCall(url: string, token: string, method: string, params: Json) {
  const name = method === 'tools/call' ? String(params.name) : method === 'resources/read' ? String(params.uri) : undefined;
  const headers: Record<string, string> = { 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) };
  return post(url, token, headers, { jsonrpc: '2.0', id: nextId++, method, params });
}

/** a 2025-11-25 session with these client capabilities */
export async function legacySession(url: string, token: string, capabilities: Json) {
  const init = await post(url, token, {}, {
    jsonrpc: '2.0',
    id: nextId++,
    method: 'initialize',
    params: { protocolVersion: LEGACY, capabilities, clientInfo: { name: 'raw-apps', version: '1' } },
  });
  const session = init.headers.get('mcp-session-id')!;
  const headers = { 'mcp-session-id': session, 'mcp-protocol-version': LEGACY };
  await post(url, token, headers, { jsonrpc: '2.0', method: 'notifications/initialized' });
  return {
    initialized: init.result,
    call: (method: string, params: Json = {}) => post(url, token, headers, { jsonrpc: '2.0', id: nextId++, method, params }),
  };
}
