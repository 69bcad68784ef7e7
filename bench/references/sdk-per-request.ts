// Reference (a): the plain MCP SDK pattern for a stateless server, as the SDK's README shows it: a
// new McpServer with every tool registered and a new transport for each request. Schemas are
// converted to zod once, as an app would declare them once at module level.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import { z } from 'zod';
import { listenOnLoopback, type Listening } from '../../test/support/listen.ts';

/** What zod's fromJSONSchema cannot take (our schemas use them for rules between inputs): left out here. */
const UNSUPPORTED = new Set(['not', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas']);

function supportedPart(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(supportedPart);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !UNSUPPORTED.has(key)).map(([key, value]) => [key, supportedPart(value)]));
}

/** The tool's schema as the zod an app would declare, without the rules zod has no words for. */
function zodOf(inputSchema: Tool['inputSchema']): z.ZodObject {
  try {
    return z.fromJSONSchema(inputSchema as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodObject;
  } catch {
    return z.fromJSONSchema(supportedPart(inputSchema) as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodObject;
  }
}

export async function startSdkPerRequestServer(tools: readonly Tool[]): Promise<Listening> {
  const registrations = tools.map((tool) => ({
    name: tool.name,
    config: {
      title: tool.title,
      description: tool.description,
      inputSchema: zodOf(tool.inputSchema),
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
