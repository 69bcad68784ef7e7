// Runs the stand-in once with the module counter and sorts what it loaded by package.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLUGIN_HOOKS_OFF } from '../../src/cli/child-environment.ts';
import { standInCliPath } from '../support/mw-cli/index.ts';

const counter = fileURLToPath(new URL('./module-counter.ts', import.meta.url));

export interface ModuleCount {
  total: number;
  /** package name (or "mw-stand-in" for its own files) → modules */
  byPackage: Record<string, number>;
}

export function packageOf(url: string): string {
  const inNodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return inNodeModules ? inNodeModules[1] : 'mw-stand-in';
}

export async function countStandInModules(argv: string[], env: Record<string, string>): Promise<ModuleCount> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mw-module-count-'));
  const file = path.join(dir, 'modules.json');
  try {
    await new Promise<void>((resolve) => {
      execFile(process.execPath, ['--import', counter, standInCliPath, ...argv], { env: { PATH: process.env.PATH ?? '', ...PLUGIN_HOOKS_OFF, ...env, MODULE_COUNTER_FILE: file } }, () => resolve());
    });
    const urls = JSON.parse(await readFile(file, 'utf8')) as string[];
    const byPackage: Record<string, number> = {};
    for (const url of urls) byPackage[packageOf(url)] = (byPackage[packageOf(url)] ?? 0) + 1;
    return { total: urls.length, byPackage };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
