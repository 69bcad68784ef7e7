// The server as production starts it, `node src/main.ts`: started as root this is the launcher,
// which runs the server unprivileged and every mw child under a uid of its own. Only for latency
// figures: no heap readings (the server proper is the launcher's child).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { productionNodeFlags } from '../test/support/server-process.ts';
import { residentMemory, type BenchChild } from './bench-child.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export async function startLauncherChild(node: string, env: Record<string, string>): Promise<BenchChild> {
  const child = spawn(node, [...productionNodeFlags(), MAIN], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://${env.HOST}:${env.PORT}`;
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node src/main.ts did not become healthy (exit ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    memory: () => residentMemory(child.pid!),
    memoryUsageAfterGc: () => Promise.reject(new Error('no heap readings from the launcher')),
    memoryUsage: () => Promise.reject(new Error('no heap readings from the launcher')),
    send: () => {},
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
