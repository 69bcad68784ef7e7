// Build step (Dockerfile, stage cli): installs the `mw` CLI that the install directory's package.json
// names, in that directory's copy (the working directory).
//
//   node install-cli.ts <install directory, as MW_CLI_INSTALL names it> [exact version (MW_CLI_VERSION)]
//
// With the directory's package-lock.json: `npm ci`, exactly that tree. Without one: `npm install`
// resolves the tree now (the CLI itself stays at its pinned version), one warning line in the build
// log says so, and the lockfile npm wrote stays beside node_modules, where the runtime image keeps it
// to be copied out and committed (README, "Reproducible builds"). A version given here replaces
// package.json's; a lockfile written for another version than the one asked for fails the build,
// so that neither of the two wins unnoticed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** where the runtime image keeps the lockfile of the CLI it installed (Dockerfile, stage runtime) */
export const IMAGE_LOCKFILE = '/opt/mw/package-lock.json';
/** the tag docker-compose.yml gives the image */
const COMPOSE_IMAGE = 'mittwald-mcp:local';
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export class CliInstallError extends Error {
  override name = 'CliInstallError';
}

export interface InstallPackageJson {
  dependencies?: Record<string, string>;
}

export interface InstallLockfile {
  packages?: Record<string, { version?: string; dependencies?: Record<string, string> }>;
}

export type CliInstall =
  | { from: 'lockfile'; cli: string; spec: string }
  | { from: 'resolved-now'; cli: string; spec: string; warning: string };

/** What to install and how; throws CliInstallError with the operator's next step when it cannot be done as asked. */
export function planCliInstall(dir: string, pkg: InstallPackageJson, lockfile: InstallLockfile | undefined, requestedVersion = ''): CliInstall {
  const names = Object.keys(pkg.dependencies ?? {});
  if (names.length !== 1) throw new CliInstallError(`${dir}/package.json must name the CLI alone, not: ${names.join(' ') || 'nothing'}`);
  const [cli] = names;
  if (requestedVersion && !EXACT_VERSION.test(requestedVersion)) {
    throw new CliInstallError(`MW_CLI_VERSION must be one exact version such as 1.23.0, not "${requestedVersion}"`);
  }
  const spec = requestedVersion || pkg.dependencies![cli];
  // a range would let the CLI itself change between two builds, not only the tree below it
  if (!EXACT_VERSION.test(spec) && !spec.includes(':')) {
    throw new CliInstallError(`${dir}/package.json asks for ${cli}@${spec}: pin one exact version (such as 1.23.0), or a file: or URL package`);
  }

  if (lockfile) {
    if (lockfile.packages?.['']?.dependencies?.[cli] === spec) return { from: 'lockfile', cli, spec };
    const lockedVersion = lockfile.packages?.[`node_modules/${cli}`]?.version ?? '(none)';
    throw new CliInstallError(
      requestedVersion
        ? `${dir}/package-lock.json pins ${cli}@${lockedVersion}, MW_CLI_VERSION asks for ${spec}: a lockfile installs its own version only. ` +
            `Build without MW_CLI_VERSION, or move the lockfile away to resolve ${spec} at build time`
        : `${dir}/package-lock.json pins ${cli}@${lockedVersion}, package.json asks for ${spec}: move the lockfile away, build, and copy the new one out ` +
            `(README, "Reproducible builds"), or build with --build-arg MW_CLI_VERSION=${lockedVersion}`,
    );
  }
  return {
    from: 'resolved-now',
    cli,
    spec,
    warning:
      `warning: no ${dir}/package-lock.json, so the dependencies of ${cli}@${spec} were resolved at build time and another build may install others. ` +
      `For reproducible builds, copy the lockfile out of the image and commit it: ` +
      `docker run --rm --entrypoint cat ${COMPOSE_IMAGE} ${IMAGE_LOCKFILE} > ${dir}/package-lock.json`,
  };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function npm(...args: string[]): void {
  const run = spawnSync('npm', [...args, '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

if (import.meta.main) {
  const [dir, requestedVersion = ''] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node install-cli.ts <install directory> [exact version]');
    process.exit(64);
  }
  const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
  const pkg = readJson('package.json') as InstallPackageJson;
  let plan: CliInstall;
  try {
    plan = planCliInstall(dir, pkg, existsSync('package-lock.json') ? readJson('package-lock.json') : undefined, requestedVersion);
  } catch (error) {
    if (!(error instanceof CliInstallError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  if (requestedVersion) writeFileSync('package.json', `${JSON.stringify({ ...pkg, dependencies: { [plan.cli]: plan.spec } }, null, 2)}\n`);
  if (plan.from === 'lockfile') npm('ci');
  else npm('install');
  // Only node_modules and the lockfile leave this stage, not npm's hidden copy of it.
  rmSync('node_modules/.package-lock.json');
  if (!isExecutable('node_modules/.bin/mw')) {
    console.error(`${plan.cli} has no mw executable`);
    process.exit(1);
  }
  if (plan.from === 'resolved-now') console.warn(plan.warning);
}
