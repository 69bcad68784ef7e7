// Running docker (and the engine script) from test:docker: each call's output is kept, shown in
// full when a step fails, and never interleaved with the report.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

export async function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  const started = performance.now();
  // no stdin: a command that exits without reading it would end this process with EPIPE
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const result = { code, stdout, stderr, seconds: (performance.now() - started) / 1000 };
  if (code !== 0 && !options.allowFailure) {
    const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new CommandError(`${command} ${args.join(' ')} exited with ${code}:\n${output}`);
  }
  return result;
}

/** `docker …` with the engine's DOCKER_HOST and DOCKER_CONFIG. */
export function docker(args: string[], options: { allowFailure?: boolean } = {}): Promise<CommandResult> {
  return runCommand('docker', args, options);
}
