// Checks tool arguments against the tool's generated JSON Schema (2020-12, MCP's default dialect)
// before anything runs. Validators are compiled on first use and kept: a server offers ~170 tools,
// most never called. Error texts say what to change, in the words of the schema's own descriptions.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ToolInputError } from './errors.ts';
import type { ToolDefinition } from './types.ts';
import { formatHint, formatOfPattern } from './value-formats.ts';

const RULE_PATH = /^#\/allOf\/(\d+)\//;

function where(error: ErrorObject): string {
  return error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'arguments';
}

/** One error in plain words; a broken combination rule (exclusive inputs, one of several) is named by its own description. */
function describeError(error: ErrorObject, tool: ToolDefinition): string {
  const rule = RULE_PATH.exec(error.schemaPath);
  const ruleText = rule ? tool.inputSchema.allOf?.[Number(rule[1])]?.description : undefined;
  if (typeof ruleText === 'string') return ruleText;
  if (error.keyword === 'additionalProperties') return `unknown property ${String(error.params.additionalProperty)}`;
  if (error.keyword === 'pattern') {
    const pattern = String(error.params.pattern);
    const format = formatOfPattern(pattern);
    const flagLike = pattern.startsWith('^(?!') ? ' and must not start with "-" and a letter (mw would read it as a flag)' : '';
    return format ? `${where(error)} must be ${formatHint(format)}${flagLike}` : `${where(error)} must not contain NUL bytes${flagLike}`;
  }
  if (error.keyword === 'enum') return `${where(error)} must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'dependentRequired') {
    return `${String(error.params.property)} needs ${String(error.params.missingProperty)} as well`;
  }
  return `${where(error)} ${error.message ?? 'is invalid'}`;
}

export function createInputValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const compiled = new Map<string, ValidateFunction>();

  return function validateToolInput(tool: ToolDefinition, input: unknown): Record<string, unknown> {
    const args = input ?? {};
    let validate = compiled.get(tool.name);
    if (!validate) {
      validate = ajv.compile(tool.inputSchema);
      compiled.set(tool.name, validate);
    }
    if (!validate(args)) {
      const problems = [...new Set((validate.errors ?? []).map((error) => describeError(error, tool)))];
      throw new ToolInputError(`invalid arguments for ${tool.name}: ${problems.join('; ')}`);
    }
    return args as Record<string, unknown>;
  };
}

export type ToolInputValidator = ReturnType<typeof createInputValidator>;
