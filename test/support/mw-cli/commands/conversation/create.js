import { ux } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { MESSAGE_TEXTS, retrieveMessage } from '../../lib/message-input.js';

// Like mw: the message is read first (before any API call), progress goes to stderr (oclif's
// ux.action), stdout stays empty.
export default class ConversationCreate extends BaseCommand {
  static description = 'Create a new conversation';
  static texts = {
    ...MESSAGE_TEXTS,
    title: { description: 'Title of the conversation' },
    category: { description: "Category of the conversation; use the 'conversation categories' command to list available categories" },
  };

  async run() {
    const { flags, metadata } = await this.parse();
    const messageContent = retrieveMessage(flags, metadata);
    const categories = assertStatus(await this.apiClient.conversation.listCategories(), 200);
    const category = categories.find((c) => c.name === flags.category);
    if (!category) throw new Error(`category ${flags.category} not found`);

    ux.action.start('creating conversation');
    const { conversationId } = assertStatus(
      await this.apiClient.conversation.createConversation({ data: { title: flags.title, categoryId: category.categoryId } }),
      201,
    );
    ux.action.stop();

    ux.action.start(`saving message for ${conversationId}`);
    assertStatus(await this.apiClient.conversation.createMessage({ conversationId, data: { messageContent } }), 201);
    ux.action.stop();
  }
}
