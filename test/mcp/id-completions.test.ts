// The completion cache: a grant's list is reused for a short while and then read again, a list that
// failed is not kept, and the cache holds a bounded number of lists however many grants complete.
import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { COMPLETION_CACHE_TTL_MS, createIdCompleter } from '../../src/mcp/completions/id-completions.ts';
import type { ToolCaller } from '../../src/mcp/tools/call-tool.ts';
import type { VerifiedAccess } from '../../src/oauth/access.ts';
import { surfaceCatalogue } from './support/surface.ts';

const projects = surfaceCatalogue().get('mittwald_project_list')!;
const grant = (n: number): VerifiedAccess => ({
  accountId: `user-${n}`,
  clientId: 'client',
  grantId: `grant-${n}`,
  scopes: ['project:read'],
  expiresAt: 0,
  mittwaldAccessToken: async () => `token-${n}`,
});

function completerWith(answer: () => CallToolResult) {
  let clock = 0;
  const calls: string[] = [];
  const callTool = (async (_tool, _input, context) => {
    calls.push(context.access.grantId);
    return answer();
  }) as ToolCaller;
  const completer = createIdCompleter({ sources: { projects }, callTool, now: () => clock });
  const complete = (n: number) => completer.complete('projectId', '', {}, grant(n), new AbortController().signal);
  return { complete, calls, advance: (ms: number) => (clock += ms) };
}

const listed = (): CallToolResult => ({ content: [], structuredContent: { items: [{ id: '00000004-0000-4000-8000-000000000001', shortId: 'p-a1b2c3' }] } });

describe('the completion cache', () => {
  it('reuses a grant’s list within its lifetime and reads it again after', async () => {
    const { complete, calls, advance } = completerWith(listed);
    await complete(1);
    advance(COMPLETION_CACHE_TTL_MS - 1);
    await complete(1);
    expect(calls).toEqual(['grant-1']);
    advance(1);
    expect((await complete(1)).values).toEqual(['00000004-0000-4000-8000-000000000001']);
    expect(calls).toEqual(['grant-1', 'grant-1']);
  });

  it('keeps no failed list: the next completion tries again', async () => {
    const { complete, calls } = completerWith(() => ({ isError: true, content: [{ type: 'text', text: 'busy' }] }));
    expect(await complete(1)).toEqual({ values: [], total: 0, hasMore: false });
    await complete(1);
    expect(calls).toEqual(['grant-1', 'grant-1']);
  });

  it('holds a bounded number of lists: after 5000 other grants the first one is read again', async () => {
    const { complete, calls } = completerWith(listed);
    await complete(0);
    for (let n = 1; n <= 5000; n++) await complete(n);
    calls.length = 0;
    await complete(0);
    expect(calls).toEqual(['grant-0']);
  });
});
