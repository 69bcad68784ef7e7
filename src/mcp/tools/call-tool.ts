// One tools/call, in the order that keeps it safe (the grant's scopes were checked before the call
// got here, once for the whole request: protocol/post/check-scopes.ts): validate the input,
// build argv (so a bad input fails before anyone is asked anything), get the user's confirmation
// where the tool needs it, then run `mw` with the user's mittwald token (given as much time as the
// call asks to wait, output lines reported as progress) and map the outcome. Secret inputs reach
// the CLI and nothing else.
import { type CallToolResult, type InputRequiredResult, isInputRequiredResult } from '@modelcontextprotocol/server';
import { CliFailure, type CliRunner } from '../../cli/types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { VerifiedAccess } from '../../oauth/access.ts';
import { UpstreamSessionEndedError } from '../../oauth/access.ts';
import { buildArgv, shellQuote } from './argv.ts';
import type { Confirmer } from './confirmation.ts';
import { ToolError } from './errors.ts';
import { asToolError, cleanCliText, connectionInfoResult, errorResult, exitError, printedResult, successResult } from './result.ts';
import { redactSecrets, secretValues } from './secrets.ts';
import { callTimeLimit, type CliTimeLimits } from './time-limit.ts';
import type { ToolCatalogue, ToolDefinition } from './types.ts';
import { createInputValidator } from './validate-input.ts';

export type { ConfirmationAnswer } from './confirmation.ts';

const MAX_PROGRESS_LINE_LENGTH = 200;

export interface ToolCallContext {
  access: VerifiedAccess;
  /** aborted when the client cancels the request or the connection closes */
  signal: AbortSignal;
  /** decides whether a call that needs the user's confirmation may run */
  confirm: Confirmer;
  /** receives the command's output lines, cleaned and without secrets; undefined when the client wants no progress */
  onProgress?: (line: string) => void;
  /** the caller reads a file mw prints (a resource), not a result for the model: stdout as printed */
  rawOutput?: boolean;
  /**
   * called once the call is cleared to run (input valid, confirmed, the user's token at hand), just
   * before `mw` starts, with the call's time limit: where a call that runs as a task gets its task
   */
  beforeRun?: (limit: { timeoutMs: number }) => Promise<void>;
}

export interface ToolCallerDeps {
  catalogue: ToolCatalogue;
  runner: CliRunner;
  logger: Logger;
  metrics: Metrics;
  limits: CliTimeLimits;
}

/**
 * An onOutput for the runner that hands complete lines to `report`: cleaned of terminal drawing,
 * capped, secrets cut out. JSON output is the result, not progress, so only stderr counts there.
 */
function progressLines(tool: ToolDefinition, secrets: string[], report: (line: string) => void) {
  const partial = { stdout: '', stderr: '' };
  return (text: string, stream: 'stdout' | 'stderr') => {
    if (stream === 'stdout' && tool.serverFlags.json) return;
    const lines = (partial[stream] + text).split(/\r?\n|\r/);
    partial[stream] = lines.pop()!.slice(-MAX_PROGRESS_LINE_LENGTH * 4);
    for (const line of lines) {
      const clean = cleanCliText(line, MAX_PROGRESS_LINE_LENGTH);
      if (clean) report(redactSecrets(clean, secrets));
    }
  };
}

function waitTimedOut(tool: ToolDefinition, timeoutMs: number): ToolError {
  return new ToolError(
    'timeout',
    `mw was stopped after waiting ${Math.round(timeoutMs / 1000)} s, the most this server allows; the work may still ` +
      `finish at mittwald: check it with the matching get or list tool before calling ${tool.name} again`,
  );
}

export function createToolCaller(deps: ToolCallerDeps) {
  const validateInput = createInputValidator();

  async function execute(tool: ToolDefinition, rawInput: unknown, context: ToolCallContext): Promise<CallToolResult | InputRequiredResult> {
    const input = validateInput(tool, rawInput);
    // Built first, so a bad input fails before anyone is asked; it only runs after the confirmation.
    const argv = buildArgv(tool, input, { confirmed: tool.needsConfirmation });
    const secrets = secretValues(tool, input);
    if (tool.kind === 'connection-info') {
      // buildArgv shows secrets of a connection-info tool as placeholders: this line goes to the model.
      return connectionInfoResult(['mw', ...argv].map(shellQuote).join(' '), argv, secrets.length > 0);
    }
    if (tool.needsConfirmation) {
      const outcome = await context.confirm(tool, input);
      if ('refusal' in outcome) return errorResult(outcome.refusal, secrets);
      if ('inputRequired' in outcome) return outcome.inputRequired;
      if ('view' in outcome) return outcome.view;
      deps.logger.warn('confirmed tool call', {
        tool: tool.name,
        account: context.access.accountId,
        kind: tool.confirmation?.kind ?? 'destructive',
        confirmedBy: outcome.confirmedBy,
      });
    }
    let mittwaldToken: string;
    try {
      mittwaldToken = await context.access.mittwaldAccessToken();
    } catch (error) {
      if (error instanceof UpstreamSessionEndedError) {
        throw new ToolError('authentication', 'the mittwald session ended; reconnect to sign in again');
      }
      throw error;
    }
    const hidden = [mittwaldToken, ...secrets];
    const limit = callTimeLimit(tool, input, deps.limits);
    await context.beforeRun?.({ timeoutMs: limit.timeoutMs ?? deps.limits.defaultMs });
    try {
      const run = await deps.runner.run({
        argv,
        mittwaldToken,
        userKey: context.access.accountId,
        principal: context.access.grantId,
        signal: context.signal,
        timeoutMs: limit.timeoutMs,
        onOutput: context.onProgress && progressLines(tool, hidden, context.onProgress),
      });
      if (run.exitCode !== 0) return errorResult(exitError(run), hidden);
      return context.rawOutput ? printedResult(run) : successResult(tool, run);
    } catch (error) {
      if (error instanceof CliFailure && error.kind === 'timeout' && limit.waits) {
        return errorResult(waitTimedOut(tool, limit.timeoutMs!), hidden);
      }
      return errorResult(asToolError(error), hidden);
    }
  }

  /** Unknown tools are the caller's to report (a protocol error); everything else becomes a result. */
  return async function callTool(tool: ToolDefinition, rawInput: unknown, context: ToolCallContext): Promise<CallToolResult | InputRequiredResult> {
    const stopTimer = deps.metrics.toolDuration.startTimer({ tool_name: tool.name });
    let status = 'error';
    try {
      const result = await execute(tool, rawInput, context);
      if (isInputRequiredResult(result)) {
        status = 'input_required';
        return result;
      }
      const code = (result.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;
      status = result.isError ? (code ?? 'error') : 'success';
      return result;
    } catch (error) {
      const toolError = asToolError(error);
      status = toolError.code;
      if (!(error instanceof ToolError)) deps.logger.error('tool call failed', { tool: tool.name, error });
      return errorResult(toolError);
    } finally {
      stopTimer();
      deps.metrics.toolCalls.inc({ tool_name: tool.name, status });
      deps.logger.info('tool call', { tool: tool.name, status });
    }
  };
}

export type ToolCaller = ReturnType<typeof createToolCaller>;
