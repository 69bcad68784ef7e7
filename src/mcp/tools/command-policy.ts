// Per-command decisions that follow from the command's words and flags plus config/tools.json: is
// it a tool, which mittwald scopes it needs, what its annotations are, whether (and why) it needs
// confirmation and which of its flags stops mw from asking itself. Pure functions, so they are easy
// to test exhaustively.
import type { CliCommand } from '../../cli/types.ts';
import type { ToolOverrides } from './overrides.ts';
import type { ConfirmationPolicy, ToolKind } from './types.ts';

export type ActionKind = 'read' | 'write' | 'update' | 'delete';

export type Classification = { kind: ToolKind } | { kind: 'excluded'; reason: string };

/** "database:mysql:create" → ["database", "mysql", "create"] */
export function commandWords(commandId: string): string[] {
  return commandId.split(/[: ]/).filter(Boolean);
}

export function spacedId(commandId: string): string {
  return commandWords(commandId).join(' ');
}

export function classifyCommand(commandId: string, hidden: boolean, overrides: ToolOverrides): Classification {
  const id = spacedId(commandId);
  const topic = commandWords(commandId)[0];
  if (hidden) return { kind: 'excluded', reason: 'hidden in the CLI' };
  // A command's own reason first: it says more than its topic's.
  if (id in overrides.exclude) return { kind: 'excluded', reason: overrides.exclude[id] };
  if (topic in overrides.excludeTopics) return { kind: 'excluded', reason: overrides.excludeTopics[topic] };
  if (id in overrides.connectionInfo) return { kind: 'connection-info' };
  return { kind: 'run' };
}

export function actionKind(commandId: string, overrides: ToolOverrides): ActionKind {
  const verb = commandWords(commandId).at(-1) ?? '';
  if (overrides.verbs.read.includes(verb)) return 'read';
  if (overrides.verbs.delete.includes(verb)) return 'delete';
  if (overrides.verbs.update.includes(verb)) return 'update';
  // Unknown verbs count as writes: a new command then needs more scope, never less.
  return 'write';
}

/**
 * The scopes a command needs: the explicit list from the overrides, or <resource>:<read|write|delete>
 * from topic and verb. A delete falls back to :write where mittwald has no :delete scope for the
 * resource (e.g. customer, user).
 */
export function requiredScopes(
  commandId: string,
  kind: ToolKind,
  overrides: ToolOverrides,
  knownScopes?: readonly string[],
): string[] {
  const explicit = overrides.scopes[spacedId(commandId)];
  if (explicit) return [...explicit];
  const topic = commandWords(commandId)[0];
  const resource = overrides.scopeResources[topic] ?? topic;
  const action = kind === 'connection-info' ? 'read' : actionKind(commandId, overrides);
  const scopeAction = action === 'read' ? 'read' : action === 'delete' ? 'delete' : 'write';
  const scope = `${resource}:${scopeAction}`;
  if (scopeAction === 'delete' && knownScopes && !knownScopes.includes(scope)) return [`${resource}:write`];
  return [scope];
}

export function annotationsFor(
  commandId: string,
  kind: ToolKind,
  title: string,
  overrides: ToolOverrides,
) {
  const action = kind === 'connection-info' ? 'read' : actionKind(commandId, overrides);
  const derived = {
    readOnlyHint: action === 'read',
    // MCP: destructive = may change or remove existing things; creating is additive.
    destructiveHint: action === 'delete' || action === 'update',
    // Reading, overwriting with the same values and deleting again leave the same state.
    idempotentHint: action !== 'write',
    openWorldHint: false,
  };
  return { title, ...derived, ...overrides.annotations[spacedId(commandId)] };
}

/**
 * The flag that makes mw skip its own question, passed after the user confirmed: `--force` where the
 * command has it (mw's delete commands), or what config/tools.json says (`extension install
 * --consent`; none for `container recreate`, whose `--force` means "recreate even if up to date").
 */
export function confirmationFlag(command: CliCommand, overrides: ToolOverrides): string | undefined {
  const configured = overrides.confirmationFlags[spacedId(command.id)];
  const flag = configured ? configured.flag : 'force';
  return flag !== null && command.flags[flag]?.type === 'boolean' ? flag : undefined;
}

const VERB_PHRASES: Record<string, string> = { delete: 'deletes', uninstall: 'uninstalls', revoke: 'revokes' };

/**
 * Why the user must confirm, or undefined: config/tools.json's reason, else every delete, and every
 * command mw itself would ask about (it has a confirmation flag): stdin is closed, so mw would
 * answer its own question with yes.
 */
export function confirmationPolicy(
  commandId: string,
  kind: ToolKind,
  confirmFlag: string | undefined,
  overrides: ToolOverrides,
): ConfirmationPolicy | undefined {
  if (kind !== 'run') return undefined;
  const configured = overrides.confirm[spacedId(commandId)];
  if (configured) return { kind: configured.kind, reason: configured.reason };
  if (actionKind(commandId, overrides) === 'delete') {
    const words = commandWords(commandId);
    const verb = words.at(-1)!;
    const noun = toolTitle(words.slice(0, -1).join(':'));
    // "Project" → "project", but "SFTP user" stays
    const spelled = /^[A-Z][a-z]/.test(noun) ? noun.charAt(0).toLowerCase() + noun.slice(1) : noun;
    return { kind: 'destructive', reason: `${VERB_PHRASES[verb] ?? verb} the ${spelled}; this cannot be undone` };
  }
  if (confirmFlag) return { kind: 'destructive', reason: 'mw itself asks for confirmation before it runs this' };
  return undefined;
}

const WORD_SPELLINGS: Record<string, string> = {
  mysql: 'MySQL',
  ssh: 'SSH',
  sftp: 'SFTP',
  dnszone: 'DNS zone',
  api: 'API',
  phpmyadmin: 'phpMyAdmin',
  virtualhost: 'virtual host',
  deliverybox: 'delivery box',
  org: 'organisation',
  cronjob: 'cron job',
};

/** "database:mysql:user:create" → "Database MySQL user create" */
export function toolTitle(commandId: string): string {
  const text = commandWords(commandId)
    .flatMap((word) => word.split('-'))
    .map((part) => WORD_SPELLINGS[part] ?? part)
    .join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "database:mysql:user:create" → "mittwald_database_mysql_user_create" */
export function toolName(commandId: string): string {
  return `mittwald_${commandWords(commandId).join('_').replaceAll('-', '_')}`;
}
