// The catalogue built from a real oclif CLI's metadata (the stand-in mw), tools run through the real
// runner against the mittwald API simulator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Plugin } from '@oclif/core';
import request from 'supertest';
import { createCliRunner } from '../../src/cli/runner.ts';
import { normaliseCommandSet } from '../../src/cli/normalise-commands.ts';
import { buildToolCatalogue } from '../../src/mcp/tools/catalogue.ts';
import { loadToolOverrides } from '../../src/mcp/tools/overrides.ts';
import type { ToolCatalogue } from '../../src/mcp/tools/types.ts';
import { startMittwaldApiSimulator, SEED_USERS, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { standInCliPath, standInCliRoot } from '../support/mw-cli/index.ts';
import { fakeVerifier, repoRoot, testConfig } from './support/fakes.ts';
import { buildMcpApp, MCP_HEADERS, rpc } from './support/mcp-app.ts';

const alice = SEED_USERS[0];
let simulator: MittwaldApiSimulator;
let catalogue: ToolCatalogue;
let app: ReturnType<typeof buildMcpApp>['app'];

beforeAll(async () => {
  simulator = await startMittwaldApiSimulator();
  simulator.grantToken('mw-alice', alice.userId);
  // What `oclif manifest` computes, read in memory so no file changes under other suites' feet.
  const plugin = new Plugin({ root: standInCliRoot, type: 'core', ignoreManifest: true });
  await plugin.load();
  const manifest = plugin.manifest;
  const config = testConfig();
  catalogue = buildToolCatalogue(normaliseCommandSet(manifest.version, Object.values(manifest.commands)), loadToolOverrides(`${repoRoot}config/tools.json`), {
    readOnly: false,
    knownScopes: config.mittwald.scopes.upstream,
  });
  const runner = createCliRunner({
    executable: standInCliPath,
    path: process.env.PATH ?? '',
    timeoutMs: 20_000,
    maxConcurrent: 2,
    maxPerUser: 2,
    maxQueue: 10,
    maxOutputBytes: 1024 * 1024,
    apiBaseUrl: simulator.url,
  });
  const verifier = fakeVerifier({ 'our-alice': { accountId: alice.userId, scopes: config.mittwald.scopes.upstream, mittwaldToken: 'mw-alice' } });
  app = buildMcpApp({ verifier, runner, config, catalogue }).app;
});
afterAll(async () => {
  await simulator.close();
});

async function call(name: string, args: Record<string, unknown>) {
  const res = await request(app)
    .post('/mcp')
    .set(MCP_HEADERS)
    .set('authorization', 'Bearer our-alice')
    .send(rpc('tools/call', { name, arguments: args }))
    .buffer(true)
    .parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c));
      r.on('end', () => cb(null, text));
    });
  const data = String(res.body).split('\n').filter((l) => l.startsWith('data: '));
  return JSON.parse(data.at(-1)!.slice(6)).result;
}

describe('tools from the stand-in mw', () => {
  it('are generated from its metadata, with the stand-in fault commands left out', () => {
    const names = catalogue.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_project_delete', 'mittwald_database_mysql_create', 'mittwald_user_get']));
    expect(names.some((n) => n.startsWith('mittwald_stand_in'))).toBe(false);
    expect(catalogue.get('mittwald_project_list')!.serverFlags.json).toBe(true);
    expect(catalogue.get('mittwald_project_list')!.inputSchema.properties.token).toBeUndefined();
  });

  it('project list returns the user\'s projects as structured content; the API only saw the mittwald token', async () => {
    const result = await call('mittwald_project_list', {});
    expect(result.isError).toBeFalsy();
    const descriptions = (result.structuredContent.items as Array<{ description: string }>).map((p) => p.description).sort();
    expect(descriptions).toEqual(alice.projects.map((p) => p.description).sort());
    expect(simulator.requests.length).toBeGreaterThan(0);
    expect(new Set(simulator.requests.map((r) => r.token))).toEqual(new Set(['mw-alice']));
  });

  it('an unknown project is not_found', async () => {
    const result = await call('mittwald_project_get', { [Object.keys(catalogue.get('mittwald_project_get')!.inputSchema.properties)[0]]: 'p-nope00' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent.error.code).toBe('not_found');
  });

  it('app upgrade to a version that is no candidate needs its interactive select: an invalid_input error naming the question, nothing upgraded', async () => {
    const propertyOf = (toolName: string, name: string): string =>
      catalogue.get(toolName)!.bindings.find((b) => (b.kind === 'argument' ? b.name : b.kind === 'flag' && b.flag.name) === name)!.property!;
    const property = (name: string) => propertyOf('mittwald_app_upgrade', name);
    const list = await call('mittwald_app_list', { [propertyOf('mittwald_app_list', 'project-id')]: alice.projects[0].id });
    const installation = list.structuredContent.items[0] as { id: string };
    simulator.clearRequests();
    const result = await call('mittwald_app_upgrade', { [property('installation-id')]: installation.id, [property('target-version')]: '9.9.9', confirm: true });
    // the server passes --quiet, and mw's quiet renderer refuses the select with the question in its error
    expect(result.structuredContent.error).toEqual({ code: 'invalid_input', message: expect.stringContaining('no interactive input available') });
    expect(result.structuredContent.error.message).toContain('Please select target upgrade for your');
    expect(simulator.requests.some((r) => r.method === 'PATCH')).toBe(false);
    // given as a parameter, the same call goes through
    const upgraded = await call('mittwald_app_upgrade', { [property('installation-id')]: installation.id, [property('target-version')]: '6.6.1', confirm: true });
    expect(upgraded.isError).toBeFalsy();
    expect(simulator.requests.some((r) => r.method === 'PATCH' && r.path.includes(installation.id))).toBe(true);
  });

  it('project delete without confirmation never reaches the API; with it the project is gone', async () => {
    const project = alice.projects[1];
    const idProperty = catalogue.get('mittwald_project_delete')!.bindings.find((b) => b.kind === 'argument')!.property;
    simulator.clearRequests();
    const refused = await call('mittwald_project_delete', { [idProperty]: project.id });
    expect(refused.structuredContent.error.code).toBe('confirmation_required');
    expect(simulator.requests).toHaveLength(0);
    const done = await call('mittwald_project_delete', { [idProperty]: project.id, confirm: true });
    expect(done.isError).toBeFalsy();
    expect(simulator.requests.some((r) => r.method === 'DELETE' && r.path.includes(project.id))).toBe(true);
    const after = await call('mittwald_project_list', {});
    expect((after.structuredContent.items as Array<{ id: string }>).map((p) => p.id)).not.toContain(project.id);
  });
});
