// What the sandbox makes of how a child ended: a resource limit it ran into, a permission it was
// refused and could not do without, or a prompt it stopped at. Anything else is the CLI's own
// result, exit code and all.
import { CliFailure } from '../types.ts';
import type { ChildOutcome } from '../run-child-process.ts';
import type { PermissionDenial } from './control-channel.ts';

// V8 gives up with SIGTRAP or SIGABRT when RLIMIT_DATA refuses it memory ("Fatal process out of
// memory", "Allocation failed - JavaScript heap out of memory", "Failed to reserve virtual memory"),
// and so does C++ code of Node's whose `new` fails ("terminate called after throwing an instance of
// 'std::bad_alloc'", seen alone on a busy machine).
const OUT_OF_MEMORY = /out of memory|allocation failed|failed to reserve|std::bad_alloc/i;

export function sandboxFailure(outcome: ChildOutcome, denials: PermissionDenial[]): CliFailure | undefined {
  if (hitResourceLimit(outcome)) {
    return new CliFailure(
      'resource_limit',
      `the command exceeded its resource limits and was stopped (${outcome.signal ?? `exit ${outcome.exitCode}`})`,
    );
  }
  const fatal = outcome.exitCode === 0 ? undefined : denials.find((denial) => failedOn(denial, outcome));
  if (fatal) return new CliFailure('sandbox_denied', `the command was refused ${fatal.permission} on ${fatal.resource}`);
  return undefined;
}

/** what is kept of the output before a prompt: its question, and the options after it */
const QUESTION_TAIL_CHARS = 2000;

/** The child's command stopped at an interactive prompt (child-bootstrap's loopEmptied): its question is what it printed last. */
export function inputRequiredFailure(outcome: ChildOutcome): CliFailure {
  return new CliFailure('input_required', outcome.stdout.slice(-QUESTION_TAIL_CHARS));
}

// How a refusal reads when it is what made the command fail: Node's own error, or a file error.
const REFUSED = /ERR_ACCESS_DENIED|access to this API has been restricted|\bEACCES\b|\bEPERM\b/i;

/**
 * A refusal the command failed on shows in its output; one it got past does not. mw's plugins probe
 * on every command (warn-if-update-available reads npm's config files outside the call root, and
 * carries on without them): such a probe must not take the blame for a command that failed otherwise.
 */
function failedOn(denial: PermissionDenial, { stdout, stderr }: ChildOutcome): boolean {
  const output = `${stdout.slice(-8192)}${stderr.slice(-8192)}`;
  return REFUSED.test(output) || output.includes(denial.resource);
}

// Errors mw catches and prints in its box: Node ignores SIGXFSZ, so a write beyond RLIMIT_FSIZE
// fails with EFBIG; a buffer RLIMIT_DATA refuses is ERR_MEMORY_ALLOCATION_FAILED or a RangeError.
const LIMIT_ERRORS = /\bEFBIG\b|failed to allocate memory|array buffer allocation failed|\bENOMEM\b/i;

function hitResourceLimit({ signal, exitCode, stdout, stderr }: ChildOutcome): boolean {
  if (signal === 'SIGXCPU' || signal === 'SIGXFSZ') return true;
  if (exitCode !== 0 && LIMIT_ERRORS.test(`${stdout.slice(-4096)}${stderr.slice(-4096)}`)) return true;
  // the message comes first, a native stack trace after it
  const aborted = signal === 'SIGTRAP' || signal === 'SIGABRT' || exitCode >= 128;
  return aborted && (OUT_OF_MEMORY.test(stderr.slice(0, 4096)) || OUT_OF_MEMORY.test(stderr.slice(-4096)));
}
