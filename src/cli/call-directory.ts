// Every `mw` call gets a fresh private directory tree, removed afterwards: its HOME, config dir
// (where `mw` keeps a token file and context.json) and an empty working directory (the CLI reads
// project ids from files in the cwd). Nothing one call leaves behind reaches the next.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

export async function createCallDirectory(parent = tmpdir()): Promise<CallDirectory> {
  // mkdtemp creates the directory with mode 0700: other local users cannot look inside.
  const home = await mkdtemp(join(parent, 'mw-call-'));
  const dirs = {
    home,
    cwd: join(home, 'work'),
    configDir: join(home, 'config'),
    cacheDir: join(home, 'cache'),
    dataDir: join(home, 'data'),
    tmpDir: join(home, 'tmp'),
  };
  await Promise.all([dirs.cwd, dirs.configDir, dirs.tmpDir].map((dir) => mkdir(dir)));
  return { ...dirs, remove: () => rm(home, { recursive: true, force: true, maxRetries: 2 }) };
}
