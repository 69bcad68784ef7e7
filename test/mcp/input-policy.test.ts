// Which inputs a tool offers and what it makes of them, over the whole real surface: no input that
// names a local file, directory or program (issue 9, layer 1), fail closed for flags the config does
// not know, the ids a server must be given, secrets, value formats. The surface's annotations
// (contextDefault, kind, variadic) are the independent answer the derivations are checked against.
import { describe, expect, it } from '@jest/globals';
import type { CliCommandSet, CliFlag } from '../../src/cli/types.ts';
import { buildToolCatalogue } from '../../src/mcp/tools/catalogue.ts';
import { takesContextDefault } from '../../src/mcp/tools/context-ids.ts';
import { decideInput, looksSecret, type CommandInput } from '../../src/mcp/tools/input-policy.ts';
import { parseToolOverrides, type ToolOverrides } from '../../src/mcp/tools/overrides.ts';
import { createInputValidator } from '../../src/mcp/tools/validate-input.ts';
import { durationSeconds, VALUE_PATTERNS } from '../../src/mcp/tools/value-formats.ts';
import { mwSurfaceCommandSet } from '../support/mw-surface.ts';
import { knownScopes, propertyOf, shippedOverrides, surfaceCatalogue, surfaceCommands, toolOf } from './support/surface.ts';

const overrides = shippedOverrides();
const catalogue = surfaceCatalogue();
const commandSet = mwSurfaceCommandSet();
const cliCommand = (id: string) => commandSet.commands.find((c) => c.id === id)!;
const toolFor = (commandId: string) => catalogue.tools.find((t) => t.commandId === commandId);
const LOCAL_KINDS = ['local-path-read', 'local-path-write', 'local-program'];

/** Every input of the surface with its annotations, as [command, "--flag" | "<arg>", annotation]. */
const surfaceInputs = surfaceCommands.flatMap((command) => [
  ...command.args.map((arg) => ({ command, key: `<${arg.name}>`, required: arg.required, contextDefault: arg.contextDefault, kind: arg.kind })),
  ...Object.entries(command.flags).map(([name, flag]) => ({ command, key: `--${name}`, required: flag.required, contextDefault: flag.contextDefault, kind: flag.kind })),
]);
const commandInput = (commandId: string, key: string): CommandInput => {
  const command = cliCommand(commandId);
  return key.startsWith('--')
    ? { kind: 'flag', flag: command.flags[key.slice(2)] }
    : { kind: 'argument', arg: command.args.find((a) => `<${a.name}>` === key)! };
};

describe('no tool input names a local file, directory or program (issue 9, layer 1)', () => {
  it('over the whole surface, no offered input is annotated local-path-read, local-path-write or local-program', () => {
    const local = surfaceInputs.filter((i) => i.kind && LOCAL_KINDS.includes(i.kind));
    expect(local.length).toBeGreaterThanOrEqual(25);
    for (const input of local) {
      const t = toolFor(input.command.id);
      if (t) expect([t.name, input.key, propertyOf(t, input.key)]).toEqual([t.name, input.key, undefined]);
    }
    // the three the issue names are not offered anywhere
    for (const [id, key] of [['conversation:create', '--message-from'], ['conversation:reply', '--message-from'], ['conversation:create', '--editor'], ['container:run', '--env-file'], ['container:update', '--env-file']]) {
      expect(propertyOf(toolFor(id)!, key)).toBeUndefined();
    }
  });

  it('every local-looking input of the surface is decided in config/tools.json with a reason, so nothing is left to luck', () => {
    const decided = Object.keys(overrides.inputs);
    for (const input of surfaceInputs.filter((i) => i.kind && LOCAL_KINDS.includes(i.kind))) {
      const decision = decideInput(cliCommand(input.command.id), commandInput(input.command.id, input.key), overrides);
      expect([input.command.id, input.key, decision.offered]).toEqual([input.command.id, input.key, false]);
    }
    expect(decided.length).toBeGreaterThan(20);
    for (const [key, value] of Object.entries(overrides.inputs)) expect([key, value.reason.length > 10]).toEqual([key, true]);
  });

  it('commands that only make sense with local inputs are connection info or excluded', () => {
    for (const id of ['app:download', 'app:upload', 'stack:deploy', 'user:ssh-key:import', 'user:ssh-key:create', 'container:cp', 'experimental:deploy']) {
      expect([id, toolFor(id)]).toEqual([id, undefined]);
    }
    for (const id of ['database:mysql:dump', 'database:mysql:import', 'backup:download', 'app:ssh']) expect(toolFor(id)?.kind).toBe('connection-info');
    // the required local file of a connection-info command is a placeholder the user fills in
    expect(toolFor('database:mysql:import')!.bindings).toContainEqual(expect.objectContaining({ kind: 'placeholder', name: 'input' }));
  });

  it('never offers the CLI\'s local context: update-context is the server\'s', () => {
    const withFlag = surfaceCommands.filter((c) => 'update-context' in c.flags);
    expect(withFlag).toHaveLength(15);
    for (const command of withFlag) {
      const t = toolFor(command.id);
      if (t) expect([t.name, propertyOf(t, '--update-context')]).toEqual([t.name, undefined]);
    }
  });
});

describe('fail closed for flags the config does not know', () => {
  const flag = (name: string, props: Partial<CliFlag> = {}): CliFlag => ({ name, type: 'option', required: false, multiple: false, ...props });
  const withNewFlags = (flags: CliFlag[], commandId = 'backup:create') => {
    const set: CliCommandSet = mwSurfaceCommandSet();
    const command = set.commands.find((c) => c.id === commandId)!;
    for (const f of flags) command.flags[f.name] = f;
    return set;
  };

  it.each([
    ['--key-file', flag('key-file')],
    ['--from-file', flag('from-file')],
    ['--output-dir', flag('output-dir')],
    ['--identity', flag('identity')],
    ['--pager', flag('pager')],
    ['--exec', flag('exec')],
    ['--ssh-port', flag('ssh-port')],
    ['a description saying "path"', flag('notes', { description: 'Path to a notes document' })],
    ['a description offering stdin', flag('body', { description: "the body; may be '-' to read from stdin" })],
    ['a description saying "editor"', flag('text', { summary: 'opens an editor when omitted' })],
  ])('a new flag %s is not offered, and the start log names it', (_name, newFlag) => {
    const next = buildToolCatalogue(withNewFlags([newFlag]), overrides, { readOnly: false, knownScopes });
    const backup = next.get('mittwald_backup_create')!;
    expect(propertyOf(backup, `--${newFlag.name}`)).toBeUndefined();
    expect(next.warnings).toEqual([expect.stringMatching(new RegExp(`^backup create --${newFlag.name}: not offered: it may name a file, directory or program on the server`))]);
  });

  it('a plain new flag is offered, with no warning', () => {
    const next = buildToolCatalogue(withNewFlags([flag('label', { summary: 'a label for the backup' })]), overrides, { readOnly: false, knownScopes });
    expect(propertyOf(next.get('mittwald_backup_create')!, '--label')).toBe('label');
    expect(next.warnings).toEqual([]);
  });

  it('a required or defaulted new local flag makes the command no tool at all, and says why', () => {
    const required = buildToolCatalogue(withNewFlags([flag('config-file', { required: true })]), overrides, { readOnly: false, knownScopes });
    expect(required.get('mittwald_backup_create')).toBeUndefined();
    expect(required.excluded.find((e) => e.commandId === 'backup:create')?.reason).toMatch(/not safe on a server: it needs --config-file/);
    const defaulted = buildToolCatalogue(withNewFlags([flag('key-file', { default: '/etc/mw/key' })]), overrides, { readOnly: false, knownScopes });
    expect(defaulted.get('mittwald_backup_create')).toBeUndefined();
    expect(defaulted.warnings.join('\n')).toMatch(/backup create: not safe on a server: mw would use the default of --key-file/);
  });

  it('would keep the contributor commands out even without their topic exclusion: they read a local manifest file', () => {
    const edited = JSON.parse(JSON.stringify(overrides)) as ToolOverrides;
    delete edited.excludeTopics.contributor;
    const next = surfaceCatalogue({}, parseToolOverrides(edited));
    for (const id of ['contributor:extension:deploy', 'contributor:extension:init', 'contributor:extension:publish', 'contributor:extension:withdraw']) {
      expect(next.tools.find((t) => t.commandId === id)).toBeUndefined();
      expect(next.excluded.find((e) => e.commandId === id)?.reason).toMatch(/not safe on a server: mw would use the default of <extension-manifest>/);
    }
  });

  it('a plain config edit switches the policy off for one flag (what the isolation tests do through TOOLS_OVERRIDES_PATH)', () => {
    const edited = JSON.parse(JSON.stringify(overrides)) as ToolOverrides;
    edited.inputs['conversation create --message-from'] = { kind: 'plain', reason: 'isolation test: the policy is off' };
    const off = surfaceCatalogue({}, parseToolOverrides(edited));
    const create = toolOf(off, 'mittwald_conversation_create');
    expect(propertyOf(create, '--message-from')).toBe('message_from');
    // with both offered, either one will do (and not both)
    const validate = createInputValidator();
    expect(() => validate(create, { title: 't', message_from: '/proc/self/environ' })).not.toThrow();
    expect(() => validate(create, { title: 't' })).toThrow(/at least one of message or message_from/);
    expect(() => validate(create, { title: 't', message: 'm', message_from: 'f' })).toThrow(/message and message_from cannot be combined/);
    // the shipped policy leaves it out, so the message itself is required
    const shipped = toolOf(catalogue, 'mittwald_conversation_create');
    expect(shipped.inputSchema.required).toEqual(expect.arrayContaining(['title', 'message']));
  });
});

describe('ids the server cannot get from a context', () => {
  it('the derivation from names and texts matches the surface annotation contextDefault on every optional input', () => {
    const optional = surfaceInputs.filter((i) => !i.required);
    let annotated = 0;
    for (const input of optional) {
      const derived = takesContextDefault(cliCommand(input.command.id), commandInput(input.command.id, input.key), overrides);
      expect([input.command.id, input.key, derived]).toEqual([input.command.id, input.key, input.contextDefault === true]);
      if (input.contextDefault) annotated += 1;
    }
    expect(annotated).toBeGreaterThanOrEqual(100);
  });

  it('reads the real CLI\'s text where there is one', () => {
    const input: CommandInput = {
      kind: 'flag',
      flag: { name: 'project-id', type: 'option', required: false, multiple: false, summary: 'ID or short ID of a project; this flag is optional if a default project is set in the context' },
    };
    const own: CommandInput = { kind: 'flag', flag: { name: 'org-id', type: 'option', required: false, multiple: false, description: 'the ID of the organization to install the extension in' } };
    const command = cliCommand('app:list');
    expect(takesContextDefault(command, input, overrides)).toBe(true);
    expect(takesContextDefault(command, own, overrides)).toBe(false);
  });

  it('every context id a tool offers is required (or one of its alternatives is), unless the config says mw never reads it', () => {
    let checked = 0;
    for (const input of surfaceInputs.filter((i) => i.contextDefault && !i.required)) {
      const t = toolFor(input.command.id);
      const property = t && propertyOf(t, input.key);
      if (!t || !property) continue;
      checked += 1;
      const optional = overrides.optionalContextIds[`${t.words.join(' ')} ${input.key}`];
      const alternatives = t.inputSchema.allOf?.some((rule) => JSON.stringify(rule.anyOf ?? []).includes(`"${property}"`));
      expect([t.name, property, optional !== undefined || alternatives || t.inputSchema.required?.includes(property)]).toEqual([t.name, property, true]);
    }
    expect(checked).toBeGreaterThanOrEqual(90);
    expect(Object.keys(overrides.optionalContextIds).sort()).toEqual(['app upgrade --project-id', 'project update --project-id']);
    // the targets the issue names
    for (const [name, property] of [['mittwald_project_delete', 'project_id'], ['mittwald_app_uninstall', 'installation_id'], ['mittwald_org_delete', 'org_id'], ['mittwald_stack_delete', 'stack_id']]) {
      expect(toolOf(catalogue, name).inputSchema.required).toContain(property);
    }
  });
});

describe('secrets', () => {
  it('the derivation from names and texts finds exactly the inputs the surface annotates as secret', () => {
    const annotated = surfaceInputs.filter((i) => i.kind === 'secret');
    expect(annotated.length).toBeGreaterThanOrEqual(21);
    // (--token is a secret too, but the server's: never an input, so the surface does not mark it)
    for (const input of surfaceInputs.filter((i) => !(i.key.slice(2) in overrides.serverOwnedFlags))) {
      const decision = decideInput(cliCommand(input.command.id), commandInput(input.command.id, input.key), overrides);
      const secret = decision.kind === 'secret';
      expect([input.command.id, input.key, secret]).toEqual([input.command.id, input.key, input.kind === 'secret']);
    }
  });

  it('every offered secret is in the tool\'s secretProperties, and nothing else is', () => {
    for (const t of catalogue.tools) {
      const expected = t.bindings
        .filter((b) => b.kind === 'flag' || b.kind === 'argument')
        .filter((b) => surfaceInputs.find((i) => i.command.id === t.commandId && i.key === (b.kind === 'flag' ? `--${b.flag.name}` : `<${b.name}>`))?.kind === 'secret')
        .map((b) => b.property);
      expect([t.name, t.secretProperties.sort()]).toEqual([t.name, expected.sort()]);
    }
  });

  it('recognises a password-like flag by its text, never a boolean or an id', () => {
    const command = cliCommand('backup:create');
    expect(looksSecret({ kind: 'flag', flag: { name: 'admin', type: 'option', required: false, multiple: false, summary: 'password of your administrator user' } })).toBe(true);
    expect(looksSecret({ kind: 'flag', flag: { name: 'random-password', type: 'boolean', required: false, multiple: false } })).toBe(false);
    expect(looksSecret({ kind: 'argument', arg: { name: 'token-id', required: true } })).toBe(false);
    expect(command).toBeDefined();
  });
});

describe('value formats match the CLI\'s parsers', () => {
  const validate = createInputValidator();
  const create = toolOf(catalogue, 'mittwald_backup_create');
  const base = { project_id: 'p-1', expires: '30d' };

  it.each(['30d', '90s', '10m', '1h 30m', '1h30m', '2 weeks', '1.5h', '1y'])('takes the duration %s (parse-duration)', (value) => {
    expect(() => validate(create, { ...base, expires: value })).not.toThrow();
    expect(durationSeconds(value)).toBeGreaterThan(0);
  });

  it.each(['600', '10 parsecs', '-1d', 'soon', '1d; rm -rf /'])('refuses %s as a duration, saying what it wants', (value) => {
    expect(() => validate(create, { ...base, expires: value })).toThrow(/expires must be a duration with a unit/);
  });

  it('gives every wait_timeout and expires the duration pattern, and sizes the CLI\'s byte formats', () => {
    for (const t of catalogue.tools) {
      for (const name of ['wait_timeout', 'expires']) {
        const property = t.inputSchema.properties[name];
        if (property) expect([t.name, name, property.pattern]).toEqual([t.name, name, VALUE_PATTERNS.duration]);
      }
    }
    const mail = toolOf(catalogue, 'mittwald_mail_address_create');
    expect(mail.inputSchema.properties.quota.pattern).toBe(VALUE_PATTERNS['byte-size']);
    expect(() => validate(mail, { address: 'a@b.example', project_id: 'p', random_password: true, quota: '2Gi' })).not.toThrow();
    expect(() => validate(mail, { address: 'a@b.example', project_id: 'p', random_password: true, quota: '2 gigs' })).toThrow(/quota must be a size/);
    expect(toolOf(catalogue, 'mittwald_database_redis_create').inputSchema.properties.max_memory.pattern).toBe(VALUE_PATTERNS['byte-size']);
    expect(toolOf(catalogue, 'mittwald_container_run').inputSchema.properties.memory.pattern).toBe(VALUE_PATTERNS['docker-size']);
    expect(durationSeconds('600s')).toBe(600);
    expect(durationSeconds('1h 30m')).toBe(5400);
  });

  it('derives a format from the metadata a real CLI has: a duration default, an "interval" text, an IEC text', () => {
    const set = mwSurfaceCommandSet();
    const command = set.commands.find((c) => c.id === 'backup:create')!;
    command.flags.grace = { name: 'grace', type: 'option', required: false, multiple: false, default: '90s' };
    command.flags.keep = { name: 'keep', type: 'option', required: false, multiple: false, summary: 'an interval after which the backup expires (examples: 30m, 30d, 1y)' };
    command.flags.limit = { name: 'limit', type: 'option', required: false, multiple: false, description: 'a number, followed by one of the IEC suffixes, like "Ki", "Mi" or "Gi"' };
    const next = buildToolCatalogue(set, overrides, { readOnly: false, knownScopes }).get('mittwald_backup_create')!;
    expect(next.inputSchema.properties.grace.pattern).toBe(VALUE_PATTERNS.duration);
    expect(next.inputSchema.properties.keep.pattern).toBe(VALUE_PATTERNS.duration);
    expect(next.inputSchema.properties.limit.pattern).toBe(VALUE_PATTERNS['byte-size']);
  });
});

describe('variadic arguments', () => {
  it('are exactly the ones the surface marks variadic, and they take lists', () => {
    const variadic = surfaceCommands.flatMap((c) => c.args.filter((a) => (a as { variadic?: boolean }).variadic).map((a) => `${c.id.split(':').join(' ')} <${a.name}>`));
    expect(Object.keys(overrides.variadicArguments).sort()).toEqual(variadic.sort());
    const run = toolOf(catalogue, 'mittwald_container_run');
    expect(run.inputSchema.properties.args).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(run.bindings).toContainEqual({ property: 'args', kind: 'argument', name: 'args', variadic: true });
  });
});

describe('combinations that keep mw from asking', () => {
  const validate = createInputValidator();
  const refuses = (name: string, input: Record<string, unknown>, message: RegExp) => expect(() => validate(toolOf(catalogue, name), input)).toThrow(message);
  const accepts = (name: string, input: Record<string, unknown>) => expect(() => validate(toolOf(catalogue, name), input)).not.toThrow();

  it('mail address create: a password, a random one or forwarding, never two of them', () => {
    const base = { address: 'info@shop.example', project_id: 'p-1' };
    refuses('mittwald_mail_address_create', base, /at least one of password, random_password or forward_to/);
    refuses('mittwald_mail_address_create', { ...base, random_password: false }, /at least one of/);
    refuses('mittwald_mail_address_create', { ...base, password: 'x', random_password: true }, /password and random_password cannot be combined/);
    refuses('mittwald_mail_address_create', { ...base, forward_to: ['a@b.example'], password: 'x' }, /forward_to and password cannot be combined/);
    accepts('mittwald_mail_address_create', { ...base, password: 'x', random_password: false });
    accepts('mittwald_mail_address_create', { ...base, forward_to: ['a@b.example'] });
  });

  it('cronjob create: a URL or a command (with its interpreter), an installation or a container', () => {
    const base = { description: 'nightly', interval: '0 3 * * *', project_id: 'p-1', installation_id: 'a-1' };
    refuses('mittwald_cronjob_create', base, /exactly one of url or command/);
    refuses('mittwald_cronjob_create', { ...base, url: 'https://x', command: 'php x', interpreter: 'php' }, /exactly one of url or command/);
    refuses('mittwald_cronjob_create', { ...base, command: 'php x' }, /command needs interpreter/);
    refuses('mittwald_cronjob_create', { ...base, installation_id: undefined, url: 'https://x' }, /at least one of installation_id or container_id/);
    refuses('mittwald_cronjob_create', { ...base, container_id: 'c-1', url: 'https://x' }, /container_id and installation_id cannot be combined/);
    accepts('mittwald_cronjob_create', { ...base, command: 'php x', interpreter: 'php' });
  });

  it('dnszone update: records, managed or unset, exactly one', () => {
    const base = { dnszone_id: 'd-1', record_set: 'a', project_id: 'p-1', confirm: true };
    refuses('mittwald_domain_dnszone_update', base, /exactly one of record, managed or unset/);
    refuses('mittwald_domain_dnszone_update', { ...base, managed: true, unset: true }, /cannot be combined|exactly one/);
    accepts('mittwald_domain_dnszone_update', { ...base, record: ['1.2.3.4'] });
  });

  it('the issue\'s prompt cases need their inputs', () => {
    refuses('mittwald_app_upgrade', { installation_id: 'a-1' }, /must have required property 'target_version'/);
    refuses('mittwald_database_mysql_upgrade', { database_id: 'm-1' }, /'version'/);
    refuses('mittwald_database_mysql_create', { description: 'd', project_id: 'p', version: '8.0' }, /'user_password'/);
    refuses('mittwald_mail_deliverybox_create', { description: 'd', project_id: 'p' }, /at least one of password or random_password/);
    refuses('mittwald_registry_create', { description: 'd', project_id: 'p', uri: 'r.example', username: 'u' }, /username needs password/);
    refuses('mittwald_registry_update', { registry_id: 'r', username: 'u' }, /username needs password/);
    refuses('mittwald_stack_create', { description: 'd', project_id: 'p', input: ['A=1'] }, /input needs from_template/);
    refuses('mittwald_extension_install', { extension_id: 'e' }, /exactly one of org_id or project_id/);
    refuses('mittwald_ssh_user_create', { description: 'd', project_id: 'p' }, /exactly one of public_key or password/);
    refuses('mittwald_stack_create', { description: 'd', project_id: 'p', from_template: 't', input: ['no-equals-sign'] }, /input.0 must be NAME=VALUE/);
    accepts('mittwald_stack_create', { description: 'd', project_id: 'p', from_template: 't', input: ['DOMAIN=shop.example'] });
  });

  it('says each rule in the tool description, so a model knows before it calls', () => {
    expect(toolOf(catalogue, 'mittwald_mail_address_create').description).toMatch(/Give at least one of password, random_password or forward_to: a mailbox needs a password/);
    expect(toolOf(catalogue, 'mittwald_app_upgrade').description).toMatch(/target_version is required: without a target version mw asks/);
  });
});

describe('values that look like flags', () => {
  const validate = createInputValidator();
  const create = toolOf(catalogue, 'mittwald_backup_create');

  it.each(['--quiet', '-q', '-p', '--project-id', '--wait', '--constructor', '--__proto__', '--draft', '-x nightly'])(
    'refuses %s as the value of a flag: oclif would read it as a flag and refuse the call',
    (value) => {
      expect(() => validate(create, { project_id: 'p-1', expires: '1d', description: value })).toThrow(/description must not contain NUL bytes and must not start with "-" and a letter/);
    },
  );

  it.each(['-', '--', '- draft', '-5', '--=x', 'a --quiet', 'x'])('keeps %s as a value', (value) => {
    expect(() => validate(create, { project_id: 'p-1', expires: '1d', description: value })).not.toThrow();
  });

  it('takes anything as a positional argument: it comes after the end-of-options marker', () => {
    const get = toolOf(catalogue, 'mittwald_backup_get');
    expect(() => validate(get, { backup_id: '--quiet' })).not.toThrow();
  });
});
