// Starts a throwaway redis-server on 127.0.0.1 (free port, no persistence) for one suite.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** start again on the same port (for outage tests) */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing is answered (a stalled Redis) */
  freeze(): void;
  thaw(): void;
}

/** Linux's range for outgoing connections' local ports (and listen(0)); a common default elsewhere. */
function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A loopback port nothing listens on, for a server whose URL must be known before it starts.
 * Taken from below the ephemeral range: a port inside it (what listen(0) gives) may be handed to
 * any outgoing connection meanwhile, which on a busy machine happens often enough that the server
 * then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPortRange();
  const from = Math.max(1024, low - 16_384);
  for (let attempt = 0; attempt < 50 && low - from > 1000; attempt++) {
    const candidate = from + randomInt(low - from);
    if (handedOut.has(candidate)) continue;
    if ((await listenOnce(candidate)) !== undefined) {
      handedOut.add(candidate);
      return candidate;
    }
  }
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/** Starts `redis-server` with these arguments and resolves once it says it is ready (a sentinel too). */
export async function spawnRedisServer(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', (error) => reject(new Error(`cannot start redis-server (install the Debian package redis-server): ${error.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections|Sentinel ID is/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return child;
}

export async function startTestRedis(options: { keepData?: boolean; maxMemory?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  // keepData: an append-only file synced on every write in a temporary directory, so a stop
  // (even SIGKILL) and start loses nothing, as a production Redis with AOF would.
  const persistence = options.keepData
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', mkdtempSync(join(tmpdir(), 'mwmcp-redis-'))]
    : ['--appendonly', 'no'];
  // maxMemory: bounded as docker-compose.yml bounds it, full writes refused and nothing evicted
  const memory = options.maxMemory ? ['--maxmemory', options.maxMemory, '--maxmemory-policy', 'noeviction'] : [];

  const start = async () => {
    child = await spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...memory]);
  };

  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  await start();
  const signal = (name: NodeJS.Signals) => () => void (child?.exitCode === null && child.kill(name));
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, freeze: signal('SIGSTOP'), thaw: signal('SIGCONT') };
}
