import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { CONTAINER_TEXTS, findContainerInProject } from '../../lib/container.js';
import { parseEnvironmentVariables } from '../../lib/env-file.js';
import { makeProcessRenderer } from '../../lib/process-renderer.js';

export default class ContainerUpdate extends BaseCommand {
  static summary = 'Updates an existing container.';
  static texts = {
    ...CONTAINER_TEXTS,
    'container-id': { description: 'ID or short ID of the container to update' },
    image: { summary: 'update the container image' },
    command: { summary: 'update the command to run in the container' },
    recreate: { summary: 'recreate the container after updating' },
  };

  async run() {
    const { args, flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Updating container');
    const [serviceId, stackId] = await findContainerInProject(this.apiClient, flags['project-id'], args['container-id']);
    const service = await p.runStep('getting container configuration', async () =>
      assertStatus(await this.apiClient.container.getService({ serviceId, stackId }), 200),
    );
    const update = await p.runStep('preparing update request', () => this.buildUpdateRequest(flags));
    if (Object.keys(update).length === 0) {
      p.complete('Nothing to change. Have a good day!');
      if (flags.quiet) process.stdout.write(`${serviceId}\n`);
      return;
    }
    await p.runStep('updating container configuration', async () =>
      assertStatus(await this.apiClient.container.updateStack({ stackId, data: { services: { [service.serviceName]: update } } }), 200),
    );
    if (flags.recreate) {
      await p.runStep('recreating container', async () => assertStatus(await this.apiClient.container.recreateService({ serviceId, stackId }), 204));
    }
    p.complete();
    if (flags.quiet) process.stdout.write(`${serviceId}\n`);
  }

  async buildUpdateRequest(flags) {
    const update = {};
    if (flags.image) update.image = flags.image;
    if (flags.command) update.command = [flags.command];
    if (flags.entrypoint) update.entrypoint = [flags.entrypoint];
    if (flags.description) update.description = flags.description;
    if (flags.env || flags['env-file']) update.envs = await parseEnvironmentVariables(flags.env, flags['env-file']);
    if (flags.publish) update.ports = flags.publish;
    if (flags.volume) update.volumes = flags.volume;
    return update;
  }
}
