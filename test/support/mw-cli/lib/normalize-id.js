// mw's ID normalisation: every ID a user gives is looked up at the API first (short IDs included).
import { assertStatus } from './api.js';

export async function normalizeProjectId(apiClient, idOrShortId) {
  if (!idOrShortId) {
    throw new Error('No project ID given. Please specify one with --project-id, or set a default project with `mw context set --project-id=<id>`.');
  }
  const project = assertStatus(await apiClient.project.getProject({ projectId: idOrShortId }), 200);
  return project.id;
}

export async function normalizeConversationId(apiClient, idOrShortId) {
  if (!idOrShortId) {
    throw new Error('No conversation ID given. Please specify one as an argument, or set a default with `mw context set --conversation-id=<id>`.');
  }
  return assertStatus(await apiClient.conversation.getConversation({ conversationId: idOrShortId }), 200).conversationId;
}
