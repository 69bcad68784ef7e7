// Confirmation is the user's, not the model's. A client that can be asked (MCP elicitation) is
// always asked, whatever the model sent as `confirm`; only a client that cannot be asked relies on
// `confirm: true`, and then the refusal hands the model the question to put to the user first.
// The question names the command, what it acts on and the other arguments given, never a secret.
import { ToolError } from './errors.ts';
import { CONFIRM_PROPERTY, type ToolDefinition } from './types.ts';

export type ConfirmationAnswer = 'accept' | 'decline' | 'cancel';

/** asks the user (MCP elicitation); resolves 'cancel' when the question could not be answered */
export type AskUser = (question: string) => Promise<ConfirmationAnswer>;

export type ConfirmedBy = 'user' | 'confirm-flag';

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

/** How the call was confirmed, or the refusal to return (nothing has run). */
export async function confirm(
  tool: ToolDefinition,
  input: Record<string, unknown>,
  askUser: AskUser | undefined,
): Promise<{ confirmedBy: ConfirmedBy } | { refusal: ToolError }> {
  const question = confirmationQuestion(tool, input);
  if (!askUser) {
    if (input[CONFIRM_PROPERTY] === true) return { confirmedBy: 'confirm-flag' };
    return {
      refusal: new ToolError(
        'confirmation_required',
        `nothing was run: this needs the user's confirmation. Ask the user:\n${question}\n` +
          `Only if they agree, call ${tool.name} again with the same arguments and ${CONFIRM_PROPERTY}: true.`,
      ),
    };
  }
  const answer = await askUser(question);
  if (answer === 'accept') return { confirmedBy: 'user' };
  const why = answer === 'decline' ? 'the user declined' : 'the question was cancelled or not answered';
  return { refusal: new ToolError('confirmation_required', `${why}; nothing was run. Do not retry unless the user asks again.`) };
}
