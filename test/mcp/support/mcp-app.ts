// An express app with the MCP router and fakes, built the way createApp builds it.
import express from 'express';
import type { CliRunner } from '../../../src/cli/types.ts';
import type { AppConfig } from '../../../src/config.ts';
import { createMcpRouter } from '../../../src/mcp/router.ts';
import { buildToolCatalogue } from '../../../src/mcp/tools/catalogue.ts';
import { loadToolOverrides } from '../../../src/mcp/tools/overrides.ts';
import type { ToolCatalogue } from '../../../src/mcp/tools/types.ts';
import type { AccessTokenVerifier } from '../../../src/oauth/access.ts';
import { MemoryStore } from '../../../src/store/index.ts';
import { createMetrics, recordingRunner, repoRoot, silentLogger, testConfig } from './fakes.ts';
import { synthesizeCommandSet } from './synthetic-commands.ts';

export function syntheticCatalogue(config: AppConfig, narrowing: { readOnly?: boolean; topics?: string[] } = {}): ToolCatalogue {
  return buildToolCatalogue(synthesizeCommandSet(), loadToolOverrides(`${repoRoot}config/tools.json`), {
    readOnly: narrowing.readOnly ?? false,
    topics: narrowing.topics,
    knownScopes: config.mittwald.scopes.upstream,
  });
}

export function buildMcpApp(options: {
  verifier: AccessTokenVerifier;
  runner?: CliRunner;
  config?: AppConfig;
  catalogue?: ToolCatalogue;
  fetch?: typeof fetch;
}) {
  const config = options.config ?? testConfig();
  const metrics = createMetrics();
  const runner = options.runner ?? recordingRunner();
  const catalogue = options.catalogue ?? syntheticCatalogue(config);
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.use(
    createMcpRouter({ config, verifier: options.verifier, catalogue, runner, store: new MemoryStore(), logger: silentLogger(), metrics, fetch: options.fetch }),
  );
  return { app, config, metrics, catalogue, runner };
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

export function rpc(method: string, params: Record<string, unknown> = {}, id: number | string = 1) {
  return { jsonrpc: '2.0', id, method, params };
}

/** The JSON-RPC message(s) of a response, whether sent as JSON or as an SSE stream. */
export function messagesOf(res: { headers: Record<string, string>; text: string; body: unknown }): Array<Record<string, any>> {
  if (String(res.headers['content-type']).includes('text/event-stream')) {
    return res.text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
  }
  return [res.body as Record<string, any>];
}
