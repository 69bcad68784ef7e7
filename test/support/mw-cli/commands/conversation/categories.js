import { assertStatus } from '../../lib/api.js';
import { ListCommand } from '../../lib/list-command.js';

export default class ConversationCategories extends ListCommand {
  static description = 'Get all conversation categories';
  static columns = [
    { header: 'ID', value: (c) => c.categoryId },
    { header: 'Name', value: (c) => c.name },
  ];

  async getData() {
    return assertStatus(await this.apiClient.conversation.listCategories(), 200);
  }
}
