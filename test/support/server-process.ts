// Our server as a real process (`node src/main.ts`, as `npm start` runs it), for tests that need
// what only a process has: SIGTERM and its exit code, a restart on the same Redis, its RSS, its
// open file descriptors and (through the inspector, nothing added to the server) its heap after GC.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The Node flags production runs the server with: those of `npm start` (package.json), so tests
 * and benchmarks of the server process measure the memory behaviour production has. Without the
 * Node version check `npm start` preloads (`--require`): the image and the tests run Node 24.
 */
export function productionNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  const flags = words.slice(words.indexOf('node') + 1, words.indexOf('src/main.ts'));
  return flags.filter((flag, i) => flag !== '--require' && flags[i - 1] !== '--require');
}

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
  /** process.memoryUsage() right after full garbage collections (needs `inspect`) */
  memoryAfterGc(): Promise<NodeJS.MemoryUsage>;
}

export interface ServerProcessOptions {
  readyTimeoutMs?: number;
  /** node to run it with (default: this one); the isolation tests need one other uids can run */
  nodePath?: string;
  /** start it as this user instead of ours (from a root test: the unprivileged path) */
  user?: { uid: number; gid: number };
  /** the directory the process starts in (default: the project's root, as `npm start` does) */
  cwd?: string;
  /** open the inspector on a free loopback port, for memoryAfterGc() */
  inspect?: boolean;
  /** start it (as root) as in the container: only these capabilities (compose's cap_add), no_new_privs */
  containerCapabilities?: string[];
}

export async function startServerProcess(env: Record<string, string>, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const url = `http://${env.HOST ?? '127.0.0.1'}:${env.PORT}`;
  const execArgv = [...productionNodeFlags(), ...(options.inspect ? ['--inspect=127.0.0.1:0'] : [])];
  const node = [options.nodePath ?? process.execPath, ...execArgv, join(projectRoot, 'src/main.ts')];
  // setpriv execs node in its place (same pid) with no capability outside the bounding set
  const caps = options.containerCapabilities;
  const command = caps
    ? ['setpriv', `--bounding-set=-all,${caps.map((name) => `+${name.toLowerCase()}`).join(',')}`, '--inh-caps=-all', '--no-new-privs', '--', ...node]
    : node;
  const child: ChildProcess = spawn(command[0], command.slice(1), {
    cwd: options.cwd ?? projectRoot,
    // as `npm start` gets them: where to find programs, and a home for the state directory
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
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
  let inspector: Inspector | undefined;
  return {
    url,
    pid,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      inspector?.close();
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
    async memoryAfterGc() {
      const address = /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (!address) throw new Error('the server was not started with `inspect`');
      inspector ??= await connectInspector(address);
      // Two passes: the first may only run finalisers whose memory the second frees.
      await inspector.call('HeapProfiler.collectGarbage');
      await inspector.call('HeapProfiler.collectGarbage');
      const reading = await inspector.call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
      return JSON.parse((reading as { result: { value: string } }).result.value) as NodeJS.MemoryUsage;
    },
  };
}

interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** A Chrome DevTools Protocol client over the process's inspector WebSocket. */
async function connectInspector(address: string): Promise<Inspector> {
  const socket = new WebSocket(address);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${address}`)), { once: true });
  });
  const pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  return {
    call: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}
