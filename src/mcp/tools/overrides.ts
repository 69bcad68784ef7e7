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
  /** command id → why it needs confirmation although its verb is not a delete */
  confirm: Record<string, string>;
  annotations: Record<string, ToolAnnotationOverride>;
}

export class ToolOverridesError extends Error {
  override name = 'ToolOverridesError';
  readonly code = 'tool_overrides_invalid';
}

const reasonMap = { type: 'object', additionalProperties: { type: 'string', minLength: 3 } };
const commandId = '^[a-z0-9-]+( [a-z0-9-]+)*$';
const wordList = { type: 'array', items: { type: 'string', pattern: '^[a-z0-9-]+$' }, uniqueItems: true };
const hint = { type: 'boolean' };

const overridesSchema = {
  type: 'object',
  required: ['serverOwnedFlags', 'exclude', 'excludeTopics', 'connectionInfo', 'scopeResources', 'verbs', 'scopes', 'confirm', 'annotations'],
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
    confirm: { ...reasonMap, propertyNames: { pattern: commandId } },
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

export function parseToolOverrides(value: unknown, source = 'tool overrides'): ToolOverrides {
  if (!validateOverrides(value)) {
    const problems = (validateOverrides.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new ToolOverridesError(`${source}: ${problems.join('; ')}`);
  }
  const overrides = value as unknown as ToolOverrides;
  const contradictions = Object.keys(overrides.connectionInfo).filter((id) => id in overrides.exclude);
  if (contradictions.length) {
    throw new ToolOverridesError(`${source}: both excluded and connection info: ${contradictions.join(', ')}`);
  }
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
