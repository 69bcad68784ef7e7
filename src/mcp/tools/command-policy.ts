// Per-command decisions that follow from the command's words plus config/tools.json: is it a tool,
// which mittwald scopes it needs, what its annotations are, whether it needs confirmation.
// Pure functions of (command id, overrides), so they are easy to test exhaustively.
import type { ToolOverrides } from './overrides.ts';
import type { ToolKind } from './types.ts';

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
  if (topic in overrides.excludeTopics) return { kind: 'excluded', reason: overrides.excludeTopics[topic] };
  if (id in overrides.exclude) return { kind: 'excluded', reason: overrides.exclude[id] };
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

export function needsConfirmation(commandId: string, kind: ToolKind, overrides: ToolOverrides): boolean {
  if (kind !== 'run') return false;
  return actionKind(commandId, overrides) === 'delete' || spacedId(commandId) in overrides.confirm;
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
