// What scopes mean here: mittwald's scope names are our scopes. Pure functions over the catalogue.
import type { ScopeCatalogue } from '../config.ts';

export function parseScope(scope: unknown): string[] {
  return typeof scope === 'string' ? [...new Set(scope.split(' ').filter(Boolean))] : [];
}

/** Every scope a client may name (discovery's scopes_supported, DCR's allowed `scope`). */
export function supportedScopes(catalogue: ScopeCatalogue): string[] {
  return [...new Set([...catalogue.upstream, ...catalogue.oidc])];
}

/**
 * The scope an authorization request really asks for: a request naming no mittwald scope (no
 * scope at all, or only `openid`/`offline_access`) gets the default mittwald scopes added, since
 * a token without any would be useless (and oidc-provider refuses to grant nothing).
 */
export function withDefaultScopes(requested: string[], catalogue: ScopeCatalogue): string[] {
  if (requested.some((scope) => catalogue.upstream.includes(scope))) return requested;
  return [...new Set([...requested, ...catalogue.defaults])];
}

/** The part of a request that is forwarded to mittwald (never the oidc ones). */
export function upstreamScopesOf(requested: string[], catalogue: ScopeCatalogue): string[] {
  return requested.filter((scope) => catalogue.upstream.includes(scope));
}

/**
 * The OIDC scopes granted: only `openid` (an ID token naming the user's mittwald id) means
 * anything here. `profile` would carry no claims, and refresh tokens come without
 * `offline_access`, so a grant (and the consent page) never lists them.
 */
export function grantedOidcScopes(requested: string[], catalogue: ScopeCatalogue): string[] {
  return requested.filter((scope) => scope === 'openid' && catalogue.oidc.includes(scope));
}

/** Every scope an authorization will grant at most (mittwald may grant less), as the consent page lists them. */
export function scopesToGrant(requested: string[], catalogue: ScopeCatalogue): string[] {
  return [...upstreamScopesOf(requested, catalogue), ...grantedOidcScopes(requested, catalogue)];
}

// What each scope lets the app do, in the words the consent page uses.
const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'learn your mittwald user id',
  'app:read': 'see your apps and their settings',
  'app:write': 'install, change, start and stop apps',
  'app:delete': 'uninstall apps',
  'backup:read': 'see your backups and backup schedules',
  'backup:write': 'create backups, restore them and change backup schedules',
  'backup:delete': 'delete backups and backup schedules',
  'contract:read': 'see your contracts and invoices',
  'contract:write': 'change your contracts',
  'cronjob:read': 'see your cron jobs and their runs',
  'cronjob:write': 'create, change and run cron jobs',
  'cronjob:delete': 'delete cron jobs',
  'customer:read': 'see your organisations and their members',
  'customer:write': 'change your organisations and invite members',
  'database:read': 'see your databases and their users',
  'database:write': 'create and change databases and their users',
  'database:delete': 'delete databases and their users',
  'domain:read': 'see your domains, DNS zones and certificates',
  'domain:write': 'change domains, DNS records and certificates',
  'domain:delete': 'delete domains, DNS records and certificates',
  'extension:read': 'see the extensions you installed',
  'extension:write': 'install and configure extensions',
  'extension:delete': 'remove extensions',
  'mail:read': 'see your mail addresses and delivery boxes',
  'mail:write': 'create and change mail addresses and delivery boxes',
  'mail:delete': 'delete mail addresses and delivery boxes',
  'order:domain-create': 'order domains for you (orders cost money)',
  'order:domain-preview': 'check domain availability and prices',
  'project:read': 'see your projects and their settings',
  'project:write': 'create and change projects',
  'project:delete': 'delete your projects',
  'registry:read': 'see your container registries',
  'registry:write': 'add and change container registries',
  'registry:delete': 'remove container registries',
  'sshuser:read': 'see your SSH and SFTP users',
  'sshuser:write': 'create and change SSH and SFTP users',
  'sshuser:delete': 'delete SSH and SFTP users',
  'stack:read': 'see your container stacks and their services',
  'stack:write': 'deploy and change container stacks',
  'stack:delete': 'delete container stacks',
  'user:read': 'see your user profile',
  'user:write': 'change your user profile, API tokens and SSH keys',
  'conversation:read': 'read your support conversations',
  'conversation:write': 'write in your support conversations',
};

const ACTION_WORDS: Record<string, string> = { read: 'see', write: 'create and change', delete: 'delete' };

/** One plain-language line for a mittwald scope; scopes an operator added get one from their name. */
export function describeScope(scope: string): string {
  const known = SCOPE_DESCRIPTIONS[scope];
  if (known) return known;
  const [resource, action = ''] = scope.split(':');
  return `${ACTION_WORDS[action] ?? `${action || 'use'}:`} your ${resource} resources`;
}

/** mittwald may grant less than asked: when its token response names scopes, only those count. */
export function grantedUpstreamScopes(requestedUpstream: string[], grantedByMittwald: string[] | undefined): string[] {
  if (!grantedByMittwald) return requestedUpstream;
  return requestedUpstream.filter((scope) => grantedByMittwald.includes(scope));
}
