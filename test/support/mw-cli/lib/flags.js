// Flags shared by many commands, and mw's ID normalisation (every ID is looked up at the API first).
import { Flags } from '@oclif/core';
import { assertStatus } from './api.js';

export const projectIdFlag = Flags.string({
  char: 'p',
  summary: 'ID or short ID of a project; this flag is optional if a default project is set in the context',
  description: 'May contain a short ID or a full ID of a project.',
  required: false,
});

export const quietFlag = Flags.boolean({
  char: 'q',
  summary: 'suppress process output and only display a machine-readable summary',
  description: 'This flag controls if you want to see the process output or only a summary.',
});

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
