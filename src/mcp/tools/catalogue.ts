// The tool catalogue: one tool per `mw` command that makes sense on a server, generated from the
// CLI's command metadata plus config/tools.json. Nothing here is written per command.
import type { CliCommand, CliCommandSet } from '../../cli/types.ts';
import {
  annotationsFor,
  classifyCommand,
  commandWords,
  confirmationFlag,
  confirmationPolicy,
  requiredScopes,
  spacedId,
  toolName,
  toolTitle,
} from './command-policy.ts';
import { buildToolInput, type ToolInput } from './input-schema.ts';
import type { ToolOverrides } from './overrides.ts';
import type { ConfirmationPolicy, ExcludedCommand, ToolCatalogue, ToolDefinition, ToolKind } from './types.ts';

export interface CatalogueOptions {
  /** operator narrowing: offer read-only tools only */
  readOnly: boolean;
  /** operator narrowing: offer only these topics (first command words) */
  topics?: string[];
  /** mittwald's scope names; tools needing an unknown scope are left out with a warning */
  knownScopes?: readonly string[];
}

/** The first paragraph of a text: what a command does, without its examples and caveats. */
function firstParagraph(text: string | undefined): string | undefined {
  return text?.trim().split(/\n\s*\n/)[0].trim() || undefined;
}

// Every connection pays for these in tokens: one line saying what the command does (which tells
// the model when to use it), then only what it cannot learn from the schema.
function toolDescription(
  command: CliCommand,
  kind: ToolKind,
  confirmation: ConfirmationPolicy | undefined,
  input: ToolInput,
  overrides: ToolOverrides,
): string {
  const parts = [firstParagraph(command.summary) ?? firstParagraph(command.description) ?? `Runs \`mw ${spacedId(command.id)}\`.`];
  if (kind === 'connection-info') {
    const why = overrides.connectionInfo[spacedId(command.id)];
    parts.unshift(
      `Returns the \`mw ${spacedId(command.id)}\` command line for the user to run on their own machine ` +
        `(it ${why}); nothing runs on the server. Secrets and local files appear as <PLACEHOLDERS> for the user to fill in.`,
    );
  }
  if (input.notes.length) parts.push(input.notes.join('\n'));
  if (confirmation) {
    const what = confirmation.kind === 'privilege' ? 'Grants access' : 'Destructive';
    parts.push(`${what}: ${confirmation.reason}. Runs only after the user confirmed.`);
  }
  return parts.join('\n\n').slice(0, 2048);
}

type Defined = { tool: ToolDefinition; blockers: string[]; warnings: string[] };

function defineTool(command: CliCommand, kind: ToolKind, overrides: ToolOverrides, knownScopes?: readonly string[]): Defined {
  const confirmFlag = kind === 'run' ? confirmationFlag(command, overrides) : undefined;
  const confirmation = confirmationPolicy(command.id, kind, confirmFlag, overrides);
  const title = toolTitle(command.id);
  const words = commandWords(command.id);
  const input = buildToolInput(command, kind, overrides, { confirmFlag, withConfirm: confirmation !== undefined });
  const tool: ToolDefinition = {
    name: toolName(command.id),
    commandId: command.id,
    words,
    topic: words[0],
    kind,
    title,
    description: toolDescription(command, kind, confirmation, input, overrides),
    annotations: annotationsFor(command.id, kind, title, overrides),
    scopes: requiredScopes(command.id, kind, overrides, knownScopes),
    needsConfirmation: confirmation !== undefined,
    ...(confirmation ? { confirmation } : {}),
    targetProperties: input.targetProperties,
    secretProperties: input.secretProperties,
    ...(kind === 'run' && input.wait ? { wait: input.wait } : {}),
    bindings: input.bindings,
    inputSchema: input.inputSchema,
    serverFlags: input.serverFlags,
  };
  const flagProblems: string[] = [];
  const configuredFlag = overrides.confirmationFlags[spacedId(command.id)]?.flag;
  if (kind === 'run' && configuredFlag && confirmFlag !== configuredFlag) {
    flagProblems.push(`${spacedId(command.id)}: config/tools.json names --${configuredFlag} as its confirmation flag, which the command does not have`);
  }
  return { tool, blockers: input.blockers, warnings: [...input.warnings, ...flagProblems] };
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
    const { tool, blockers, warnings: toolWarnings } = defineTool(command, classification.kind, overrides, options.knownScopes);
    warnings.push(...toolWarnings);
    const unknownScopes = options.knownScopes ? tool.scopes.filter((s) => !options.knownScopes!.includes(s)) : [];
    const clash = byName.get(tool.name);
    // Fail closed: a command that needs an input the server may not take is no tool at all.
    const reason = blockers.length
      ? `not safe on a server: ${blockers.join('; ')}`
      : clash
        ? `tool name ${tool.name} already used by ${clash.commandId}`
        : unknownScopes.length
          ? `needs scope ${unknownScopes.join(', ')} that mittwald does not know; map the topic in config/tools.json`
          : narrowedAway(tool, options);
    if (reason) {
      excluded.push({ commandId: command.id, reason });
      if (blockers.length || clash || unknownScopes.length) warnings.push(`${spacedId(command.id)}: ${reason}`);
      continue;
    }
    byName.set(tool.name, tool);
  }

  const tools = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return {
    cliVersion: commandSet.cliVersion,
    // every input went through the input policy (input-policy.ts): nothing local is offered unless config says so
    inputPolicy: 'flag-policy',
    tools,
    excluded,
    warnings,
    get: (name) => byName.get(name),
  };
}

/**
 * One read-only command as a tool definition whatever the exclusions and the operator's narrowing
 * say, for the resource templates and completions that read through the tool path (`ddev
 * render-config` prints a file and is no tool, as the rest of its topic works on local files).
 * Undefined when the CLI lacks the command, it writes, or it needs an input the server may not take.
 */
export function defineReadCommand(
  commandSet: CliCommandSet,
  commandId: string,
  overrides: ToolOverrides,
  knownScopes?: readonly string[],
): ToolDefinition | undefined {
  const command = commandSet.commands.find((c) => c.id === commandId);
  if (!command) return undefined;
  const { tool, blockers } = defineTool(command, 'run', overrides, knownScopes);
  const unknownScopes = knownScopes ? tool.scopes.filter((s) => !knownScopes.includes(s)) : [];
  if (blockers.length || unknownScopes.length || !tool.annotations.readOnlyHint) return undefined;
  return tool;
}
