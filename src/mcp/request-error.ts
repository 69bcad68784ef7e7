// Errors of the requests beside tools (resources, prompts, completions), as plain types: the
// protocol layer turns them into JSON-RPC errors (the SDK's McpError today), whichever SDK serves.

export type RequestErrorCode =
  /** the named resource or prompt does not exist, or is not the user's to see (for resources -32602 with the URI as data) */
  | 'not_found'
  /** malformed input: a bad id, a missing prompt argument (-32602) */
  | 'invalid_params'
  /** the read was tried and failed (mw timed out, the server is busy, …) (-32603) */
  | 'failed';

export class RequestError extends Error {
  override name = 'RequestError';
  readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
