import { assertStatus } from '../../lib/api.js';
import { normalizeProjectId } from '../../lib/normalize-id.js';
import { ListCommand } from '../../lib/list-command.js';

export default class ContainerList extends ListCommand {
  static summary = 'List containers belonging to a project.';
  static columns = [
    { header: 'ID', value: (s) => s.id },
    { header: 'Short ID', value: (s) => s.shortId },
    { header: 'Name', value: (s) => s.serviceName },
    { header: 'Image', value: (s) => s.deployedState?.image },
    { header: 'Status', value: (s) => s.status },
  ];

  async getData(flags) {
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    return assertStatus(await this.apiClient.container.listServices({ projectId }), 200);
  }
}
