// The tool catalogue: one tool per `mw` command that makes sense on a server, generated from the
// CLI's command metadata plus config/tools.json. Nothing here is written per command.
import type { CliCommand, CliCommandSet } from '../../cli/types.ts';
import {
  annotationsFor,
  classifyCommand,
  commandWords,
  needsConfirmation,
  requiredScopes,
  spacedId,
  toolName,
  toolTitle,
} from './command-policy.ts';
import { buildToolInput } from './input-schema.ts';
import type { ToolOverrides } from './overrides.ts';
import type { ExcludedCommand, ToolCatalogue, ToolDefinition, ToolKind } from './types.ts';

export interface CatalogueOptions {
  /** operator narrowing: offer read-only tools only */
  readOnly: boolean;
  /** operator narrowing: offer only these topics (first command words) */
  topics?: string[];
  /** mittwald's scope names; tools needing an unknown scope are left out with a warning */
  knownScopes?: readonly string[];
}

function toolDescription(command: CliCommand, kind: ToolKind, confirm: boolean, overrides: ToolOverrides): string {
  const parts = [command.summary, command.description].filter(Boolean) as string[];
  if (kind === 'connection-info') {
    const why = overrides.connectionInfo[spacedId(command.id)];
    parts.unshift(
      `Returns the \`mw ${spacedId(command.id)}\` command line for the user to run on their own machine ` +
        `(it ${why}); nothing runs on the server.`,
    );
  }
  if (confirm) parts.push('Destructive: runs only after the user confirms (or with confirm: true).');
  return parts.join('\n\n').slice(0, 2048);
}

function defineTool(command: CliCommand, kind: ToolKind, overrides: ToolOverrides, knownScopes?: readonly string[]): ToolDefinition {
  const confirm = needsConfirmation(command.id, kind, overrides);
  const title = toolTitle(command.id);
  const words = commandWords(command.id);
  return {
    name: toolName(command.id),
    commandId: command.id,
    words,
    topic: words[0],
    kind,
    title,
    description: toolDescription(command, kind, confirm, overrides),
    annotations: annotationsFor(command.id, kind, title, overrides),
    scopes: requiredScopes(command.id, kind, overrides, knownScopes),
    needsConfirmation: confirm,
    targetProperties: [],
    secretProperties: [],
    ...buildToolInput(command, kind, overrides.serverOwnedFlags, confirm),
  };
}

function narrowedAway(tool: ToolDefinition, options: CatalogueOptions): string | undefined {
  if (options.topics && !options.topics.includes(tool.topic)) return 'topic not enabled by the operator (TOOLS_TOPICS)';
  if (options.readOnly && !tool.annotations.readOnlyHint) return 'read-only mode (TOOLS_READ_ONLY)';
  return undefined;
}

export function buildToolCatalogue(
  commandSet: CliCommandSet,
  overrides: ToolOverrides,
  options: CatalogueOptions,
): ToolCatalogue {
  const byName = new Map<string, ToolDefinition>();
  const excluded: ExcludedCommand[] = [];
  const warnings: string[] = [];

  for (const command of commandSet.commands) {
    const classification = classifyCommand(command.id, command.hidden, overrides);
    if (classification.kind === 'excluded') {
      excluded.push({ commandId: command.id, reason: classification.reason });
      continue;
    }
    const tool = defineTool(command, classification.kind, overrides, options.knownScopes);
    const unknownScopes = options.knownScopes ? tool.scopes.filter((s) => !options.knownScopes!.includes(s)) : [];
    const clash = byName.get(tool.name);
    const reason = clash
      ? `tool name ${tool.name} already used by ${clash.commandId}`
      : unknownScopes.length
        ? `needs scope ${unknownScopes.join(', ')} that mittwald does not know; map the topic in config/tools.json`
        : narrowedAway(tool, options);
    if (reason) {
      excluded.push({ commandId: command.id, reason });
      if (clash || unknownScopes.length) warnings.push(`${spacedId(command.id)}: ${reason}`);
      continue;
    }
    byName.set(tool.name, tool);
  }

  const tools = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    cliVersion: commandSet.cliVersion,
    tools,
    excluded,
    warnings,
    get: (name) => byName.get(name),
  };
}
