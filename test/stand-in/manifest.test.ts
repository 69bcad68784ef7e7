// writeStandInManifest must produce what `oclif manifest` would, and the stand-in must run with and without it.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFile, stat } from 'node:fs/promises';
import { Config } from '@oclif/core';
import { startMittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { removeStandInManifest, standInCliRoot, writeStandInManifest } from '../support/mw-cli/index.ts';
import { makeConfigDir, runStandIn } from './run-stand-in.ts';

afterAll(async () => {
  await removeStandInManifest();
});

async function medianCallMs(env: Record<string, string>, runs = 3): Promise<number> {
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await runStandIn(['project', 'list', '-o', 'json'], env);
    expect(result.code).toBe(0);
    durations.push(result.durationMs);
  }
  return durations.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

describe('stand-in manifest', () => {
  it('lists the same command ids, flags and args as loading the commands directly', async () => {
    await removeStandInManifest();
    const loaded = await Config.load({ root: standInCliRoot });
    const manifestPath = await writeStandInManifest();
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));

    expect(manifest.version).toBe(loaded.version);
    // oclif lists an alias (project backup create) as a command of its own; a manifest lists it under
    // its command, and only the CLI's own commands (each plugin has its own manifest)
    const own = loaded.commands.filter((c) => c.pluginName === loaded.name);
    const aliases = new Set(own.flatMap((c) => c.aliases));
    expect(Object.keys(manifest.commands).sort()).toEqual(own.map((c) => c.id).filter((id) => !aliases.has(id)).sort());
    expect(manifest.commands['project:list'].flags.token).toMatchObject({ type: 'option', helpGroup: 'AUTHENTICATION' });
    expect(manifest.commands['project:list'].flags.output.options).toEqual(['txt', 'json', 'yaml', 'csv', 'tsv']);
    expect(Object.keys(manifest.commands['project:delete'].args)).toEqual(['project-id']);
    expect(manifest.commands['stand-in:hang'].flags.token).toBeUndefined();
  });

  it('the stand-in runs with and without the manifest (time per call is measured and reported)', async () => {
    const api = await startMittwaldApiSimulator();
    api.grantToken('t', api.users[0].userId);
    const env = { MITTWALD_API_BASE_URL: api.url, MITTWALD_API_TOKEN: 't', MW_CONFIG_DIR: await makeConfigDir() };
    try {
      await removeStandInManifest();
      const withoutManifest = await medianCallMs(env);
      await writeStandInManifest();
      expect((await stat(`${standInCliRoot}/oclif.manifest.json`)).isFile()).toBe(true);
      const withManifest = await medianCallMs(env);
      console.log(`stand-in mw per call (median of 3): without manifest ${withoutManifest.toFixed(0)} ms, with manifest ${withManifest.toFixed(0)} ms`);
    } finally {
      await api.close();
    }
  });
});
