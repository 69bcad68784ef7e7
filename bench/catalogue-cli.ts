// The stand-in `mw` knows a few commands; the real one 192. For figures that depend on the catalogue
// (tools/list size, memory) the server gets a CLI package whose oclif manifest lists the real mw
// command surface (test/support/mw-cli/data/mw-surface.json), with the stand-in's own commands in
// place of their surface entries, and whose executable runs the stand-in: listed tools are those
// of production, called ones really run.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Plugin } from '@oclif/core';
import type { CliCommand } from '../src/cli/types.ts';
import { standInCliPath, standInCliRoot } from '../test/support/mw-cli/index.ts';
import { mwSurfaceCommandSet } from '../test/support/mw-surface.ts';

export interface CatalogueCli {
  executable: string;
  /** what its executable reads outside the package (the stand-in and its dependencies): CLI_SANDBOX_READ_PATHS */
  readPaths: string[];
  remove(): Promise<void>;
}

/** A normalised command back in oclif's cached shape (arguments keyed by name, in order). */
function asManifestCommand(command: CliCommand): Record<string, unknown> {
  return { ...command, args: Object.fromEntries(command.args.map((arg) => [arg.name, arg])) };
}

async function standInManifestCommands(): Promise<Record<string, unknown>> {
  const plugin = new Plugin({ root: standInCliRoot, type: 'core', ignoreManifest: true });
  await plugin.load();
  return plugin.manifest.commands as Record<string, unknown>;
}

export async function createCatalogueCli(): Promise<CatalogueCli> {
  const surface = mwSurfaceCommandSet();
  const commands: Record<string, unknown> = Object.fromEntries(surface.commands.map((command) => [command.id, asManifestCommand(command)]));
  Object.assign(commands, await standInManifestCommands());
  const manifestCommands = JSON.stringify(commands);
  // The server caches metadata per CLI name and version: the version changes whenever the commands do.
  const version = `${surface.cliVersion}-bench.${createHash('sha256').update(manifestCommands).digest('hex').slice(0, 12)}`;

  const root = await mkdtemp(join(tmpdir(), 'bench-mw-catalogue-'));
  // readable by the per-call uids of a server started as root
  await chmod(root, 0o755);
  await mkdir(join(root, 'bin'));
  const packageJson = { name: 'mw-bench-catalogue', version, type: 'module', bin: { mw: 'bin/run.js' }, oclif: { bin: 'mw', commands: './commands', topicSeparator: ' ' } };
  await writeFile(join(root, 'package.json'), JSON.stringify(packageJson));
  await writeFile(join(root, 'oclif.manifest.json'), `{"version":${JSON.stringify(version)},"commands":${manifestCommands}}`);
  const executable = join(root, 'bin', 'run.js');
  await writeFile(executable, `#!/usr/bin/env node\nimport ${JSON.stringify(pathToFileURL(standInCliPath).href)};\n`);
  await chmod(executable, 0o755);
  const projectNodeModules = fileURLToPath(new URL('../node_modules', import.meta.url));
  return { executable, readPaths: [standInCliRoot, projectNodeModules], remove: () => rm(root, { recursive: true, force: true }) };
}
