// A tool's input JSON Schema and argv bindings, derived from one command's args and flags plus the
// decisions of input-policy (what may be offered), context-ids (what a server must be given),
// value-formats (durations, sizes) and input-rules (combinations that keep mw from asking). The
// schema is strict (no extra properties, capped lengths, no NUL bytes, no value mw would read as one
// of its own flags) because it is the first line of defence in front of a process spawn.
import type { CliArgument, CliCommand, CliFlag } from '../../cli/types.ts';
import { contextIdRequired } from './context-ids.ts';
import { spacedId } from './command-policy.ts';
import { compileInputRules, presenceOf, ruleMember, type RuleMember } from './input-rules.ts';
import { configuredFor, decideInput, inputKey, type CommandInput, type InputDecision } from './input-policy.ts';
import type { InputRule, ToolOverrides } from './overrides.ts';
import type { InputBinding, JsonSchemaObject, ServerFlags, ToolKind, WaitBinding } from './types.ts';
import { CONFIRM_PROPERTY } from './types.ts';
import { deriveValueFormat, durationSeconds, formatHint, VALUE_PATTERNS, type ValueFormat } from './value-formats.ts';

export const MAX_STRING_LENGTH = 4096;
export const MAX_ARRAY_ITEMS = 64;
const MAX_DESCRIPTION_LENGTH = 1024;
export const NO_NUL_BYTES = '^[^\\u0000]*$';
/** mw's `--wait-timeout` default in every version that has the flag */
const CLI_DEFAULT_WAIT_SECONDS = 600;

export interface ToolInput {
  inputSchema: JsonSchemaObject;
  bindings: InputBinding[];
  serverFlags: ServerFlags;
  secretProperties: string[];
  targetProperties: string[];
  wait?: WaitBinding;
  /** what the model must know about combining inputs, one sentence each */
  notes: string[];
  /** why the command cannot be this kind of tool (it needs an input that may not be offered) */
  blockers: string[];
  /** what the operator should look at; the tool still works */
  warnings: string[];
}

export interface ToolInputOptions {
  /** the CLI's "do not ask" flag, set by the server after confirmation (never an input) */
  confirmFlag?: string;
  /** add the `confirm` input */
  withConfirm: boolean;
}

/** `output` is a format switch only when it offers json; elsewhere (`backup download`) it is a file name. */
function isFormatFlag(flag: CliFlag): boolean {
  return flag.name === 'output' && flag.type === 'option' && (flag.options ?? []).includes('json');
}

function isServerOwned(flag: CliFlag, overrides: ToolOverrides, confirmFlag: string | undefined): boolean {
  if (flag.name === 'output') return isFormatFlag(flag);
  return flag.name in overrides.serverOwnedFlags || flag.name === confirmFlag;
}

export function serverFlagsFor(command: CliCommand, kind: ToolKind, confirmFlag?: string): ServerFlags {
  if (kind !== 'run') return { json: false, quiet: false };
  const flags = Object.values(command.flags);
  const json = flags.some(isFormatFlag);
  const quiet = !json && command.flags.quiet?.type === 'boolean';
  return { json, quiet, ...(confirmFlag ? { confirmFlag } : {}) };
}

function propertyName(cliName: string): string {
  return cliName.replaceAll('-', '_');
}

const CONTEXT_CLAUSE = /;?\s*this (flag|argument) is optional if a default [\w -]{1,60} is set in the context\.?/gi;

function describe(texts: (string | undefined)[], extra: string[]): string | undefined {
  const text = [...texts.map((t) => t?.replace(CONTEXT_CLAUSE, '')), ...extra].filter(Boolean).join('\n\n').trim();
  return text ? text.slice(0, MAX_DESCRIPTION_LENGTH) : undefined;
}

/**
 * oclif reads a flag value that looks like one of the command's flags ("--quiet", "-q…", even
 * "--constructor") as that flag and refuses the call. Values of flags may therefore not start with
 * "-" and a letter: one short rule instead of every command's flag names, so every value the schema
 * accepts reaches mw as that value. (Positional arguments come after "--" and may start with anything.)
 */
export const NOT_FLAG_LIKE = '(?!--?[A-Za-z_])';

function stringSchema(options: string[] | undefined, format: ValueFormat | undefined, flagValue = false): Record<string, unknown> {
  if (options?.length) return { type: 'string', enum: [...options] };
  const pattern = format ? VALUE_PATTERNS[format] : NO_NUL_BYTES;
  // Only free text and NAME=VALUE can start with "-"; the other formats start with a digit.
  const guarded = flagValue && (!format || format === 'key-value') ? `^${NOT_FLAG_LIKE}${pattern.slice(1)}` : pattern;
  return { type: 'string', minLength: 1, maxLength: format && format !== 'key-value' ? 64 : MAX_STRING_LENGTH, pattern: guarded };
}

function flagSchema(flag: CliFlag, format: ValueFormat | undefined, notes: string[]): Record<string, unknown> {
  // the summary where there is one, as oclif's own flag table shows it: the long text repeats it
  const description = describe([flag.summary ?? flag.description], [...(format ? [`Format: ${formatHint(format)}.`] : []), ...notes]);
  const documented = description ? { description } : {};
  if (flag.type === 'boolean') return { type: 'boolean', ...documented };
  const value = stringSchema(flag.options, format, true);
  // A required list needs an item: an empty one would leave the flag out of argv.
  const needed = flag.required && flag.default === undefined ? { minItems: 1 } : {};
  if (flag.multiple) return { type: 'array', items: value, ...needed, maxItems: MAX_ARRAY_ITEMS, ...documented };
  const defaultText = flag.default !== undefined && typeof flag.default !== 'object' ? String(flag.default) : undefined;
  // A default mw only prints ("1GiB") but would not parse is no help to the model.
  const valid = (text: string) => (value.enum ? (value.enum as string[]).includes(text) : new RegExp(String(value.pattern), 'u').test(text));
  return { ...value, ...documented, ...(defaultText !== undefined && valid(defaultText) ? { default: defaultText } : {}) };
}

function argumentSchema(arg: CliArgument, variadic: boolean, notes: string[]): Record<string, unknown> {
  const description = describe([arg.description], notes);
  const documented = description ? { description } : {};
  const value = stringSchema(arg.options, undefined);
  if (variadic) return { type: 'array', items: value, ...(arg.required && arg.default === undefined ? { minItems: 1 } : {}), maxItems: MAX_ARRAY_ITEMS, ...documented };
  return { ...value, ...documented, ...(arg.default !== undefined ? { default: arg.default } : {}) };
}

function confirmSchema(): Record<string, unknown> {
  return {
    type: 'boolean',
    description:
      'Set to true only after the user explicitly agreed to this operation (for clients the server cannot ask itself).',
  };
}

function hasDefault(input: CommandInput): boolean {
  const value = input.kind === 'flag' ? input.flag.default : input.arg.default;
  return value !== undefined && value !== false && value !== '' && !(Array.isArray(value) && value.length === 0);
}

/** The CLI needs a value and has no default of its own (`user get [USER-ID]` defaults to "self"). */
function isRequired(input: CommandInput): boolean {
  return input.kind === 'flag' ? input.flag.required && input.flag.default === undefined : input.arg.required && input.arg.default === undefined;
}

/** The rules of the CLI metadata itself: exclusive flags and flags that need others. */
function metadataRules(flags: CliFlag[]): InputRule[] {
  const rules: InputRule[] = [];
  const pairs = new Set<string>();
  for (const flag of flags) {
    for (const other of flag.exclusive ?? []) {
      const pair = [flag.name, other].sort().join(' ');
      if (pairs.has(pair) || other === flag.name) continue;
      pairs.add(pair);
      rules.push({ exclusive: [`--${flag.name}`, `--${other}`], reason: 'mw refuses them together' });
    }
    if (flag.dependsOn?.length) {
      rules.push({ when: `--${flag.name}`, require: flag.dependsOn.map((n) => `--${n}`), reason: 'mw needs them together' });
    }
  }
  return rules;
}

const SERVER_HAS_NO_CONTEXT = 'a server has no mw context to take it from';

export function buildToolInput(command: CliCommand, kind: ToolKind, overrides: ToolOverrides, options: ToolInputOptions): ToolInput {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  const bindings: InputBinding[] = [];
  const secretProperties: string[] = [];
  const blockers: string[] = [];
  const warnings: string[] = [];
  const members = new Map<string, RuleMember>();
  const contextRules: InputRule[] = [];
  const slotRules: InputRule[] = [];
  const taken = new Set<string>(options.withConfirm ? [CONFIRM_PROPERTY] : []);
  const claim = (cliName: string, suffix: string): string => {
    let name = propertyName(cliName);
    while (taken.has(name)) name = `${name}${suffix}`;
    taken.add(name);
    return name;
  };
  const id = spacedId(command.id);

  /** Not offered: a placeholder (connection info), or a reason the command is no tool (run). */
  const withhold = (input: CommandInput, decision: InputDecision): void => {
    const key = inputKey(input);
    if (decision.kind === 'unknown-local') warnings.push(`${id} ${key}: not offered: it ${decision.reason}`);
    if (kind === 'connection-info') {
      if (isRequired(input)) {
        const name = input.kind === 'flag' ? input.flag.name : input.arg.name;
        bindings.push({ kind: 'placeholder', name, ...(input.kind === 'flag' ? { flag: input.flag } : {}) });
      }
      return;
    }
    if (isRequired(input)) blockers.push(`it needs ${key}, which ${decision.reason}`);
    else if (hasDefault(input) && !decision.defaultNeverUsed) {
      blockers.push(`mw would use the default of ${key}, which ${decision.reason}, on the server`);
    }
  };

  const visibleFlags = Object.values(command.flags).filter((flag) => !flag.hidden);
  const offeredFlags: { flag: CliFlag; decision: InputDecision }[] = [];
  for (const flag of visibleFlags) {
    if (isServerOwned(flag, overrides, options.confirmFlag)) continue;
    const input: CommandInput = { kind: 'flag', flag };
    const decision = decideInput(command, input, overrides);
    if (decision.offered) offeredFlags.push({ flag, decision });
    else withhold(input, decision);
  }
  // Arguments come first in argv, but flags claim names first: flag names are the stable ones.
  const flagProperties = offeredFlags.map(({ flag }) => claim(flag.name, '_flag'));

  let slotsEnded = false;
  command.args.forEach((arg, index) => {
    const input: CommandInput = { kind: 'argument', arg };
    const key = inputKey(input);
    const decision = decideInput(command, input, overrides);
    // A withheld argument ends the positional slots: a later one would land in its place.
    if (slotsEnded || !decision.offered) {
      if (!slotsEnded) withhold(input, decision);
      else if (isRequired(input)) withhold(input, { ...decision, reason: `comes after an argument the tool does not take` });
      slotsEnded = true;
      return;
    }
    const variadic = configuredFor(overrides.variadicArguments, command.id, key) !== undefined && index === command.args.length - 1;
    const property = claim(arg.name, '_argument');
    const fromContext = contextIdRequired(command, input, overrides);
    const needed = isRequired(input) || fromContext;
    properties[property] = argumentSchema(arg, variadic, fromContext ? [`Required here: ${SERVER_HAS_NO_CONTEXT}.`] : []);
    if (needed) required.push(property);
    if (decision.kind === 'secret') secretProperties.push(property);
    bindings.push({ property, kind: 'argument', name: arg.name, ...(variadic ? { variadic: true } : {}) });
    members.set(key, ruleMember(key, property, variadic ? 'items' : 'set'));
    // Positional arguments fill their slots in order: a later one needs the one before it.
    const previous = command.args[index - 1];
    if (previous && !needed && !required.includes(members.get(`<${previous.name}>`)?.property ?? '')) {
      slotRules.push({ when: key, require: [`<${previous.name}>`], reason: 'arguments fill their places in order' });
    }
  });

  offeredFlags.forEach(({ flag, decision }, index) => {
    const property = flagProperties[index];
    const input: CommandInput = { kind: 'flag', flag };
    const key = inputKey(input);
    const format = deriveValueFormat(flag, configuredFor(overrides.valueFormats, command.id, key));
    const fromContext = contextIdRequired(command, input, overrides);
    // A context id with alternatives (cronjob create: --installation-id or --container-id) needs one of them.
    const partners = fromContext ? (flag.exclusive ?? []).map((name) => `--${name}`).filter((k) => k !== key) : [];
    if (partners.length) contextRules.push({ atLeastOne: [key, ...partners], reason: `${SERVER_HAS_NO_CONTEXT}, give one of them` });
    const contextNote = fromContext ? [`Required here${partners.length ? ' (or its alternative)' : ''}: ${SERVER_HAS_NO_CONTEXT}.`] : [];
    properties[property] = flagSchema(flag, format, contextNote);
    if ((flag.required && flag.default === undefined) || (fromContext && !partners.length)) required.push(property);
    if (decision.kind === 'secret') secretProperties.push(property);
    bindings.push({ property, kind: 'flag', flag });
    members.set(key, ruleMember(key, property, presenceOf(flag)));
  });

  const rules = [...metadataRules(visibleFlags), ...slotRules, ...contextRules, ...(overrides.inputRules[id] ?? [])];
  const isCommandInput = (key: string) =>
    key.startsWith('--') ? Object.hasOwn(command.flags, key.slice(2)) : command.args.some((arg) => `<${arg.name}>` === key);
  const compiled = compileInputRules(rules, (key) => members.get(key) ?? (isCommandInput(key) ? 'not-offered' : undefined));
  for (const problem of compiled.unsatisfiable) blockers.push(problem);
  const unknown = [...new Set(compiled.unknownInputs)];
  if (unknown.length) warnings.push(`${id}: config/tools.json names ${unknown.join(', ')}, which the command does not have`);
  for (const property of compiled.required) if (!required.includes(property)) required.push(property);

  if (options.withConfirm) properties[CONFIRM_PROPERTY] = confirmSchema();
  // What the command acts on: its required positional arguments (in order) and every id.
  const namesAnObject = (name: string) => name === 'id' || name === 'name' || name.endsWith('-id');
  const targetProperties = bindings
    .filter((b): b is Extract<InputBinding, { property: string }> => b.property !== undefined)
    .filter((b) => (b.kind === 'argument' ? required.includes(b.property) || namesAnObject(b.name) : b.flag.name.endsWith('-id')))
    .map((b) => b.property)
    .filter((p) => !secretProperties.includes(p));

  return {
    inputSchema: {
      type: 'object',
      properties,
      ...(required.length ? { required } : {}),
      ...(Object.keys(compiled.dependentRequired).length ? { dependentRequired: compiled.dependentRequired } : {}),
      ...(compiled.allOf.length ? { allOf: compiled.allOf } : {}),
      additionalProperties: false,
    },
    bindings,
    serverFlags: serverFlagsFor(command, kind, options.confirmFlag),
    secretProperties,
    targetProperties,
    ...waitBinding(offeredFlags.map((o) => o.flag), bindings),
    notes: compiled.notes,
    blockers,
    warnings,
  };
}

/** `--wait` (and `--wait-timeout`): how long the server must let the call run when it waits. */
function waitBinding(flags: CliFlag[], bindings: InputBinding[]): { wait?: WaitBinding } {
  const propertyOf = (name: string) => bindings.find((b) => b.kind === 'flag' && b.flag.name === name)?.property;
  const wait = flags.find((f) => f.name === 'wait' && f.type === 'boolean');
  if (!wait) return {};
  const timeout = flags.find((f) => f.name === 'wait-timeout' && f.type === 'option');
  const fallback = timeout?.default;
  const defaultTimeoutSeconds =
    (typeof fallback === 'number' ? fallback : typeof fallback === 'string' ? durationSeconds(fallback) : undefined) ?? CLI_DEFAULT_WAIT_SECONDS;
  const timeoutProperty = timeout ? propertyOf(timeout.name) : undefined;
  return { wait: { property: propertyOf(wait.name)!, ...(timeoutProperty ? { timeoutProperty } : {}), defaultTimeoutSeconds } };
}
