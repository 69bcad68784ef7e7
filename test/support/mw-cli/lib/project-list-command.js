// A list of things inside one project: -p/--project-id, normalised via the API first, like mw does.
import { assertStatus } from './api.js';
import { normalizeProjectId } from './normalize-id.js';
import { ListCommand } from './list-command.js';

export class ProjectListCommand extends ListCommand {
  async getData(flags) {
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    return assertStatus(await this.listInProject(projectId), 200);
  }
}
