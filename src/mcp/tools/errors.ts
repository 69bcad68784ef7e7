// Typed tool errors with the stable codes that reach the client in a tool result.

export type ToolErrorCode =
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'invalid_input'
  | 'timeout'
  | 'busy'
  | 'cancelled'
  | 'unavailable'
  | 'cli_failure'
  | 'resource_limit'
  | 'sandbox_denied'
  | 'unknown_tool'
  | 'confirmation_required'
  | 'confirmation_invalid';

export class ToolError extends Error {
  override name = 'ToolError';
  readonly code: ToolErrorCode;
  constructor(code: ToolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export class ToolInputError extends ToolError {
  override name = 'ToolInputError';
  constructor(message: string) {
    super('invalid_input', message);
  }
}
