import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { buildArgv } from '../../src/mcp/tools/argv.ts';
import { buildToolCatalogue } from '../../src/mcp/tools/catalogue.ts';
import { ToolInputError } from '../../src/mcp/tools/errors.ts';
import { loadToolOverrides } from '../../src/mcp/tools/overrides.ts';
import type { ToolDefinition } from '../../src/mcp/tools/types.ts';
import { createInputValidator } from '../../src/mcp/tools/validate-input.ts';
import type { CliCommand } from '../../src/cli/types.ts';
import { repoRoot } from './support/fakes.ts';
import { surfaceCatalogue } from './support/surface.ts';

const overrides = loadToolOverrides(`${repoRoot}config/tools.json`);

// One command with every kind of input: two positional args, option, enum, multiple with a
// delimiter, boolean, boolean with --no-, plus the server-owned flags.
const command: CliCommand = {
  id: 'mail:address:update',
  hidden: false,
  aliases: [],
  args: [
    { name: 'mail-address-id', required: true, description: 'the address' },
    { name: 'extra', required: false },
  ],
  flags: {
    token: { name: 'token', type: 'option', required: false, multiple: false },
    quiet: { name: 'quiet', type: 'boolean', char: 'q', required: false, multiple: false, allowNo: false },
    // a text of its own (no "optional if a default project is set in the context"): an ordinary optional flag
    'project-id': { name: 'project-id', type: 'option', char: 'p', required: false, multiple: false, summary: 'the project to move the address to' },
    mode: { name: 'mode', type: 'option', required: false, multiple: false, options: ['a', 'b'] },
    'forward-address': { name: 'forward-address', type: 'option', required: false, multiple: true, delimiter: ',' },
    catchall: { name: 'catchall', type: 'boolean', required: false, multiple: false, allowNo: true },
    wait: { name: 'wait', type: 'boolean', required: false, multiple: false, allowNo: false },
    secret: { name: 'secret', type: 'option', required: false, multiple: false, hidden: true },
  },
};
const deleteCommand: CliCommand = {
  id: 'mail:address:delete',
  hidden: false,
  aliases: [],
  args: [{ name: 'mail-address-id', required: true }],
  flags: {
    quiet: { name: 'quiet', type: 'boolean', required: false, multiple: false },
    force: { name: 'force', type: 'boolean', required: false, multiple: false },
  },
};
const catalogue = buildToolCatalogue({ cliVersion: 't', commands: [command, deleteCommand] }, overrides, { readOnly: false });
const update = catalogue.get('mittwald_mail_address_update')!;
const remove = catalogue.get('mittwald_mail_address_delete')!;
const validate = createInputValidator();

function argvFor(tool: ToolDefinition, input: unknown, confirmed = false): string[] {
  return buildArgv(tool, validate(tool, input), { confirmed });
}

describe('argv', () => {
  it('puts words first, flags as --name=value, server flags, then -- and the arguments', () => {
    expect(
      argvFor(update, {
        mail_address_id: 'm-1',
        extra: 'x',
        project_id: 'p-1',
        mode: 'b',
        forward_address: ['a@example.com', 'b@example.com'],
        catchall: false,
        wait: true,
      }),
    ).toEqual([
      'mail', 'address', 'update',
      '--project-id=p-1', '--mode=b', '--forward-address=a@example.com', '--forward-address=b@example.com',
      '--no-catchall', '--wait', '--quiet',
      '--', 'm-1', 'x',
    ]);
  });

  it('keeps values that look like flags as values', () => {
    const argv = argvFor(update, { mail_address_id: '--token=stolen', project_id: '-1', extra: '--force' });
    expect(argv).toEqual(['mail', 'address', 'update', '--project-id=-1', '--quiet', '--', '--token=stolen', '--force']);
  });

  it('refuses a flag value that starts like a flag (oclif would read it as one of the command\'s flags and refuse the call)', () => {
    for (const value of ['-p', '-qx', '--quiet', '--no-catchall', '--secret', '--constructor', '--anything']) {
      expect(() => argvFor(update, { mail_address_id: 'm', project_id: value })).toThrow(/must not start with "-" and a letter/);
    }
  });

  it('keeps shell metacharacters as plain text (no shell is involved)', () => {
    const argv = argvFor(update, { mail_address_id: '$(rm -rf /); `id` | cat && echo >x' });
    expect(argv.at(-1)).toBe('$(rm -rf /); `id` | cat && echo >x');
  });

  it('a false boolean without --no- form is simply left out', () => {
    expect(argvFor(update, { mail_address_id: 'm', wait: false })).not.toContain('--no-wait');
  });

  it('adds the command\'s own confirmation flag only after confirmation', () => {
    expect(argvFor(remove, { mail_address_id: 'm' })).toEqual(['mail', 'address', 'delete', '--quiet', '--', 'm']);
    expect(argvFor(remove, { mail_address_id: 'm', confirm: true }, true)).toEqual(['mail', 'address', 'delete', '--quiet', '--force', '--', 'm']);
    const consent = { ...remove, serverFlags: { ...remove.serverFlags, confirmFlag: 'consent' } };
    expect(buildArgv(consent, { mail_address_id: 'm' }, { confirmed: true })).toContain('--consent');
    const none = { ...remove, serverFlags: { json: false, quiet: true } };
    expect(buildArgv(none, { mail_address_id: 'm' }, { confirmed: true })).toEqual(['mail', 'address', 'delete', '--quiet', '--', 'm']);
  });

  it.each([
    ['an unknown property', { mail_address_id: 'm', token: 'x' }, /unknown property token/],
    ['a hidden flag', { mail_address_id: 'm', secret: 'x' }, /unknown property secret/],
    ['a NUL byte', { mail_address_id: 'm\u0000--force' }, /NUL/],
    ['a huge argument', { mail_address_id: 'x'.repeat(5000) }, /4096/],
    ['an empty value', { mail_address_id: '' }, /fewer than 1/],
    ['a value outside the options', { mail_address_id: 'm', mode: 'c' }, /one of: a, b/],
    ['a number for a string', { mail_address_id: 42 }, /must be string/],
    ['a string for a boolean', { mail_address_id: 'm', wait: 'yes' }, /must be boolean/],
    ['a missing required argument', { project_id: 'p' }, /must have required property 'mail_address_id'/],
    ['too many list items', { mail_address_id: 'm', forward_address: Array(65).fill('a') }, /more than 64/],
  ])('refuses %s before anything runs', (_name, input, message) => {
    expect(() => argvFor(update, input)).toThrow(ToolInputError);
    expect(() => argvFor(update, input)).toThrow(message);
  });

  it('refuses a list item containing the delimiter (oclif would split it into two values)', () => {
    expect(() => argvFor(update, { mail_address_id: 'm', forward_address: ['a,--force'] })).toThrow(/must not contain ","/);
  });

  it('refuses a later positional argument without the earlier one', () => {
    const optionalFirst = buildToolCatalogue(
      { cliVersion: 't', commands: [{ ...command, id: 'mail:address:get', args: [{ name: 'a', required: false }, { name: 'b', required: false }] }] },
      overrides,
      { readOnly: false },
    ).get('mittwald_mail_address_get')!;
    expect(() => argvFor(optionalFirst, { b: 'x' })).toThrow(/b needs a as well/);
  });

  it('re-checks types even when called without the schema validator', () => {
    expect(() => buildArgv(update, { mail_address_id: ['a'] }, { confirmed: false })).toThrow(/must be a string/);
    expect(() => buildArgv(update, { mail_address_id: 'm', project_id: '--quiet' }, { confirmed: false })).toThrow(/must not start with "-" and a letter/);
    expect(() => buildArgv(update, { mail_address_id: 'm', evil: '1' }, { confirmed: false })).toThrow(/unknown property evil/);
  });
});

describe('argv of real tools', () => {
  const surface = surfaceCatalogue();
  const run = surface.get('mittwald_container_run')!;

  it('passes a variadic argument as one word per item, after the end-of-options marker', () => {
    expect(argvFor(run, { image: 'alpine', command: 'echo', args: ['hello', '--world', 'x y'], project_id: 'p-1' })).toEqual([
      'container', 'run', '--project-id=p-1', '--quiet', '--', 'alpine', 'echo', 'hello', '--world', 'x y',
    ]);
    expect(() => argvFor(run, { image: 'alpine', args: ['x'], project_id: 'p-1' })).toThrow(/args needs command/);
    expect(() => buildArgv(run, { image: 'alpine', command: 'echo', args: 'not a list', project_id: 'p' }, { confirmed: false })).toThrow(/args must be a list/);
  });

  it('shows a connection-info secret as a placeholder and fills required local files in as placeholders', () => {
    const shell = surface.get('mittwald_database_mysql_shell')!;
    expect(argvFor(shell, { database_id: 'mysql-1', mysql_password: 's3cr3t!' })).toEqual(['database', 'mysql', 'shell', '--mysql-password=<MYSQL_PASSWORD>', '--', 'mysql-1']);
    const importer = surface.get('mittwald_database_mysql_import')!;
    expect(argvFor(importer, { database_id: 'mysql-1' })).toEqual(['database', 'mysql', 'import', '--input=<INPUT>', '--', 'mysql-1']);
  });

  it('runs a secret of a run tool as its value (the child needs it) and names it in secretProperties', () => {
    const create = surface.get('mittwald_database_mysql_create')!;
    expect(create.secretProperties).toEqual(['user_password']);
    expect(argvFor(create, { description: 'shop', project_id: 'p-1', version: '8.0', user_password: 's3cr3t!' })).toContain('--user-password=s3cr3t!');
  });
});

describe('argv property: nothing but declared flags ever reaches argv', () => {
  const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
  // values made to look like flags as often as not
  const nasty = fc.oneof(text, text.map((s) => `-${s}`), text.map((s) => `--${s}`), fc.constantFrom('--', '-', '--token=x', '--force', '-q'));
  const input = fc.record(
    {
      mail_address_id: nasty,
      extra: nasty,
      project_id: nasty,
      mode: fc.constantFrom('a', 'b'),
      forward_address: fc.array(nasty, { maxLength: 5 }),
      catchall: fc.boolean(),
      wait: fc.boolean(),
    },
    { requiredKeys: ['mail_address_id'] },
  );
  const serverElements = new Set(['--quiet', '--force', '--output=json', '--']);
  const declared = new Map(Object.values(command.flags).map((f) => [f.name, f]));

  it('for every input the schema accepts', () => {
    const validateInput = createInputValidator();
    fc.assert(
      fc.property(input, (candidate) => {
        let checked: Record<string, unknown>;
        try {
          checked = validateInput(update, candidate);
        } catch {
          return; // the schema refused it: nothing to build
        }
        let argv: string[];
        try {
          argv = buildArgv(update, checked, { confirmed: false });
        } catch (error) {
          // only the delimiter rule may refuse a schema-valid input
          expect(String(error)).toMatch(/must not contain ","|needs/);
          return;
        }
        expect(argv.slice(0, 3)).toEqual(['mail', 'address', 'update']);
        const end = argv.indexOf('--');
        const options = end === -1 ? argv.slice(3) : argv.slice(3, end);
        const positional = end === -1 ? [] : argv.slice(end + 1);
        for (const element of options) {
          if (serverElements.has(element)) continue;
          const match = /^--(no-)?([a-z-]+?)(=([\s\S]*))?$/.exec(element);
          expect(match).not.toBeNull();
          const flag = declared.get(match![2]);
          expect(flag).toBeDefined();
          expect(flag!.hidden).toBeFalsy();
          expect(['token', 'force', 'output'].includes(flag!.name)).toBe(false);
          if (flag!.type === 'option') expect(match![3]).toBeDefined();
          else expect(match![3]).toBeUndefined();
        }
        // exactly the expected flags, in declaration order
        const expected: string[] = [];
        if (checked.project_id !== undefined) expected.push(`--project-id=${checked.project_id}`);
        if (checked.mode !== undefined) expected.push(`--mode=${checked.mode}`);
        for (const a of (checked.forward_address as string[] | undefined) ?? []) expected.push(`--forward-address=${a}`);
        if (checked.catchall !== undefined) expected.push(checked.catchall ? '--catchall' : '--no-catchall');
        if (checked.wait === true) expected.push('--wait');
        expected.push('--quiet');
        expect(options).toEqual(expected);
        const args = [checked.mail_address_id, checked.extra].filter((v) => v !== undefined);
        expect(positional).toEqual(args);
        expect(options).not.toContain('--force');
      }),
      { numRuns: 500 },
    );
  });
});

describe('argv property, checked by the real oclif parser', () => {
  it('oclif reads back exactly every input the schema accepts; a value never becomes a flag', async () => {
    const { Args, Flags, Parser } = await import('@oclif/core');
    // the same flags as the command (the hidden one too: oclif knows it)
    const flags = {
      token: Flags.string(),
      quiet: Flags.boolean({ char: 'q' }),
      'project-id': Flags.string({ char: 'p' }),
      mode: Flags.string({ options: ['a', 'b'] }),
      'forward-address': Flags.string({ multiple: true, delimiter: ',' }),
      catchall: Flags.boolean({ allowNo: true }),
      wait: Flags.boolean(),
      secret: Flags.string({ hidden: true }),
    };
    const args = { 'mail-address-id': Args.string({ required: true }), extra: Args.string() };
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !s.includes(','));
    const nasty = fc.oneof(
      text,
      text.map((s) => `-${s}`),
      text.map((s) => `--${s}`),
      fc.constantFrom('--', '-', '-q', '-pfoo', '--token=x', '--force', '--quiet', '--no-catchall', '--secret', '--constructor', '--toString'),
    );
    const validateInput = createInputValidator();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ mail_address_id: nasty, extra: nasty, project_id: nasty, forward_address: fc.array(nasty, { maxLength: 3 }), catchall: fc.boolean() }, { requiredKeys: ['mail_address_id'] }),
        async (candidate) => {
          let checked: Record<string, unknown>;
          try {
            checked = validateInput(update, candidate);
          } catch (error) {
            // the schema may refuse only values oclif would read as one of the command's flags
            expect(String(error)).toMatch(/must not start with "-" and a letter/);
            return;
          }
          accepted += 1;
          const argv = buildArgv(update, checked, { confirmed: false });
          const parsed = await Parser.parse(argv.slice(3), { flags, args, strict: true });
          expect(parsed.flags.token).toBeUndefined();
          expect(parsed.flags.secret).toBeUndefined();
          expect(parsed.flags.quiet).toBe(true);
          expect(parsed.flags['project-id']).toBe(checked.project_id);
          // oclif trims the items of a delimited list flag
          const addresses = (checked.forward_address as string[] | undefined)?.map((a) => a.trim());
          expect(parsed.flags['forward-address']).toEqual(addresses?.length ? addresses : undefined);
          expect(parsed.flags.catchall).toBe(checked.catchall);
          expect(parsed.args).toEqual({ 'mail-address-id': checked.mail_address_id, extra: checked.extra });
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
