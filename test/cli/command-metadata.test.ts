import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandMetadataError, createCommandMetadataReader } from '../../src/cli/command-metadata.ts';
import { locateCli } from '../../src/cli/locate-cli.ts';
import type { CliCommand, CliCommandSet } from '../../src/cli/types.ts';
import { copyFixtureCli, fixturePluginRoot, setPackageVersion, writeManifest } from './oclif-packages.ts';

let scratch: string;
let copies = 0;
beforeAll(() => {
  scratch = realpathSync(mkdtempSync(join(tmpdir(), 'metadata-test-')));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** a fresh copy of the fixture CLI and a cache dir of its own */
function freshFixture() {
  const dir = join(scratch, `copy-${++copies}`);
  return { root: copyFixtureCli(dir), cacheDir: join(dir, 'cache') };
}

const locate = (root: string) => locateCli(join(root, 'bin', 'run.js'), { path: '' });
const command = (set: CliCommandSet, id: string): CliCommand => set.commands.find((c) => c.id === id)!;
// A node that does not exist: reading succeeds only if no child process is needed.
const noNode = '/nonexistent/node';

let viaOclif: CliCommandSet;
beforeAll(async () => {
  const { root, cacheDir } = freshFixture();
  viaOclif = await createCommandMetadataReader({ cacheDir }).read(await locate(root));
});

describe('reading commands through oclif (no manifest)', () => {
  it('lists every command once, plugin commands included, aliases on their command', () => {
    expect(viaOclif.cliVersion).toBe('1.0.0');
    expect(viaOclif.commands.map((c) => c.id)).toEqual([
      'database:mysql:create',
      'debug:state',
      'hello',
      'project:delete',
      'project:get',
      'project:list',
    ]);
    expect(command(viaOclif, 'project:delete').aliases).toEqual(['project:rm']);
    expect(command(viaOclif, 'debug:state').hidden).toBe(true);
    expect(command(viaOclif, 'project:list').hidden).toBe(false);
  });

  it('keeps positional arguments in declaration order', () => {
    expect(command(viaOclif, 'project:get')).toMatchObject({
      summary: 'Get a project',
      description: 'Shows one project in detail.',
      args: [
        { name: 'project-id', description: 'ID or short ID of a project', required: true },
        { name: 'field', description: 'show only this field', required: false, options: ['id', 'description'], default: 'id' },
      ],
    });
  });

  it('describes flags, inherited base flags included', () => {
    const list = command(viaOclif, 'project:list').flags;
    expect(list.token).toEqual({ name: 'token', type: 'option', summary: 'API token to use', helpGroup: 'AUTHENTICATION', required: false, multiple: false });
    expect(list.output).toEqual({
      name: 'output', type: 'option', char: 'o', summary: 'output format', required: true, multiple: false,
      options: ['txt', 'json', 'yaml'], default: 'txt',
    });
    expect(list.extended).toEqual({ name: 'extended', type: 'boolean', char: 'x', summary: 'show extended information', required: false, multiple: false, allowNo: false });
    // oclif caches no defaults for boolean flags.
    expect(list.header).toEqual({ name: 'header', type: 'boolean', summary: 'print the table header', required: false, multiple: false, allowNo: true });

    const create = command(viaOclif, 'database:mysql:create').flags;
    expect(create.tag).toMatchObject({ multiple: true, delimiter: ',' });
    expect(create.version).toMatchObject({ required: true, helpGroup: 'DATABASE' });
    expect(create['user-password'].exclusive).toEqual(['generate-password']);
    expect(create['generate-password'].dependsOn).toEqual(['project-id']);
    expect(create['debug-internal'].hidden).toBe(true);
    expect(command(viaOclif, 'hello').flags).toEqual({});
  });

  it('reports a CLI that oclif cannot load', async () => {
    const { root, cacheDir } = freshFixture();
    unlinkSync(join(root, 'node_modules', '@oclif', 'core'));
    const cli = await locate(root);
    await expect(createCommandMetadataReader({ cacheDir }).read(cli)).rejects.toThrow(CommandMetadataError);
  });
});

describe('reading commands from oclif manifests', () => {
  it('gives the same commands as oclif, without starting a child', async () => {
    const { root, cacheDir } = freshFixture();
    writeManifest(root);
    writeManifest(fixturePluginRoot(root));
    const fromManifests = await createCommandMetadataReader({ cacheDir, nodePath: noNode }).read(await locate(root));
    expect(fromManifests).toEqual(viaOclif);
  });

  it('asks oclif when a plugin has no manifest', async () => {
    const { root, cacheDir } = freshFixture();
    writeManifest(root);
    const cli = await locate(root);
    await expect(createCommandMetadataReader({ cacheDir, nodePath: noNode }).read(cli)).rejects.toThrow(CommandMetadataError);
    expect(await createCommandMetadataReader({ cacheDir }).read(cli)).toEqual(viaOclif);
  });

  it('ignores a manifest written for another version', async () => {
    const { root, cacheDir } = freshFixture();
    writeManifest(root);
    writeManifest(fixturePluginRoot(root));
    const manifestFile = join(root, 'oclif.manifest.json');
    const stale = JSON.parse(readFileSync(manifestFile, 'utf8'));
    stale.version = '0.9.0';
    stale.commands['project:removed'] = { ...stale.commands['project:list'], id: 'project:removed' };
    writeFileSync(manifestFile, JSON.stringify(stale));

    const read = await createCommandMetadataReader({ cacheDir }).read(await locate(root));
    expect(read).toEqual(viaOclif);
  });
});

describe('caching', () => {
  it('reuses what it read for the same CLI name and version, also after a restart', async () => {
    const { root, cacheDir } = freshFixture();
    const reader = createCommandMetadataReader({ cacheDir });
    const first = await reader.read(await locate(root));
    expect(await reader.read(await locate(root))).toBe(first);

    // A command added without a version change is not seen: the cached set is used (as oclif would use its manifest).
    cpSync(join(root, 'commands', 'project', 'get.js'), join(root, 'commands', 'project', 'show.js'));
    const afterRestart = await createCommandMetadataReader({ cacheDir, nodePath: noNode }).read(await locate(root));
    expect(afterRestart).toEqual(first);

    setPackageVersion(root, '1.1.0');
    const nextVersion = await createCommandMetadataReader({ cacheDir }).read(await locate(root));
    expect(nextVersion.cliVersion).toBe('1.1.0');
    expect(nextVersion.commands.map((c) => c.id)).toContain('project:show');
  });

  it('does not trust a cache directory that other users can write to', async () => {
    const { root, cacheDir } = freshFixture();
    await createCommandMetadataReader({ cacheDir }).read(await locate(root));
    const [cacheFile] = readdirSync(cacheDir);
    const planted = { cliVersion: '1.0.0', commands: [{ id: 'planted', hidden: false, aliases: [], args: [], flags: {} }] };
    writeFileSync(join(cacheDir, cacheFile), JSON.stringify(planted));
    chmodSync(cacheDir, 0o777);

    expect(await createCommandMetadataReader({ cacheDir }).read(await locate(root))).toEqual(viaOclif);
  });
});
