import { Args } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { DeleteCommand } from '../../lib/delete-command.js';
import { normalizeProjectId } from '../../lib/flags.js';

export default class ProjectDelete extends DeleteCommand {
  static summary = 'Delete a project';
  static resourceName = 'project';
  static args = {
    'project-id': Args.string({ description: 'ID or short ID of a project; this argument is optional if a default project is set in the context' }),
  };

  async describeResource(args) {
    this.projectId = await normalizeProjectId(this.apiClient, args['project-id']);
    const project = assertStatus(await this.apiClient.project.getProject({ projectId: this.projectId }), 200);
    return `"${project.description}" (${project.shortId})`;
  }

  async deleteResource() {
    assertStatus(await this.apiClient.project.deleteProject({ projectId: this.projectId }), 200, 204);
  }
}
