// A tool's input JSON Schema and argv bindings, derived from one command's args and flags.
// The schema is strict (no extra properties, capped lengths, no NUL bytes) because it is the
// first line of defence in front of a process spawn.
import type { CliArgument, CliCommand, CliFlag } from '../../cli/types.ts';
import type { InputBinding, JsonSchemaObject, ServerFlags, ToolKind } from './types.ts';
import { CONFIRM_PROPERTY } from './types.ts';

export const MAX_STRING_LENGTH = 4096;
export const MAX_ARRAY_ITEMS = 64;
const MAX_DESCRIPTION_LENGTH = 1024;
const NO_NUL_BYTES = '^[^\\u0000]*$';

export interface ToolInput {
  inputSchema: JsonSchemaObject;
  bindings: InputBinding[];
  serverFlags: ServerFlags;
}

/** `output` is a format switch only when it offers json; elsewhere (`backup download`) it is a file name. */
function isFormatFlag(flag: CliFlag): boolean {
  return flag.name === 'output' && flag.type === 'option' && (flag.options ?? []).includes('json');
}

function isServerOwned(flag: CliFlag, serverOwnedFlags: Record<string, string>): boolean {
  if (flag.name === 'output') return isFormatFlag(flag);
  return flag.name in serverOwnedFlags;
}

export function serverFlagsFor(command: CliCommand, kind: ToolKind): ServerFlags {
  if (kind !== 'run') return { json: false, quiet: false, force: false };
  const flags = Object.values(command.flags);
  const json = flags.some(isFormatFlag);
  const has = (name: string) => command.flags[name]?.type === 'boolean';
  return { json, quiet: !json && has('quiet'), force: has('force') };
}

function propertyName(cliName: string): string {
  return cliName.replaceAll('-', '_');
}

function describe(summary?: string, description?: string): string | undefined {
  const text = [summary, description].filter(Boolean).join('\n\n').trim();
  return text ? text.slice(0, MAX_DESCRIPTION_LENGTH) : undefined;
}

function stringSchema(options: string[] | undefined): Record<string, unknown> {
  if (options?.length) return { type: 'string', enum: [...options] };
  return { type: 'string', minLength: 1, maxLength: MAX_STRING_LENGTH, pattern: NO_NUL_BYTES };
}

function flagSchema(flag: CliFlag): Record<string, unknown> {
  const description = describe(flag.summary, flag.description);
  const documented = description ? { description } : {};
  if (flag.type === 'boolean') return { type: 'boolean', ...documented };
  const value = stringSchema(flag.options);
  const withDefault = flag.default !== undefined && typeof flag.default !== 'object' ? { default: String(flag.default) } : {};
  if (flag.multiple) return { type: 'array', items: value, maxItems: MAX_ARRAY_ITEMS, ...documented };
  return { ...value, ...documented, ...withDefault };
}

function argumentSchema(arg: CliArgument): Record<string, unknown> {
  const description = describe(arg.description);
  return {
    ...stringSchema(arg.options),
    ...(description ? { description } : {}),
    ...(arg.default !== undefined ? { default: arg.default } : {}),
  };
}

function confirmSchema(): Record<string, unknown> {
  return {
    type: 'boolean',
    description: 'Set to true to confirm this destructive operation. Without it nothing is run.',
  };
}

export function buildToolInput(
  command: CliCommand,
  kind: ToolKind,
  serverOwnedFlags: Record<string, string>,
  withConfirm: boolean,
): ToolInput {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  const bindings: InputBinding[] = [];
  const taken = new Set<string>(withConfirm ? [CONFIRM_PROPERTY] : []);
  const claim = (cliName: string, suffix: string): string => {
    let name = propertyName(cliName);
    while (taken.has(name)) name = `${name}${suffix}`;
    taken.add(name);
    return name;
  };

  const flags = Object.values(command.flags).filter((flag) => !flag.hidden && !isServerOwned(flag, serverOwnedFlags));
  const flagProperties = flags.map((flag) => claim(flag.name, '_flag'));
  // Arguments come first in argv, but flags claim names first: flag names are the stable ones.
  for (const arg of command.args) {
    const property = claim(arg.name, '_argument');
    properties[property] = argumentSchema(arg);
    if (arg.required) required.push(property);
    bindings.push({ property, kind: 'argument', name: arg.name });
  }
  flags.forEach((flag, index) => {
    const property = flagProperties[index];
    properties[property] = flagSchema(flag);
    if (flag.required && flag.default === undefined) required.push(property);
    bindings.push({ property, kind: 'flag', flag });
  });
  if (withConfirm) properties[CONFIRM_PROPERTY] = confirmSchema();

  return {
    inputSchema: {
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      additionalProperties: false,
    },
    bindings,
    serverFlags: serverFlagsFor(command, kind),
  };
}
