// Support conversations: categories, conversations and their messages. A conversation is seen only
// by the user who opened it, so one user's messages never reach another (mittwald shares them
// with an organisation's members only on request, which the stand-in has no command for).
import { randomBytes, randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { ApiError, type ValidationIssue } from './api-error.ts';
import type { Conversation, ConversationMessage, SimulatorState } from './state.ts';

const userOf = (res: Response): string => res.locals.userId as string;

function conversationUser(state: SimulatorState, userId: string) {
  const user = state.users.get(userId)!;
  return { userId, clearName: `${user.person.firstName} ${user.person.lastName}`, active: true, isEmployee: false };
}

/** by UUID or short id, like the other lookups; someone else's conversation is 403 */
function requireConversation(state: SimulatorState, userId: string, idOrShortId: string): Conversation {
  const conversation = state.conversations.get(idOrShortId) ?? [...state.conversations.values()].find((c) => c.shortId === idOrShortId);
  if (!conversation) throw ApiError.notFound(`conversation ${idOrShortId}`);
  if (conversation.mainUser.userId !== userId) throw ApiError.forbidden(`conversation ${idOrShortId}`);
  return conversation;
}

function addMessage(state: SimulatorState, conversation: Conversation, userId: string, messageContent: string): ConversationMessage {
  const message: ConversationMessage = {
    messageId: randomUUID(),
    conversationId: conversation.conversationId,
    createdAt: new Date().toISOString(),
    createdBy: conversationUser(state, userId),
    messageContent,
    type: 'MESSAGE',
  };
  state.conversationMessages.get(conversation.conversationId)!.push(message);
  conversation.lastMessageAt = message.createdAt;
  conversation.lastMessage = { createdAt: message.createdAt, createdBy: message.createdBy };
  return message;
}

export function createConversationRoutes(state: SimulatorState): Router {
  const router = Router();

  router.get('/v2/conversation-categories', (_req, res) => {
    res.json([...state.conversationCategories.values()]);
  });

  router.get('/v2/conversations', (_req, res) => {
    res.json([...state.conversations.values()].filter((c) => c.mainUser.userId === userOf(res)));
  });

  router.post('/v2/conversations', (req: Request, res) => {
    const issues: ValidationIssue[] = [];
    const title: unknown = req.body?.title;
    const categoryId: unknown = req.body?.categoryId;
    if (typeof title !== 'string' || title.trim() === '') issues.push({ path: 'title', message: 'title must be a non-empty string', type: 'required' });
    if (categoryId !== undefined && !state.conversationCategories.has(String(categoryId))) {
      issues.push({ path: 'categoryId', message: `no category ${String(categoryId)}`, type: 'reference' });
    }
    if (issues.length > 0) throw ApiError.validation(issues);
    const user = conversationUser(state, userOf(res));
    const conversation: Conversation = {
      conversationId: randomUUID(),
      shortId: `CONV-${randomBytes(3).toString('hex').toUpperCase()}`,
      title: String(title),
      category: categoryId === undefined ? undefined : state.conversationCategories.get(String(categoryId)),
      createdAt: new Date().toISOString(),
      createdBy: user,
      mainUser: user,
      status: 'open',
      visibility: 'private',
    };
    state.conversations.set(conversation.conversationId, conversation);
    state.conversationMessages.set(conversation.conversationId, []);
    res.status(201).json({ conversationId: conversation.conversationId });
  });

  router.get('/v2/conversations/:conversationId', (req, res) => {
    res.json(requireConversation(state, userOf(res), String(req.params.conversationId)));
  });

  router.get('/v2/conversations/:conversationId/messages', (req, res) => {
    const conversation = requireConversation(state, userOf(res), String(req.params.conversationId));
    res.json(state.conversationMessages.get(conversation.conversationId));
  });

  router.post('/v2/conversations/:conversationId/messages', (req, res) => {
    const conversation = requireConversation(state, userOf(res), String(req.params.conversationId));
    const messageContent: unknown = req.body?.messageContent;
    if (typeof messageContent !== 'string') {
      throw ApiError.validation([{ path: 'messageContent', message: 'messageContent must be a string', type: 'required' }]);
    }
    const message = addMessage(state, conversation, userOf(res), messageContent);
    res.status(201).json({ conversationId: conversation.conversationId, messageId: message.messageId });
  });

  return router;
}
