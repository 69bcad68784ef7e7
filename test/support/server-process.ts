// Our server as a real process (`node src/main.ts`, as `npm start` runs it), for tests that need
// what only a process has: SIGTERM and its exit code, a restart on the same Redis, its RSS and its
// open file descriptors.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  /** http://HOST:PORT the process listens on (may differ from PUBLIC_URL behind a shared origin) */
  url: string;
  pid: number;
  /** everything the process wrote to stdout and stderr so far */
  output(): string;
  /** SIGTERM and wait for the exit; resolves with the exit code (null when killed by a signal) */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** resident set size in kB, from /proc/<pid>/status */
  rssKb(): number;
  /** number of open file descriptors, from /proc/<pid>/fd */
  openFds(): number;
}

export interface ServerProcessOptions {
  readyTimeoutMs?: number;
  /** the directory the process starts in (default: the project's root, as `npm start` does) */
  cwd?: string;
}

export async function startServerProcess(env: Record<string, string>, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const url = `http://${env.HOST ?? '127.0.0.1'}:${env.PORT}`;
  const child: ChildProcess = spawn(process.execPath, [join(projectRoot, 'src/main.ts')], {
    cwd: options.cwd ?? projectRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + (options.readyTimeoutMs ?? 45_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was healthy: ${output}`);
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not healthy within the time allowed: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const pid = child.pid!;
  return {
    url,
    pid,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    rssKb() {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(match?.[1] ?? 0);
    },
    openFds() {
      return readdirSync(`/proc/${pid}/fd`).length;
    },
  };
}
