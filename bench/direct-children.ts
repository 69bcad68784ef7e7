// `mw` children started the way the server starts its own (src/cli/sandbox: the same bootstrap,
// file sandbox, limits, call directories and compile cache), driven from here without a server:
// what a warm child costs to start and hold, and what a call on one costs without HTTP around it.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseChild } from '../src/cli/run-child-process.ts';
import { DEFAULT_LIMITS } from '../src/config.ts';
import { prepareChildSettings } from '../src/cli/sandbox/child-settings.ts';
import { createLocalSpawner } from '../src/cli/sandbox/local-spawner.ts';
import { sendOnlyRequest, type ChildSpawner, type PreloadLevel, type StartedChild } from '../src/cli/sandbox/spawner.ts';
import { standInCliPath, standInCliRoot } from '../test/support/mw-cli/index.ts';
import { residentMemory } from './bench-child.ts';

export interface DirectChildren {
  spawner: ChildSpawner;
  close(): Promise<void>;
}

export async function openDirectChildren(options: { apiBaseUrl: string; compileCacheDir: string }): Promise<DirectChildren> {
  const callRoot = await mkdtemp(join(tmpdir(), 'bench-direct-children-'));
  const settings = await prepareChildSettings({
    cli: { root: standInCliRoot, executablePath: standInCliPath },
    path: process.env.PATH ?? '/usr/bin:/bin',
    apiBaseUrl: options.apiBaseUrl,
    compileCacheDir: options.compileCacheDir,
    fileSystem: true,
    limits: DEFAULT_LIMITS,
    extraReadPaths: [],
    passThrough: {},
  });
  return {
    spawner: createLocalSpawner({ ...settings.plan, callRoot, isolation: settings.isolation }),
    close: () => rm(callRoot, { recursive: true, force: true }),
  };
}

export interface ReadyChild {
  child: StartedChild;
  /** from start() to its `ready` */
  readyMs: number;
  /** CPU (user + system) it used to get there */
  cpuMs: number;
  /** its resident memory while it waits */
  rssBytes: number;
  threads: number;
}

/** A child started with this preload, once it says ready. */
export async function readyChild(spawner: ChildSpawner, preload: PreloadLevel): Promise<ReadyChild> {
  const started = performance.now();
  const child = await spawner.start({ preload });
  await new Promise<void>((resolve, reject) => {
    child.on('control', (message) => {
      if (message.type === 'ready') resolve();
      if (message.type === 'preload-failed') reject(new Error(`preload failed: ${message.reason}`));
    });
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready`)));
  });
  const readyMs = performance.now() - started;
  // prlimit execs node: the pid is node's
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const [utime, stime] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number);
  const { rssBytes, threads } = residentMemory(child.pid!);
  // clock ticks of 10 ms (USER_HZ is 100 on Linux)
  return { child, readyMs, cpuMs: (utime + stime) * 10, rssBytes, threads };
}

/** Hands the child one request and waits for it to end: the call's wall time in ms (throws on a non-zero exit). */
export async function runOnChild(child: StartedChild, argv: string[], token: string): Promise<number> {
  const started = performance.now();
  sendOnlyRequest(child, { argv, env: { MITTWALD_API_TOKEN: token } });
  const outcome = await superviseChild(child, { timeoutMs: 60_000, maxOutputBytes: 16 * 1024 * 1024, killGraceMs: 1000, what: 'the mw CLI' });
  const elapsed = performance.now() - started;
  await child.cleanedUp;
  if (outcome.exitCode !== 0) throw new Error(`mw ${argv.join(' ')} exited with ${outcome.exitCode}: ${outcome.stdout.slice(0, 300)}`);
  return elapsed;
}
