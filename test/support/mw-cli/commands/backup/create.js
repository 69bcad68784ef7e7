import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { parseDuration, waitUntil } from '../../lib/duration.js';
import { normalizeProjectId } from '../../lib/normalize-id.js';
import { makeProcessRenderer } from '../../lib/process-renderer.js';

export default class BackupCreate extends BaseCommand {
  static summary = 'Create a new backup of a project';
  static texts = { description: { description: 'a description for the backup.' } };

  async run() {
    const { flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Creating backup');
    const expiresInMs = parseDuration(flags.expires, 'expires');
    const waitTimeoutMs = parseDuration(flags['wait-timeout'], 'wait-timeout');
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    const backup = await p.runStep('creating backup', async () =>
      assertStatus(
        await this.apiClient.backup.createProjectBackup({
          projectId,
          data: { description: flags.description, expirationTime: new Date(Date.now() + expiresInMs).toJSON() },
        }),
        201,
      ),
    );
    if (flags.wait) {
      const waiting = p.addStep('waiting for backup to be complete');
      await waitUntil(async () => {
        const response = await this.apiClient.backup.getProjectBackup({ projectBackupId: backup.id });
        return response.status === 200 && response.data.status === 'Completed';
      }, waitTimeoutMs);
      waiting.complete();
    }
    p.complete('Backup successfully created.');
    if (flags.quiet) process.stdout.write(`${backup.id}\n`);
  }
}
