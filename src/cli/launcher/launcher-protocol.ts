// The private channel between the unprivileged server and the privileged launcher (Node IPC with
// structured-clone serialization, so output arrives as bytes). The server can only ask for "a
// child" and hand it a request: the executable, the sandbox and the uid are the launcher's choice.
// Every message from the server is checked here before the launcher acts on it.
import type { StateDirectories } from '../sandbox/call-root.ts';
import type { ControlMessage } from '../sandbox/control-channel.ts';
import { PRELOAD_LEVELS, type ChildIsolation, type PreloadLevel } from '../sandbox/spawner.ts';
import type { CliFailureKind } from '../types.ts';
import type { UidPoolStatus } from './uid-pool.ts';

/** Why a child did not start, as the server's runner tells it (any other reason counts as cli_missing). */
export const START_FAILURES = ['busy', 'no_call_directory', 'cli_missing'] as const satisfies CliFailureKind[];

export type ServerMessage =
  | { type: 'start'; id: string; preload: PreloadLevel }
  | { type: 'request'; id: string; argv: string[]; env: Record<string, string> }
  | { type: 'signal'; id: string; signal: 'SIGTERM' | 'SIGKILL' }
  /** closes the child's control pipe: a child waiting for its next request exits */
  | { type: 'end'; id: string }
  | { type: 'check-call-directory'; id: string };

export type LauncherMessage =
  | { type: 'hello'; directories: StateDirectories; isolation: ChildIsolation }
  | { type: 'started'; id: string; pid: number | undefined }
  | { type: 'start-failed'; id: string; kind: (typeof START_FAILURES)[number]; message: string }
  | { type: 'output'; id: string; stream: 'stdout' | 'stderr'; data: Uint8Array }
  | { type: 'control'; id: string; message: ControlMessage }
  | { type: 'exit'; id: string; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'close'; id: string; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'cleaned'; id: string }
  | { type: 'call-directory-checked'; id: string; error?: string }
  /** the child uids now: sent at every change, for /readyz and /metrics */
  | ({ type: 'uids' } & UidPoolStatus)
  /** the launcher got SIGTERM/SIGINT: signals cannot cross uids without CAP_KILL, so it says so here */
  | { type: 'shutdown'; signal: 'SIGTERM' | 'SIGINT' };

/** The only per-call variables a request may carry into a child. */
export const REQUEST_ENVIRONMENT = ['MITTWALD_API_TOKEN'];

const ID = /^[A-Za-z0-9-]{1,64}$/;
const MAX_ARGV_WORDS = 1000;
const MAX_REQUEST_BYTES = 1024 * 1024;

const FIELDS: Record<ServerMessage['type'], string[]> = {
  start: ['type', 'id', 'preload'],
  'check-call-directory': ['type', 'id'],
  signal: ['type', 'id', 'signal'],
  end: ['type', 'id'],
  request: ['type', 'id', 'argv', 'env'],
};

/** The message, if it is one the launcher accepts (no field more or less); anything else is refused as a whole. */
export function parseServerMessage(value: unknown): ServerMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (typeof message.id !== 'string' || !ID.test(message.id)) return undefined;
  const fields = FIELDS[message.type as ServerMessage['type']];
  if (!fields || Object.keys(message).some((key) => !fields.includes(key))) return undefined;
  const id = message.id;
  switch (message.type) {
    case 'start':
      return PRELOAD_LEVELS.includes(message.preload as PreloadLevel) ? { type: 'start', id, preload: message.preload as PreloadLevel } : undefined;
    case 'check-call-directory':
    case 'end':
      return { type: message.type, id };
    case 'signal':
      return message.signal === 'SIGTERM' || message.signal === 'SIGKILL' ? { type: 'signal', id, signal: message.signal } : undefined;
    case 'request': {
      const { argv, env } = message;
      if (!Array.isArray(argv) || argv.length > MAX_ARGV_WORDS) return undefined;
      if (!argv.every((word) => typeof word === 'string' && !word.includes('\0'))) return undefined;
      if (typeof env !== 'object' || env === null || Array.isArray(env)) return undefined;
      const entries = Object.entries(env as Record<string, unknown>);
      if (!entries.every(([name, v]) => REQUEST_ENVIRONMENT.includes(name) && typeof v === 'string' && !/[\0\r\n]/.test(v))) return undefined;
      const size = argv.reduce((sum, word) => sum + word.length, 0) + entries.reduce((sum, [, v]) => sum + String(v).length, 0);
      if (size > MAX_REQUEST_BYTES) return undefined;
      return { type: 'request', id, argv: argv as string[], env: env as Record<string, string> };
    }
    default:
      return undefined;
  }
}
