import { assertStatus } from '../../lib/api.js';
import { GetCommand } from '../../lib/get-command.js';

export default class BackupGet extends GetCommand {
  static summary = 'Show details of a backup.';
  static fields = [
    ['ID', (b) => b.id],
    ['Description', (b) => b.description],
    ['Status', (b) => b.status],
    ['Created', (b) => b.createdAt],
    ['Expires', (b) => b.expiresAt],
  ];

  async getData(args) {
    return assertStatus(await this.apiClient.backup.getProjectBackup({ projectBackupId: args['backup-id'] }), 200);
  }
}
