// Runs the stand-in `mw` the way the server runs the real one: piped stdout (no TTY), stdin ignored,
// a clean environment with a per-test config dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLUGIN_HOOKS_OFF } from '../../src/cli/child-environment.ts';
import { standInCliPath } from '../support/mw-cli/index.ts';

export interface StandInResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export async function makeConfigDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'mw-stand-in-config-'));
}

/** env: what the child gets besides PATH and the plugin switches (nothing is inherited, like the server's runner) */
export function spawnStandIn(argv: string[], env: Record<string, string>, options: { detached?: boolean } = {}): ChildProcess {
  return spawn(process.execPath, [standInCliPath, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...PLUGIN_HOOKS_OFF, ...env },
    detached: options.detached,
  });
}

export function runStandIn(argv: string[], env: Record<string, string>): Promise<StandInResult> {
  const started = performance.now();
  const child = spawnStandIn(argv, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started }));
  });
}
