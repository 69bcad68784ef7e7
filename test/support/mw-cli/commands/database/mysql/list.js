import { ProjectListCommand } from '../../../lib/project-list-command.js';

export default class DatabaseMysqlList extends ProjectListCommand {
  static summary = 'List MySQL databases belonging to a project.';
  static columns = [
    { header: 'ID', value: (d) => d.id },
    { header: 'Name', value: (d) => d.name },
    { header: 'Version', value: (d) => d.version },
    { header: 'Description', value: (d) => d.description },
    { header: 'Status', value: (d) => d.status },
    { header: 'Hostname', value: (d) => d.hostname, extended: true },
  ];

  listInProject(projectId) {
    return this.apiClient.database.listMysqlDatabases({ projectId });
  }
}
