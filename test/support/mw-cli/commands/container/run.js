import { randomBytes } from 'node:crypto';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { CONTAINER_TEXTS } from '../../lib/container.js';
import { parseEnvironmentVariables } from '../../lib/env-file.js';
import { normalizeProjectId } from '../../lib/normalize-id.js';
import { makeProcessRenderer } from '../../lib/process-renderer.js';

// The container is declared as a service of the project's default stack (its id is the project id).
export default class ContainerRun extends BaseCommand {
  static summary = 'Creates and starts a new container.';
  static texts = {
    ...CONTAINER_TEXTS,
    image: { description: "container image to run, e.g. 'ubuntu:20.04'" },
    command: { description: 'command to run in the container' },
    args: { description: 'arguments to pass to the command' },
    name: { description: 'assign a custom name to the container; if omitted, a random name is generated' },
  };

  async run() {
    const { args, argv, flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Creating a container');
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    const serviceName = flags.name ?? `stand_in_${randomBytes(3).toString('hex')}`;
    const meta = await p.runStep('getting image metadata', async () =>
      assertStatus(
        await this.apiClient.container.getContainerImageConfig({ queryParameters: { imageReference: args.image, useCredentialsForProjectId: projectId } }),
        200,
      ),
    );
    const [, command, ...commandArgs] = argv;
    const service = {
      image: args.image,
      command: command ? [command, ...commandArgs] : meta.command,
      entrypoint: flags.entrypoint ? [flags.entrypoint] : meta.entrypoint,
      description: flags.description ?? serviceName,
      envs: await parseEnvironmentVariables(flags.env, flags['env-file']),
      ports: flags['publish-all'] ? (meta.exposedPorts ?? []).map((e) => `${e.port}:${e.port}`) : (flags.publish ?? []),
      volumes: flags.volume,
    };
    const stack = await p.runStep('creating container', async () =>
      assertStatus(await this.apiClient.container.updateStack({ stackId: projectId, data: { services: { [serviceName]: service } } }), 200),
    );
    const created = stack.services?.find((s) => s.serviceName === serviceName);
    if (!created) throw new Error('Service ID not found in the created stack.');
    p.complete();
    if (flags.quiet) process.stdout.write(`${created.id}\n`);
  }
}
