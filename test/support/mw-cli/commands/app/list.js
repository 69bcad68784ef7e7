import { assertStatus } from '../../lib/api.js';
import { ProjectListCommand } from '../../lib/project-list-command.js';

export default class AppList extends ProjectListCommand {
  static summary = 'List installed apps in a project.';
  static columns = [
    { header: 'ID', value: (i) => i.id },
    { header: 'Short ID', value: (i) => i.shortId },
    { header: 'App', value: (i) => i.app?.name ?? i.appName },
    { header: 'Version', value: (i) => i.appExternalVersion },
    { header: 'Description', value: (i) => i.description },
    { header: 'Path', value: (i) => i.installationPath, extended: true },
  ];

  listInProject(projectId) {
    return this.apiClient.app.listAppinstallations({ projectId });
  }

  /** mw enriches every installation with its app (and versions) before printing */
  async getData(flags) {
    const installations = await super.getData(flags);
    return Promise.all(
      installations.map(async (installation) => ({
        ...installation,
        app: assertStatus(await this.apiClient.app.getApp({ appId: installation.appId }), 200),
      })),
    );
  }
}
