import { Flags } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { quietFlag } from '../../lib/flags.js';
import { Progress } from '../../lib/progress.js';

export default class ProjectCreate extends BaseCommand {
  static summary = 'Create a new project';
  static flags = {
    quiet: quietFlag,
    'server-id': Flags.string({ char: 's', summary: 'ID or short ID of a server; this flag is optional if a default server is set in the context', required: false }),
    description: Flags.string({ char: 'd', description: 'A description for the project.', required: true }),
    wait: Flags.boolean({ char: 'w', description: 'wait for the resource to be ready.' }),
    'wait-timeout': Flags.string({ description: 'the duration to wait for the resource to be ready (common units like "ms", "s", "m" are accepted).', default: '600s' }),
    'update-context': Flags.boolean({ description: 'Update the CLI context to use the newly created project' }),
  };

  async run() {
    const { flags } = await this.parse(ProjectCreate);
    const progress = new Progress(flags.quiet);
    if (!flags['server-id']) throw new Error('No server ID given. Please specify one with --server-id.');
    const server = assertStatus(await this.apiClient.project.getServer({ serverId: flags['server-id'] }), 200);
    const { id } = assertStatus(
      await this.apiClient.project.createProject({ serverId: server.id, data: { description: flags.description } }),
      201,
    );
    progress.step('creating project');
    const project = assertStatus(await this.apiClient.project.getProject({ projectId: id }), 200);
    if (flags.wait) progress.step('waiting for project to be ready');
    process.stdout.write(flags.quiet ? `${id}\n` : `Your new project "${project.description}" (${project.shortId}) was successfully created: ${id}\n`);
  }
}
