import { assertStatus } from '../../../lib/api.js';
import { BaseCommand } from '../../../lib/base-command.js';
import { normalizeProjectId } from '../../../lib/normalize-id.js';
import { makeProcessRenderer } from '../../../lib/process-renderer.js';

export default class DatabaseMysqlCreate extends BaseCommand {
  static summary = 'Create a new MySQL database';
  static texts = {
    description: { summary: 'a description for the database' },
    version: { summary: 'the MySQL version to use' },
    collation: { summary: 'the collation to use' },
    'character-set': { summary: 'the character set to use' },
    'user-password': { summary: 'the password to use for the default user (env: MYSQL_PWD)', env: 'MYSQL_PWD' },
    'user-external': { summary: 'enable external access for default user' },
    'user-access-level': { summary: 'the access level preset for the default user' },
  };

  async run() {
    const { flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'Creating a new MySQL database');
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    const password = flags['user-password'] ?? p.addInput('enter password for the new database user', true);
    const { id, userId } = await p.runStep('creating MySQL database', async () =>
      assertStatus(
        await this.apiClient.database.createMysqlDatabase({
          projectId,
          data: {
            database: {
              projectId,
              description: flags.description,
              version: flags.version,
              characterSettings: { characterSet: flags['character-set'], collation: flags.collation },
            },
            user: { password, accessLevel: flags['user-access-level'], externalAccess: flags['user-external'] },
          },
        }),
        201,
      ),
    );
    const database = assertStatus(await this.apiClient.database.getMysqlDatabase({ mysqlDatabaseId: id }), 200);
    const user = assertStatus(await this.apiClient.database.getMysqlUser({ mysqlUserId: userId }), 200);
    p.addInfo(`The new database is ${database.name}, its user ${user.name}.`);
    p.complete();
    if (flags.quiet) process.stdout.write(`${id}\n`);
  }
}
