// The app's last error handler. Without it Express's default answers an error with an HTML page
// holding the stack trace (server paths included) and writes that stack raw to stderr, past the
// log redaction. Here every error is logged through the redacting logger, and the client gets a
// short JSON answer naming the request id, never the error's message or stack.
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from './logger.ts';

/** A client's error (a body parser's 4xx) keeps its status; anything else is ours: 500. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export function createErrorAnswer(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = clientErrorStatus(error) ?? 500;
    const requestId = res.locals.requestId as string | undefined;
    if (status === 500) logger.error('request failed', { error, method: req.method, path: req.path });
    else logger.debug('request refused', { status, error: (error as Error).message, method: req.method, path: req.path });
    if (res.headersSent) {
      res.destroy(); // half an answer cannot be mended: the client sees the connection fail
      return;
    }
    res.status(status).json({
      error: status === 500 ? 'server_error' : 'invalid_request',
      error_description: `${STATUS_CODES[status] ?? 'Error'}${requestId ? ` (request ${requestId})` : ''}`,
    });
  };
}
