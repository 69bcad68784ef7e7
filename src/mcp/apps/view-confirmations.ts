// Confirmations in a view (MCP Apps), for clients that show views: the call that needs the user's
// yes answers at once with a result whose view asks the question, and a confirmation that only the
// view receives (in the result's `_meta`, which the extension's hosts keep from the model). The
// confirmation is the one the 2026-07-28 round trip issues (confirmation-round-trip.ts): signed,
// bound to this tool, these arguments, this principal and a short expiry, good once (the store
// marks it used). Allow in the view calls the app-only tool with it and the call's arguments; that
// call is checked exactly as a 2026-07-28 answer is, on any server process and either era.
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { RoundTripConfirmations } from '../protocol/confirmation-round-trip.ts';
import { CONFIRMATION_REQUEST_KEY } from '../protocol/confirmation-round-trip.ts';
import { confirmationQuestion, type Confirmer } from '../tools/confirmation.ts';
import { ToolError } from '../tools/errors.ts';
import type { ToolCatalogue, ToolDefinition } from '../tools/types.ts';

/** the app-only tool Allow calls (visibility ["app"]: hosts never offer it to the model) */
export const CONFIRM_IN_VIEW_TOOL = 'mittwald_confirm_in_view';
/** where in a result's `_meta` the view finds the confirmation */
export const CONFIRMATION_META_KEY = 'mittwald-mcp/confirmation';

/** the accepted answer, as a 2026-07-28 client would send it */
const ACCEPTED = { [CONFIRMATION_REQUEST_KEY]: { action: 'accept', content: { confirm: true } } };

export interface ConfirmInViewArguments {
  tool: string;
  arguments: Record<string, unknown>;
  confirmation: string;
}

export const CONFIRM_IN_VIEW_INPUT_SCHEMA = {
  type: 'object' as const,
  properties: {
    tool: { type: 'string' as const, maxLength: 200 },
    arguments: { type: 'object' as const },
    confirmation: { type: 'string' as const, maxLength: 4096 },
  },
  required: ['tool', 'arguments', 'confirmation'],
  additionalProperties: false,
};

/** the app-only tool's arguments, or undefined for anything else */
export function confirmInViewArguments(raw: unknown): ConfirmInViewArguments | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const { tool, arguments: args, confirmation } = raw as Record<string, unknown>;
  if (typeof tool !== 'string' || typeof confirmation !== 'string') return undefined;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return undefined;
  return { tool, arguments: args as Record<string, unknown>, confirmation };
}

/** The catalogue tool a tools/call message runs: its own name, or for the app-only tool the tool it confirms. */
export function toolCalledBy(params: Record<string, unknown> | undefined, catalogue: ToolCatalogue): ToolDefinition | undefined {
  if (params?.name !== CONFIRM_IN_VIEW_TOOL) return catalogue.get(params?.name as string);
  const tool = confirmInViewArguments(params.arguments)?.tool;
  return tool === undefined ? undefined : catalogue.get(tool);
}

export function createViewConfirmations(roundTrips: RoundTripConfirmations) {
  return {
    /** Confirmer for a client that shows views: the answer is the view's question, nothing runs yet. */
    asking(accountId: string): Confirmer {
      const issue = roundTrips({ accountId, elicitation: true });
      return async (tool, input) => {
        const outcome = await issue(tool, input);
        if (!('inputRequired' in outcome)) return outcome;
        const question = confirmationQuestion(tool, input);
        const view: CallToolResult = {
          content: [
            {
              type: 'text',
              text:
                `Nothing has run yet. The user is shown this question with Allow and Cancel; only Allow runs it:\n${question}\n` +
                `Do not call ${tool.name} again for this; wait for the user.`,
            },
          ],
          structuredContent: { confirmation: { tool: tool.name, command: `mw ${tool.words.join(' ')}`, lines: question.split('\n') } },
          _meta: { [CONFIRMATION_META_KEY]: outcome.inputRequired.requestState },
        };
        return { view };
      };
    },
    /** Confirmer for the app-only tool: the confirmation must be this principal's, for this call, unexpired and unused. */
    answered(accountId: string, confirmation: string): Confirmer {
      return roundTrips({ accountId, elicitation: true, requestState: confirmation, inputResponses: ACCEPTED });
    },
  };
}

export type ViewConfirmations = ReturnType<typeof createViewConfirmations>;

/** The app-only tool asked for something that is not a confirmable call. */
export function notConfirmable(name: string): ToolError {
  return new ToolError('confirmation_invalid', `${name} is not a call that is confirmed in a view; nothing was run.`);
}
