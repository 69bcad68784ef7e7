// What a test sees of a process it started, from /proc.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** false for processes that are gone or only a zombie waiting to be reaped */
export function isAlive(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * polls `condition` until it holds; fails naming `what` after `timeoutMs`. Every 50 ms: many
 * conditions run `ps` or read /proc, and on a machine shared with another test run a tighter poll
 * is load of its own.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The limits need prlimit (util-linux): without it the server runs without them and says so. */
export const prlimitMissing = spawnSync('prlimit', ['--version']).error ? 'prlimit (util-linux) is not installed: no resource limits' : undefined;
