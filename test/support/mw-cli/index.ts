// The stand-in `mw` CLI as tests and the server see it: where it lives, and `oclif manifest` on demand
// (the published mw ships without a manifest, so tests need both states).
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

export const standInCliRoot = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
export const standInCliPath = fileURLToPath(new URL('./bin/run.js', import.meta.url));
export const standInManifestPath = fileURLToPath(new URL('./oclif.manifest.json', import.meta.url));

/** Does what `oclif manifest` does: load every command module (ignoring any old manifest) and cache its metadata. */
export async function writeStandInManifest(): Promise<string> {
  const plugin = new Plugin({ root: standInCliRoot, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  const { version, commands } = plugin.manifest;
  await writeFile(standInManifestPath, `${JSON.stringify({ commands, version }, null, 2)}\n`);
  return standInManifestPath;
}

export async function removeStandInManifest(): Promise<void> {
  await rm(standInManifestPath, { force: true });
}

/** Writes or removes the manifest, as asked (callers restore the state they found). */
export async function setStandInManifest(present: boolean): Promise<void> {
  if (present === existsSync(standInManifestPath)) return;
  if (present) await writeStandInManifest();
  else await removeStandInManifest();
}
