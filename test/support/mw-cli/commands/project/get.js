import { assertStatus } from '../../lib/api.js';
import { normalizeProjectId } from '../../lib/normalize-id.js';
import { GetCommand } from '../../lib/get-command.js';

export default class ProjectGet extends GetCommand {
  static summary = 'Get details of a project';
  static fields = [
    ['ID', (p) => p.id],
    ['Short ID', (p) => p.shortId],
    ['Description', (p) => p.description],
    ['Status', (p) => p.status],
    ['Server', (p) => p.serverShortId],
    ['Created', (p) => p.createdAt],
  ];

  async getData(args) {
    const projectId = await normalizeProjectId(this.apiClient, args['project-id']);
    return assertStatus(await this.apiClient.project.getProject({ projectId }), 200);
  }
}
