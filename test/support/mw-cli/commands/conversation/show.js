import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { normalizeConversationId } from '../../lib/normalize-id.js';

// Prints what mw prints without a terminal: the metadata, then every message. mw renders a
// message's markdown for the terminal; the stand-in prints it as it was sent.
export default class ConversationShow extends BaseCommand {
  static description = 'Show a conversation and message history';

  async run() {
    const { args } = await this.parse();
    const conversationId = await normalizeConversationId(this.apiClient, args['conversation-id']);
    const [conversation, messages] = await Promise.all([
      this.apiClient.conversation.getConversation({ conversationId }).then((r) => assertStatus(r, 200)),
      this.apiClient.conversation.listMessagesByConversation({ conversationId }).then((r) => assertStatus(r, 200)),
    ]);
    const fields = {
      Title: conversation.title,
      ID: conversation.shortId,
      Opened: `${conversation.createdAt} by ${conversation.createdBy?.clearName ?? 'Unknown User'}`,
      Status: conversation.status,
    };
    const width = Math.max(...Object.keys(fields).map((key) => key.length));
    const lines = ['Conversation metadata', '─'.repeat('Conversation metadata'.length), ''];
    for (const [key, value] of Object.entries(fields)) lines.push(`${key.padEnd(width)}   ${value}`);
    lines.push('', 'Messages', '─'.repeat('Messages'.length), '');
    for (const message of messages) lines.push(`${message.createdBy?.clearName}, ${message.createdAt}`, message.messageContent ?? '', '');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
