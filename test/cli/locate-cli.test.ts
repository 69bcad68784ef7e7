import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CliNotFoundError, locateCli } from '../../src/cli/locate-cli.ts';
import { copyFixtureCli } from './oclif-packages.ts';

let scratch: string;
let cliRoot: string;
let binDir: string;

beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'locate-test-')));
  cliRoot = copyFixtureCli(scratch);
  // Like npm's node_modules/.bin: a symlink to the package's bin script.
  binDir = join(scratch, 'bin');
  mkdirSync(binDir);
  symlinkSync(join(cliRoot, 'bin', 'run.js'), join(binDir, 'fixcli'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('locateCli', () => {
  const expected = () => ({
    executablePath: join(cliRoot, 'bin', 'run.js'),
    root: cliRoot,
    name: 'fixture-cli',
    version: '1.0.0',
  });

  it('finds a command name on PATH and follows the link to its package', async () => {
    const path = [join(scratch, 'empty-dir'), '', binDir].join(delimiter);
    expect(await locateCli('fixcli', { path })).toEqual(expected());
  });

  it('skips a same-named file on PATH that is not executable', async () => {
    const shadowDir = join(scratch, 'shadow');
    mkdirSync(shadowDir);
    writeFileSync(join(shadowDir, 'fixcli'), '#!/bin/sh\n');
    chmodSync(join(shadowDir, 'fixcli'), 0o644);
    expect(await locateCli('fixcli', { path: [shadowDir, binDir].join(delimiter) })).toEqual(expected());
  });

  it('accepts a path to the executable', async () => {
    expect(await locateCli(join(binDir, 'fixcli'), { path: '' })).toEqual(expected());
  });

  it('reports a name that is not on PATH', async () => {
    await expect(locateCli('fixcli', { path: join(scratch, 'nowhere') })).rejects.toThrow(CliNotFoundError);
    await expect(locateCli('fixcli', { path: join(scratch, 'nowhere') })).rejects.toThrow(/"fixcli" was not found on PATH/);
  });

  it('reports a missing path and an executable outside any oclif package', async () => {
    await expect(locateCli(join(scratch, 'no-such-mw'), { path: '' })).rejects.toThrow(/does not exist or is not executable/);
    const script = join(scratch, 'plain-script');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o755);
    await expect(locateCli(script, { path: '' })).rejects.toThrow(/does not belong to an oclif CLI package/);
  });
});
