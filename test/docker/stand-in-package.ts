// The stand-in `mw` as the image installs a CLI (MW_CLI_INSTALL=test/docker/cli): packed the way a
// published package is, into test/docker/cli/mw-stand-in.tgz, beside the package.json and the
// committed package-lock.json that pin its whole dependency tree for the build's `npm ci`.
// The tarball is this checkout's stand-in (npm pack is deterministic), so its lock entry carries no
// integrity and a change to the stand-in's files needs no new lockfile; a change to its version or
// dependencies does, and is caught here before a build installs a stale tree.
//   node test/docker/stand-in-package.ts --lock   (npm run docker:stand-in-lock) writes the lockfile
import { execFile } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { standInCliRoot as standInSource } from '../support/mw-cli/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const standInInstallDir = join(repoRoot, 'test/docker/cli');
const lockFile = join(standInInstallDir, 'package-lock.json');
const tarballName = 'mw-stand-in.tgz';
const lockEntry = 'node_modules/mw-stand-in';
const LOCK_COMMAND = 'npm run docker:stand-in-lock';

class StaleStandInLockError extends Error {
  override name = 'StaleStandInLockError';
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const run = promisify(execFile);
const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;

/** Packs test/support/mw-cli to test/docker/cli/mw-stand-in.tgz; returns the packed package.json. */
export async function packStandIn(): Promise<PackageJson> {
  const pkg = await readJson<PackageJson>(join(standInSource, 'package.json'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', standInInstallDir, standInSource], { cwd: repoRoot });
  await rename(join(standInInstallDir, stdout.trim().split('\n').pop()!), join(standInInstallDir, tarballName));
  return pkg;
}

/** Throws when the committed lockfile does not describe the stand-in as it is packed now. */
export async function checkStandInLock(pkg: PackageJson): Promise<void> {
  const lock = await readJson<{ packages: Record<string, { version?: string; dependencies?: Record<string, string> }> }>(lockFile).catch(() => undefined);
  const locked = lock?.packages[lockEntry];
  const where = relative(repoRoot, lockFile);
  if (!locked) throw new StaleStandInLockError(`${where} is missing or does not name the stand-in: run ${LOCK_COMMAND}`);
  const same = locked.version === pkg.version && JSON.stringify(sorted(locked.dependencies)) === JSON.stringify(sorted(pkg.dependencies));
  if (!same) {
    throw new StaleStandInLockError(
      `${where} was written for mw-stand-in@${locked.version} with ${JSON.stringify(locked.dependencies ?? {})}, ` +
        `the stand-in is now ${pkg.version} with ${JSON.stringify(pkg.dependencies ?? {})}: run ${LOCK_COMMAND} and commit the lockfile`,
    );
  }
}

/** Resolves the stand-in's dependency tree afresh (needs the npm registry) and writes the lockfile. */
async function writeStandInLock(): Promise<string> {
  const pkg = await packStandIn();
  // From nothing: with an old lockfile npm would keep the tree it names for an unchanged version.
  await rm(lockFile, { force: true });
  await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: standInInstallDir });
  const lock = await readJson<{ packages: Record<string, Record<string, unknown>> }>(lockFile);
  // The tarball is rebuilt from the checkout for every build: pin its tree, not its bytes.
  delete lock.packages[lockEntry].integrity;
  await writeFile(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  await checkStandInLock(pkg);
  return lockFile;
}

function sorted(record: Record<string, string> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

if (import.meta.main) {
  if (process.argv[2] !== '--lock') {
    console.error('usage: node test/docker/stand-in-package.ts --lock');
    process.exit(64);
  }
  console.log(`wrote ${relative(repoRoot, await writeStandInLock())}`);
}
