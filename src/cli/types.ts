// The CLI as the rest of the server sees it: command metadata read from the installed `mw`,
// and a runner that executes one command for one user. Nothing here knows about HTTP or MCP.

export interface CliArgument {
  name: string;
  description?: string;
  required: boolean;
  options?: string[];
  default?: string;
}

export interface CliFlag {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  summary?: string;
  description?: string;
  required: boolean;
  multiple: boolean;
  options?: string[];
  default?: unknown;
  /** boolean flags only: accepts --no-<name> */
  allowNo?: boolean;
  delimiter?: string;
  hidden?: boolean;
  helpGroup?: string;
  exclusive?: string[];
  dependsOn?: string[];
}

export interface CliCommand {
  /** oclif id with colon separators, e.g. "database:mysql:create" */
  id: string;
  summary?: string;
  description?: string;
  hidden: boolean;
  aliases: string[];
  /** positional arguments in order */
  args: CliArgument[];
  flags: Record<string, CliFlag>;
}

export interface CliCommandSet {
  cliVersion: string;
  commands: CliCommand[];
}

export interface CliRunRequest {
  /** argv after the executable: command words, then flags and arguments */
  argv: string[];
  /** the caller's mittwald access token; goes to the child in MITTWALD_API_TOKEN only */
  mittwaldToken: string;
  /** key for the per-user concurrency limit (the mittwald account id) */
  userKey: string;
  /**
   * whose child may run it (one grant, or one direct API token): a child serves one principal's calls
   * only. Without one, the call gets a child of its own that serves nothing else.
   */
  principal?: string;
  /** aborting kills the child and its process tree */
  signal?: AbortSignal;
  /** this call's time limit instead of the runner's default (capped by the runner's maximum) */
  timeoutMs?: number;
  /** each piece of output as it arrives (progress lines of long commands); the result still carries all of it */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface CliRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export type CliFailureKind =
  | 'cli_missing' // the mw executable could not be started
  | 'timeout' // killed after the configured timeout
  | 'busy' // concurrency limits and queue are full
  | 'output_too_large' // killed after exceeding the output cap
  | 'cancelled' // the caller aborted
  | 'resource_limit' // the child ran into its memory, CPU time or file size limit (sandbox layer 4)
  | 'sandbox_denied' // the child failed after the sandbox refused it a file or a program (layer 2)
  | 'input_required' // the command stopped at an interactive prompt; the message is what it printed last (its question)
  | 'no_call_directory'; // no call directory could be created (STATE_DIR full or not writable)

export class CliFailure extends Error {
  override name = 'CliFailure';
  readonly kind: CliFailureKind;
  constructor(kind: CliFailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface CliRunner {
  /** resolves with the exit code for any run that completed (0 or not); rejects with CliFailure otherwise */
  run(request: CliRunRequest): Promise<CliRunResult>;
  stats(): { inFlight: number; queued: number };
  /** ends every child of a principal (its grant was revoked); resolves once nothing of them is left */
  endChildrenOf(principal: string): Promise<void>;
  /** waits for running children to finish, then ends the idle ones (shutdown) */
  drain(): Promise<void>;
}
