// The stand-in `mw` as the image installs a CLI (MW_CLI_INSTALL=test/docker/cli): packed the way a
// published package is, into test/docker/cli/mw-stand-in.tgz, beside the committed package.json that
// depends on it. The directory starts without a lockfile, as docker/cli does in a fresh clone:
// test:docker builds once so, copies the lockfile out of that image into it, and builds again from it.
import { execFile } from 'node:child_process';
import { readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { standInCliRoot as standInSource } from '../support/mw-cli/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
/** MW_CLI_INSTALL for the stand-in, relative to the build context (the repository) */
export const STAND_IN_INSTALL = 'test/docker/cli';
const standInInstallDir = join(repoRoot, STAND_IN_INSTALL);
const tarballName = 'mw-stand-in.tgz';
/** written by test:docker from the first image, for the second build (git ignores it) */
export const standInLockfile = join(standInInstallDir, 'package-lock.json');

export interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const run = promisify(execFile);
const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;

/** Packs test/support/mw-cli to test/docker/cli/mw-stand-in.tgz, without a lockfile beside it; returns the packed package.json. */
export async function packStandIn(): Promise<PackageJson> {
  const pkg = await readJson<PackageJson>(join(standInSource, 'package.json'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', standInInstallDir, standInSource], { cwd: repoRoot });
  await rename(join(standInInstallDir, stdout.trim().split('\n').pop()!), join(standInInstallDir, tarballName));
  await rm(standInLockfile, { force: true });
  return pkg;
}

/** The install directory's package.json (what the image's cli stage reads). */
export function standInInstallPackage(): Promise<PackageJson> {
  return readJson<PackageJson>(join(standInInstallDir, 'package.json'));
}
