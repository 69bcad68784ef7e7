// Finds the installed `mw` (or a stand-in) the way a shell would, then the oclif package behind it:
// the metadata reader needs the package root, the runner needs the executable.
import { constants } from 'node:fs';
import { access, readFile, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';

export interface LocatedCli {
  /** real path of the executable (symlinks resolved) */
  executablePath: string;
  /** the oclif package root: the nearest directory above the executable whose package.json has an `oclif` key */
  root: string;
  /** package name and version from that package.json */
  name: string;
  version: string;
}

export class CliNotFoundError extends Error {
  override name = 'CliNotFoundError';
}

/**
 * `executable` is a command name looked up on `path` (a PATH-style list) or, when it contains a
 * slash, a file path (relative paths are taken from the current directory).
 */
export async function locateCli(executable: string, options: { path: string }): Promise<LocatedCli> {
  const found = executable.includes('/')
    ? await executableFileOrUndefined(resolve(executable))
    : await findOnPath(executable, options.path);
  if (!found) {
    throw new CliNotFoundError(
      executable.includes('/')
        ? `CLI executable ${executable} does not exist or is not executable`
        : `CLI executable "${executable}" was not found on PATH`,
    );
  }
  const executablePath = await realpath(found);
  const pkg = await findOclifPackage(dirname(executablePath));
  if (!pkg) {
    throw new CliNotFoundError(`${executablePath} does not belong to an oclif CLI package (no package.json with an "oclif" key above it)`);
  }
  return { executablePath, ...pkg };
}

/** The real path of the executable `name` on a PATH-style list, as a shell would find it. */
export async function findExecutable(name: string, path: string): Promise<string | undefined> {
  const found = await findOnPath(name, path);
  return found && realpath(found);
}

async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    // An empty PATH entry means the current directory in POSIX shells; a server must not run whatever lies there.
    if (!dir) continue;
    const candidate = await executableFileOrUndefined(join(dir, name));
    if (candidate) return candidate;
  }
  return undefined;
}

async function executableFileOrUndefined(file: string): Promise<string | undefined> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

async function findOclifPackage(start: string): Promise<{ root: string; name: string; version: string } | undefined> {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = await readPackageJson(dir);
    if (pkg && typeof pkg.oclif === 'object' && pkg.oclif !== null) {
      return { root: dir, name: String(pkg.name ?? ''), version: String(pkg.version ?? '') };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

async function readPackageJson(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
