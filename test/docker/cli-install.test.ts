// How the image's cli stage installs `mw` (docker/install-cli.ts): from a committed lockfile exactly,
// without one resolved at build time with one warning line, and never from a lockfile written for
// another version than the one asked for. `npm run test:docker` runs both builds for real.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliInstallError, IMAGE_LOCKFILE, type InstallLockfile, planCliInstall } from '../../docker/install-cli.ts';

const projectRoot = join(import.meta.dirname, '..', '..');
const DIR = 'docker/cli';
const CLI = '@mittwald/cli';
const pinned = (spec: string) => ({ dependencies: { [CLI]: spec } });
/** a lockfile as npm writes it for package.json's `spec`, resolved to `version` */
const lockedFor = (spec: string, version = spec): InstallLockfile => ({
  packages: { '': { dependencies: { [CLI]: spec } }, [`node_modules/${CLI}`]: { version } },
});
const refusal = (plan: () => unknown) => {
  try {
    plan();
  } catch (error) {
    expect(error).toBeInstanceOf(CliInstallError);
    return (error as Error).message;
  }
  throw new Error('the install was not refused');
};

describe('the mw CLI install of the image', () => {
  it('installs a committed lockfile as it is, without a warning', () => {
    expect(planCliInstall(DIR, pinned('1.23.0'), lockedFor('1.23.0'))).toEqual({ from: 'lockfile', cli: CLI, spec: '1.23.0' });
  });

  it('without a lockfile resolves the pinned version now and says in one line how to keep the tree', () => {
    const plan = planCliInstall(DIR, pinned('1.23.0'), undefined);
    expect(plan).toMatchObject({ from: 'resolved-now', cli: CLI, spec: '1.23.0' });
    const { warning } = plan as { warning: string };
    expect(warning).not.toContain('\n');
    expect(warning).toMatch(/^warning: no docker\/cli\/package-lock\.json, .*@mittwald\/cli@1\.23\.0 were resolved at build time/);
    expect(warning).toContain(`docker run --rm --entrypoint cat mittwald-mcp:local ${IMAGE_LOCKFILE} > docker/cli/package-lock.json`);
  });

  it('installs the version a build argument asks for, also from a lockfile written for it', () => {
    expect(planCliInstall(DIR, pinned('1.23.0'), undefined, '1.22.0')).toMatchObject({ from: 'resolved-now', spec: '1.22.0' });
    expect(planCliInstall(DIR, pinned('1.23.0'), lockedFor('1.22.0'), '1.22.0')).toEqual({ from: 'lockfile', cli: CLI, spec: '1.22.0' });
  });

  it('refuses a lockfile for another version than the build argument asks for, naming both', () => {
    const message = refusal(() => planCliInstall(DIR, pinned('1.23.0'), lockedFor('1.23.0'), '1.22.0'));
    expect(message).toContain('docker/cli/package-lock.json pins @mittwald/cli@1.23.0, MW_CLI_VERSION asks for 1.22.0');
  });

  it('refuses a lockfile for another version than package.json pins (a version changed, the lockfile not)', () => {
    const message = refusal(() => planCliInstall(DIR, pinned('1.23.0'), lockedFor('1.13.3')));
    expect(message).toContain('docker/cli/package-lock.json pins @mittwald/cli@1.13.3, package.json asks for 1.23.0');
    expect(message).toContain('"Reproducible builds"');
    expect(message).toContain('--build-arg MW_CLI_VERSION=1.13.3');
  });

  it('refuses ranges, in package.json and in the build argument, and anything but the CLI alone', () => {
    expect(refusal(() => planCliInstall(DIR, pinned('^1.23.0'), undefined))).toContain('pin one exact version');
    expect(refusal(() => planCliInstall(DIR, pinned('1.23.0'), undefined, '^1.22'))).toContain('MW_CLI_VERSION must be one exact version');
    expect(refusal(() => planCliInstall(DIR, pinned('1.23.0'), undefined, '1.22.0 && id'))).toContain('MW_CLI_VERSION must be one exact version');
    expect(refusal(() => planCliInstall(DIR, { dependencies: { [CLI]: '1.23.0', other: '1.0.0' } }, undefined))).toContain('must name the CLI alone');
    expect(refusal(() => planCliInstall(DIR, {}, undefined))).toContain('must name the CLI alone, not: nothing');
  });

  it('takes a packed CLI (the tests\' stand-in, a fork) as it is', () => {
    const standIn = { dependencies: { 'mw-stand-in': 'file:mw-stand-in.tgz' } };
    expect(planCliInstall('test/docker/cli', standIn, undefined)).toMatchObject({ from: 'resolved-now', cli: 'mw-stand-in', spec: 'file:mw-stand-in.tgz' });
  });

  it('pins @mittwald/cli at one version in docker/cli, and the image keeps the lockfile where the warning says', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'docker/cli/package.json'), 'utf8'));
    expect(planCliInstall(DIR, pkg, undefined)).toMatchObject({ cli: CLI, spec: expect.stringMatching(/^1\.(2[2-9]|[3-9]\d)\.\d+$/) });
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`COPY --from=cli ${IMAGE_LOCKFILE} ${IMAGE_LOCKFILE}`);
  });
});
