// oclif's cached command metadata (from a manifest or from Config.load) reduced to the CliCommand
// shape: arguments as an ordered list, only the fields the server uses, nothing undefined.
import type { CliArgument, CliCommand, CliCommandSet, CliFlag } from './types.ts';

type Raw = Record<string, unknown>;

export function normaliseCommandSet(cliVersion: string, rawCommands: unknown[]): CliCommandSet {
  const byId = new Map<string, CliCommand>();
  for (const raw of rawCommands) {
    if (!isRecord(raw) || typeof raw.id !== 'string') continue;
    const aliases = stringList(raw.aliases) ?? [];
    // oclif's Config lists every alias once more as a copy of its command under the alias id.
    if (aliases.includes(raw.id) || byId.has(raw.id)) continue;
    byId.set(raw.id, normaliseCommand(raw, raw.id, aliases));
  }
  const commands = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  return { cliVersion, commands };
}

function normaliseCommand(raw: Raw, id: string, aliases: string[]): CliCommand {
  const args = isRecord(raw.args) ? Object.entries(raw.args) : [];
  const flags = isRecord(raw.flags) ? Object.entries(raw.flags) : [];
  return definedOnly({
    id,
    summary: text(raw.summary),
    description: text(raw.description),
    hidden: raw.hidden === true,
    aliases,
    // Object key order is declaration order, which is the positional order.
    args: args.filter(([, arg]) => isRecord(arg)).map(([name, arg]) => normaliseArgument(name, arg as Raw)),
    flags: Object.fromEntries(
      flags.filter(([, flag]) => isRecord(flag)).map(([name, flag]) => [name, normaliseFlag(name, flag as Raw)]),
    ),
  });
}

function normaliseArgument(name: string, raw: Raw): CliArgument {
  return definedOnly({
    name,
    description: text(raw.description),
    required: raw.required === true,
    options: stringList(raw.options),
    default: raw.default === undefined || raw.default === null ? undefined : String(raw.default),
  });
}

function normaliseFlag(name: string, raw: Raw): CliFlag {
  const boolean = raw.type === 'boolean';
  return definedOnly({
    name,
    type: boolean ? 'boolean' : 'option',
    char: text(raw.char),
    summary: text(raw.summary),
    description: text(raw.description),
    required: raw.required === true,
    multiple: raw.multiple === true,
    options: stringList(raw.options),
    default: isJsonValue(raw.default) ? raw.default : undefined,
    allowNo: boolean ? raw.allowNo === true : undefined,
    delimiter: text(raw.delimiter),
    hidden: raw.hidden === true ? true : undefined,
    helpGroup: text(raw.helpGroup),
    exclusive: stringList(raw.exclusive),
    dependsOn: stringList(raw.dependsOn),
  });
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

function isJsonValue(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== 'function';
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
