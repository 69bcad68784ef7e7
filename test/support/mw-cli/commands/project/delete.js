import { assertStatus } from '../../lib/api.js';
import { DeleteCommand } from '../../lib/delete-command.js';
import { normalizeProjectId } from '../../lib/normalize-id.js';

export default class ProjectDelete extends DeleteCommand {
  static summary = 'Delete a project';
  static resourceName = 'project';

  async describeResource(args) {
    this.projectId = await normalizeProjectId(this.apiClient, args['project-id']);
    const project = assertStatus(await this.apiClient.project.getProject({ projectId: this.projectId }), 200);
    return `"${project.description}" (${project.shortId})`;
  }

  async deleteResource() {
    assertStatus(await this.apiClient.project.deleteProject({ projectId: this.projectId }), 200, 204);
  }
}
