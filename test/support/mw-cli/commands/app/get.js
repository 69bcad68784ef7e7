import { assertStatus } from '../../lib/api.js';
import { GetCommand } from '../../lib/get-command.js';

export default class AppGet extends GetCommand {
  static summary = 'Get details about an app installation';
  static fields = [
    ['ID', (i) => i.id],
    ['Short ID', (i) => i.shortId],
    ['App', (i) => i.app.name],
    ['Version', (i) => i.appExternalVersion],
    ['Description', (i) => i.description],
    ['Path', (i) => i.installationPath],
  ];

  async getData(args) {
    if (!args['installation-id']) throw new Error('No app installation ID given. Please specify one as an argument.');
    const installation = assertStatus(await this.apiClient.app.getAppinstallation({ appInstallationId: args['installation-id'] }), 200);
    const app = assertStatus(await this.apiClient.app.getApp({ appId: installation.appId }), 200);
    return { ...installation, app };
  }
}
