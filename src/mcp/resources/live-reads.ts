// The resource templates and the id lists behind completions, each mapped to one read-only `mw`
// command. They run through the tool caller (call-tool.ts) like any tool call: the same scopes,
// step-up, runner, child isolation and limits; only the result is shaped as a resource.
import { type CallToolResult, isInputRequiredResult } from '@modelcontextprotocol/server';
import type { CliCommandSet } from '../../cli/types.ts';
import type { ToolCallContext, ToolCaller } from '../tools/call-tool.ts';
import { defineReadCommand } from '../tools/catalogue.ts';
import { askingConfirmer } from '../tools/confirmation.ts';
import { ToolError, ToolInputError } from '../tools/errors.ts';
import type { ToolOverrides } from '../tools/overrides.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ResourceAnnotations } from './guides.ts';
import { type IdKind, idRule, isIdOf } from './ids.ts';

export interface LiveTemplate {
  uriTemplate: string;
  name: string;
  title: string;
  description: string;
  mimeType: 'application/json' | 'application/yaml';
  annotations: ResourceAnnotations;
  /** the template's one variable, and what it holds */
  variable: IdKind;
  /** the command that reads it, and the input property the variable fills */
  command: ToolDefinition;
  property: string;
  /** mw prints a file (YAML): handed on as printed, not as cleaned terminal text */
  rawOutput: boolean;
  /** the URI with the variable's value in group 1 (derived from uriTemplate) */
  pattern: RegExp;
  /** what every URI of this template starts with (a bad id under it is invalid params, not unknown) */
  prefix: string;
}

interface TemplateSpec extends Omit<LiveTemplate, 'command' | 'pattern' | 'prefix'> {
  commandId: string;
}

const escapedForRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** prefix and pattern of a template with one variable, from its uriTemplate (a value holds no / ? #) */
function uriMatcher(uriTemplate: string): Pick<LiveTemplate, 'pattern' | 'prefix'> {
  const [prefix, rest = ''] = uriTemplate.split(/\{\w+\}/);
  return { prefix, pattern: new RegExp(`^${escapedForRegExp(prefix)}([^/?#]*)${escapedForRegExp(rest)}$`) };
}

const TEMPLATE_SPECS: TemplateSpec[] = [
  {
    uriTemplate: 'mittwald://project/{projectId}',
    name: 'project',
    title: 'Project',
    description: 'One of your projects as mw project get shows it: server, status, directories, features (JSON).',
    mimeType: 'application/json',
    annotations: { audience: ['assistant'], priority: 0.5 },
    variable: 'projectId',
    commandId: 'project:get',
    property: 'project_id',
    rawOutput: false,
  },
  {
    uriTemplate: 'mittwald://app/{appInstallationId}',
    name: 'app-installation',
    title: 'App installation',
    description: 'One app installation as mw app get shows it: app, version, path, project (JSON).',
    mimeType: 'application/json',
    annotations: { audience: ['assistant'], priority: 0.5 },
    variable: 'appInstallationId',
    commandId: 'app:get',
    property: 'installation_id',
    rawOutput: false,
  },
  {
    uriTemplate: 'mittwald://ddev/{appInstallationId}/config.yaml',
    name: 'ddev-config',
    title: 'DDEV config of an app installation',
    description:
      'The .ddev/config.yaml for developing an app installation locally with DDEV, as mw ddev render-config prints it. ' +
      'Save it in the project directory on your machine, then run ddev start.',
    mimeType: 'application/yaml',
    annotations: { audience: ['user', 'assistant'], priority: 0.4 },
    variable: 'appInstallationId',
    commandId: 'ddev:render-config',
    property: 'installation_id',
    rawOutput: true,
  },
];

/** The lists completions draw ids from. */
export interface IdSources {
  projects?: ToolDefinition;
  /** lists the installations of one project (mw app list --project-id) */
  apps?: ToolDefinition;
}

export interface LiveReads {
  templates: LiveTemplate[];
  idSources: IdSources;
  /** commands the installed CLI lacks (or that are not safe): their templates are left out */
  warnings: string[];
}

export function buildLiveReads(commandSet: CliCommandSet, overrides: ToolOverrides, knownScopes?: readonly string[]): LiveReads {
  const warnings: string[] = [];
  /** the command, if the CLI has it, it only reads, and it takes `property` (when named) */
  const define = (commandId: string, property?: string) => {
    const command = defineReadCommand(commandSet, commandId, overrides, knownScopes);
    if (command && (!property || command.bindings.some((binding) => binding.property === property))) return command;
    warnings.push(`mw ${commandId.replaceAll(':', ' ')}: missing, not read-only or without ${property ?? 'a safe input'}; what reads through it is left out`);
    return undefined;
  };
  const templates: LiveTemplate[] = [];
  for (const { commandId, ...spec } of TEMPLATE_SPECS) {
    const command = define(commandId, spec.property);
    if (command) templates.push({ ...spec, ...uriMatcher(spec.uriTemplate), command });
  }
  return { templates, idSources: { projects: define('project:list'), apps: define('app:list', 'project_id') }, warnings };
}

export interface TemplateMatch {
  template: LiveTemplate;
  id: string;
}

/**
 * The template a URI belongs to and its variable. Undefined for a URI no template has; a URI of a
 * template with a malformed id (or one percent-encoded into something else) is invalid params.
 */
export function matchTemplate(templates: LiveTemplate[], uri: string): TemplateMatch | undefined {
  for (const template of templates) {
    if (!uri.startsWith(template.prefix)) continue;
    const raw = template.pattern.exec(uri)?.[1];
    let id: string | undefined;
    try {
      id = raw === undefined ? undefined : decodeURIComponent(raw);
    } catch {
      id = undefined;
    }
    if (id === undefined || !isIdOf(template.variable, id)) {
      throw new ToolInputError(`${template.uriTemplate}: ${idRule(template.variable)}`);
    }
    return { template, id };
  }
  return undefined;
}

/** The command reading a URI, if it is a well-formed one of a template (for the scope check before the SDK). */
export function templateCommand(templates: LiveTemplate[], uri: string): ToolDefinition | undefined {
  try {
    return matchTemplate(templates, uri)?.template.command;
  } catch {
    return undefined; // malformed: refused as invalid params later, nothing runs
  }
}

/** Nobody can be asked here: a read that needed confirmation would be refused (none does: each command only reads). */
const NO_ONE_TO_ASK = askingConfirmer(undefined);

/** One read through the tool caller, as a tool call with the same scopes, runner, child and limits. */
export async function readThrough(
  callTool: ToolCaller,
  command: ToolDefinition,
  input: Record<string, string>,
  context: Pick<ToolCallContext, 'access' | 'signal' | 'rawOutput'>,
): Promise<CallToolResult> {
  const result = await callTool(command, input, { ...context, confirm: NO_ONE_TO_ASK });
  if (isInputRequiredResult(result)) throw new ToolError('cli_failure', `mw ${command.words.join(' ')} asked for input a read cannot give`);
  return result;
}
