// Throw-away copies of oclif CLI packages for tests that write manifests, bump versions or add
// commands: the fixture CLI (with one plugin) and the mw stand-in. Their dependencies are links
// into the project's node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const manifestWriter = join(fixtures, 'write-oclif-manifest.mjs');

function linkProjectDependency(packageRoot: string, name: string): void {
  const target = join(packageRoot, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules', name), target);
}

/** fixture-cli@1.0.0 with the plugin fixture-plugin-hello@2.1.0 installed in its node_modules */
export function copyFixtureCli(parent: string): string {
  const root = join(parent, 'fixture-cli');
  cpSync(join(fixtures, 'oclif-cli'), root, { recursive: true });
  linkProjectDependency(root, '@oclif/core');
  cpSync(join(fixtures, 'oclif-plugin'), join(root, 'node_modules', 'fixture-plugin-hello'), { recursive: true });
  return root;
}

/** reuse-cli@1.0.0: an oclif CLI in mw's bin shape whose commands leave behind what a call could */
export function copyReuseCli(parent: string): string {
  const root = join(parent, 'reuse-cli');
  cpSync(join(fixtures, 'reuse-cli'), root, { recursive: true });
  linkProjectDependency(root, '@oclif/core');
  return root;
}

export const fixturePluginRoot = (cliRoot: string) => join(cliRoot, 'node_modules', 'fixture-plugin-hello');

/** the mw stand-in, without any manifest the original may have at the moment */
export function copyStandInCli(parent: string): string {
  const root = join(parent, 'mw-stand-in');
  const source = join(projectRoot, 'test', 'support', 'mw-cli');
  cpSync(source, root, { recursive: true, filter: (path) => !path.endsWith('oclif.manifest.json') });
  const { dependencies } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(dependencies)) linkProjectDependency(root, name);
  return root;
}

/**
 * what `oclif manifest` writes, produced the way it produces it (every command module loaded). The
 * stand-in's --editor default follows EDITOR, as mw's does, and `npm test` sets EDITOR: without it
 * here, as in the metadata reader's child, both ways read the same defaults.
 */
export function writeManifest(packageRoot: string): void {
  const { EDITOR: _editor, VISUAL: _visual, ...env } = process.env;
  execFileSync(process.execPath, [manifestWriter, packageRoot], { stdio: 'pipe', env });
}

export function setPackageVersion(packageRoot: string, version: string): void {
  const file = join(packageRoot, 'package.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version }, null, 2));
}
