// Runs the stand-in `mw` the way the server's runner does (same executable, same allow-listed
// environment, a private call directory), minus the server: the reference for the added latency.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCallDirectory, type CallDirectory } from '../src/cli/call-directory.ts';
import { childEnvironment } from '../src/cli/child-environment.ts';
import { standInCliPath } from '../test/support/mw-cli/index.ts';

export interface DirectCli {
  /** runs one command to completion; returns its wall time in ms, throws on a non-zero exit */
  run(argv: string[]): Promise<number>;
  close(): Promise<void>;
}

export async function openDirectCli(options: { mittwaldToken: string; apiBaseUrl: string; compileCacheDir?: string }): Promise<DirectCli> {
  const parent = await mkdtemp(join(tmpdir(), 'bench-direct-cli-'));
  const directory: CallDirectory = await createCallDirectory(parent);
  const env = {
    ...childEnvironment({
      path: process.env.PATH ?? '/usr/bin:/bin',
      directory,
      apiBaseUrl: options.apiBaseUrl,
      compileCacheDir: options.compileCacheDir,
    }),
    // plain `mw`: the token in its environment, no sandbox, no control pipe
    MITTWALD_API_TOKEN: options.mittwaldToken,
  };
  return {
    run: (argv) => spawnTimed(standInCliPath, argv, env, directory.cwd),
    close: () => rm(parent, { recursive: true, force: true }),
  };
}

function spawnTimed(executable: string, argv: string[], env: Record<string, string>, cwd: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(executable, argv, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`mw ${argv.join(' ')} exited with ${code}: ${stderr.slice(0, 300)}`)),
    );
  });
}
