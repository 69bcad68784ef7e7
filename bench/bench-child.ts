// A benchmark party in its own process (so its CPU and memory are its own): forked with an IPC
// channel, it reports `ready` with its URL, answers heap readings after a full GC, and stops on
// request. The parent reads its RSS from /proc. A child left behind is killed when the bench exits.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const START_TIMEOUT_MS = 30_000;

export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'heap'; usage: NodeJS.MemoryUsage }
  | { type: 'usage'; usage: NodeJS.MemoryUsage };

export interface ResidentMemory {
  rssBytes: number;
  /** peak RSS since the process started */
  peakBytes: number;
  threads: number;
}

export interface BenchChild {
  url: string;
  pid: number;
  memory(): ResidentMemory;
  /** process.memoryUsage() of the child right after a full GC */
  memoryUsageAfterGc(): Promise<NodeJS.MemoryUsage>;
  /** process.memoryUsage() of the child as it is (no GC): for sampling under load */
  memoryUsage(): Promise<NodeJS.MemoryUsage>;
  send(message: unknown): void;
  stop(): Promise<void>;
}

export function residentMemory(pid: number): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: bytes('VmRSS'), peakBytes: bytes('VmHWM'), threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN) };
}

/** With `--profile`, every bench child writes a V8 CPU profile here when it stops (open in Chrome DevTools). */
const PROFILE_DIR = process.argv.includes('--profile') ? new URL('./profiles/', import.meta.url).pathname : undefined;

export async function startBenchChild(
  script: URL,
  options: { env?: Record<string, string>; init?: unknown; nodeFlags?: string[] } = {},
): Promise<BenchChild> {
  const child: ChildProcess = fork(script, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    execArgv: [...(options.nodeFlags ?? []), '--expose-gc', ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])],
    // stdout is drained, not shown: the server logs there as in production, and that cost belongs in the figures.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout!.resume();
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const next = <T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${script.pathname} sent no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: ChildMessage) => message.type === type && done(undefined, message);
      const onExit = (code: number | null) => done(new Error(`${script.pathname} exited with ${code} before ${type}`));
      const done = (error?: Error, message?: ChildMessage) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message as Extract<ChildMessage, { type: T }>);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  const ready = next('ready', START_TIMEOUT_MS);
  if (options.init !== undefined) child.send(options.init as object);
  let url: string;
  try {
    ({ url } = await ready);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    pid: child.pid!,
    memory: () => residentMemory(child.pid!),
    async memoryUsageAfterGc() {
      const reply = next('heap', 10_000);
      child.send({ type: 'heap' });
      return (await reply).usage;
    },
    async memoryUsage() {
      const reply = next('usage', 10_000);
      child.send({ type: 'usage' });
      return (await reply).usage;
    },
    send: (message) => child.send(message as object),
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(forced);
    },
  };
}

/** The child's half: answer heap readings, stop on request. */
export function serveParent(stop: () => Promise<void>): void {
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'heap') {
      // Two passes: the first may only run finalisers whose memory the second frees.
      globalThis.gc!();
      globalThis.gc!();
      process.send!({ type: 'heap', usage: process.memoryUsage() } satisfies ChildMessage);
    } else if (message.type === 'usage') {
      process.send!({ type: 'usage', usage: process.memoryUsage() } satisfies ChildMessage);
    } else if (message.type === 'stop') {
      await stop();
      process.disconnect();
    }
  });
}

export function reportReady(url: string): void {
  process.send!({ type: 'ready', url } satisfies ChildMessage);
}
