// The private root of the call directories, checked as someone trying to plant a context file
// above every call would hope it is not: under the shared /tmp, below a directory others may write,
// owned by someone else, or with a .mw-context.json already in place.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallRootError, prepareCallRoot, prepareStateDirectories } from '../../src/cli/sandbox/call-root.ts';

const uid = process.getuid!();
let safe: string;
beforeAll(() => {
  // a home directory has no world-writable ancestor (unlike the temp dir)
  safe = mkdtempSync(join(homedir(), '.mwmcp-call-root-test-'));
});
afterAll(() => rmSync(safe, { recursive: true, force: true }));

async function refusal(root: string, owner = uid): Promise<string> {
  const error = await prepareCallRoot(root, { owner, mode: 0o700 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallRootError);
  return (error as Error).message;
}

describe('the call root', () => {
  it('is created private below a safe directory, and its layout is named by uid', async () => {
    const dirs = await prepareStateDirectories(join(safe, 'state'), uid);
    expect(dirs.calls).toBe(join(safe, 'state', `calls-${uid}`));
    expect(dirs.server).toBe(join(safe, 'state', `server-${uid}`));
  });

  it('is refused under the shared temp directory', async () => {
    const message = await refusal(join(mkdtempSync(join(tmpdir(), 'call-root-')), 'calls'));
    expect(message).toMatch(/writable by other users/);
  });

  it('is refused below a directory others may write to', async () => {
    const open = join(safe, 'group-writable');
    mkdirSync(open);
    chmodSync(open, 0o775);
    expect(await refusal(join(open, 'calls'))).toContain(open);
  });

  it('is refused when a context file waits in it or above it', async () => {
    const above = join(safe, 'planted');
    mkdirSync(above);
    writeFileSync(join(above, '.mw-context.json'), '{"project-id":"p-planted"}');
    expect(await refusal(join(above, 'calls'))).toContain('.mw-context.json');
    const ddev = join(safe, 'ddev');
    mkdirSync(join(ddev, '.ddev'), { recursive: true });
    writeFileSync(join(ddev, '.ddev', 'config.yaml'), 'web_environment: []');
    expect(await refusal(join(ddev, 'calls'))).toContain('config.yaml');
  });

  it('is refused when it belongs to another uid', async () => {
    const root = join(safe, 'not-ours');
    mkdirSync(root);
    expect(await refusal(root, uid + 1)).toMatch(/belongs to uid/);
  });
});
