// Tool input → `mw` argv. The most security-critical code of the MCP side: a tool input must never
// become a flag the user did not ask for. So: every flag value is one `--name=value` element (a
// value starting with '-' stays a value; the schema refuses the few oclif would still read as one of
// the command's flags), booleans are bare `--name` / `--no-name`, and positional arguments come after
// the `--` end-of-options marker (oclif treats everything after it as arguments). This re-checks
// types even though the schema was validated: defence in depth. A connection-info command line is
// shown to the model and the user, so secrets in it are replaced by placeholders.
import type { CliFlag } from '../../cli/types.ts';
import { ToolInputError } from './errors.ts';
import { MAX_ARRAY_ITEMS, MAX_STRING_LENGTH } from './input-schema.ts';
import { CONFIRM_PROPERTY, type ToolDefinition } from './types.ts';

const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/i;

function checkedString(value: unknown, property: string): string {
  if (typeof value !== 'string') throw new ToolInputError(`${property} must be a string`);
  if (value.length === 0) throw new ToolInputError(`${property} must not be empty`);
  if (value.length > MAX_STRING_LENGTH) throw new ToolInputError(`${property} is longer than ${MAX_STRING_LENGTH} characters`);
  if (value.includes('\0')) throw new ToolInputError(`${property} must not contain NUL bytes`);
  return value;
}

function checkedOption(value: unknown, property: string, options?: string[]): string {
  const text = checkedString(value, property);
  if (options?.length && !options.includes(text)) {
    throw new ToolInputError(`${property} must be one of: ${options.join(', ')}`);
  }
  return text;
}

/** oclif would read "--quiet" or "-p…" after `--name=` as one of the command's flags (the schema says so too). */
function checkedFlagValue(value: unknown, property: string, options?: string[]): string {
  const text = checkedOption(value, property, options);
  if (/^--?[A-Za-z_]/.test(text)) throw new ToolInputError(`${property} must not start with "-" and a letter`);
  return text;
}

/** `<MYSQL_PASSWORD>`: what the user fills in on their own machine */
function placeholder(name: string): string {
  return `<${name.toUpperCase().replaceAll('-', '_')}>`;
}

function flagElements(flag: CliFlag, value: unknown, property: string, hideValue: boolean): string[] {
  if (!FLAG_NAME.test(flag.name)) throw new ToolInputError(`flag ${flag.name} cannot be passed safely`);
  if (flag.type === 'boolean') {
    if (typeof value !== 'boolean') throw new ToolInputError(`${property} must be true or false`);
    if (value) return [`--${flag.name}`];
    return flag.allowNo ? [`--no-${flag.name}`] : [];
  }
  const shown = (text: string) => (hideValue ? placeholder(flag.name) : text);
  if (!flag.multiple) return [`--${flag.name}=${shown(checkedFlagValue(value, property, flag.options))}`];
  return checkedList(value, property).map((item, index) => {
    const text = checkedFlagValue(item, `${property}[${index}]`, flag.options);
    // oclif would split the item at the delimiter into several values.
    if (flag.delimiter && text.includes(flag.delimiter)) {
      throw new ToolInputError(`${property}[${index}] must not contain "${flag.delimiter}"; pass separate items`);
    }
    return `--${flag.name}=${shown(text)}`;
  });
}

function checkedList(value: unknown, property: string): unknown[] {
  if (!Array.isArray(value)) throw new ToolInputError(`${property} must be a list`);
  if (value.length > MAX_ARRAY_ITEMS) throw new ToolInputError(`${property} has more than ${MAX_ARRAY_ITEMS} items`);
  return value;
}

export interface ArgvOptions {
  /** the user confirmed: add the command's own "do not ask" flag (`--force`, `--consent`, …) */
  confirmed: boolean;
}

export function buildArgv(tool: ToolDefinition, input: Record<string, unknown>, options: ArgvOptions): string[] {
  const known = new Set(tool.bindings.map((b) => b.property));
  for (const property of Object.keys(input)) {
    if (!known.has(property) && !(tool.needsConfirmation && property === CONFIRM_PROPERTY)) {
      throw new ToolInputError(`unknown property ${property}`);
    }
  }
  const hideSecrets = tool.kind === 'connection-info';
  const isSecret = (property: string) => tool.secretProperties.includes(property);

  const flags: string[] = [];
  const positional: string[] = [];
  let missingArgument: string | undefined;
  for (const binding of tool.bindings) {
    if (binding.kind === 'placeholder') {
      if (binding.flag) flags.push(`--${binding.flag.name}=${placeholder(binding.name)}`);
      else positional.push(placeholder(binding.name));
      continue;
    }
    const value = input[binding.property];
    if (binding.kind === 'flag') {
      if (value !== undefined) flags.push(...flagElements(binding.flag, value, binding.property, hideSecrets && isSecret(binding.property)));
      continue;
    }
    const empty = value === undefined || (binding.variadic && Array.isArray(value) && value.length === 0);
    if (empty) {
      missingArgument ??= binding.property;
      continue;
    }
    // Positional arguments cannot skip a slot: a later one would land in the earlier position.
    if (missingArgument) throw new ToolInputError(`${binding.property} needs ${missingArgument} as well`);
    const words = binding.variadic ? checkedList(value, binding.property).map((item, i) => checkedString(item, `${binding.property}[${i}]`)) : [checkedString(value, binding.property)];
    positional.push(...(hideSecrets && isSecret(binding.property) ? words.map(() => placeholder(binding.name)) : words));
  }

  const server = tool.serverFlags;
  if (server.json) flags.push('--output=json');
  if (server.quiet) flags.push('--quiet');
  if (server.confirmFlag && options.confirmed) flags.push(`--${server.confirmFlag}`);
  return [...tool.words, ...flags, ...(positional.length ? ['--', ...positional] : [])];
}

/** POSIX shell quoting for a command line shown to the user (connection info). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
