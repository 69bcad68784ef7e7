// Reference (a): the plain MCP SDK pattern for a stateless server, as the SDK's README shows it: a
// new McpServer with every tool registered and a new transport for each request. Schemas are
// converted to zod once, as an app would declare them once at module level. zod cannot express the
// rules between inputs (`allOf` of `not`/`anyOf`, `dependentRequired`), so the reference lists the
// tools without them: its answer is a little smaller than ours, never larger.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import { z } from 'zod';
import { listenOnLoopback, type Listening } from '../../test/support/listen.ts';

function withoutInputRules(schema: Tool['inputSchema']): Tool['inputSchema'] {
  const { allOf: _allOf, dependentRequired: _dependentRequired, ...plain } = schema as Tool['inputSchema'] & { allOf?: unknown; dependentRequired?: unknown };
  return plain;
}

export async function startSdkPerRequestServer(tools: readonly Tool[]): Promise<Listening> {
  const registrations = tools.map((tool) => ({
    name: tool.name,
    config: {
      title: tool.title,
      description: tool.description,
      inputSchema: z.fromJSONSchema(withoutInputRules(tool.inputSchema) as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodObject,
      annotations: tool.annotations,
    },
  }));
  const notCalled = async () => ({ content: [{ type: 'text' as const, text: 'the benchmark only lists tools' }] });

  const app = express();
  app.disable('x-powered-by');
  app.post('/mcp', express.json({ limit: '4mb' }), async (req, res) => {
    const server = new McpServer({ name: 'sdk-reference', version: '1.0.0' });
    for (const { name, config } of registrations) server.registerTool(name, config, notCalled);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  return listenOnLoopback(app);
}
