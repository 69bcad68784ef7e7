// Turns what the operator asked for (config) into what the children can actually have on this
// machine: the CLI's install tree, the bootstrap, prlimit for the limits, a usable compile cache,
// and for each layer that cannot be had, why. Used by the server (children of its own uid) and by
// the launcher (children of their own uids) alike.
import { realpath } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AppConfig } from '../../config.ts';
import { findExecutable } from '../locate-cli.ts';
import { ensurePrivateDirectory } from '../private-directory.ts';
import type { ResourceLimits } from '../../config.ts';
import type { ChildPlanInput, ChildSandbox } from './child-allowances.ts';
import { cliInstallTree } from './cli-install-tree.ts';
import type { ChildIsolation, IsolationLayer } from './spawner.ts';

const BOOTSTRAP = fileURLToPath(new URL('./child-bootstrap.mts', import.meta.url));

export interface SandboxRequest {
  /** the located `mw` (see locateCli) */
  cli: { root: string; executablePath: string };
  /** PATH for the children (and where prlimit and setpriv are looked up) */
  path: string;
  apiBaseUrl?: string;
  compileCacheDir?: string;
  /** layer 2 wanted (CLI_SANDBOX_FS) */
  fileSystem: boolean;
  /** layer 4 wanted, with these values (undefined: CLI_LIMITS=off) */
  limits?: ResourceLimits;
  extraReadPaths: string[];
  passThrough: Record<string, string>;
}

/** What the operator asked of the children's sandbox (config), for the server's and the launcher's children alike. */
export function sandboxRequestOf(config: AppConfig): Omit<SandboxRequest, 'cli'> {
  const { isolation } = config.cli;
  return {
    path: config.cli.childPath,
    apiBaseUrl: config.mittwald.apiBaseUrlOverridden ? config.mittwald.apiBaseUrl : undefined,
    compileCacheDir: config.cli.compileCacheDir,
    fileSystem: isolation.fileSystem,
    limits: isolation.limits,
    extraReadPaths: isolation.extraReadPaths,
    passThrough: config.cli.passThroughEnvironment,
  };
}

/** The request without the layers a start check leaves out (start-check.ts). */
export function withoutLayers<T extends SandboxRequest>(request: T, without: readonly IsolationLayer[]): T {
  return { ...request, fileSystem: request.fileSystem && !without.includes('fs'), limits: without.includes('limits') ? undefined : request.limits };
}

export interface ChildSettings {
  plan: Omit<ChildPlanInput, 'directory'>;
  isolation: ChildIsolation;
  /** compile cache asked for but refused (not private to this user) */
  compileCacheRefused?: string;
}

export async function prepareChildSettings(request: SandboxRequest): Promise<ChildSettings> {
  const tree = await cliInstallTree(request.cli);
  const reasons: ChildIsolation['reasons'] = { uid: 'children run as the server’s uid (per-call uids need a start as root: see README)' };

  const fileSystem = request.fileSystem;
  if (!fileSystem) reasons.fs = 'switched off (CLI_SANDBOX_FS=off)';

  let limits: ChildSandbox['limits'];
  if (!request.limits) reasons.limits = 'switched off (CLI_LIMITS=off)';
  else {
    const prlimit = await findExecutable('prlimit', request.path);
    if (prlimit) limits = { values: request.limits, prlimit };
    else reasons.limits = 'prlimit (util-linux) was not found on PATH';
  }

  const compileCacheDir = request.compileCacheDir && (await ensurePrivateDirectory(request.compileCacheDir)) ? request.compileCacheDir : undefined;
  // The sandbox compares the paths Node opens, so symlinks are resolved (not /proc's: /proc/self
  // resolved here would name the server).
  const extraReadPaths = await Promise.all(
    request.extraReadPaths.map((path) => (path.startsWith('/proc/') ? path : realpath(path).catch(() => path))),
  );

  return {
    plan: {
      node: process.execPath,
      cli: tree,
      bootstrap: await realpath(BOOTSTRAP),
      sandbox: { fileSystem, limits },
      path: request.path,
      apiBaseUrl: request.apiBaseUrl,
      compileCacheDir,
      passThrough: request.passThrough,
      extraReadPaths,
    },
    isolation: { fs: fileSystem ? 'permission-model' : 'off', uid: 'shared', limits: limits ? 'on' : 'off', reasons },
    compileCacheRefused: request.compileCacheDir && !compileCacheDir ? request.compileCacheDir : undefined,
  };
}
