import { describe, expect, it } from '@jest/globals';
import { loadToolOverrides, parseToolOverrides, ToolOverridesError } from '../../src/mcp/tools/overrides.ts';
import { buildToolCatalogue } from '../../src/mcp/tools/catalogue.ts';
import type { ToolDefinition } from '../../src/mcp/tools/types.ts';
import { readInventory, synthesizeCommand, synthesizeCommandSet } from './support/synthetic-commands.ts';
import { repoRoot, testConfig } from './support/fakes.ts';

const overrides = loadToolOverrides(`${repoRoot}config/tools.json`);
const knownScopes = testConfig().mittwald.scopes.upstream;
const catalogue = buildToolCatalogue(synthesizeCommandSet(), overrides, { readOnly: false, knownScopes });
const tool = (name: string): ToolDefinition => {
  const found = catalogue.get(name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};
const spaced = (commandId: string) => commandId.split(':').join(' ');

// The inventory marks these "exclude"; the server does better and returns the command to run locally.
const UPGRADED_TO_CONNECTION_INFO = ['container ssh', 'database mysql shell', 'database redis shell'];

describe('tool catalogue from the 177 commands of mw 1.13', () => {
  const inventory = readInventory();

  it('classifies every command as the inventory does', () => {
    expect(inventory).toHaveLength(177);
    const kindOf = new Map<string, string>();
    for (const t of catalogue.tools) kindOf.set(spaced(t.commandId), t.kind === 'run' ? 'tool' : 'connection-info');
    for (const e of catalogue.excluded) kindOf.set(spaced(e.commandId), 'excluded');
    for (const row of inventory) {
      const expected = UPGRADED_TO_CONNECTION_INFO.includes(row.id)
        ? 'connection-info'
        : row.serverUse === 'exclude' || row.serverUse === 'local-input'
          ? 'excluded'
          : row.serverUse;
      expect([row.id, kindOf.get(row.id)]).toEqual([row.id, expected]);
    }
  });

  it('offers one tool per tool-row plus the connection-info commands', () => {
    const toolRows = inventory.filter((r) => r.serverUse === 'tool').length;
    const run = catalogue.tools.filter((t) => t.kind === 'run');
    const info = catalogue.tools.filter((t) => t.kind === 'connection-info');
    expect(run).toHaveLength(toolRows);
    expect(info).toHaveLength(inventory.filter((r) => r.serverUse === 'connection-info').length + UPGRADED_TO_CONNECTION_INFO.length);
    // Reported figure: 149 run tools + 11 connection-info tools.
    expect(catalogue.tools).toHaveLength(run.length + info.length);
  });

  it('leaves out plugin and hidden commands, each with a reason', () => {
    const reasons = Object.fromEntries(catalogue.excluded.map((e) => [e.commandId, e.reason]));
    expect(reasons.help).toMatch(/help/i);
    expect(reasons.update).toBeDefined();
    expect(reasons.autocomplete).toBeDefined();
    expect(reasons['project:secret-thing:list']).toBe('hidden in the CLI');
    expect(reasons['login:token']).toMatch(/login/i);
    expect(catalogue.excluded.every((e) => e.reason.length > 3)).toBe(true);
    expect(catalogue.warnings).toEqual([]);
  });

  it('names tools mittwald_<words> with hyphens as underscores', () => {
    expect(tool('mittwald_database_mysql_user_create').commandId).toBe('database:mysql:user:create');
    expect(tool('mittwald_sftp_user_list').words).toEqual(['sftp-user', 'list']);
    expect(catalogue.tools.every((t) => /^mittwald_[a-z0-9_]+$/.test(t.name) && t.name.length <= 64)).toBe(true);
  });

  it('gives every tool a title and all four annotations', () => {
    for (const t of catalogue.tools) {
      expect(t.title.length).toBeGreaterThan(2);
      expect(t.annotations.title).toBe(t.title);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations[hint]).toBe('boolean');
      }
    }
    expect(tool('mittwald_database_mysql_user_create').title).toBe('Database MySQL user create');
  });

  it('derives annotations from the verb, with overrides on top', () => {
    expect(tool('mittwald_project_list').annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(tool('mittwald_project_delete').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tool('mittwald_project_create').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tool('mittwald_app_install_wordpress').annotations.openWorldHint).toBe(true);
    expect(tool('mittwald_app_ssh').annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('derives scopes from topic and verb, mapping topics to mittwald resources', () => {
    expect(tool('mittwald_project_list').scopes).toEqual(['project:read']);
    expect(tool('mittwald_project_create').scopes).toEqual(['project:write']);
    expect(tool('mittwald_project_delete').scopes).toEqual(['project:delete']);
    expect(tool('mittwald_org_list').scopes).toEqual(['customer:read']);
    expect(tool('mittwald_ssh_user_create').scopes).toEqual(['sshuser:write']);
    expect(tool('mittwald_container_list').scopes).toEqual(['stack:read']);
    expect(tool('mittwald_server_list').scopes).toEqual(['project:read']);
    // customer has no :delete scope at mittwald
    expect(tool('mittwald_org_membership_revoke').scopes).toEqual(['customer:write']);
    expect(tool('mittwald_app_install_wordpress').scopes).toEqual(['app:write', 'project:read']);
    const everyScope = new Set(catalogue.tools.flatMap((t) => t.scopes));
    expect([...everyScope].filter((s) => !knownScopes.includes(s))).toEqual([]);
  });

  it('requires confirmation for deletes and the listed dangerous commands only', () => {
    const confirming = catalogue.tools.filter((t) => t.needsConfirmation).map((t) => t.name);
    expect(confirming).toContain('mittwald_project_delete');
    expect(confirming).toContain('mittwald_app_uninstall');
    expect(confirming).toContain('mittwald_org_invite_revoke');
    expect(confirming).toContain('mittwald_app_upgrade');
    expect(confirming).not.toContain('mittwald_project_create');
    expect(tool('mittwald_project_delete').inputSchema.properties.confirm).toMatchObject({ type: 'boolean' });
    expect(tool('mittwald_project_create').inputSchema.properties.confirm).toBeUndefined();
  });

  it('builds strict input schemas from args and flags', () => {
    const list = tool('mittwald_app_list').inputSchema;
    expect(list.additionalProperties).toBe(false);
    // server-owned and display-only flags are not inputs
    expect(Object.keys(list.properties).sort()).toEqual(['project_id']);
    const create = tool('mittwald_mail_address_create').inputSchema;
    expect(create.properties.forward_address).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(create.properties.wait).toMatchObject({ type: 'boolean' });
    const projectCreate = tool('mittwald_project_create').inputSchema;
    expect(projectCreate.required).toEqual(['description']);
    const get = tool('mittwald_project_get').inputSchema;
    expect(get.properties.project_id).toMatchObject({ type: 'string', maxLength: 4096, description: 'ID of the project' });
    expect(get.required).toEqual(['project_id']);
  });

  it('keeps an output flag that is a file name, not a format', () => {
    expect(tool('mittwald_database_mysql_dump').inputSchema.properties.output).toMatchObject({ type: 'string' });
    expect(tool('mittwald_database_mysql_dump').inputSchema.required).toContain('output');
  });

  it('marks how the server runs each command from its own flags', () => {
    expect(tool('mittwald_project_list').serverFlags).toEqual({ json: true, quiet: false, force: false });
    expect(tool('mittwald_project_create').serverFlags).toEqual({ json: false, quiet: true, force: false });
    expect(tool('mittwald_project_delete').serverFlags).toEqual({ json: false, quiet: true, force: true });
  });
});

describe('operator narrowing', () => {
  it('read-only mode offers read-only tools only', () => {
    const readOnly = buildToolCatalogue(synthesizeCommandSet(), overrides, { readOnly: true, knownScopes });
    expect(readOnly.tools.length).toBeGreaterThan(40);
    expect(readOnly.tools.every((t) => t.annotations.readOnlyHint)).toBe(true);
    expect(readOnly.get('mittwald_project_delete')).toBeUndefined();
    expect(readOnly.excluded.find((e) => e.commandId === 'project:delete')?.reason).toMatch(/read-only/);
  });

  it('a topic allow-list offers those topics only', () => {
    const narrowed = buildToolCatalogue(synthesizeCommandSet(), overrides, { readOnly: false, topics: ['project', 'app'], knownScopes });
    expect(new Set(narrowed.tools.map((t) => t.topic))).toEqual(new Set(['project', 'app']));
  });
});

describe('new CLI versions', () => {
  it('a new command becomes a tool with no code change; an unknown topic is reported, not guessed', () => {
    const set = synthesizeCommandSet();
    set.commands.push(synthesizeCommand('project frobnicate list'), synthesizeCommand('certificate list'));
    const next = buildToolCatalogue(set, overrides, { readOnly: false, knownScopes });
    expect(next.get('mittwald_project_frobnicate_list')?.scopes).toEqual(['project:read']);
    expect(next.get('mittwald_certificate_list')).toBeUndefined();
    expect(next.warnings.join('\n')).toMatch(/certificate list: needs scope certificate:read/);
  });
});

describe('config/tools.json validation', () => {
  const valid = () => JSON.parse(JSON.stringify(overrides)) as Record<string, unknown>;

  it('accepts the shipped file', () => {
    expect(() => parseToolOverrides(valid())).not.toThrow();
  });

  it.each([
    ['an unknown section', (o: Record<string, unknown>) => (o.extra = {})],
    ['a malformed scope', (o: Record<string, unknown>) => ((o.scopes as Record<string, unknown>)['project list'] = ['PROJECT'])],
    ['an unknown annotation', (o: Record<string, unknown>) => ((o.annotations as Record<string, unknown>)['project list'] = { dangerous: true })],
    ['an exclusion without a reason', (o: Record<string, unknown>) => ((o.exclude as Record<string, unknown>)['app exec'] = '')],
    ['a command both excluded and connection info', (o: Record<string, unknown>) => ((o.exclude as Record<string, unknown>)['app ssh'] = 'because')],
    ['a missing section', (o: Record<string, unknown>) => delete o.verbs],
  ])('refuses %s with a clear error', (_name, spoil) => {
    const broken = valid();
    spoil(broken);
    expect(() => parseToolOverrides(broken, 'tools.json')).toThrow(ToolOverridesError);
    expect(() => parseToolOverrides(broken, 'tools.json')).toThrow(/tools\.json/);
  });

  it('refuses an unreadable file, naming it', () => {
    expect(() => loadToolOverrides('/nonexistent/tools.json')).toThrow(/cannot read tool overrides \/nonexistent\/tools\.json/);
  });
});
