// Tool input → `mw` argv. The most security-critical code of the MCP side: a tool input must never
// become a flag the user did not ask for. So: every flag value is one `--name=value` element (a
// value starting with '-' stays a value), booleans are bare `--name` / `--no-name`, and positional
// arguments come after the `--` end-of-options marker (oclif treats everything after it as
// arguments). This re-checks types even though the schema was validated: defence in depth.
import type { CliFlag } from '../../cli/types.ts';
import { ToolInputError } from './errors.ts';
import { MAX_ARRAY_ITEMS, MAX_STRING_LENGTH } from './input-schema.ts';
import type { ToolDefinition } from './types.ts';

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

function flagElements(flag: CliFlag, value: unknown, property: string): string[] {
  if (!FLAG_NAME.test(flag.name)) throw new ToolInputError(`flag ${flag.name} cannot be passed safely`);
  if (flag.type === 'boolean') {
    if (typeof value !== 'boolean') throw new ToolInputError(`${property} must be true or false`);
    if (value) return [`--${flag.name}`];
    return flag.allowNo ? [`--no-${flag.name}`] : [];
  }
  if (!flag.multiple) return [`--${flag.name}=${checkedOption(value, property, flag.options)}`];
  if (!Array.isArray(value)) throw new ToolInputError(`${property} must be a list`);
  if (value.length > MAX_ARRAY_ITEMS) throw new ToolInputError(`${property} has more than ${MAX_ARRAY_ITEMS} items`);
  return value.map((item, index) => {
    const text = checkedOption(item, `${property}[${index}]`, flag.options);
    // oclif would split the item at the delimiter into several values.
    if (flag.delimiter && text.includes(flag.delimiter)) {
      throw new ToolInputError(`${property}[${index}] must not contain "${flag.delimiter}"; pass separate items`);
    }
    return `--${flag.name}=${text}`;
  });
}

export interface ArgvOptions {
  /** the user confirmed a destructive command: add --force where the command has it */
  confirmed: boolean;
}

export function buildArgv(tool: ToolDefinition, input: Record<string, unknown>, options: ArgvOptions): string[] {
  const known = new Set(tool.bindings.map((b) => b.property));
  for (const property of Object.keys(input)) {
    if (!known.has(property) && !(tool.needsConfirmation && property === 'confirm')) {
      throw new ToolInputError(`unknown property ${property}`);
    }
  }

  const flags: string[] = [];
  const positional: string[] = [];
  let missingArgument: string | undefined;
  for (const binding of tool.bindings) {
    const value = input[binding.property];
    if (binding.kind === 'flag') {
      if (value !== undefined) flags.push(...flagElements(binding.flag, value, binding.property));
      continue;
    }
    if (value === undefined) {
      missingArgument ??= binding.property;
      continue;
    }
    // Positional arguments cannot skip a slot: a later one would land in the earlier position.
    if (missingArgument) throw new ToolInputError(`${binding.property} needs ${missingArgument} as well`);
    positional.push(checkedString(value, binding.property));
  }

  const server = tool.serverFlags;
  if (server.json) flags.push('--output=json');
  if (server.quiet) flags.push('--quiet');
  if (server.force && options.confirmed) flags.push('--force');
  return [...tool.words, ...flags, ...(positional.length ? ['--', ...positional] : [])];
}

/** POSIX shell quoting for a command line shown to the user (connection info). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
