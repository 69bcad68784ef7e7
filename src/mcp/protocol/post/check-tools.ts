// Before a tool runs: a batch holds no more runs than one user may have running and waiting (it
// could only partly succeed), and a mittwald session that ended is 401 (the client re-authorizes)
// rather than a tool error.
import type { RequestHandler } from 'express';
import type { AppConfig } from '../../../config.ts';
import { UpstreamSessionEndedError } from '../../../oauth/access.ts';
import { accessOf } from '../../http/bearer-auth.ts';
import { sendUnauthorized } from '../../http/challenges.ts';
import { sendJsonRpcError } from '../../http/json-rpc-error.ts';
import { postOf } from './post-state.ts';

export function checkTools(deps: { config: AppConfig; maxRunsPerBatch: number }): RequestHandler {
  return async (_req, res, next) => {
    const runs = postOf(res).tools.filter((tool) => tool.kind === 'run');
    if (runs.length > deps.maxRunsPerBatch) {
      return sendJsonRpcError(res, 400, -32600, `Invalid Request: a batch may hold at most ${deps.maxRunsPerBatch} tool calls (what one user may have running and waiting at once)`);
    }
    if (runs.length === 0) return next();
    try {
      await accessOf(res).mittwaldAccessToken();
    } catch (error) {
      if (error instanceof UpstreamSessionEndedError) return sendUnauthorized(res, deps.config, 'invalid_token');
      throw error;
    }
    next();
  };
}
