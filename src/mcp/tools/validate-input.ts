// Checks tool arguments against the tool's generated JSON Schema before anything runs.
// Validators are compiled on first use and kept: a server offers ~150 tools, most never called.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ToolInputError } from './errors.ts';
import type { ToolDefinition } from './types.ts';

function describeError(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : 'arguments';
  if (error.keyword === 'additionalProperties') {
    return `unknown property ${String(error.params.additionalProperty)}`;
  }
  if (error.keyword === 'pattern') return `${where} must not contain NUL bytes`;
  if (error.keyword === 'enum') return `${where} must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

export function createInputValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const compiled = new Map<string, ValidateFunction>();

  return function validateToolInput(tool: ToolDefinition, input: unknown): Record<string, unknown> {
    const args = input ?? {};
    let validate = compiled.get(tool.name);
    if (!validate) {
      validate = ajv.compile(tool.inputSchema);
      compiled.set(tool.name, validate);
    }
    if (!validate(args)) {
      const problems = [...new Set((validate.errors ?? []).map(describeError))];
      throw new ToolInputError(`invalid arguments for ${tool.name}: ${problems.join('; ')}`);
    }
    return args as Record<string, unknown>;
  };
}

export type ToolInputValidator = ReturnType<typeof createInputValidator>;
