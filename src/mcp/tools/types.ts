// What a generated tool is. The catalogue builds these once at start from the CLI metadata;
// everything at request time (listing, validating, argv, results) reads them.
import type { CliFlag } from '../../cli/types.ts';

export type ToolKind =
  /** runs `mw` for the user */
  | 'run'
  /** returns the command line the user runs on their own machine (ssh, shells, local files) */
  | 'connection-info';

export interface ToolAnnotations {
  title: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** How one input property becomes part of argv. */
export type InputBinding =
  /** a positional argument; a variadic one takes a list and must be the last */
  | { property: string; kind: 'argument'; name: string; variadic?: boolean }
  | { property: string; kind: 'flag'; flag: CliFlag }
  /**
   * connection-info tools only: a required input the tool does not take (a local file, a program),
   * shown as `<NAME>` in the command line for the user to fill in
   */
  | { property?: undefined; kind: 'placeholder'; name: string; flag?: CliFlag };

/** Flags the server adds itself, decided from the command's metadata and config/tools.json. */
export interface ServerFlags {
  /** `--output=json`: the command's output flag offers json */
  json: boolean;
  /** `--quiet`: no json output, but a quiet mode whose stdout is the new id */
  quiet: boolean;
  /**
   * the CLI's own "do not ask" flag (`force`, `consent`, …), passed only after the user confirmed;
   * undefined when the command asks nothing (or its `--force` means something else, as in `container recreate`)
   */
  confirmFlag?: string;
}

/** A tool's input schema (JSON Schema 2020-12, MCP's default dialect). */
export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  /** property → the properties it needs alongside */
  dependentRequired?: Record<string, string[]>;
  /** combinations: exclusive inputs (not), one of several (anyOf / oneOf), conditional needs (if / then) */
  allOf?: Record<string, unknown>[];
  additionalProperties: false;
}

export interface ToolDefinition {
  /** mittwald_<command words>, '-' → '_' */
  name: string;
  /** oclif id, e.g. "database:mysql:create" */
  commandId: string;
  /** the id as argv words, e.g. ["database", "mysql", "create"] */
  words: string[];
  topic: string;
  kind: ToolKind;
  title: string;
  description: string;
  inputSchema: JsonSchemaObject;
  annotations: ToolAnnotations;
  /** every mittwald scope the grant needs for this tool */
  scopes: string[];
  /** nothing runs before the user confirmed (the server asks, or `confirm: true` after the user agreed) */
  needsConfirmation: boolean;
  /** why the user must confirm, shown in the question; present exactly when needsConfirmation */
  confirmation?: ConfirmationPolicy;
  /** input properties naming what the command acts on (ids), in the order a question lists them */
  targetProperties: string[];
  /** input properties holding secrets (passwords, tokens): never in logs, questions, errors or command lines */
  secretProperties: string[];
  /** the command can wait for its work to finish: how long the server must let it run */
  wait?: WaitBinding;
  /** positional arguments first, in order, then flags */
  bindings: InputBinding[];
  serverFlags: ServerFlags;
}

export interface ConfirmationPolicy {
  /** destructive: removes or replaces something; privilege: grants access or hands out credentials */
  kind: 'destructive' | 'privilege';
  /** one plain sentence for the question, e.g. "deletes the project and everything in it" */
  reason: string;
}

/**
 * A command with `--wait` (and usually `--wait-timeout`): when the input asks it to wait, the
 * server's time limit for the call is at least the wait time (capped by the server's maximum).
 */
export interface WaitBinding {
  /** boolean input property that turns waiting on */
  property: string;
  /** input property with the wait time in the CLI's duration format ("90s", "10m"), if the command has one */
  timeoutProperty?: string;
  /** the CLI's own default wait time when timeoutProperty is not given */
  defaultTimeoutSeconds: number;
}

export interface ExcludedCommand {
  commandId: string;
  reason: string;
}

export interface ToolCatalogue {
  cliVersion: string;
  /**
   * Layer 1 of the wall between users, as the start log and /readyz report it: `flag-policy` when
   * no tool input names a local file, directory, program or the CLI's local context (unset: none).
   */
  inputPolicy?: 'flag-policy';
  /** the tools this server offers (after operator narrowing), sorted by name */
  tools: ToolDefinition[];
  /** commands that are not tools, each with the reason */
  excluded: ExcludedCommand[];
  /** things an operator should look at (unknown scopes, name clashes); the catalogue still works */
  warnings: string[];
  /** an offered tool by name */
  get(name: string): ToolDefinition | undefined;
}

/** The name of the input property that confirms a tool for clients the server cannot ask. */
export const CONFIRM_PROPERTY = 'confirm';
