// CLI outcomes → MCP tool results. Successes carry JSON stdout as structuredContent; failures get
// one of a small set of stable codes plus the CLI's own message, cleaned of terminal drawing and
// capped, never a stack trace or a token.
import type { CallToolResult } from '@modelcontextprotocol/server';
import { CliFailure, type CliFailureKind, type CliRunResult } from '../../cli/types.ts';
import { ToolError, type ToolErrorCode } from './errors.ts';
import { redactSecrets } from './secrets.ts';
import type { ToolDefinition } from './types.ts';

const MAX_MESSAGE_LENGTH = 2000;
const MAX_TEXT_LENGTH = 200_000;
/** how much of what mw printed before a prompt is shown: its question and the options after it */
const QUESTION_CHARS = 600;
// CSI and OSC escape sequences, then box drawing and block characters Ink draws error boxes with.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;
const BOX_DRAWING = /[\u2500-\u259f\u25a0-\u25ff]/g;

/** Terminal output → plain text: no colours, no box frames, no blank runs, capped. */
export function cleanCliText(text: string, maxLength = MAX_MESSAGE_LENGTH): string {
  const plain = text
    .replace(ANSI, '')
    .replace(BOX_DRAWING, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
  return plain.length > maxLength ? `${plain.slice(0, maxLength)}…` : plain;
}

const EXIT_PATTERNS: Array<[ToolErrorCode, RegExp]> = [
  ['authentication', /\b401\b|unauthori[sz]ed|unauthenticated|not authenticated|invalid (api )?token|token (is )?(expired|invalid)/i],
  ['permission', /\b403\b|forbidden|permission denied|not permitted|not allowed|access denied|insufficient/i],
  ['not_found', /\b404\b|not found|could not be found|does not exist|no such/i],
  ['invalid_input', /\b(400|412|422)\b|validation|invalid|interactive input|must be|missing required|required flag|unexpected argument|nonexistent flag|expected .+ to be|expects (a value|one of)|no .+ id given/i],
];

/** A run that exited non-zero → the most specific stable code its output supports. */
export function exitError(run: CliRunResult): ToolError {
  const output = cleanCliText([run.stderr, run.stdout].filter((s) => s.trim()).join('\n'));
  const code = EXIT_PATTERNS.find(([, pattern]) => pattern.test(output))?.[0] ?? 'cli_failure';
  return new ToolError(code, output || `mw exited with code ${run.exitCode} and printed nothing`);
}

const FAILURE_CODES: Record<CliFailureKind, ToolErrorCode> = {
  cli_missing: 'unavailable',
  timeout: 'timeout',
  busy: 'busy',
  output_too_large: 'cli_failure',
  cancelled: 'cancelled',
  resource_limit: 'resource_limit',
  sandbox_denied: 'sandbox_denied',
  input_required: 'invalid_input',
  no_call_directory: 'unavailable',
};

const FAILURE_MESSAGES: Record<CliFailureKind, string> = {
  cli_missing: 'the mw CLI is not available on this server; tell the operator',
  timeout: 'the command took too long and was stopped; try a narrower request or again later',
  busy: 'the server is running too many commands right now; try again in a moment',
  output_too_large: 'the command printed more output than the server accepts; narrow the request (filters, a project id)',
  cancelled: 'the request was cancelled; nothing more will run',
  resource_limit: 'the command used more memory, CPU time or disk than a tool call may and was stopped; narrow the request',
  sandbox_denied:
    'the command tried to read a local file or start a program, which tools may not do on this server (the operator\'s log names what was refused)',
  input_required:
    'the command stopped to ask for input interactively, which a tool call cannot answer; give that value as a parameter of this tool and call it again',
  no_call_directory: 'the server cannot create the private directory a command runs in (its state directory is full or not writable); tell the operator',
};

export function failureError(failure: CliFailure): ToolError {
  const message = FAILURE_MESSAGES[failure.kind];
  if (failure.kind !== 'input_required') return new ToolError(FAILURE_CODES[failure.kind], message);
  // The question names the input (mw prints it before it waits); the tail, should the prompt list many options.
  const question = cleanCliText(failure.message.slice(-QUESTION_CHARS));
  return new ToolError(FAILURE_CODES[failure.kind], question ? `${message}. It asked:\n${question}` : message);
}

/** Any error on the way → a ToolError; unknown errors never show their message (it may hold internals). */
export function asToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  if (error instanceof CliFailure) return failureError(error);
  return new ToolError('cli_failure', 'the command could not be run because of an internal error');
}

/** `secrets`: values to cut out of the message (the mittwald token, secret inputs `mw` may echo) */
export function errorResult(error: ToolError, secrets: string[] = []): CallToolResult {
  const message = redactSecrets(error.message, secrets);
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${message}` }],
    structuredContent: { error: { code: error.code, message } },
  };
}

/** JSON stdout, tolerating a line of chatter before the document. */
function parseJsonOutput(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const start = text.search(/^[[{]/m);
    if (start <= 0) return undefined;
    try {
      return JSON.parse(text.slice(start));
    } catch {
      return undefined;
    }
  }
}

function jsonResult(value: unknown): CallToolResult {
  const structured = Array.isArray(value) ? { items: value } : (value as Record<string, unknown>);
  const summary = Array.isArray(value) ? `${value.length} item${value.length === 1 ? '' : 's'}: ` : '';
  return {
    content: [{ type: 'text', text: `${summary}${JSON.stringify(value)}`.slice(0, MAX_TEXT_LENGTH) }],
    structuredContent: structured,
  };
}

export function successResult(tool: ToolDefinition, run: CliRunResult): CallToolResult {
  if (tool.serverFlags.json) {
    const value = parseJsonOutput(run.stdout);
    if (value !== undefined && value !== null && typeof value === 'object') return jsonResult(value);
  }
  const text = cleanCliText(run.stdout, MAX_TEXT_LENGTH);
  if (tool.serverFlags.quiet) {
    // Quiet creates print just the new resource's id.
    const id = text.split('\n').at(-1) ?? '';
    if (/^[\w.:-]{1,200}$/.test(id)) return { content: [{ type: 'text', text: `id: ${id}` }], structuredContent: { id } };
  }
  return { content: [{ type: 'text', text: text || `${tool.title}: done` }] };
}

/** A command that prints a file (YAML): stdout as printed, indentation kept, only colours removed, capped. */
export function printedResult(run: CliRunResult): CallToolResult {
  return { content: [{ type: 'text', text: run.stdout.replace(ANSI, '').slice(0, MAX_TEXT_LENGTH) }] };
}

/** `secretsHidden`: the command shows secret inputs as <placeholders>, never their values */
export function connectionInfoResult(command: string, argv: string[], secretsHidden = false): CallToolResult {
  const placeholders = secretsHidden ? '\n\nReplace each <…> with the secret value; it is not shown here.' : '';
  return {
    content: [
      {
        type: 'text',
        text: `Run this on your own machine with the mw CLI installed and logged in (mw login token):\n\n${command}${placeholders}`,
      },
    ],
    structuredContent: { command, argv },
  };
}
