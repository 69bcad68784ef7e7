// 2026-07-28 requests, served by the SDK's createMcpHandler (modern only: 2025 requests never reach
// it, post/choose-era.ts hands them to the relaying transport of legacy-elicitation-relay.ts). It
// answers server/discover, checks the envelope and the required headers, gives every result its
// resultType and multi round-trip its shape, from the same per-request server the 2025 era gets
// (mcp-server.ts).
import type { Request, Response } from 'express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { type AuthInfo, createMcpHandler } from '@modelcontextprotocol/server';
import type { Logger } from '../../observability/logger.ts';
import type { McpServerFactory } from './mcp-server.ts';
import type { McpRequestContext } from './request-context.ts';

/** the SDK hands our context to the factory as pass-through auth info; it never reads it */
interface ContextCarrier extends AuthInfo {
  extra: { mcpContext: McpRequestContext };
}

export function createModernHandler(buildServer: McpServerFactory, logger: Logger) {
  const handler = createMcpHandler(({ authInfo }) => buildServer((authInfo as ContextCarrier).extra.mcpContext), {
    legacy: 'reject',
    // refusals of bad requests land here too: what a client sent is not our error
    onerror: (error) => logger.debug('2026-07-28 request refused or failed', { error: error.message }),
  });
  const serve = toNodeHandler(handler);

  return {
    async handle(req: Request, res: Response, context: McpRequestContext): Promise<void> {
      const carrier: ContextCarrier = { token: '', clientId: context.access.clientId, scopes: context.access.scopes, extra: { mcpContext: context } };
      (req as Request & { auth?: AuthInfo }).auth = carrier;
      await serve(req, res, req.body);
    },
    close: () => handler.close(),
  };
}

export type ModernHandler = ReturnType<typeof createModernHandler>;
