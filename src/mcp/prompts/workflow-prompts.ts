// Workflow prompts: the jobs users of a hosting account run again and again, written as the first
// message to the model, naming the tools to use and the guides to read. Each tool named here exists
// in the catalogue (test/mcp/resources.test.ts); ids are checked before they go into the text.
import { ToolInputError } from '../tools/errors.ts';
import { GUIDE_URI_PREFIX } from '../resources/guides.ts';
import { type IdKind, idRule, isIdOf } from '../resources/ids.ts';

export interface PromptArgument {
  name: string;
  title: string;
  description: string;
  required: boolean;
  /** an id completed from the user's data */
  completes?: IdKind;
}

export interface WorkflowPrompt {
  name: string;
  title: string;
  description: string;
  arguments: PromptArgument[];
  /** the tools the prompt tells the model to use */
  tools: string[];
  text(args: Record<string, string>): string;
}

/** free text arguments: one line of words, not a document */
const MAX_TEXT_ARGUMENT = 300;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

const projectArgument: PromptArgument = {
  name: 'projectId',
  title: 'Project',
  description: "The project's id or short id (p-…)",
  required: true,
  completes: 'projectId',
};
const appArgument: PromptArgument = {
  name: 'appInstallationId',
  title: 'App installation',
  description: "The app installation's id or short id (a-…)",
  required: true,
  completes: 'appInstallationId',
};
const guide = (name: string) => `${GUIDE_URI_PREFIX}${name}`;
const toolList = (tools: string[]) => tools.map((tool) => `\`${tool}\``).join(', ');

export const WORKFLOW_PROMPTS: WorkflowPrompt[] = [
  {
    name: 'deploy-container-stack',
    title: 'Deploy containers to a project',
    description: 'Plan and run a set of containers (with volumes and a host name) in one project, step by step with the user.',
    arguments: [
      projectArgument,
      { name: 'what', title: 'What to run', description: 'e.g. "Gitea with PostgreSQL" or "nginx serving a static site"', required: true },
      { name: 'hostname', title: 'Host name', description: 'where it should be reachable, if anywhere (e.g. git.example.com)', required: false },
    ],
    tools: [
      'mittwald_project_get', 'mittwald_stack_list', 'mittwald_stack_template_list', 'mittwald_container_list', 'mittwald_volume_list',
      'mittwald_container_run', 'mittwald_container_logs', 'mittwald_domain_list', 'mittwald_domain_virtualhost_create',
    ],
    text: (args) =>
      `Deploy ${args.what} as containers in project ${args.projectId}.\n\n` +
      `First read ${guide('containers-and-stacks')} and ${guide('example-multi-container')}. Then: look at the project and what already runs in its stack; ` +
      'check whether a stack template fits before writing containers by hand; propose the containers (image with a fixed tag, name, environment, ' +
      'volumes, ports) and wait for the user to agree; start them one by one and read each one\'s logs before the next. ' +
      (args.hostname
        ? `Finally make it reachable at ${args.hostname} with a virtual host to the container's own port (read ${guide('virtual-hosts-and-ingresses')}; check the domain belongs to the project).`
        : 'Do not create a virtual host unless the user asks for one.'),
  },
  {
    name: 'set-up-domain-for-app',
    title: 'Set up a domain for an app',
    description: 'Make an app installation reachable at a host name: check the domain, create the virtual host, explain DNS if needed.',
    arguments: [
      appArgument,
      { name: 'hostname', title: 'Host name', description: 'e.g. shop.example.com', required: true },
    ],
    tools: ['mittwald_app_get', 'mittwald_domain_list', 'mittwald_domain_virtualhost_list', 'mittwald_domain_virtualhost_create', 'mittwald_domain_dnszone_list'],
    text: (args) =>
      `Make app installation ${args.appInstallationId} reachable at ${args.hostname}.\n\n` +
      `Read ${guide('domains-vs-virtual-hosts')} first. Get the installation to learn its project; list the project's domains and virtual hosts; ` +
      `if a virtual host for ${args.hostname} exists, show it and ask before changing anything. If the domain is not in the project, say what the user ` +
      'must do (DNS records pointing at mittwald, or ordering the domain in mStudio) instead of guessing. Otherwise create the virtual host with the ' +
      `app at "/" and report the result.`,
  },
  {
    name: 'audit-project',
    title: 'Audit a project',
    description: 'A read-only review of one project: apps and their updates, databases, backups and schedules, cronjobs and their last runs, virtual hosts.',
    arguments: [projectArgument],
    tools: [
      'mittwald_project_get', 'mittwald_app_list', 'mittwald_app_list_upgrade_candidates', 'mittwald_database_list', 'mittwald_backup_list',
      'mittwald_backup_schedule_list', 'mittwald_cronjob_list', 'mittwald_cronjob_execution_list', 'mittwald_domain_virtualhost_list',
    ],
    text: (args) =>
      `Audit project ${args.projectId}. Change nothing: use read-only tools only.\n\n` +
      'Report, each with what you found and what you recommend: apps with an upgrade available; databases (versions, which app uses them); ' +
      'whether backups exist, how recent the last one is and whether a schedule is set; cronjobs whose last executions failed; virtual hosts ' +
      `that point at nothing that exists.`,
  },
  {
    name: 'diagnose-failing-app',
    title: 'Diagnose a failing app',
    description: 'Find out why an app installation does not work: its state, host names, database, cronjobs, disk usage; then propose fixes.',
    arguments: [
      appArgument,
      { name: 'symptom', title: 'Symptom', description: 'what goes wrong, e.g. "500 on every page since yesterday"', required: false },
    ],
    tools: [
      'mittwald_app_get', 'mittwald_project_get', 'mittwald_domain_virtualhost_list', 'mittwald_database_mysql_list', 'mittwald_cronjob_list',
      'mittwald_cronjob_execution_list', 'mittwald_cronjob_execution_logs', 'mittwald_project_filesystem_usage', 'mittwald_app_ssh',
    ],
    text: (args) =>
      `App installation ${args.appInstallationId} is failing${args.symptom ? `: ${args.symptom}` : ''}.\n\n` +
      `Read ${guide('common-confusions')} first. Look at the installation (version, path, status) and its project; check the virtual hosts that ` +
      'point at it, its database, recent cronjob executions and their logs, and the project\'s disk usage. Say what you found and the most likely ' +
      'cause, and propose fixes; ask before changing anything. Where logs on the server are needed, give the user the ssh command to run.',
  },
];

export function findPrompt(name: string): WorkflowPrompt {
  const prompt = WORKFLOW_PROMPTS.find((p) => p.name === name);
  if (!prompt) throw new ToolInputError(`Unknown prompt: ${name} (prompts/list names the prompts)`);
  return prompt;
}

/** prompts/list's answer, built once: the prompts change only with the server */
const LISTED_PROMPTS = WORKFLOW_PROMPTS.map(({ name, title, description, arguments: args }) => ({
  name,
  title,
  description,
  arguments: args.map(({ name: argName, title: argTitle, description: argDescription, required }) => ({ name: argName, title: argTitle, description: argDescription, required })),
}));

export const listPrompts = () => LISTED_PROMPTS;

function checkedArguments(prompt: WorkflowPrompt, given: Record<string, string>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const argument of prompt.arguments) {
    const value = given[argument.name]?.trim();
    if (!value) {
      if (argument.required) throw new ToolInputError(`Prompt ${prompt.name} needs the argument ${argument.name} (${argument.description})`);
      continue;
    }
    if (argument.completes && !isIdOf(argument.completes, value)) throw new ToolInputError(`Prompt ${prompt.name}: ${idRule(argument.completes)}`);
    if (argument.name === 'hostname' && !HOSTNAME.test(value)) throw new ToolInputError(`Prompt ${prompt.name}: hostname must be a host name such as shop.example.com`);
    if (value.length > MAX_TEXT_ARGUMENT || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new ToolInputError(`Prompt ${prompt.name}: ${argument.name} must be one line of at most ${MAX_TEXT_ARGUMENT} characters`);
    }
    args[argument.name] = value;
  }
  return args;
}

export function getPrompt(name: string, given: Record<string, string> = {}) {
  const prompt = findPrompt(name);
  return {
    description: prompt.description,
    messages: [
      {
        role: 'user' as const,
        content: { type: 'text' as const, text: `${prompt.text(checkedArguments(prompt, given))}\n\nTools to use: ${toolList(prompt.tools)}.` },
      },
    ],
  };
}
