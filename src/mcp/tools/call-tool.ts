// One tools/call, in the order that keeps it safe: find the tool, check scopes, validate the input,
// build argv (so a bad input fails before anyone is asked anything), get confirmation for
// destructive commands, then run `mw` with the user's mittwald token and map the outcome.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CliRunner } from '../../cli/types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { VerifiedAccess } from '../../oauth/access.ts';
import { UpstreamSessionEndedError } from '../../oauth/access.ts';
import { buildArgv, shellQuote } from './argv.ts';
import { ToolError } from './errors.ts';
import { asToolError, connectionInfoResult, errorResult, exitError, successResult } from './result.ts';
import { CONFIRM_PROPERTY, type ToolCatalogue, type ToolDefinition } from './types.ts';
import { createInputValidator } from './validate-input.ts';

export type ConfirmationAnswer = 'accept' | 'decline' | 'cancel';

export interface ToolCallContext {
  access: VerifiedAccess;
  /** aborted when the client cancels the request or the connection closes */
  signal: AbortSignal;
  /** asks the user (MCP elicitation); undefined when the client cannot be asked */
  askUser?: (message: string) => Promise<ConfirmationAnswer>;
}

export interface ToolCallerDeps {
  catalogue: ToolCatalogue;
  runner: CliRunner;
  logger: Logger;
  metrics: Metrics;
}

export function missingScopes(tool: ToolDefinition, granted: readonly string[]): string[] {
  return tool.scopes.filter((scope) => !granted.includes(scope));
}

async function confirmation(tool: ToolDefinition, input: Record<string, unknown>, context: ToolCallContext): Promise<ToolError | undefined> {
  if (input[CONFIRM_PROPERTY] === true) return undefined;
  const how = `call ${tool.name} again with ${CONFIRM_PROPERTY}: true once the user agreed`;
  if (!context.askUser) {
    return new ToolError('confirmation_required', `${tool.title} is destructive and was not run. Ask the user, then ${how}.`);
  }
  const answer = await context.askUser(`Run "${tool.title}"? This cannot be undone.`);
  if (answer === 'accept') return undefined;
  return new ToolError('confirmation_required', `the user did not confirm ${tool.title}; nothing was run`);
}

export function createToolCaller(deps: ToolCallerDeps) {
  const validateInput = createInputValidator();

  async function execute(tool: ToolDefinition, rawInput: unknown, context: ToolCallContext): Promise<CallToolResult> {
    const denied = missingScopes(tool, context.access.scopes);
    if (denied.length) throw new ToolError('permission', `this grant lacks the scopes ${denied.join(', ')}`);
    const input = validateInput(tool, rawInput);
    // Built first, so a bad input fails before anyone is asked; it only runs after the confirmation.
    const argv = buildArgv(tool, input, { confirmed: tool.needsConfirmation });
    if (tool.kind === 'connection-info') {
      return connectionInfoResult(['mw', ...argv].map(shellQuote).join(' '), argv);
    }
    if (tool.needsConfirmation) {
      const refusal = await confirmation(tool, input, context);
      if (refusal) return errorResult(refusal);
      deps.logger.warn('destructive tool confirmed', { tool: tool.name, account: context.access.accountId });
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
    try {
      const run = await deps.runner.run({ argv, mittwaldToken, userKey: context.access.accountId, signal: context.signal });
      return run.exitCode === 0 ? successResult(tool, run) : errorResult(exitError(run), [mittwaldToken]);
    } catch (error) {
      return errorResult(asToolError(error), [mittwaldToken]);
    }
  }

  /** Unknown tools are the caller's to report (a protocol error); everything else becomes a result. */
  return async function callTool(tool: ToolDefinition, rawInput: unknown, context: ToolCallContext): Promise<CallToolResult> {
    const stopTimer = deps.metrics.toolDuration.startTimer({ tool_name: tool.name });
    let status = 'error';
    try {
      const result = await execute(tool, rawInput, context);
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
