// Secret inputs (passwords, tokens: the tool's secretProperties) are needed in exactly one place,
// the CLI call. Everywhere else (error texts, progress messages, questions, command lines shown to
// the user) their values are cut out, even where `mw` echoes them back.
import { REDACTED, redactText } from '../../observability/redact.ts';
import type { ToolDefinition } from './types.ts';

/** every secret value in this input (strings, and the strings of list inputs) */
export function secretValues(tool: ToolDefinition, input: Record<string, unknown>): string[] {
  return tool.secretProperties
    .flatMap((property) => [input[property]].flat())
    .filter((value): value is string => typeof value === 'string' && value.length > 0);
}

/** text with known secrets (and anything that looks like a token or key) replaced */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  // Longest first, so a secret containing another is cut out whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret) redacted = redacted.replaceAll(secret, REDACTED);
  }
  return redactText(redacted);
}
