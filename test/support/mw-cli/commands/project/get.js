import { Args } from '@oclif/core';
import { assertStatus } from '../../lib/api.js';
import { normalizeProjectId } from '../../lib/flags.js';
import { GetCommand, outputFlag } from '../../lib/get-command.js';

export default class ProjectGet extends GetCommand {
  static summary = 'Get details of a project';
  static baseFlags = { ...GetCommand.baseFlags, output: outputFlag(['txt', 'json']) };
  static args = {
    'project-id': Args.string({ description: 'ID or short ID of a project; this argument is optional if a default project is set in the context' }),
  };
  static fields = [
    ['ID', (p) => p.id],
    ['Short ID', (p) => p.shortId],
    ['Description', (p) => p.description],
    ['Status', (p) => p.status],
    ['Server', (p) => p.serverShortId],
    ['Created', (p) => p.createdAt],
  ];

  async getData(args) {
    const projectId = await normalizeProjectId(this.apiClient, args['project-id']);
    return assertStatus(await this.apiClient.project.getProject({ projectId }), 200);
  }
}
