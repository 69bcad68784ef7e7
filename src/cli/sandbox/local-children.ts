// The children a server starts itself (no launcher): every layer this process can give them, each
// checked once with a real start (start-check.ts), the uid layer off with the reason why.
import type { Logger } from '../../observability/logger.ts';
import { createCallDirectory } from '../call-directory.ts';
import type { LocatedCli } from '../locate-cli.ts';
import type { CliFailure } from '../types.ts';
import { prepareChildSettings, type SandboxRequest, withoutLayers } from './child-settings.ts';
import { createLocalSpawner } from './local-spawner.ts';
import type { ChildSpawner } from './spawner.ts';
import { startCheckedSpawner } from './start-check.ts';

export interface LocalChildrenOptions extends SandboxRequest {
  cli: LocatedCli;
  callRoot: string;
  /** why the children share the server's uid */
  uidReason: string;
  logger: Logger;
}

export async function prepareLocalChildren(options: LocalChildrenOptions): Promise<ChildSpawner> {
  const { logger } = options;
  return startCheckedSpawner(async (without) => {
    const settings = await prepareChildSettings(withoutLayers(options, without));
    if (settings.compileCacheRefused && without.length === 0) {
      logger.warn('CLI compile cache disabled: the directory is not private to this user', { dir: settings.compileCacheRefused });
    }
    return createLocalSpawner({
      ...settings.plan,
      callRoot: options.callRoot,
      isolation: { ...settings.isolation, reasons: { ...settings.isolation.reasons, uid: options.uidReason } },
      onCleanupError: (error) => logger.warn('could not remove a CLI call directory', { error }),
    });
  }, logger);
}

/** No CLI: every call fails at once with the reason; readiness still checks the call root. */
export function unavailableChildren(failure: CliFailure, callRoot: string): ChildSpawner {
  const reason = 'the mw CLI was not found';
  return {
    isolation: { fs: 'off', uid: 'shared', limits: 'off', reasons: { fs: reason, uid: reason, limits: reason } },
    start: () => Promise.reject(failure),
    async checkCallDirectory() {
      await (await createCallDirectory(callRoot)).remove();
    },
  };
}
