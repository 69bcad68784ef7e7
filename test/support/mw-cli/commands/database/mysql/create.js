import { Flags } from '@oclif/core';
import { assertStatus } from '../../../lib/api.js';
import { BaseCommand } from '../../../lib/base-command.js';
import { normalizeProjectId, projectIdFlag, quietFlag } from '../../../lib/flags.js';
import { Progress } from '../../../lib/progress.js';

export default class DatabaseMysqlCreate extends BaseCommand {
  static summary = 'Create a new MySQL database';
  static flags = {
    'project-id': projectIdFlag,
    quiet: quietFlag,
    description: Flags.string({ char: 'd', summary: 'a description for the database', required: true }),
    version: Flags.string({ summary: 'the MySQL version to use', required: true }),
    collation: Flags.string({ summary: 'the collation to use', default: 'utf8mb4_unicode_ci' }),
    'character-set': Flags.string({ summary: 'the character set to use', default: 'utf8mb4' }),
    'user-password': Flags.string({ summary: 'the password to use for the default user (env: MYSQL_PWD)', env: 'MYSQL_PWD' }),
    'user-external': Flags.boolean({ summary: 'enable external access for default user' }),
    'user-access-level': Flags.string({ summary: 'the access level preset for the default user', options: ['full', 'readonly'], default: 'full' }),
  };

  async run() {
    const { flags } = await this.parse(DatabaseMysqlCreate);
    const progress = new Progress(flags.quiet);
    const projectId = await normalizeProjectId(this.apiClient, flags['project-id']);
    const password = flags['user-password'] ?? progress.requireInput('password for the database user');
    const { id, userId } = assertStatus(
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
    );
    progress.step('creating MySQL database');
    const database = assertStatus(await this.apiClient.database.getMysqlDatabase({ mysqlDatabaseId: id }), 200);
    const user = assertStatus(await this.apiClient.database.getMysqlUser({ mysqlUserId: userId }), 200);
    process.stdout.write(
      flags.quiet ? `${id}\n` : `The database ${database.name} (${id}) and its user ${user.name} were created.\n`,
    );
  }
}
