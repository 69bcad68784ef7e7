// Runs the stand-in `mw` the way the server's runner does (same executable, same allow-listed
// environment, a private call directory), minus the server: the reference for the added latency.
import { spawn } from 'node:child_process';
import { createCallDirectory, type CallDirectory } from '../src/cli/call-directory.ts';
import { childEnvironment } from '../src/cli/child-environment.ts';
import { standInCliPath } from '../test/support/mw-cli/index.ts';

export interface DirectCli {
  /** runs one command to completion; returns its wall time in ms, throws on a non-zero exit */
  run(argv: string[]): Promise<number>;
  close(): Promise<void>;
}

export async function openDirectCli(options: { executable?: string; mittwaldToken: string; apiBaseUrl: string; compileCacheDir?: string }): Promise<DirectCli> {
  const executable = options.executable ?? standInCliPath;
  const directory: CallDirectory = await createCallDirectory();
  const env = childEnvironment({
    path: process.env.PATH ?? '/usr/bin:/bin',
    directory,
    mittwaldToken: options.mittwaldToken,
    apiBaseUrl: options.apiBaseUrl,
    compileCacheDir: options.compileCacheDir,
  });
  return {
    run: (argv) => spawnTimed(executable, argv, env, directory.cwd),
    close: () => directory.remove(),
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
