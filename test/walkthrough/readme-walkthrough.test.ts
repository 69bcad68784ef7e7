// The README's curl walkthrough, run as written: its shell blocks in one bash process against a
// fresh sandbox (the wiring of scripts/sandbox.ts), each block's output checked against what the
// user is told to expect. Blocks whose first line is `# sandbox` (starts the long-running server)
// or `# browser` (a person copies a URL from the browser) are the ones a script cannot run.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox } from '../../scripts/sandbox.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort } from '../support/redis-server.ts';
import type { Stack } from '../support/stack.ts';

const README = new URL('../../README.md', import.meta.url);
const MANUAL_BLOCK = /^# (sandbox|browser)\b/;

interface Block {
  source: string;
  output: string;
}

/** The ```sh blocks between the walkthrough markers, in order. */
function walkthroughBlocks(readme: string): string[] {
  const start = readme.indexOf('<!-- walkthrough:start -->');
  const end = readme.indexOf('<!-- walkthrough:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no walkthrough markers');
  return [...readme.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function runBash(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let stack: Stack;
let workDir: string;
let allBlocks: string[];
let ran: Block[];
let result: { code: number | null; stdout: string; stderr: string };

/** the output of the one block whose source contains `marker` */
function outputOf(marker: string): string {
  const matching = ran.filter((b) => b.source.includes(marker));
  if (matching.length !== 1) throw new Error(`expected one walkthrough block containing ${marker}, found ${matching.length}`);
  return matching[0].output;
}

beforeAll(async () => {
  // what the README asks the reader to have; CI installs them (never skip: the README must stay true)
  for (const tool of ['curl', 'jq', 'openssl']) {
    const found = await runBash(`command -v ${tool}`, { PATH: process.env.PATH ?? '' }, tmpdir());
    if (found.code !== 0) throw new Error(`the README walkthrough needs ${tool}: apt-get install -y ${tool}`);
  }

  allBlocks = walkthroughBlocks(await readFile(README, 'utf8'));
  const runnable = allBlocks.filter((source) => !MANUAL_BLOCK.test(source));
  stack = await startSandbox({ port: await freePort(), logger: createLogger({ level: 'error', format: 'json' }) });
  workDir = await mkdtemp(join(tmpdir(), 'walkthrough-'));

  const separator = (i: number) => `@@ walkthrough block ${i} @@`;
  const script = ['set -euo pipefail', ...runnable.flatMap((source, i) => [`echo '${separator(i)}'`, source])].join('\n');
  result = await runBash(script, { PATH: process.env.PATH ?? '', HOME: workDir, TMPDIR: workDir, BASE: stack.url }, workDir);
  ran = runnable.map((source, i) => {
    const from = result.stdout.indexOf(separator(i));
    const to = result.stdout.indexOf(separator(i + 1));
    return { source, output: from < 0 ? '' : result.stdout.slice(from + separator(i).length, to < 0 ? undefined : to) };
  });
}, 90_000);

afterAll(async () => {
  await stack?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the README curl walkthrough against the sandbox', () => {
  it('runs to the end without an error', () => {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('leaves out only the blocks a person runs: starting the sandbox and the browser login', () => {
    const manual = allBlocks.filter((source) => MANUAL_BLOCK.test(source));
    expect(manual.map((source) => source.split('\n')[0].split(':')[0])).toEqual(['# sandbox', '# browser']);
    expect(manual[0]).toMatch(/npm run sandbox/);
  });

  it('discovers the protected resource and the authorization server from the 401', () => {
    const output = outputOf('oauth-protected-resource');
    expect(output).toContain(`resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(output).toContain(`"resource": "${stack.url}/mcp"`);
    expect(output).toContain(`"issuer": "${stack.url}"`);
    expect(output).toContain(`"registration_endpoint": "${stack.url}/register"`);
  });

  it('registers a public client with the loopback redirect URI', () => {
    const output = outputOf('"client_name": "curl walkthrough"');
    expect(output).toMatch(/"client_id": "[\w-]{20,}"/);
    expect(output).toContain('"token_endpoint_auth_method": "none"');
    expect(output).toContain('http://127.0.0.1:8976/callback');
  });

  it('builds an authorization URL with S256 PKCE, state and the resource', () => {
    const url = new URL(outputOf('AUTHORIZE_URL=').trim());
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.url}/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('resource')).toBe(`${stack.url}/mcp`);
    expect(url.searchParams.get('scope')).toContain('project:read');
  });

  it('logs in with curl alone: consent, the simulated mittwald login, back to the client with a code', () => {
    const output = outputOf('CONSENT_PAGE=');
    expect(output).toContain(`consent page: ${stack.url}/interaction/`);
    expect(output).toContain(`→ ${stack.oauth.authorizationUrl}?`);
    expect(output).toContain(`→ ${stack.url}/mittwald/callback?code=`);
    expect(output).toMatch(/callback: http:\/\/127\.0\.0\.1:8976\/callback\?code=[\w-]+&state=\w+&iss=/);
    expect(stack.oauth.counters.codeExchanges).toBeGreaterThanOrEqual(1);
  });

  it('redeems the code for an access and a refresh token, after checking state and iss', () => {
    const output = outputOf('code_verifier=');
    expect(output).toContain('state and iss match');
    expect(output).toMatch(/"access_token": "[\w-]+"/);
    expect(output).toMatch(/"refresh_token": "[\w-]+"/);
    expect(output).toContain('"token_type": "Bearer"');
  });

  it('initializes an MCP session', () => {
    const output = outputOf('"method":"initialize"');
    expect(output).toContain('"name": "mittwald-mcp"');
    expect(output).toContain('"protocolVersion": "2025-11-25"');
    expect(output).toMatch(/session: \S+/);
  });

  it('lists every tool and runs mittwald_project_list with the user’s own mittwald token', () => {
    const alice = stack.api.users[0];
    const output = outputOf('"name":"mittwald_project_list"');
    const tools = output.split('\n').filter((line) => line.startsWith('mittwald_'));
    expect(tools).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_user_get']));
    expect(tools).toContain('mittwald_project_delete'); // listed beyond the read-only grant: a call asks for more
    for (const project of alice.projects) {
      expect(output.split(`"id": "${project.id}"`)).toHaveLength(2); // exactly once
      expect(output).toContain(`"description": "${project.description}"`);
    }
    for (const other of stack.api.users.slice(1)) {
      for (const project of other.projects) expect(output).not.toContain(project.id);
    }
    const projectListCalls = stack.api.requests.filter((r) => r.path.endsWith('/projects'));
    expect(projectListCalls.length).toBeGreaterThan(0);
    expect(new Set(projectListCalls.map((r) => r.userId))).toEqual(new Set([alice.userId]));
  });

  it('refreshes and keeps working with the new access token', () => {
    const alice = stack.api.users[0];
    const output = outputOf('"name":"mittwald_user_get"');
    expect(output).toContain('"token_type": "Bearer"');
    expect(output).toContain(`"email": "${alice.email}"`);
  });

  it('revokes: the access token then gets 401 and the refresh token invalid_grant', () => {
    const output = outputOf('"$REVOKE"');
    expect(output).toContain('revoke: 200');
    expect(output).toContain('tools/list with the revoked token: 401');
    expect(output).toContain('"error":"invalid_grant"');
  });
});
