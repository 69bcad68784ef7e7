// An express app with the MCP router and fakes, built the way createApp builds it.
import express, { type Express } from 'express';
import request from 'supertest';
import type { CliCommandSet, CliRunner } from '../../../src/cli/types.ts';
import type { AppConfig } from '../../../src/config.ts';
import { createMcpRouter } from '../../../src/mcp/router.ts';
import { buildLiveReads } from '../../../src/mcp/resources/live-reads.ts';
import { buildToolCatalogue } from '../../../src/mcp/tools/catalogue.ts';
import { loadToolOverrides } from '../../../src/mcp/tools/overrides.ts';
import type { ToolCatalogue, ToolDefinition } from '../../../src/mcp/tools/types.ts';
import type { AccessTokenVerifier, StepUpRequests } from '../../../src/oauth/access.ts';
import { type KeyValueStore, MemoryStore } from '../../../src/store/index.ts';
import { createMetrics, recordingRunner, repoRoot, silentLogger, testConfig } from './fakes.ts';
import { synthesizeCommandSet } from './synthetic-commands.ts';
import { mwSurfaceCommandSet } from '../../support/mw-surface.ts';

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
  /** the CLI the resource templates and completions read through (default: the real surface) */
  commands?: CliCommandSet;
  fetch?: typeof fetch;
  stepUps?: StepUpRequests;
  store?: KeyValueStore;
}) {
  const config = options.config ?? testConfig();
  const metrics = createMetrics();
  const logger = silentLogger();
  const runner = options.runner ?? recordingRunner();
  const catalogue = options.catalogue ?? syntheticCatalogue(config);
  const app = express();
  app.set('trust proxy', config.trustProxy);
  app.use(
    createMcpRouter({
      config,
      verifier: options.verifier,
      stepUps: options.stepUps,
      catalogue,
      liveReads: buildLiveReads(options.commands ?? mwSurfaceCommandSet(), loadToolOverrides(`${repoRoot}config/tools.json`), config.mittwald.scopes.upstream),
      runner,
      store: options.store ?? new MemoryStore(),
      logger,
      metrics,
      fetch: options.fetch,
    }),
  );
  return { app, config, metrics, catalogue, runner, logger };
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

export function streamText(res: request.Response, callback: (error: Error | null, body: string) => void) {
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('end', () => callback(null, text));
}

/** POSTs a JSON-RPC body to a path and returns its messages, whether answered as JSON or SSE. */
export async function postTo(app: Express, path: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  const req = request(app).post(path).set(MCP_HEADERS).set(headers);
  if (token) req.set('authorization', `Bearer ${token}`);
  const res = await req.send(body as object).buffer(true).parse(streamText);
  const text = res.body as unknown as string;
  const messages = String(res.headers['content-type']).includes('text/event-stream')
    ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)))
    : text ? [JSON.parse(text)] : [];
  return { status: res.status, headers: res.headers, text, messages, message: messages.at(-1) };
}

export function rpc(method: string, params: Record<string, unknown> = {}, id: number | string = 1) {
  return { jsonrpc: '2.0', id, method, params };
}

type ToolContract = Partial<Pick<ToolDefinition, 'confirmation' | 'targetProperties' | 'secretProperties' | 'wait'>>;

/**
 * Fills in the per-tool declarations the catalogue may not make yet (confirmation, targets,
 * secrets, wait); what the catalogue already declares is kept.
 */
export function declareTool(catalogue: ToolCatalogue, name: string, contract: ToolContract): ToolDefinition {
  const tool = catalogue.get(name);
  if (!tool) throw new Error(`no tool ${name} in the catalogue`);
  if (contract.confirmation && !tool.confirmation) {
    Object.assign(tool, { confirmation: contract.confirmation, needsConfirmation: true });
    tool.inputSchema.properties.confirm ??= { type: 'boolean', description: 'confirms the call' };
  }
  if (contract.targetProperties && tool.targetProperties.length === 0) tool.targetProperties = contract.targetProperties;
  if (contract.secretProperties && tool.secretProperties.length === 0) tool.secretProperties = contract.secretProperties;
  if (contract.wait && !tool.wait) tool.wait = contract.wait;
  return tool;
}
