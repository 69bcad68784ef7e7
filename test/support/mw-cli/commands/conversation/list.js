import { assertStatus } from '../../lib/api.js';
import { ListCommand } from '../../lib/list-command.js';

export default class ConversationList extends ListCommand {
  static description = 'Get all conversations the authenticated user has created or has access to.';
  static columns = [
    { header: 'ID', value: (c) => c.shortId },
    { header: 'Title', value: (c) => c.title },
    { header: 'Category', value: (c) => c.category?.name },
    { header: 'Status', value: (c) => c.status },
    { header: 'Created', value: (c) => c.createdAt, extended: true },
  ];

  async getData() {
    return assertStatus(await this.apiClient.conversation.listConversations(), 200);
  }
}
