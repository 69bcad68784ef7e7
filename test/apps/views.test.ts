// MCP Apps confirmation views against server processes: a client that announced the UI extension
// gets, for a delete, a result whose view asks the question and a confirmation kept in `_meta`;
// Allow (the app-only tool) with that confirmation runs the delete once, on either era, at another
// process on one Redis and on a process with the memory store. A missing, forged, replayed,
// altered or another user's confirmation is refused and nothing runs; a client that did not
// announce the extension sees today's list and results.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CLIENT_META_KEYS, type Json, legacySession, rawCall } from './support/raw-mcp.ts';
import { type AuthorizedClient, authorizeClient } from '../reliability/helpers.ts';
import { freePort } from '../support/redis-server.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import type { Stack } from '../support/stack.ts';
import { startTwoProcessesOnRedis, type TwoProcessesOnRedis } from '../support/two-processes-on-redis.ts';

const APPS = { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } };
const VIEWS_CAPABILITIES = { extensions: APPS };
const APP_TOOL = 'mittwald_confirm_in_view';
const CONFIRMATION_KEY = 'mittwald-mcp/confirmation';

let started: TwoProcessesOnRedis;
let stack: Stack;
let processA: ServerProcess;
let processB: ServerProcess;
let memoryProcess: ServerProcess;
let alice: AuthorizedClient;
let bob: AuthorizedClient;

beforeAll(async () => {
  // one after another, with time to spare: the machine is shared
  const ready = { readyTimeoutMs: 120_000 };
  started = await startTwoProcessesOnRedis({ scope: 'user:read project:read project:delete', ready });
  ({ stack, processA, processB, alice, bob } = started);
  // the memory store holds no grant of the stack's: its principal comes with a mittwald API token
  const { REDIS_URL: _shared, ...memoryEnv } = stack.env;
  memoryProcess = await startServerProcess({ ...memoryEnv, DIRECT_API_TOKENS: 'true', PORT: String(await freePort()) }, ready);
}, 480_000);

afterAll(async () => {
  await memoryProcess?.stop('SIGKILL');
  await started?.stop();
});

const textOf = (result: Json) => ((result.content ?? []) as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');
const modernMeta = (capabilities: Json) => ({ ...CLIENT_META_KEYS, 'io.modelcontextprotocol/clientCapabilities': capabilities });

/** Alice's project, put back after a test deleted it (the simulator holds only two) */
function aliceProject(index: number) {
  const project = stack.api.users[0].projects[index];
  const saved = stack.api.state.projects.get(project.id)!;
  return { id: project.id, exists: () => stack.api.state.projects.has(project.id), restore: () => stack.api.state.projects.set(project.id, saved) };
}

describe('what a client that announced the UI extension sees, and one that did not', () => {
  it('2026-07-28: tools that confirm name the view and the app-only tool is listed for the app alone; without the extension neither', async () => {
    const withViews = await rawCall(processA.url, alice.accessToken, 'tools/list', { _meta: modernMeta(VIEWS_CAPABILITIES) });
    const tools = withViews.result.tools as Json[];
    expect(tools.find((t) => t.name === 'mittwald_project_delete')!._meta.ui).toEqual({ resourceUri: 'ui://mittwald-mcp/confirmation' });
    expect(tools.find((t) => t.name === APP_TOOL)!._meta.ui.visibility).toEqual(['app']);
    expect(tools.find((t) => t.name === 'mittwald_project_list')!._meta.ui).toEqual({ resourceUri: 'ui://mittwald-mcp/list/projects' });
    expect(tools.find((t) => t.name === 'mittwald_user_get')!._meta?.ui).toBeUndefined();

    const plain = await rawCall(processA.url, alice.accessToken, 'tools/list', { _meta: modernMeta({ elicitation: { form: {} } }) });
    expect((plain.result.tools as Json[]).map((t) => t.name)).not.toContain(APP_TOOL);
    expect((plain.result.tools as Json[]).some((t) => t._meta?.ui !== undefined)).toBe(false);
  });

  it('2025-11-25: the same, by what the client declared at initialize', async () => {
    const views = await legacySession(processA.url, alice.accessToken, VIEWS_CAPABILITIES);
    expect(views.initialized.capabilities.extensions).toEqual({ 'io.modelcontextprotocol/ui': {} });
    const tools = (await views.call('tools/list')).result.tools as Json[];
    expect(tools.find((t) => t.name === APP_TOOL)!._meta.ui.visibility).toEqual(['app']);
    const plain = await legacySession(processA.url, alice.accessToken, {});
    expect(((await plain.call('tools/list')).result.tools as Json[]).map((t) => t.name)).not.toContain(APP_TOOL);
  });

  it('2025-11-25 with views and tasks: the session keeps both, the list names views and marks the task tools, both are announced', async () => {
    const session = await legacySession(processA.url, alice.accessToken, { ...VIEWS_CAPABILITIES, tasks: {} });
    expect(session.initialized.capabilities.extensions).toEqual({ 'io.modelcontextprotocol/ui': {} });
    expect(session.initialized.capabilities.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
    const tools = (await session.call('tools/list')).result.tools as Json[];
    expect(tools.find((t) => t.name === 'mittwald_backup_create')!.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((t) => t.name === 'mittwald_project_delete')!._meta.ui).toEqual({ resourceUri: 'ui://mittwald-mcp/confirmation' });
    expect(tools.find((t) => t.name === APP_TOOL)!.execution).toBeUndefined();
    // 2026-07-28 lists views without the 2025 task marking
    const modern = await rawCall(processA.url, alice.accessToken, 'tools/list', { _meta: modernMeta(VIEWS_CAPABILITIES) });
    expect((modern.result.tools as Json[]).some((t) => t.execution !== undefined)).toBe(false);
    expect((modern.result.tools as Json[]).map((t) => t.name)).toContain(APP_TOOL);
  });

  it('serves the views: HTML of the MCP Apps type, no outside domain declared, nothing loaded from elsewhere', async () => {
    const listed = (await rawCall(processA.url, alice.accessToken, 'tools/list', { _meta: modernMeta(VIEWS_CAPABILITIES) })).result.tools as Json[];
    const uris = [...new Set(listed.map((t) => t._meta?.ui?.resourceUri).filter(Boolean))];
    expect(uris).toHaveLength(6); // the confirmation and five lists
    for (const uri of uris) {
      const read = await rawCall(processA.url, alice.accessToken, 'resources/read', { uri, _meta: modernMeta(VIEWS_CAPABILITIES) });
      const [view] = read.result.contents as Json[];
      expect(view.mimeType).toBe('text/html;profile=mcp-app');
      expect(view._meta.ui.csp).toEqual({});
      // the only address in a view is mStudio's, opened through the host (ui/open-link), never loaded
      expect(view.text.replaceAll('https://studio.mittwald.de/app', '')).not.toMatch(/https?:\/\/|src=|href=|innerHTML|insertAdjacentHTML|document\.write/);
    }
    const unknown = await rawCall(processA.url, alice.accessToken, 'resources/read', { uri: 'ui://mittwald-mcp/list/constructor', _meta: modernMeta(VIEWS_CAPABILITIES) });
    expect(unknown.error?.code).toBe(-32602);
  });

  it('a list called by a client that shows views gets the same result as any other', async () => {
    const call = { name: 'mittwald_project_list', arguments: {} };
    const withViews = await rawCall(processA.url, alice.accessToken, 'tools/call', { ...call, _meta: modernMeta(VIEWS_CAPABILITIES) });
    const plain = await rawCall(processA.url, alice.accessToken, 'tools/call', { ...call, _meta: modernMeta({}) });
    expect(withViews.result).toEqual(plain.result);
    expect(withViews.result.structuredContent.items).toHaveLength(2);
  });

  it('a client without the extension gets the elicitation round trip, as before', async () => {
    const project = aliceProject(0);
    const asked = await rawCall(processA.url, alice.accessToken, 'tools/call', { name: 'mittwald_project_delete', arguments: { project_id: project.id }, _meta: modernMeta({ elicitation: { form: {} } }) });
    expect(asked.result.resultType).toBe('input_required');
    expect(project.exists()).toBe(true);
  });
});

describe('Allow in the view, 2026-07-28, two processes on one Redis', () => {
  it('the question comes at once, the confirmation only in _meta; Allow at B runs the delete once; every other confirmation is refused and runs nothing', async () => {
    const project = aliceProject(0);
    const deleteIt = { name: 'mittwald_project_delete', arguments: { project_id: project.id } };
    const meta = modernMeta(VIEWS_CAPABILITIES);
    const asked = await rawCall(processA.url, alice.accessToken, 'tools/call', { ...deleteIt, _meta: meta });
    expect(asked.result.isError).toBeFalsy();
    const question = asked.result.structuredContent.confirmation;
    expect(question.command).toBe('mw project delete');
    expect(question.lines.join('\n')).toContain(project.id);
    expect(question.lines.join('\n')).toContain('cannot be undone');
    const confirmation = asked.result._meta[CONFIRMATION_KEY] as string;
    expect(typeof confirmation).toBe('string');
    // what the host gives the model: the question, never the confirmation
    expect(textOf(asked.result)).toContain('Nothing has run yet');
    expect(JSON.stringify(asked.result.content)).not.toContain(confirmation);
    expect(project.exists()).toBe(true);

    const allow = (token: string, args: Json, url = processB.url) => rawCall(url, token, 'tools/call', { name: APP_TOOL, arguments: args, _meta: meta });
    const good = { tool: 'mittwald_project_delete', arguments: { project_id: project.id }, confirmation };

    expect(textOf((await allow(bob.accessToken, good)).result)).toMatch(/asked of another user/);
    expect(textOf((await allow(alice.accessToken, { ...good, arguments: { project_id: stack.api.users[0].projects[1].id } })).result)).toMatch(/another call or other arguments/);
    expect(textOf((await allow(alice.accessToken, { ...good, confirmation: `${confirmation.slice(0, -4)}AAAA` })).result)).toMatch(/not one this server issued/);
    expect(textOf((await allow(alice.accessToken, { ...good, tool: 'mittwald_project_list', arguments: {} })).result)).toMatch(/not a call that is confirmed in a view/);
    const missing = await allow(alice.accessToken, { tool: good.tool, arguments: good.arguments });
    expect(missing.error ?? missing.result.isError).toBeTruthy();
    expect(project.exists()).toBe(true);

    const allowed = await allow(alice.accessToken, good);
    expect(allowed.result.isError).toBeFalsy();
    expect(project.exists()).toBe(false);
    project.restore();

    const replayed = await allow(alice.accessToken, good, processA.url);
    expect(textOf(replayed.result)).toMatch(/already used/);
    expect(project.exists()).toBe(true);
  });

  it('the app-only tool is checked against the grant of the tool it confirms: without project:delete it is a step-up', async () => {
    const readOnly = await authorizeClient(stack.url, { scope: 'user:read project:read' });
    const project = aliceProject(1);
    const response = await rawCall(processA.url, readOnly.accessToken, 'tools/call', {
      name: APP_TOOL,
      arguments: { tool: 'mittwald_project_delete', arguments: { project_id: project.id }, confirmation: 'c1.x.y' },
      _meta: modernMeta(VIEWS_CAPABILITIES),
    });
    expect(response.status).toBe(403);
    expect(project.exists()).toBe(true);
  });
});

describe('Allow in the view, 2025-11-25 and the memory store', () => {
  it('2025 era: asked in a session at A, allowed at B on the same Redis, once', async () => {
    const project = aliceProject(1);
    const atA = await legacySession(processA.url, alice.accessToken, VIEWS_CAPABILITIES);
    const asked = await atA.call('tools/call', { name: 'mittwald_project_delete', arguments: { project_id: project.id } });
    const confirmation = asked.result._meta[CONFIRMATION_KEY] as string;
    expect(asked.result.structuredContent.confirmation.lines.join('\n')).toContain(project.id);
    expect(project.exists()).toBe(true);

    const atB = await legacySession(processB.url, alice.accessToken, VIEWS_CAPABILITIES);
    const args = { tool: 'mittwald_project_delete', arguments: { project_id: project.id }, confirmation };
    const allowed = await atB.call('tools/call', { name: APP_TOOL, arguments: args });
    expect(allowed.result.isError).toBeFalsy();
    expect(project.exists()).toBe(false);
    project.restore();
    expect(textOf((await atA.call('tools/call', { name: APP_TOOL, arguments: args })).result)).toMatch(/already used/);
    expect(project.exists()).toBe(true);
  });

  it('memory store (a mittwald API token): allowed once, the replay refused', async () => {
    const apiToken = 'mw-api-token-of-alice';
    stack.api.grantToken(apiToken, stack.api.users[0].userId);
    const project = aliceProject(1);
    const meta = modernMeta(VIEWS_CAPABILITIES);
    const asked = await rawCall(memoryProcess.url, apiToken, 'tools/call', { name: 'mittwald_project_delete', arguments: { project_id: project.id }, _meta: meta });
    const args = { tool: 'mittwald_project_delete', arguments: { project_id: project.id }, confirmation: asked.result._meta[CONFIRMATION_KEY] };
    expect((await rawCall(memoryProcess.url, apiToken, 'tools/call', { name: APP_TOOL, arguments: args, _meta: meta })).result.isError).toBeFalsy();
    expect(project.exists()).toBe(false);
    project.restore();
    const replayed = await rawCall(memoryProcess.url, apiToken, 'tools/call', { name: APP_TOOL, arguments: args, _meta: meta });
    expect(textOf(replayed.result)).toMatch(/already used/);
    expect(project.exists()).toBe(true);
  });
});
