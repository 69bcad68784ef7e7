// Confirmation is the user's, not the model's. A client that can be asked (MCP elicitation) is
// always asked, whatever the model sent as `confirm`; only a client that cannot be asked relies on
// `confirm: true`, and then the refusal hands the model the question to put to the user first.
// The question names the command, what it acts on and the other arguments given, never a secret.
// How the asking travels is the era's: inside the call on 2025 (askingConfirmer), as the call's
// answer and its retry on 2026-07-28 (protocol/confirmation-round-trip.ts).
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import { ToolError } from './errors.ts';
import { CONFIRM_PROPERTY, type ToolDefinition } from './types.ts';

export type ConfirmationAnswer = 'accept' | 'decline' | 'cancel';

/** asks the user (MCP elicitation); resolves 'cancel' when the question could not be answered */
export type AskUser = (question: string) => Promise<ConfirmationAnswer>;

export type ConfirmedBy = 'user' | 'confirm-flag';

/** How the call was confirmed, the refusal to return (nothing has run), or the question to answer with (2026-07-28; or a view, apps/). */
export type ConfirmationOutcome = { confirmedBy: ConfirmedBy } | { refusal: ToolError } | { inputRequired: InputRequiredResult } | { view: CallToolResult };

/** Decides whether a call that needs confirmation may run. */
export type Confirmer = (tool: ToolDefinition, input: Record<string, unknown>) => Promise<ConfirmationOutcome>;

/** how long the user has to answer, on either era */
export const CONFIRMATION_ANSWER_TTL_MS = 5 * 60_000;

/** The form the user answers (MCP elicitation), the same on both eras. */
export const CONFIRMATION_FORM = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Confirm', description: 'Run it' } },
  required: ['confirm'],
};

/** What an answer to CONFIRMATION_FORM means: yes only when accepted with confirm ticked. */
export function formAnswer(answer: { action: ConfirmationAnswer; content?: Record<string, unknown> }): ConfirmationAnswer {
  if (answer.action !== 'accept') return answer.action;
  return answer.content?.confirm === true ? 'accept' : 'decline';
}

const MAX_VALUE_LENGTH = 120;
const MAX_OTHER_ARGUMENTS = 12;
// Characters that reorder or hide text where the question is shown: escaped, never rendered.
const INVISIBLE = /[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** a value as the question shows it: JSON (newlines and quotes escaped), invisible characters spelt out, capped */
function shown(value: unknown): string {
  const text = (JSON.stringify(value) ?? String(value)).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
}

/** The question put to the user, from the tool's declarations and the validated input. */
export function confirmationQuestion(tool: ToolDefinition, input: Record<string, unknown>): string {
  const secret = new Set(tool.secretProperties);
  const given = (property: string) => input[property] !== undefined && property !== CONFIRM_PROPERTY;
  const describe = (property: string) => (secret.has(property) ? `${property} (set, not shown)` : `${property} ${shown(input[property])}`);

  const targets = tool.targetProperties.filter(given);
  const others = Object.keys(input).filter((property) => given(property) && !targets.includes(property));
  const command = `"mw ${tool.words.join(' ')}"`;
  const lines = [targets.length ? `Allow ${command} on ${targets.map(describe).join(', ')}?` : `Allow ${command}?`];

  const policy = tool.confirmation;
  if (policy?.kind === 'privilege') lines.push(`It ${policy.reason}.`);
  else lines.push(policy ? `It ${policy.reason}. This cannot be undone.` : 'This cannot be undone.');

  if (others.length) {
    const listed = others.slice(0, MAX_OTHER_ARGUMENTS).map(describe);
    if (others.length > MAX_OTHER_ARGUMENTS) listed.push(`and ${others.length - MAX_OTHER_ARGUMENTS} more`);
    lines.push(`${targets.length ? 'Other arguments' : 'Arguments'}: ${listed.join(', ')}.`);
  }
  return lines.join('\n');
}

/** For a client that cannot be asked: the model's `confirm: true`, or the question for the model to put to the user. */
export function confirmedByFlag(tool: ToolDefinition, input: Record<string, unknown>): ConfirmationOutcome {
  if (input[CONFIRM_PROPERTY] === true) return { confirmedBy: 'confirm-flag' };
  return {
    refusal: new ToolError(
      'confirmation_required',
      `nothing was run: this needs the user's confirmation. Ask the user:\n${confirmationQuestion(tool, input)}\n` +
        `Only if they agree, call ${tool.name} again with the same arguments and ${CONFIRM_PROPERTY}: true.`,
    ),
  };
}

/** The refusal for an answer other than yes. */
export function refusalFor(answer: Exclude<ConfirmationAnswer, 'accept'>): { refusal: ToolError } {
  const why = answer === 'decline' ? 'the user declined' : 'the question was cancelled or not answered';
  return { refusal: new ToolError('confirmation_required', `${why}; nothing was run. Do not retry unless the user asks again.`) };
}

/** 2025 era: the user is asked within the call (elicitation), or, without elicitation, the flag decides. */
export function askingConfirmer(askUser: AskUser | undefined): Confirmer {
  return async (tool, input) => {
    if (!askUser) return confirmedByFlag(tool, input);
    const answer = await askUser(confirmationQuestion(tool, input));
    return answer === 'accept' ? { confirmedBy: 'user' } : refusalFor(answer);
  };
}
