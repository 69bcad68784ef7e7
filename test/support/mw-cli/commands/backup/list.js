import { ProjectListCommand } from '../../lib/project-list-command.js';

export default class BackupList extends ProjectListCommand {
  static summary = 'List Backups for a given Project.';
  static columns = [
    { header: 'ID', value: (b) => b.id },
    { header: 'Description', value: (b) => b.description },
    { header: 'Status', value: (b) => b.status },
    { header: 'Created', value: (b) => b.createdAt },
    { header: 'Expires', value: (b) => b.expiresAt, extended: true },
  ];

  listInProject(projectId) {
    return this.apiClient.backup.listProjectBackups({ projectId });
  }
}
