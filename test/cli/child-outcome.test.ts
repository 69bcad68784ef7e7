// How a child's end reads as a tool error: a resource limit it ran into, a permission the sandbox
// refused, or the CLI's own result. The out-of-memory messages are those V8 and Node print when
// RLIMIT_DATA refuses them memory, taken from real runs of `prlimit --data` children.
import { describe, expect, it } from '@jest/globals';
import { sandboxFailure } from '../../src/cli/sandbox/child-outcome.ts';
import type { ChildOutcome } from '../../src/cli/run-child-process.ts';

const ended = (outcome: Partial<ChildOutcome>): ChildOutcome => ({ exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 1, ...outcome });
const V8_OOM = '\n#\n# Fatal process out of memory: Worklist::Segment::Create\n#\n----- Native stack trace -----\n\n 1: 0x9dde61  [node]\n';
const BAD_ALLOC = "terminate called after throwing an instance of 'std::bad_alloc'\n  what():  std::bad_alloc\n";
const denial = { permission: 'FileSystemRead', resource: '/etc/passwd' };

describe('a child that ended', () => {
  it.each([
    ['V8 out of memory (SIGTRAP)', ended({ signal: 'SIGTRAP', exitCode: 133, stderr: V8_OOM })],
    ['a failed C++ allocation (SIGABRT)', ended({ signal: 'SIGABRT', exitCode: 134, stderr: BAD_ALLOC })],
    ['the message ahead of a long native stack trace', ended({ signal: 'SIGTRAP', exitCode: 133, stderr: V8_OOM + ' 2: 0x27ab085 [node]\n'.repeat(400) })],
    ['the CPU limit', ended({ signal: 'SIGXCPU', exitCode: 152 })],
    ['a write beyond the file size limit, caught by mw', ended({ exitCode: 1, stdout: 'Error: EFBIG: file too large, write' })],
  ])('ran into its limits: %s', (_what, outcome) => {
    expect(sandboxFailure(outcome, [])?.kind).toBe('resource_limit');
  });

  it('that crashed without running out of memory is the CLI’s own result', () => {
    expect(sandboxFailure(ended({ signal: 'SIGABRT', exitCode: 134, stderr: 'Assertion failed: something else\n' }), [])).toBeUndefined();
  });

  it('that failed after a refused permission was refused by the sandbox, named in the error', () => {
    const failure = sandboxFailure(ended({ exitCode: 1, stdout: 'Error: EACCES' }), [denial]);
    expect(failure?.kind).toBe('sandbox_denied');
    expect(failure?.message).toContain('/etc/passwd');
  });

  it('that failed for its own reason after a refused probe it got past is the CLI’s own result', () => {
    // mw's warn-if-update-available hook reads npm's config outside the call root on every command
    const probe = { permission: 'FileSystemRead', resource: '/usr/lib/node_modules/npm/package.json' };
    const refused = ended({ exitCode: 1, stdout: 'API ERROR 401 Unauthorized\nYour API token is missing, invalid or expired.' });
    expect(sandboxFailure(refused, [probe])).toBeUndefined();
    expect(sandboxFailure(ended({ exitCode: 1, stdout: 'Error: Access to this API has been restricted' }), [probe])?.kind).toBe('sandbox_denied');
  });

  it('that succeeded despite a refused probe is a success', () => {
    expect(sandboxFailure(ended({ exitCode: 0 }), [denial])).toBeUndefined();
  });
});
