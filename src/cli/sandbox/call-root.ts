// The private root the call directories live in (layer 5). mw reads context files (default project,
// org and server ids) from its cwd and every parent directory, so whoever can write to any directory
// above a call directory can steer every call. Checked once at start: the root and each directory
// above it belong to root or to us, nobody else may write to them, and no context file is in any.
import { chmod, chown, lstat, mkdir, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CONTEXT_FILES } from './child-allowances.ts';

export class CallRootError extends Error {
  override name = 'CallRootError';
}

export interface CallRootOptions {
  /** the uid that creates the call directories (and must own the root) */
  owner: number;
  /** the launcher (root) hands an existing root over to `owner` with this gid */
  handOverWithGid?: number;
  /** 0o700 when the children share the owner's uid; 0o711 when they need to pass through to their own */
  mode: 0o700 | 0o711;
}

/** Creates the root if missing and checks it; resolves with its real path. */
export async function prepareCallRoot(root: string, options: CallRootOptions): Promise<string> {
  await mkdir(root, { recursive: true, mode: options.mode });
  const real = await realpath(root);
  let info = await lstat(real);
  if (!info.isDirectory()) throw new CallRootError(`${real} is not a directory`);
  if (info.uid !== options.owner && options.handOverWithGid !== undefined) {
    await chown(real, options.owner, options.handOverWithGid);
    info = await lstat(real);
  }
  if (info.uid !== options.owner) {
    throw new CallRootError(`${real} belongs to uid ${info.uid}, not to the server (uid ${options.owner})`);
  }
  // Children of their own uids must pass through (0711); a root that lets them is fine for the server's own too.
  if (options.mode === 0o711 && (info.mode & 0o011) !== 0o011) await chmod(real, (info.mode & 0o777) | 0o011);
  for (let dir = real; ; dir = dirname(dir)) {
    await checkDirectory(dir, dir === real ? options.owner : undefined, options.owner);
    if (dirname(dir) === dir) return real;
  }
}

async function checkDirectory(dir: string, requiredOwner: number | undefined, owner: number): Promise<void> {
  const info = await lstat(dir);
  if (requiredOwner === undefined && info.uid !== 0 && info.uid !== owner) {
    throw new CallRootError(`${dir} belongs to uid ${info.uid}: its owner could plant a context file (.mw-context.json) above every call`);
  }
  if ((info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    throw new CallRootError(`${dir} is writable by other users (mode ${mode}): a context file (.mw-context.json) planted there would reach every call`);
  }
  for (const name of CONTEXT_FILES) {
    const file = join(dir, name);
    const problem = await lstat(file).then(
      () => 'exists',
      (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : `cannot be checked (${error.code})`),
    );
    if (problem) throw new CallRootError(`${file} ${problem}: mw would read it as the context of every call; remove it`);
  }
}

export interface StateDirectories {
  /** the private root of the call directories (checked by prepareCallRoot) */
  calls: string;
  /** the server's own files (command metadata cache, its loading child's directory) */
  server: string;
}

/**
 * Under STATE_DIR, named by the uid that owns them, so servers of different uids (a launcher's and
 * an in-process one) can share a STATE_DIR: `calls-<uid>` (call directories) and `server-<uid>`.
 */
export const callRootOf = (stateDir: string, owner: number) => join(stateDir, `calls-${owner}`);
export const serverDirectoryOf = (stateDir: string, uid: number) => join(stateDir, `server-${uid}`);

/** The layout for a server that creates the call directories itself (no launcher). */
export async function prepareStateDirectories(stateDir: string, uid: number): Promise<StateDirectories> {
  const calls = await prepareCallRoot(callRootOf(stateDir, uid), { owner: uid, mode: 0o700 });
  const server = serverDirectoryOf(dirname(calls), uid);
  await mkdir(server, { recursive: true, mode: 0o700 });
  return { calls, server };
}
