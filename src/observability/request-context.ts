// First middleware of the app: gives every request an id (the proxy's, when it sent a sane one),
// echoes it to the client, runs the rest of the request inside its scope, and writes one access
// log line when the response is done.
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger.ts';
import { runInRequestScope } from './request-scope.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

// Accepting any header value would let a client write arbitrary text into every log line.
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

// Probes arrive every few seconds: their successful lines are debug detail, not access log.
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/health', '/metrics']);

export function requestContext(options: { logger: Logger }): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const requestId = incoming && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);

    const startedAt = process.hrtime.bigint();
    res.once('close', () => logAccess(options.logger, req, res, { requestId, startedAt }));
    runInRequestScope(requestId, next);
  };
}

function logAccess(logger: Logger, req: Request, res: Response, request: { requestId: string; startedAt: bigint }): void {
  const path = req.originalUrl.split('?')[0];
  const durationMs = Math.round(Number(process.hrtime.bigint() - request.startedAt) / 1e5) / 10;
  const level = PROBE_PATHS.has(path) && res.statusCode < 400 ? 'debug' : 'http';
  // winston formats (and redacts) a line before it checks the level: skip that work per request.
  if (!logger.isLevelEnabled(level)) return;
  logger.log(level, 'request', {
    requestId: request.requestId,
    method: req.method,
    path,
    status: res.statusCode,
    durationMs,
    // the client went away before the response was complete (a closed SSE stream, a cancelled call)
    ...(res.writableFinished ? {} : { aborted: true }),
  });
}
