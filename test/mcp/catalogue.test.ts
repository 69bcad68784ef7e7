// The tool catalogue on the real `mw` surface (192 commands, test/support/mw-cli/data/mw-surface.json):
// the per-command decisions over the whole surface, checked against the project's independent command
// inventory and against the surface's own annotations, which the catalogue never sees.
import { describe, expect, it } from '@jest/globals';
import type { CliCommandSet } from '../../src/cli/types.ts';
import { buildToolCatalogue } from '../../src/mcp/tools/catalogue.ts';
import { loadToolOverrides, parseToolOverrides, ToolOverridesError, type ToolOverrides } from '../../src/mcp/tools/overrides.ts';
import { mwSurfaceCommandSet } from '../support/mw-surface.ts';
import { readInventory } from './support/synthetic-commands.ts';
import { knownScopes, propertyOf, shippedOverrides, spaced, surfaceCatalogue, surfaceCommands, toolOf } from './support/surface.ts';

const overrides = shippedOverrides();
/** mw 1.13's inventory (test/mcp/fixtures), read once for the tests that compare against it */
const inventory = readInventory();
const catalogue = surfaceCatalogue();
const tool = (name: string) => toolOf(catalogue, name);
const kindOf = new Map<string, string>([
  ...catalogue.tools.map((t) => [spaced(t.commandId), t.kind] as [string, string]),
  ...catalogue.excluded.map((e) => [spaced(e.commandId), 'excluded'] as [string, string]),
]);
const reasonOf = (commandId: string) => catalogue.excluded.find((e) => e.commandId === commandId)?.reason;

describe('tool catalogue on the real mw surface', () => {
  it('offers 168 tools: 157 that run mw and 11 that return a command line (169 before user api-token create was excluded)', () => {
    expect(surfaceCommands).toHaveLength(192);
    expect(catalogue.tools.filter((t) => t.kind === 'run')).toHaveLength(157);
    expect(catalogue.tools.filter((t) => t.kind === 'connection-info')).toHaveLength(11);
    expect(catalogue.tools.length + catalogue.excluded.length).toBe(192);
    expect(catalogue.warnings).toEqual([]);
  });

  it('classifies every command the mw 1.13 inventory knows as the inventory does, with the deliberate differences', () => {
    const deviations: Record<string, string> = {
      // the inventory says "exclude"; the server does better and returns the command to run locally
      'container ssh': 'connection-info',
      'database mysql shell': 'connection-info',
      'database redis shell': 'connection-info',
      // hands out a long-lived API token (see config/tools.json)
      'user api-token create': 'excluded',
    };
    expect(inventory).toHaveLength(177);
    for (const row of inventory) {
      const expected = deviations[row.id] ?? (row.serverUse === 'tool' ? 'run' : row.serverUse === 'connection-info' ? 'connection-info' : 'excluded');
      expect([row.id, kindOf.get(row.id)]).toEqual([row.id, expected]);
    }
  });

  it('classifies the 15 commands newer than the inventory', () => {
    const newer: Record<string, string> = {
      'app database link': 'run',
      'app database replace': 'run',
      'app database unlink': 'run',
      'database mysql upgrade': 'run',
      'stack create': 'run',
      'stack set-update-schedule': 'run',
      'stack unset-update-schedule': 'run',
      'stack template install': 'run',
      'stack template list': 'run',
      'contributor extension deploy': 'excluded',
      'contributor extension init': 'excluded',
      'contributor extension publish': 'excluded',
      'contributor extension withdraw': 'excluded',
      deploy: 'excluded',
      'experimental deploy': 'excluded',
    };
    const inventoried = new Set(inventory.map((r) => r.id));
    const surfaceOnly = surfaceCommands.map((c) => spaced(c.id)).filter((id) => !inventoried.has(id));
    expect(surfaceOnly.sort()).toEqual(Object.keys(newer).sort());
    for (const [id, kind] of Object.entries(newer)) expect([id, kindOf.get(id)]).toEqual([id, kind]);
  });

  it('keeps contributor and deploy commands out for what they do locally, not for an unknown scope', () => {
    for (const id of ['contributor:extension:deploy', 'contributor:extension:init', 'contributor:extension:publish', 'contributor:extension:withdraw']) {
      expect(reasonOf(id)).toMatch(/manifest file on the contributor's own machine/);
    }
    expect(reasonOf('deploy')).toMatch(/current working directory .* runs docker/);
    expect(reasonOf('experimental:deploy')).toMatch(/local directory with docker/);
    for (const e of catalogue.excluded) expect([e.commandId, e.reason]).not.toEqual([e.commandId, expect.stringMatching(/scope/)]);
  });

  it('leaves out plugin and hidden commands, each with a reason', () => {
    const set = mwSurfaceCommandSet();
    set.commands.push(
      { id: 'help', hidden: false, aliases: [], args: [{ name: 'command', required: false }], flags: {} },
      { id: 'autocomplete', hidden: false, aliases: [], args: [], flags: {} },
      { id: 'project:secret-thing:list', hidden: true, aliases: [], args: [], flags: {} },
    );
    const withPlugins = buildToolCatalogue(set, overrides, { readOnly: false, knownScopes });
    const reasons = Object.fromEntries(withPlugins.excluded.map((e) => [e.commandId, e.reason]));
    expect(reasons.help).toMatch(/help/i);
    expect(reasons.autocomplete).toMatch(/completion/);
    expect(reasons['project:secret-thing:list']).toBe('hidden in the CLI');
    expect(reasons['login:token']).toMatch(/login/i);
    expect(withPlugins.excluded.every((e) => e.reason.length > 3)).toBe(true);
  });

  it('names tools mittwald_<words> with hyphens as underscores, titles and annotations on every one', () => {
    expect(tool('mittwald_database_mysql_user_create').commandId).toBe('database:mysql:user:create');
    expect(tool('mittwald_sftp_user_list').words).toEqual(['sftp-user', 'list']);
    expect(tool('mittwald_database_mysql_user_create').title).toBe('Database MySQL user create');
    for (const t of catalogue.tools) {
      expect(t.name).toMatch(/^mittwald_[a-z0-9_]+$/);
      expect(t.name.length).toBeLessThanOrEqual(64);
      expect(t.annotations.title).toBe(t.title);
      expect(t.description.length).toBeGreaterThan(10);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof t.annotations[hint]).toBe('boolean');
      }
    }
  });

  it('derives annotations from the verb, with overrides on top', () => {
    expect(tool('mittwald_project_list').annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    expect(tool('mittwald_project_delete').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tool('mittwald_project_create').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tool('mittwald_app_database_unlink').annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tool('mittwald_app_install_wordpress').annotations.openWorldHint).toBe(true);
    expect(tool('mittwald_app_ssh').annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('derives scopes from topic and verb, every one of them a mittwald scope', () => {
    expect(tool('mittwald_project_list').scopes).toEqual(['project:read']);
    expect(tool('mittwald_project_create').scopes).toEqual(['project:write']);
    expect(tool('mittwald_project_delete').scopes).toEqual(['project:delete']);
    expect(tool('mittwald_org_list').scopes).toEqual(['customer:read']);
    expect(tool('mittwald_ssh_user_create').scopes).toEqual(['sshuser:write']);
    expect(tool('mittwald_container_list').scopes).toEqual(['stack:read']);
    expect(tool('mittwald_stack_template_install').scopes).toEqual(['stack:write']);
    expect(tool('mittwald_org_membership_revoke').scopes).toEqual(['customer:write']); // customer has no :delete
    expect(tool('mittwald_app_database_unlink').scopes).toEqual(['app:write']);
    expect(tool('mittwald_app_install_wordpress').scopes).toEqual(['app:write', 'project:read']);
    const everyScope = new Set(catalogue.tools.flatMap((t) => t.scopes));
    expect([...everyScope].filter((s) => !knownScopes.includes(s))).toEqual([]);
  });

  it('leaves an argument with a CLI default optional (user get defaults to "self")', () => {
    expect(tool('mittwald_user_get').inputSchema.required).toBeUndefined();
    expect(tool('mittwald_user_get').inputSchema.properties.user_id).toMatchObject({ default: 'self' });
  });

  it('keeps an output flag that is a file name off the tool, as a placeholder in the command line', () => {
    const dump = tool('mittwald_database_mysql_dump');
    expect(dump.inputSchema.properties.output).toBeUndefined();
    expect(dump.bindings).toContainEqual(expect.objectContaining({ kind: 'placeholder', name: 'output' }));
  });

  it('marks how the server runs each command from its own flags', () => {
    expect(tool('mittwald_project_list').serverFlags).toEqual({ json: true, quiet: false });
    expect(tool('mittwald_project_create').serverFlags).toEqual({ json: false, quiet: true });
    expect(tool('mittwald_project_delete').serverFlags).toEqual({ json: false, quiet: true, confirmFlag: 'force' });
  });
});

describe('confirmation (the catalogue side)', () => {
  const confirming = catalogue.tools.filter((t) => t.needsConfirmation);

  it('every tool that needs confirmation says why, in one sentence, and takes confirm; no other does', () => {
    for (const t of catalogue.tools) {
      expect([t.name, t.confirmation !== undefined]).toEqual([t.name, t.needsConfirmation]);
      expect([t.name, t.inputSchema.properties.confirm !== undefined]).toEqual([t.name, t.needsConfirmation]);
    }
    for (const t of confirming) {
      expect(['destructive', 'privilege']).toContain(t.confirmation!.kind);
      expect(t.confirmation!.reason).toMatch(/^[a-z].{10,200}[^.]$/);
    }
  });

  it('confirms every delete, uninstall and revoke, and the commands mw itself would ask about', () => {
    for (const t of catalogue.tools.filter((t) => t.kind === 'run')) {
      const verb = t.words.at(-1)!;
      const surface = surfaceCommands.find((c) => c.id === t.commandId)!;
      const mwAsks = surface.flags.force?.type === 'boolean' && t.commandId !== 'container:recreate';
      if (['delete', 'uninstall', 'revoke'].includes(verb) || mwAsks) {
        expect([t.name, t.confirmation?.kind]).toEqual([t.name, 'destructive']);
      }
    }
    for (const name of ['mittwald_app_upgrade', 'mittwald_database_mysql_upgrade', 'mittwald_app_database_unlink', 'mittwald_container_recreate', 'mittwald_domain_dnszone_update']) {
      expect(tool(name).confirmation?.kind).toBe('destructive');
    }
    expect(tool('mittwald_project_create').needsConfirmation).toBe(false);
  });

  it('confirms privilege-granting commands like destructive ones, and leaves user api-token create out', () => {
    for (const name of ['mittwald_org_invite', 'mittwald_ssh_user_create', 'mittwald_sftp_user_create', 'mittwald_extension_install']) {
      expect([name, tool(name).confirmation?.kind]).toEqual([name, 'privilege']);
    }
    expect(catalogue.get('mittwald_user_api_token_create')).toBeUndefined();
    expect(reasonOf('user:api-token:create')).toMatch(/long-lived mittwald API token .* after this server's grant is revoked/);
    // `project invite` is not on this surface; the config confirms it once a CLI version has it
    expect(overrides.confirm['project invite']).toEqual(expect.objectContaining({ kind: 'privilege' }));
  });

  it('passes each command its own non-interactive flag after confirmation, never as an input', () => {
    expect(tool('mittwald_extension_install').serverFlags.confirmFlag).toBe('consent');
    expect(tool('mittwald_extension_install').inputSchema.properties.consent).toBeUndefined();
    expect(tool('mittwald_app_upgrade').serverFlags.confirmFlag).toBe('force');
    expect(tool('mittwald_app_database_unlink').serverFlags.confirmFlag).toBe('force');
    // container recreate --force means "recreate even if up to date": the user's input, not a confirmation
    expect(tool('mittwald_container_recreate').serverFlags.confirmFlag).toBeUndefined();
    expect(tool('mittwald_container_recreate').inputSchema.properties.force).toMatchObject({ type: 'boolean' });
    for (const t of catalogue.tools) {
      const flag = t.serverFlags.confirmFlag;
      if (flag) expect([t.name, t.bindings.some((b) => b.kind === 'flag' && b.flag.name === flag)]).toEqual([t.name, false]);
    }
  });

  it('names the target ids for the question, in order, and never a secret', () => {
    expect(tool('mittwald_project_delete').targetProperties).toEqual(['project_id']);
    expect(tool('mittwald_database_mysql_delete').targetProperties).toEqual(['database_id']);
    expect(tool('mittwald_volume_delete').targetProperties).toEqual(['name', 'project_id']);
    expect(tool('mittwald_extension_install').targetProperties).toEqual(['extension_id', 'org_id', 'project_id']);
    expect(tool('mittwald_domain_dnszone_update').targetProperties).toEqual(['dnszone_id', 'record_set', 'project_id']);
    for (const t of confirming) {
      expect([t.name, t.targetProperties.length > 0]).toEqual([t.name, true]);
      for (const p of t.targetProperties) expect(t.inputSchema.properties[p]).toBeDefined();
      expect(t.targetProperties.filter((p) => t.secretProperties.includes(p))).toEqual([]);
    }
  });

  it('no longer invites the model to confirm: confirm is for after the user agreed', () => {
    for (const t of confirming) {
      expect(t.description).not.toMatch(/confirm: true/);
      expect(t.description).toMatch(/Runs only after the user confirmed/);
      expect(t.inputSchema.properties.confirm.description).toMatch(/only after the user explicitly agreed/);
    }
  });
});

describe('long-running commands', () => {
  it('binds --wait and --wait-timeout of the 17 tools that can wait, with the CLI default of 600 s', () => {
    const waiting = catalogue.tools.filter((t) => t.wait).map((t) => t.name);
    expect(waiting.sort()).toEqual(
      [
        ...['node', 'php', 'php_worker', 'python', 'static'].map((k) => `mittwald_app_create_${k}`),
        ...['contao', 'joomla', 'matomo', 'nextcloud', 'shopware5', 'shopware6', 'typo3', 'wordpress'].map((k) => `mittwald_app_install_${k}`),
        'mittwald_app_upgrade',
        'mittwald_backup_create',
        'mittwald_database_mysql_upgrade',
        'mittwald_project_create',
      ].sort(),
    );
    for (const t of catalogue.tools.filter((t) => t.wait)) {
      expect(t.wait).toEqual({ property: 'wait', timeoutProperty: 'wait_timeout', defaultTimeoutSeconds: 600 });
      expect(t.inputSchema.properties.wait).toMatchObject({ type: 'boolean' });
    }
  });
});

describe('config/tools.json validation', () => {
  const valid = () => JSON.parse(JSON.stringify(overrides)) as Record<string, any>;

  it('accepts the shipped file', () => {
    expect(() => parseToolOverrides(valid())).not.toThrow();
  });

  it.each([
    ['an unknown section', (o: Record<string, any>) => (o.extra = {})],
    ['a malformed scope', (o: Record<string, any>) => (o.scopes['project list'] = ['PROJECT'])],
    ['an unknown annotation', (o: Record<string, any>) => (o.annotations['project list'] = { dangerous: true })],
    ['an exclusion without a reason', (o: Record<string, any>) => (o.exclude['app exec'] = '')],
    ['a command both excluded and connection info', (o: Record<string, any>) => (o.exclude['app ssh'] = 'because')],
    ['a missing section', (o: Record<string, any>) => delete o.verbs],
    ['a confirmation without a kind', (o: Record<string, any>) => (o.confirm['project delete'] = { reason: 'deletes it' })],
    ['an unknown input kind', (o: Record<string, any>) => (o.inputs['--message-from'] = { kind: 'harmless', reason: 'trust me' })],
    ['an input named without -- or <>', (o: Record<string, any>) => (o.inputs['message-from'] = { kind: 'plain', reason: 'typo' })],
    ['a rule of two kinds at once', (o: Record<string, any>) => (o.inputRules['app upgrade'] = [{ require: ['--target-version'], exclusive: ['--a', '--b'], reason: 'both' }])],
    ['a "when" without "require"', (o: Record<string, any>) => (o.inputRules['app upgrade'] = [{ when: '--a', atLeastOne: ['--b'], reason: 'oops' }])],
    ['an unknown value format', (o: Record<string, any>) => (o.valueFormats['--expires'] = 'date')],
  ])('refuses %s with a clear error', (_name, spoil) => {
    const broken = valid();
    spoil(broken);
    expect(() => parseToolOverrides(broken, 'tools.json')).toThrow(ToolOverridesError);
    expect(() => parseToolOverrides(broken, 'tools.json')).toThrow(/tools\.json/);
  });

  it('refuses an unreadable file, naming it', () => {
    expect(() => loadToolOverrides('/nonexistent/tools.json')).toThrow(/cannot read tool overrides \/nonexistent\/tools\.json/);
  });

  it('warns when a rule or a confirmation flag names an input the command does not have', () => {
    const edited = valid() as ToolOverrides;
    edited.inputRules['app upgrade'] = [{ require: ['--target-versoin'], reason: 'typo' }];
    edited.confirmationFlags['extension install'] = { flag: 'agree', reason: 'renamed' };
    const next = surfaceCatalogue({}, parseToolOverrides(edited));
    expect(next.warnings).toContainEqual(expect.stringMatching(/app upgrade: config\/tools.json names --target-versoin/));
    expect(next.warnings).toContainEqual(expect.stringMatching(/extension install: config\/tools.json names --agree/));
  });
});

describe('operator narrowing', () => {
  it('read-only mode offers read-only tools only', () => {
    const readOnly = surfaceCatalogue({ readOnly: true });
    expect(readOnly.tools.length).toBeGreaterThan(60);
    expect(readOnly.tools.every((t) => t.annotations.readOnlyHint)).toBe(true);
    expect(readOnly.get('mittwald_project_delete')).toBeUndefined();
    expect(readOnly.excluded.find((e) => e.commandId === 'project:delete')?.reason).toMatch(/read-only/);
  });

  it('a topic allow-list offers those topics only', () => {
    const narrowed = surfaceCatalogue({ topics: ['project', 'app'] });
    expect(new Set(narrowed.tools.map((t) => t.topic))).toEqual(new Set(['project', 'app']));
  });
});

describe('new CLI versions', () => {
  it('a new command becomes a tool with no code change; an unknown topic is reported, not guessed', () => {
    const set: CliCommandSet = mwSurfaceCommandSet();
    set.commands.push(
      { id: 'project:frobnicate:list', hidden: false, aliases: [], args: [], flags: { 'project-id': { name: 'project-id', type: 'option', required: false, multiple: false } } },
      { id: 'certificate:list', hidden: false, aliases: [], args: [], flags: {} },
    );
    const next = buildToolCatalogue(set, overrides, { readOnly: false, knownScopes });
    const frobnicate = next.get('mittwald_project_frobnicate_list')!;
    expect(frobnicate.scopes).toEqual(['project:read']);
    expect(frobnicate.inputSchema.required).toEqual(['project_id']);
    expect(propertyOf(frobnicate, '--project-id')).toBe('project_id');
    expect(next.get('mittwald_certificate_list')).toBeUndefined();
    expect(next.warnings.join('\n')).toMatch(/certificate list: needs scope certificate:read/);
  });
});
