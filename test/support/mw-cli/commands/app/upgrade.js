import { assertStatus } from '../../lib/api.js';
import { BaseCommand } from '../../lib/base-command.js';
import { makeProcessRenderer } from '../../lib/process-renderer.js';

// Like mw's app upgrade: a --target-version that is no upgrade candidate (or none at all) falls
// back to an interactive select of the candidates.
export default class AppUpgrade extends BaseCommand {
  static summary = 'Upgrade app installation to target version';
  static texts = {
    'target-version': {
      description:
        "target version to upgrade app to; if omitted, target version will be prompted interactively. If set to 'latest', the latest available version will be used.",
    },
  };

  async run() {
    const { args, flags } = await this.parse();
    const p = makeProcessRenderer(flags, 'App upgrade');
    if (!args['installation-id']) throw new Error('No app installation ID given. Please specify one as an argument.');
    const app = this.apiClient.app;
    const installation = assertStatus(await app.getAppinstallation({ appInstallationId: args['installation-id'] }), 200);
    const { name } = assertStatus(await app.getApp({ appId: installation.appId }), 200);
    const current = assertStatus(await app.getAppversion({ appId: installation.appId, appVersionId: installation.appVersion.current }), 200);
    const candidates = assertStatus(
      await app.listUpdateCandidatesForAppversion({ appId: installation.appId, baseAppVersionId: current.id }),
      200,
    );
    if (candidates.length === 0) {
      p.complete(`Your ${name} ${current.externalVersion} is already up to date.`);
      return;
    }
    const wanted = flags['target-version'];
    let target = wanted === 'latest' ? candidates.at(-1) : candidates.find((c) => c.externalVersion === wanted);
    if (!target) {
      if (wanted) p.addInfo('The given target upgrade version does not seem to be a valid upgrade candidate.');
      const question = `Please select target upgrade for your ${name} ${current.externalVersion} from one of the following`;
      const chosen = await p.addSelect(question, candidates.map((c) => ({ value: c.externalVersion, label: c.externalVersion })));
      target = candidates.find((c) => c.externalVersion === chosen);
    }
    if (!flags.force) p.addConfirmation(`Confirm upgrading ${name} ${current.externalVersion} to version ${target.externalVersion}`);
    assertStatus(await app.patchAppinstallation({ appInstallationId: installation.id, data: { appVersionId: target.id } }), 204);
    p.complete('The upgrade has been started. Buckle up!');
  }
}
