import { ProjectListCommand } from '../../lib/project-list-command.js';

export default class CronjobList extends ProjectListCommand {
  static summary = 'List cron jobs belonging to a project.';
  static columns = [
    { header: 'ID', value: (c) => c.id },
    { header: 'Short ID', value: (c) => c.shortId },
    { header: 'Description', value: (c) => c.description },
    { header: 'Interval', value: (c) => c.interval },
    { header: 'Active', value: (c) => c.active },
    { header: 'Destination', value: (c) => c.destination?.url ?? c.destination?.path, extended: true },
  ];

  listInProject(projectId) {
    return this.apiClient.cronjob.listCronjobs({ projectId });
  }
}
