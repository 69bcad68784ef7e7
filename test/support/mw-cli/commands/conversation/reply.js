import { ux } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { normalizeConversationId } from '../../lib/flags.js';
import { MESSAGE_TEXTS, retrieveMessage } from '../../lib/message-input.js';
import { fromSurface } from '../../lib/surface.js';

const { args, baseFlags, flags } = fromSurface('conversation:reply', MESSAGE_TEXTS);

export default class ConversationReply extends BaseCommand {
  static description = 'Reply to a conversation';
  static args = args;
  static baseFlags = baseFlags;
  static flags = flags;

  async run() {
    const { args, flags } = await this.parse(ConversationReply);
    const conversationId = await normalizeConversationId(this.apiClient, args['conversation-id']);
    const messageContent = retrieveMessage(flags);
    ux.action.start(`replying to ${conversationId}`);
    assertStatus(await this.apiClient.conversation.createMessage({ conversationId, data: { messageContent } }), 201);
    ux.action.stop();
  }
}
