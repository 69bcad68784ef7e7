// Ids mw may take from its local context (`mw context set`, a `.mw-context.json`, DDEV/terraform
// state) and so marks optional. A server has no context, so a call without the id fails with "set a
// default project with mw context set": for a tool such an id is required. The real CLI's metadata
// says it in the text ("…; this flag is optional if a default project is set in the context"); where
// there is no text, the name says it: mw's context holds exactly these ids.
import type { CliCommand } from '../../cli/types.ts';
import { configuredFor, inputKey, inputName, inputText, type CommandInput } from './input-policy.ts';
import type { ToolOverrides } from './overrides.ts';

/** mw's context keys (`ContextKey` in the CLI: `<name>-id`) */
export const CONTEXT_IDS: readonly string[] = [
  'project-id', 'server-id', 'org-id', 'installation-id', 'stack-id', 'conversation-id',
  'domain-id', 'dnszone-id', 'mailaddress-id', 'maildeliverybox-id', 'backup-id', 'container-id',
];

const CONTEXT_DEFAULT_TEXT = /optional if a default [\w -]{1,60} is set in the context/i;

/** The CLI would fall back to its local context for this input when it is left out. */
export function takesContextDefault(command: CliCommand, input: CommandInput, overrides: ToolOverrides): boolean {
  if (configuredFor(overrides.notFromContext, command.id, inputKey(input)) !== undefined) return false;
  const text = inputText(input);
  if (text) return CONTEXT_DEFAULT_TEXT.test(text);
  return CONTEXT_IDS.includes(inputName(input));
}

/** A context id the server must get from the caller (all of them, unless config/tools.json says the command never reads it). */
export function contextIdRequired(command: CliCommand, input: CommandInput, overrides: ToolOverrides): boolean {
  const required = input.kind === 'flag' ? input.flag.required : input.arg.required;
  if (required) return false; // already required by the CLI itself
  if (!takesContextDefault(command, input, overrides)) return false;
  return configuredFor(overrides.optionalContextIds, command.id, inputKey(input)) === undefined;
}
