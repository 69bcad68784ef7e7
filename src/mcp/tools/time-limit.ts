// How long one call may run. Most get the server's default (CLI_TIMEOUT_MS). A call that asks the
// CLI to wait for its work (`wait: true`: a backup, a new project, an app installation) gets at
// least the CLI's wait time plus a margin for the command's own requests, capped by the server's
// maximum (CLI_MAX_TIMEOUT_MS), so it is not killed while `mw` still waits as asked.
import type { ToolDefinition } from './types.ts';
import { durationSeconds } from './value-formats.ts';

export interface CliTimeLimits {
  defaultMs: number;
  maxMs: number;
}

/** time for what `mw` does besides waiting: its start, the request that starts the work, the result */
export const WAIT_MARGIN_MS = 30_000;

export interface CallTimeLimit {
  /** the limit for this call; undefined: the runner's default */
  timeoutMs?: number;
  /** the call waits for its work at mittwald (a timeout then does not mean the work failed) */
  waits: boolean;
}

export function callTimeLimit(tool: ToolDefinition, input: Record<string, unknown>, limits: CliTimeLimits): CallTimeLimit {
  const wait = tool.wait;
  if (!wait || input[wait.property] !== true) return { waits: false };
  const given = wait.timeoutProperty ? input[wait.timeoutProperty] : undefined;
  // A wait time we cannot read is the CLI's to judge: allow the most we allow.
  const seconds = given === undefined ? wait.defaultTimeoutSeconds : typeof given === 'string' ? durationSeconds(given) : undefined;
  const waitMs = seconds === undefined ? Infinity : seconds * 1000;
  return { timeoutMs: Math.min(limits.maxMs, Math.max(limits.defaultMs, waitMs + WAIT_MARGIN_MS)), waits: true };
}
