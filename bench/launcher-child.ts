// The server as production starts it, `node src/main.ts`: started as root this is the launcher,
// which runs the server unprivileged and every mw child under a uid of its own. Only for latency
// figures: no heap readings (the server proper is the launcher's child).
import { startServerProcess } from '../test/support/server-process.ts';
import { residentMemory, type BenchChild } from './bench-child.ts';

export async function startLauncherChild(node: string, env: Record<string, string>): Promise<BenchChild> {
  const server = await startServerProcess(env, { nodePath: node, readyTimeoutMs: 60_000 });
  const killOnExit = () => {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', killOnExit);
  return {
    url: server.url,
    pid: server.pid,
    memory: () => residentMemory(server.pid),
    memoryUsageAfterGc: () => Promise.reject(new Error('no heap readings from the launcher')),
    memoryUsage: () => Promise.reject(new Error('no heap readings from the launcher')),
    send: () => {},
    async stop() {
      process.off('exit', killOnExit);
      await server.stop();
    },
  };
}
