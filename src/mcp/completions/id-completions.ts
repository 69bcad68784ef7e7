// Completion of ids from the user's own data: `mw project list` and `mw app list` run through the
// tool caller with the user's token, their answers kept briefly per grant (so typing does not start
// a child per keystroke) and bounded. A grant that lacks the list's scope gets no values and starts
// nothing; the cache is read only after that check, and its key names the grant.
import type { VerifiedAccess } from '../../oauth/access.ts';
import { missingScopes } from '../tools/missing-scopes.ts';
import type { ToolCaller } from '../tools/call-tool.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { type IdSources, readThrough } from '../resources/live-reads.ts';
import { type IdKind, isIdOf } from '../resources/ids.ts';

/** MCP's cap on the values of one completion */
export const MAX_COMPLETION_VALUES = 100;
/** how long a user's list is reused: long enough for one round of typing, short enough to see new things */
export const COMPLETION_CACHE_TTL_MS = 30_000;
/** lists kept at once (a list per grant and kind or project); the oldest go first */
const MAX_CACHED_LISTS = 2000;
/** items kept of one list */
const MAX_ITEMS_PER_LIST = 500;
/** projects whose installations are listed when no project is named */
const MAX_PROJECTS_FOR_APPS = 10;

interface Listed {
  id: string;
  shortId?: string;
  description?: string;
}

export interface Completion {
  values: string[];
  total: number;
  hasMore: boolean;
}

const NO_VALUES: Completion = { values: [], total: 0, hasMore: false };

function listedItems(structured: unknown): Listed[] {
  const items = (structured as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items
    .filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object' && typeof item.id === 'string')
    .slice(0, MAX_ITEMS_PER_LIST)
    .map((item) => ({
      id: item.id as string,
      shortId: typeof item.shortId === 'string' ? item.shortId : undefined,
      description: typeof item.description === 'string' ? item.description : undefined,
    }));
}

/** Values for what the user typed: the short id when that is what they type, else the id; descriptions match anywhere. */
function matching(items: Listed[], typed: string): string[] {
  const lower = typed.toLowerCase();
  const values: string[] = [];
  for (const item of items) {
    if (item.shortId?.toLowerCase().startsWith(lower) && lower) values.push(item.shortId);
    else if (item.id.toLowerCase().startsWith(lower) || item.description?.toLowerCase().includes(lower)) values.push(item.id);
  }
  return [...new Set(values)];
}

export function createIdCompleter(deps: { sources: IdSources; callTool: ToolCaller; now?: () => number; ttlMs?: number }) {
  const now = deps.now ?? Date.now;
  const ttlMs = deps.ttlMs ?? COMPLETION_CACHE_TTL_MS;
  const cache = new Map<string, { expiresAt: number; items: Promise<Listed[]> }>();

  function cached(key: string, load: () => Promise<Listed[]>): Promise<Listed[]> {
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now()) return hit.items;
    cache.delete(key);
    while (cache.size >= MAX_CACHED_LISTS) cache.delete(cache.keys().next().value!);
    const items = load();
    cache.set(key, { expiresAt: now() + ttlMs, items });
    // a failed list is not kept: the next keystroke tries again
    items.catch(() => cache.delete(key));
    return items;
  }

  async function list(source: ToolDefinition, input: Record<string, string>, access: VerifiedAccess, signal: AbortSignal): Promise<Listed[]> {
    const key = [access.accountId, access.grantId, source.name, input.project_id ?? ''].join('\u0000');
    return cached(key, async () => {
      const result = await readThrough(deps.callTool, source, input, { access, signal });
      if (result.isError) throw new Error('the list failed');
      return listedItems(result.structuredContent);
    });
  }

  /** the list's command, if the CLI has it and the grant covers its scopes: else nothing is listed, nothing starts */
  const granted = (source: ToolDefinition | undefined, access: VerifiedAccess) => (source && missingScopes(source, access.scopes).length === 0 ? source : undefined);

  async function projectList(access: VerifiedAccess, signal: AbortSignal): Promise<Listed[]> {
    const projects = granted(deps.sources.projects, access);
    return projects ? list(projects, {}, access, signal) : [];
  }

  async function appInstallations(access: VerifiedAccess, signal: AbortSignal, projectId?: string): Promise<Listed[]> {
    const apps = granted(deps.sources.apps, access);
    if (!apps) return [];
    if (projectId) return list(apps, { project_id: projectId }, access, signal);
    const inProjects = (await projectList(access, signal)).slice(0, MAX_PROJECTS_FOR_APPS);
    const perProject = await Promise.all(inProjects.map((project) => list(apps, { project_id: project.id }, access, signal).catch(() => [])));
    return perProject.flat();
  }

  return {
    /**
     * Ids of `kind` that fit `typed`, from this user's data. `related`: the other arguments already
     * given (an app installation is looked for in the named project). Never throws: a failed list
     * is no values.
     */
    async complete(kind: IdKind, typed: string, related: Record<string, string>, access: VerifiedAccess, signal: AbortSignal): Promise<Completion> {
      try {
        const projectId = related.projectId && isIdOf('projectId', related.projectId) ? related.projectId : undefined;
        const items = kind === 'projectId' ? await projectList(access, signal) : await appInstallations(access, signal, projectId);
        const values = matching(items, typed);
        return { values: values.slice(0, MAX_COMPLETION_VALUES), total: values.length, hasMore: values.length > MAX_COMPLETION_VALUES };
      } catch {
        return NO_VALUES;
      }
    },
  };
}

export type IdCompleter = ReturnType<typeof createIdCompleter>;
