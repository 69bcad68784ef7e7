// The floor of a tool call: the stand-in's oclif loaded once in this process and the command run
// again and again with a user's token, as a server that runs commands in-process would (the
// existing mittwald MCP server does): the API round trip plus the command's own work, nothing else.
import { createRequire } from 'node:module';
import { standInCliPath } from '../test/support/mw-cli/index.ts';

export interface OclifConfig {
  commands: Array<{ load(): Promise<unknown> }>;
  runCommand(id: string, argv: string[]): Promise<unknown>;
}

/** The stand-in's oclif Config, loaded in this process with the stand-in's own @oclif/core. */
export function loadStandInConfig(): Promise<OclifConfig> {
  const { Config } = createRequire(standInCliPath)('@oclif/core') as { Config: { load(root: string): Promise<OclifConfig> } };
  return Config.load(standInCliPath);
}

export interface InProcessCli {
  /** runs one command to completion with this token; returns its wall time in ms */
  run(commandId: string, argv: string[], token: string): Promise<number>;
  /** bytes the commands wrote (a run that wrote nothing did not list anything) */
  readonly outputBytes: number;
  close(): void;
}

/**
 * While open, this process's stdout belongs to the commands (their output is counted, not shown)
 * and MITTWALD_API_BASE_URL points at the simulator: close() gives both back.
 */
export async function openInProcessCli(apiBaseUrl: string): Promise<InProcessCli> {
  const config = await loadStandInConfig();
  const previousBaseUrl = process.env.MITTWALD_API_BASE_URL;
  process.env.MITTWALD_API_BASE_URL = apiBaseUrl;
  const write = process.stdout.write;
  let outputBytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    outputBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    async run(commandId, argv, token) {
      const started = performance.now();
      // --token: mw's own flag, so concurrent runs of different users need no shared environment
      await config.runCommand(commandId, [...argv, '--token', token]);
      return performance.now() - started;
    },
    get outputBytes() {
      return outputBytes;
    },
    close() {
      process.stdout.write = write;
      if (previousBaseUrl === undefined) delete process.env.MITTWALD_API_BASE_URL;
      else process.env.MITTWALD_API_BASE_URL = previousBaseUrl;
    },
  };
}
