import { assertStatus } from '../../lib/api.js';
import { ListCommand } from '../../lib/list-command.js';

export default class ProjectList extends ListCommand {
  static summary = 'List all projects that you have access to';
  static columns = [
    { header: 'ID', value: (p) => p.id },
    { header: 'Short ID', value: (p) => p.shortId },
    { header: 'Description', value: (p) => p.description },
    { header: 'Status', value: (p) => p.status },
    { header: 'Server', value: (p) => p.serverShortId, extended: true },
    { header: 'Created', value: (p) => p.createdAt, extended: true },
  ];

  async getData() {
    return assertStatus(await this.apiClient.project.listProjects(), 200);
  }
}
