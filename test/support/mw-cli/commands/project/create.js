import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { parseDuration, waitUntil } from '../../lib/duration.js';
import { makeProcessRenderer } from '../../lib/process-renderer.js';

export default class ProjectCreate extends BaseCommand {
  static summary = 'Create a new project';
  static texts = {
    description: { description: 'A description for the project.' },
    'update-context': { description: 'Update the CLI context to use the newly created project' },
  };

  async run() {
    const { flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Creating project');
    const waitTimeoutMs = parseDuration(flags['wait-timeout'], 'wait-timeout');
    if (!flags['server-id']) throw new Error('No server ID given. Please specify one with --server-id.');
    const server = assertStatus(await this.apiClient.project.getServer({ serverId: flags['server-id'] }), 200);

    const creating = p.addStep('creating a new project');
    const { id } = assertStatus(await this.apiClient.project.createProject({ serverId: server.id, data: { description: flags.description } }), 201);
    creating.complete();
    p.addInfo(`project ID: ${id}`);

    if (flags.wait) {
      const waiting = p.addStep('waiting for project to be ready');
      await waitUntil(async () => {
        const response = await this.apiClient.project.getProject({ projectId: id });
        return response.status === 200 && response.data.readiness === 'ready';
      }, waitTimeoutMs);
      waiting.complete();
    }
    assertStatus(await this.apiClient.project.getProject({ projectId: id }), 200);

    if (flags['update-context']) {
      await p.runStep('updating CLI context', async () => {
        await mkdir(this.config.configDir, { recursive: true });
        await writeFile(path.join(this.config.configDir, 'context.json'), `${JSON.stringify({ 'project-id': id })}\n`);
      });
    }
    p.complete();
    if (flags.quiet) process.stdout.write(`${id}\n`);
  }
}
