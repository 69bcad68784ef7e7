import { ux } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { normalizeConversationId } from '../../lib/normalize-id.js';
import { MESSAGE_TEXTS, retrieveMessage } from '../../lib/message-input.js';

export default class ConversationReply extends BaseCommand {
  static description = 'Reply to a conversation';
  static texts = MESSAGE_TEXTS;

  async run() {
    const { args, flags, metadata } = await this.parse();
    const conversationId = await normalizeConversationId(this.apiClient, args['conversation-id']);
    const messageContent = retrieveMessage(flags, metadata);
    ux.action.start(`replying to ${conversationId}`);
    assertStatus(await this.apiClient.conversation.createMessage({ conversationId, data: { messageContent } }), 201);
    ux.action.stop();
  }
}
