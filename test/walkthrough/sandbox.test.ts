// `node scripts/sandbox.ts` as someone trying the product meets it: it says where to connect and as
// whom, serves the product at that URL, and Ctrl-C ends it cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { SEED_USERS } from '../support/mittwald-api/simulator.ts';
import { freePort } from '../support/redis-server.ts';

const SANDBOX = fileURLToPath(new URL('../../scripts/sandbox.ts', import.meta.url));
const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

interface SandboxProcess {
  child: ChildProcess;
  output(): string;
  waitFor(text: string): Promise<void>;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

function runSandbox(port: number): SandboxProcess {
  const child = spawn(process.execPath, [SANDBOX], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const waitFor = (wanted: string) =>
    new Promise<void>((resolve, reject) => {
      const poll = setInterval(() => {
        if (text.includes(wanted)) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
      exited.then(() => {
        clearInterval(poll);
        if (text.includes(wanted)) resolve();
        else reject(new Error(`the sandbox exited without printing "${wanted}":\n${text}`));
      });
    });
  return { child, output: () => text, waitFor, exited };
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('the sandbox', () => {
  it('prints the MCP URL and the user, serves the product there, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const sandbox = runSandbox(port);
    const mcpUrl = `http://localhost:${port}/mcp`;
    await sandbox.waitFor('Ctrl-C stops');

    const alice = SEED_USERS[0];
    const greeting = sandbox.output();
    expect(greeting).toContain(`MCP URL        ${mcpUrl}`);
    expect(greeting).toContain(`${alice.firstName} ${alice.lastName} <${alice.email}>`);
    expect(greeting).toContain('README.md, "Try it offline');
    expect(greeting).toMatch(/info.*listening/); // readable logs at info level

    const unauthorized = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toContain(
      `resource_metadata="http://localhost:${port}/.well-known/oauth-protected-resource/mcp"`,
    );
    const metadata = (await (await fetch(`http://localhost:${port}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
    expect(metadata.resource).toBe(mcpUrl);

    sandbox.child.kill('SIGINT');
    expect(await sandbox.exited).toBe(0);
    expect(sandbox.output()).toContain('stopped');
    await expect(fetch(mcpUrl)).rejects.toThrow();
  }, 60_000);

  it('says so when the port is taken, instead of a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const sandbox = runSandbox(port);
      expect(await sandbox.exited).toBe(1);
      expect(sandbox.output()).toContain(`port ${port} is in use`);
      expect(sandbox.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('is the `npm run sandbox` the README tells people to run', async () => {
    const { scripts } = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.sandbox).toBe('node --require ./scripts/check-node-version.cjs scripts/sandbox.ts');
  });
});
