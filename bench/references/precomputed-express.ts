// Reference (b): the limit. Plain Express parses the JSON-RPC body and answers the tools/list result
// serialised once at start; no MCP machinery, no auth.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import express from 'express';
import { listenOnLoopback, type Listening } from '../../test/support/listen.ts';

export async function startPrecomputedExpressServer(tools: readonly Tool[]): Promise<Listening> {
  const result = JSON.stringify({ tools });
  const app = express();
  app.disable('x-powered-by');
  app.post('/mcp', express.json({ limit: '4mb' }), (req, res) => {
    const id = JSON.stringify((req.body as { id?: unknown }).id ?? null);
    res.type('application/json').send(`{"jsonrpc":"2.0","id":${id},"result":${result}}`);
  });
  return listenOnLoopback(app);
}
