// Every `mw` call gets a fresh private directory tree, removed afterwards: its HOME, config dir
// (where `mw` keeps a token file and context.json) and an empty working directory (the CLI reads
// project ids from files in the cwd). Nothing one call leaves behind reaches the next.
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CliFailure } from './types.ts';

const PREFIX = 'mw-call-';
/** What mkdtemp makes of the prefix: the only names a call directory has (the launcher's sweep at start goes by it). */
export const CALL_DIRECTORY_NAME = /^mw-call-[A-Za-z0-9]{6}$/;

export interface CallDirectory {
  /** HOME of the child */
  home: string;
  /** empty working directory */
  cwd: string;
  configDir: string;
  cacheDir: string;
  dataDir: string;
  tmpDir: string;
  remove(): Promise<void>;
}

/**
 * Creates the tree under `parent` (a private root: see call-root.ts), mode 0700. With `owner`
 * (a per-call uid, needs CAP_CHOWN) the child's uid owns it, so only that child can look inside.
 * Rejects with CliFailure('no_call_directory') when it cannot (STATE_DIR full or read-only).
 */
export async function createCallDirectory(parent: string, owner?: { uid: number; gid: number }): Promise<CallDirectory> {
  const home = await mkdtemp(join(parent, PREFIX)).catch(cannotCreate);
  const dirs = {
    home,
    cwd: join(home, 'work'),
    configDir: join(home, 'config'),
    cacheDir: join(home, 'cache'),
    dataDir: join(home, 'data'),
    tmpDir: join(home, 'tmp'),
  };
  try {
    const created = [dirs.cwd, dirs.configDir, dirs.tmpDir];
    await Promise.all(created.map((dir) => mkdir(dir, { mode: 0o700 })));
    // The inner directories first: once the child's uid owns the 0700 top, we (without
    // CAP_DAC_READ_SEARCH, as in the container) can no longer reach what is inside it.
    if (owner) {
      await Promise.all(created.map((dir) => chown(dir, owner.uid, owner.gid)));
      await chown(home, owner.uid, owner.gid);
    }
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    cannotCreate(error as NodeJS.ErrnoException);
  }
  return { ...dirs, remove: () => rm(home, { recursive: true, force: true, maxRetries: 2 }) };
}

function cannotCreate(error: NodeJS.ErrnoException): never {
  throw new CliFailure('no_call_directory', `cannot create a call directory: ${error.message}`);
}
