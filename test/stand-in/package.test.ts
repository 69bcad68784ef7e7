// The stand-in is packable as the real mw is: `npm pack` yields a tarball whose package runs as `mw`
// once installed, with its dependencies pinned and the surface data inside. Packing and reading the
// tarball is offline and part of `npm test`; installing it needs the npm registry (the npm cache
// alone cannot resolve the dependency tree on a fresh machine), so that part runs only with
// MW_STAND_IN_INSTALL_TEST=1.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startMittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { standInCliRoot } from '../support/mw-cli/index.ts';

const run = promisify(execFile);
const npm = 'npm';
const npx = 'npx';
// npm and npx get the machine's whole environment: reaching the registry may need its CA and proxy settings
const childEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
const rootPackage = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };

interface StandInPackage {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  oclif: { commands: { strategy: string; target: string; identifier: string }; plugins: string[] };
}

let scratch: string;
let tarball: string;
let entries: string[];
let packed: StandInPackage;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'mw-stand-in-pack-'));
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', scratch], { cwd: standInCliRoot, env: childEnv });
  tarball = path.join(scratch, (JSON.parse(stdout) as Array<{ filename: string }>)[0].filename);
  entries = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean);
  packed = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as StandInPackage;
}, 60_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('npm pack of the stand-in', () => {
  it('holds the CLI, its commands, the surface data and package.json, and nothing of the test harness', () => {
    expect(entries).toEqual(expect.arrayContaining(['package/package.json', 'package/bin/run.js', 'package/commands.js', 'package/data/mw-surface.json', 'package/lib/surface.js']));
    expect(entries.filter((entry) => entry.startsWith('package/commands/')).length).toBeGreaterThanOrEqual(25);
    for (const entry of entries) expect(entry).toMatch(/^package\/(package\.json|commands\.js|(bin|commands|lib|data)\/.+)$/);
    expect(entries).not.toContain('package/index.ts');
    expect(entries).not.toContain('package/oclif.manifest.json');
  });

  it('installs a `mw` bin and names its dependencies with exact versions, the ones the project tests with', () => {
    expect(packed.bin).toEqual({ mw: 'bin/run.js' });
    expect(packed.files).toEqual(expect.arrayContaining(['bin', 'commands.js', 'commands', 'lib', 'data']));
    expect(Object.keys(packed.dependencies).sort()).toEqual([
      '@mittwald/api-client',
      '@oclif/core',
      // the plugins mw's package.json loads
      '@oclif/plugin-autocomplete',
      '@oclif/plugin-help',
      '@oclif/plugin-update',
      '@oclif/plugin-warn-if-update-available',
      'ink',
      'react',
    ]);
    expect(packed.oclif.plugins).toEqual(['@oclif/plugin-help', '@oclif/plugin-update', '@oclif/plugin-warn-if-update-available', '@oclif/plugin-autocomplete']);
    for (const [name, version] of Object.entries(packed.dependencies)) {
      expect({ name, version }).toEqual({ name, version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
      expect({ name, version }).toEqual({ name, version: rootPackage.devDependencies[name] });
    }
    // the oclif that writes its manifest, pinned (the Dockerfile uses the same)
    expect(packed.devDependencies.oclif).toMatch(/^\d+\.\d+\.\d+$/);
    expect(packed.oclif.commands).toEqual({ strategy: 'explicit', target: './commands.js', identifier: 'COMMANDS' });
  });

  it('its bin is a node script', async () => {
    const bin = (await run('tar', ['-xzOf', tarball, 'package/bin/run.js'])).stdout;
    expect(bin.split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});

const installing = process.env.MW_STAND_IN_INSTALL_TEST === '1' ? describe : describe.skip;

installing('the packed stand-in installed from the registry (MW_STAND_IN_INSTALL_TEST=1)', () => {
  it('installs into an empty directory, runs as mw, and takes an `oclif manifest` it then starts from', async () => {
    const project = path.join(scratch, 'install');
    await run('mkdir', ['-p', project]);
    await writeFile(path.join(project, 'package.json'), '{"private": true}\n');
    await run(npm, ['install', '--no-audit', '--no-fund', tarball], { cwd: project, env: childEnv });
    const mw = path.join(project, 'node_modules', '.bin', 'mw');
    const root = path.join(project, 'node_modules', packed.name);

    expect((await run(mw, ['--version'], { env: childEnv })).stdout).toContain(`${packed.name}/${packed.version}`);

    const api = await startMittwaldApiSimulator();
    api.grantToken('t', api.users[0].userId);
    const env = { ...childEnv, MITTWALD_API_BASE_URL: api.url, MITTWALD_API_TOKEN: 't', MW_CONFIG_DIR: project };
    try {
      const listIds = async () => (JSON.parse((await run(mw, ['project', 'list', '-o', 'json'], { env })).stdout) as Array<{ id: string }>).map((p) => p.id).sort();
      expect(await listIds()).toEqual(api.users[0].projects.map((p) => p.id).sort());

      await run(npx, ['--yes', `oclif@${packed.devDependencies.oclif}`, 'manifest', root], { cwd: project, env: childEnv });
      const manifest = JSON.parse(await readFile(path.join(root, 'oclif.manifest.json'), 'utf8')) as { version: string; commands: Record<string, unknown> };
      expect(manifest.version).toBe(packed.version);
      expect(Object.keys(manifest.commands)).toEqual(expect.arrayContaining(['project:list', 'conversation:create', 'stand-in:hang']));
      expect(await listIds()).toEqual(api.users[0].projects.map((p) => p.id).sort());

      // the server reads the installed CLI's commands with Config.load in a child process
      const printMetadata = fileURLToPath(new URL('../../src/cli/print-command-metadata.ts', import.meta.url));
      const { stdout } = await run(process.execPath, [printMetadata, root], { env: childEnv, maxBuffer: 64 * 1024 * 1024 });
      expect((JSON.parse(stdout) as { commands: Array<{ id: string }> }).commands.map((c) => c.id)).toEqual(expect.arrayContaining(['app:ssh', 'project:list']));
    } finally {
      await api.close();
    }
  }, 300_000);
});
