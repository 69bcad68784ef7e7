// The stand-in starts like the real mw: it loads what mw's first command loads (oclif, the API
// client, Ink and React for the error box) whether or not an oclif manifest is there. Counts only;
// what they cost in time is `npm run bench` (section 5).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { removeStandInManifest, writeStandInManifest } from '../support/mw-cli/index.ts';
import { countStandInModules } from './count-modules.ts';
import { makeConfigDir, runStandIn } from './run-stand-in.ts';

const REAL_LIBRARIES = ['@oclif/core', '@mittwald/api-client', '@mittwald/api-client-commons', 'axios', 'ink', 'react', 'react-reconciler', 'yoga-layout'];

let api: MittwaldApiSimulator;
let env: Record<string, string>;

beforeAll(async () => {
  api = await startMittwaldApiSimulator();
  api.grantToken('t', api.users[0].userId);
  env = { MITTWALD_API_BASE_URL: api.url, MITTWALD_API_TOKEN: 't', MW_CONFIG_DIR: await makeConfigDir() };
});

afterAll(async () => {
  await removeStandInManifest();
  await api.close();
});

describe('what the stand-in loads at start', () => {
  it('a command run loads oclif, the API client, Ink and React, with or without a manifest', async () => {
    await removeStandInManifest();
    const withoutManifest = await countStandInModules(['project', 'list', '-o', 'json'], env);
    await writeStandInManifest();
    const withManifest = await countStandInModules(['project', 'list', '-o', 'json'], env);

    for (const count of [withoutManifest, withManifest]) {
      for (const library of REAL_LIBRARIES) expect({ library, loaded: (count.byPackage[library] ?? 0) > 0 }).toEqual({ library, loaded: true });
      // at least what the issue measured for the real mw's first command
      expect(count.total).toBeGreaterThanOrEqual(330);
    }
  });

  it('an error, also one oclif raises before any command runs, is drawn by Ink as mw draws it', async () => {
    // CI=1 as well: Ink renders differently in CI, the box must not
    const result = await runStandIn(['no-such-command'], env);
    const inCi = await runStandIn(['no-such-command'], { ...env, CI: '1' });

    const lines = ['ERROR', 'command no-such-command not found'];
    const width = Math.max(...lines.map((line) => line.length)) + 2;
    const box = [`╭${'─'.repeat(width)}╮`, ...lines.map((line) => `│ ${line.padEnd(width - 2)} │`), `╰${'─'.repeat(width)}╯`, ''];
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(box.join('\n'));
    expect(inCi.stdout).toBe(box.join('\n'));
  });
});
