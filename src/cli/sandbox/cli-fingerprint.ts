// What identifies the installed CLI's files, so that a warm child started from other files (an
// upgrade under a running server: `npm install -g @mittwald/cli`) never runs a call. npm replaces
// the package directory or rewrites its package.json; the bin script and oclif's manifest are the
// other files every start reads first.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CliInstallTree } from './cli-install-tree.ts';

/** Throws when the CLI's root or bin script is gone. */
function cliFingerprint(tree: Pick<CliInstallTree, 'root' | 'bin'>): string {
  const identity = (path: string, optional = false) => {
    const info = statSync(path, { throwIfNoEntry: !optional });
    return info ? `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` : '-';
  };
  return [identity(tree.root), identity(join(tree.root, 'package.json')), identity(tree.bin), identity(join(tree.root, 'oclif.manifest.json'), true)].join('|');
}

/**
 * The located CLI's fingerprint now, or undefined when it is gone (no child started from it takes
 * a call). Synchronous on purpose: it runs before every warm or reused call, and four stats of local
 * files take microseconds where a trip through libuv's thread pool takes a good part of a millisecond.
 */
export const installedCliFingerprint = (cli: { root: string; executablePath: string }) => (): string | undefined => {
  try {
    return cliFingerprint({ root: cli.root, bin: cli.executablePath });
  } catch {
    return undefined;
  }
};
