// The one hand-maintained input of the tool catalogue (config/tools.json): what `mw`'s command
// metadata cannot say. Validated at load so a typo is a clear startup error, not a silent gap.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

export interface ToolAnnotationOverride {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

const CONFIRMATION_KINDS = ['destructive', 'privilege'] as const;
export type ConfirmationKind = (typeof CONFIRMATION_KINDS)[number];

export interface ConfirmationOverride {
  kind: ConfirmationKind;
  /** one plain sentence for the question */
  reason: string;
}

export interface ConfirmationFlagOverride {
  /** the command's own "do not ask" flag, passed after the user confirmed; null: the command has none */
  flag: string | null;
  reason: string;
}

/** What an input's value is. plain and secret inputs are offered; the local ones never are on a server. */
const DECLARED_INPUT_KINDS = ['plain', 'secret', 'local-path-read', 'local-path-write', 'local-program'] as const;
export type DeclaredInputKind = (typeof DECLARED_INPUT_KINDS)[number];

export interface InputOverride {
  kind: DeclaredInputKind;
  reason: string;
  /** for an input that is not offered but has a default: why mw never uses that default (otherwise the command is not a tool) */
  defaultNeverUsed?: string;
}

/** Inputs are named as on the command line: "--flag" for a flag, "<arg>" for a positional argument. */
export interface InputRule {
  /** the rule applies only when this input is given */
  when?: string;
  /** every one of these must be given */
  require?: string[];
  /** at least one of these must be given */
  atLeastOne?: string[];
  /** exactly one of these must be given */
  exactlyOne?: string[];
  /** no two of these may be given together */
  exclusive?: string[];
  /** why (shown to the model in the tool description, e.g. "otherwise mw asks for a password") */
  reason: string;
}

const VALUE_FORMATS = ['duration', 'byte-size', 'docker-size', 'integer', 'decimal', 'key-value'] as const;
export type ValueFormat = (typeof VALUE_FORMATS)[number];

export interface ToolOverrides {
  /** flag name → why the server sets it itself (never part of a tool's input) */
  serverOwnedFlags: Record<string, string>;
  /** command id ("app exec") → why it is not a tool */
  exclude: Record<string, string>;
  /** first command word → why none of its commands are tools */
  excludeTopics: Record<string, string>;
  /** command id → what it would do locally; the tool returns the command line instead of running it */
  connectionInfo: Record<string, string>;
  /** first command word → mittwald scope resource ("org" → "customer") */
  scopeResources: Record<string, string>;
  /** last command word → kind of action; anything not listed counts as a write */
  verbs: { read: string[]; update: string[]; delete: string[] };
  /** command id → every mittwald scope it needs (replaces the derived one) */
  scopes: Record<string, string[]>;
  /** command id → why the user must confirm (replaces the derived reason of a delete) */
  confirm: Record<string, ConfirmationOverride>;
  /** command id → the CLI's own non-interactive flag, where it is not --force */
  confirmationFlags: Record<string, ConfirmationFlagOverride>;
  /** "--flag" / "<arg>" (every command) or "<command id> --flag" / "<command id> <arg>" → what the value is */
  inputs: Record<string, InputOverride>;
  /** "<command id> --flag" → why mw has no context default for it although its name says so */
  notFromContext: Record<string, string>;
  /** "<command id> --flag" → why the server may leave this context id out */
  optionalContextIds: Record<string, string>;
  /** command id → combinations of inputs mw needs so that it never asks (stdin is closed) */
  inputRules: Record<string, InputRule[]>;
  /** "--flag" or "<command id> --flag" → the format of its value, where the metadata does not show it */
  valueFormats: Record<string, ValueFormat>;
  /** "<command id> <arg>" → why the argument takes any number of words */
  variadicArguments: Record<string, string>;
  annotations: Record<string, ToolAnnotationOverride>;
}

export class ToolOverridesError extends Error {
  override name = 'ToolOverridesError';
  readonly code = 'tool_overrides_invalid';
}

const reason = { type: 'string', minLength: 3 };
const reasonMap = { type: 'object', additionalProperties: reason };
const commandIdPattern = '[a-z0-9-]+( [a-z0-9-]+)*';
const commandId = `^${commandIdPattern}$`;
const inputNamePattern = '(--[a-z0-9][a-z0-9-]*|<[a-z0-9][a-z0-9-]*>)';
const inputName = { type: 'string', pattern: `^${inputNamePattern}$` };
/** "--flag", "<arg>", "app create node --flag" or "container run <args>" */
const inputKey = `^(${commandIdPattern} )?${inputNamePattern}$`;
const commandInputKey = `^${commandIdPattern} ${inputNamePattern}$`;
const wordList = { type: 'array', items: { type: 'string', pattern: '^[a-z0-9-]+$' }, uniqueItems: true };
const inputList = { type: 'array', items: inputName, minItems: 1, uniqueItems: true };
const hint = { type: 'boolean' };
/** an object whose keys match `pattern`, each holding a `value` */
const keyedBy = (pattern: string, value: object) => ({ type: 'object', propertyNames: { pattern }, additionalProperties: value });
/** an object with exactly these fields, the `required` ones always */
const record = (properties: object, required: string[]) => ({ type: 'object', required, additionalProperties: false, properties });

const overridesSchema = {
  type: 'object',
  required: [
    'serverOwnedFlags', 'exclude', 'excludeTopics', 'connectionInfo', 'scopeResources', 'verbs', 'scopes', 'confirm',
    'confirmationFlags', 'inputs', 'notFromContext', 'optionalContextIds', 'inputRules', 'valueFormats', 'variadicArguments',
    'annotations',
  ],
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    serverOwnedFlags: reasonMap,
    exclude: { ...reasonMap, propertyNames: { pattern: commandId } },
    excludeTopics: { ...reasonMap, propertyNames: { pattern: '^[a-z0-9-]+$' } },
    connectionInfo: { ...reasonMap, propertyNames: { pattern: commandId } },
    scopeResources: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9-]+$' },
      additionalProperties: { type: 'string', pattern: '^[a-z_-]+$' },
    },
    verbs: {
      type: 'object',
      required: ['read', 'update', 'delete'],
      additionalProperties: false,
      properties: { read: wordList, update: wordList, delete: wordList },
    },
    scopes: {
      type: 'object',
      propertyNames: { pattern: commandId },
      additionalProperties: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z_-]+:[a-z_-]+$' },
      },
    },
    confirm: keyedBy(commandId, record({ kind: { enum: CONFIRMATION_KINDS }, reason }, ['kind', 'reason'])),
    confirmationFlags: keyedBy(commandId, record({ flag: { type: ['string', 'null'], pattern: '^[a-z0-9][a-z0-9-]*$' }, reason }, ['flag', 'reason'])),
    inputs: keyedBy(inputKey, record({ kind: { enum: DECLARED_INPUT_KINDS }, reason, defaultNeverUsed: reason }, ['kind', 'reason'])),
    notFromContext: { ...reasonMap, propertyNames: { pattern: commandInputKey } },
    optionalContextIds: { ...reasonMap, propertyNames: { pattern: commandInputKey } },
    inputRules: keyedBy(commandId, {
      type: 'array',
      minItems: 1,
      items: {
        ...record({ when: inputName, require: inputList, atLeastOne: inputList, exactlyOne: inputList, exclusive: inputList, reason }, ['reason']),
        minProperties: 2,
      },
    }),
    valueFormats: keyedBy(inputKey, { enum: VALUE_FORMATS }),
    variadicArguments: { ...reasonMap, propertyNames: { pattern: `^${commandIdPattern} <[a-z0-9][a-z0-9-]*>$` } },
    annotations: {
      type: 'object',
      propertyNames: { pattern: commandId },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { readOnlyHint: hint, destructiveHint: hint, idempotentHint: hint, openWorldHint: hint },
      },
    },
  },
} as const;

const validateOverrides = new Ajv({ allErrors: true }).compile(overridesSchema);

function contradictions(overrides: ToolOverrides): string[] {
  const problems: string[] = [];
  const both = Object.keys(overrides.connectionInfo).filter((id) => id in overrides.exclude);
  if (both.length) problems.push(`both excluded and connection info: ${both.join(', ')}`);
  for (const [id, rules] of Object.entries(overrides.inputRules)) {
    rules.forEach((rule, index) => {
      const where = `inputRules "${id}" #${index + 1}`;
      const kinds = ['require', 'atLeastOne', 'exactlyOne', 'exclusive'].filter((k) => k in rule);
      if (kinds.length !== 1) problems.push(`${where}: needs exactly one of require, atLeastOne, exactlyOne, exclusive`);
      if (rule.when && !rule.require) problems.push(`${where}: "when" goes with "require" only`);
    });
  }
  return problems;
}

export function parseToolOverrides(value: unknown, source = 'tool overrides'): ToolOverrides {
  if (!validateOverrides(value)) {
    const problems = (validateOverrides.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ToolOverridesError(`${source}: ${problems.join('; ')}`);
  }
  const overrides = value as unknown as ToolOverrides;
  const problems = contradictions(overrides);
  if (problems.length) throw new ToolOverridesError(`${source}: ${problems.join('; ')}`);
  return overrides;
}

export function loadToolOverrides(path: string): ToolOverrides {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ToolOverridesError(`cannot read tool overrides ${path}: ${(error as Error).message}`);
  }
  return parseToolOverrides(parsed, path);
}
