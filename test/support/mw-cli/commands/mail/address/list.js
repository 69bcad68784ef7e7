import { ProjectListCommand } from '../../../lib/project-list-command.js';

export default class MailAddressList extends ProjectListCommand {
  static summary = 'List mail addresses belonging to a project.';
  static columns = [
    { header: 'ID', value: (m) => m.id },
    { header: 'Address', value: (m) => m.address },
    { header: 'Type', value: (m) => (m.mailbox ? 'mailbox' : 'forward') },
    { header: 'Forward to', value: (m) => m.forwardAddresses.join(', '), extended: true },
  ];

  listInProject(projectId) {
    return this.apiClient.mail.listMailAddresses({ projectId });
  }
}
