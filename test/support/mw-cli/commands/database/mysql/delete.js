import { assertStatus } from '../../../lib/api.js';
import { DeleteCommand } from '../../../lib/delete-command.js';

export default class DatabaseMysqlDelete extends DeleteCommand {
  static summary = 'Delete a MySQL database';
  static resourceName = 'MySQL database';
  static texts = { 'database-id': { description: 'The ID or name of the database' } };

  async describeResource(args) {
    const database = assertStatus(await this.apiClient.database.getMysqlDatabase({ mysqlDatabaseId: args['database-id'] }), 200);
    this.databaseId = database.id;
    return database.name;
  }

  async deleteResource() {
    assertStatus(await this.apiClient.database.deleteMysqlDatabase({ mysqlDatabaseId: this.databaseId }), 200, 204);
  }
}
