// mcp-remote, a client people really use (the stdio bridge for Claude Desktop and others), against
// the whole server: its `mcp-remote-client` connects, registers itself, prints the authorization
// URL and waits on its loopback callback. The test plays the user's browser (consent page and the
// simulated mittwald login) and delivers the redirect to that callback, as a browser would.
// `mcp-remote` itself (the stdio bridge) is driven the way a desktop host drives it, for the step-up.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestBrowser } from '../support/mittwald-oauth/browser.ts';
import { followBrowserFlow } from '../support/mittwald-oauth/oauth-client.ts';
import { freePort } from '../support/redis-server.ts';
import { startStack, type Stack } from '../support/stack.ts';

const MCP_REMOTE_CLIENT = fileURLToPath(new URL('../../node_modules/.bin/mcp-remote-client', import.meta.url));
const MCP_REMOTE = fileURLToPath(new URL('../../node_modules/.bin/mcp-remote', import.meta.url));
const RUN_LIMIT_MS = 60_000;

interface Run {
  child: ChildProcess;
  /** mcp-remote logs everything, the tool list included, to stderr */
  output(): string;
  /** resolves with the first match of `pattern` in the output so far or to come */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/**
 * The tool names of the tools/list answer mcp-remote logged as it arrived. Not its later "Tools:"
 * line: that one is the last thing it prints before exiting, and a 150 KB list can be cut off there.
 */
function listedToolNames(output: string): string[] {
  for (const [, json] of output.matchAll(/Received message: (\{[\s\S]*?\n\})\n\[\d+\]/g)) {
    const message = JSON.parse(json) as { result?: { tools?: Array<{ name: string }> } };
    if (message.result?.tools) return message.result.tools.map((t) => t.name);
  }
  throw new Error(`mcp-remote-client logged no tools/list answer; it ended with:\n${output.slice(-3000)}`);
}

/** mcp-remote-client with a private HOME and token store, and a "browser" that opens nothing. */
function runMcpRemoteClient(mcpUrl: string, callbackPort: number, home: string, executable = MCP_REMOTE_CLIENT): Run {
  const child = spawn(executable, [mcpUrl, String(callbackPort)], {
    env: { PATH: process.env.PATH ?? '', HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, 'mcp-auth'), BROWSER: '/bin/true' },
    // a pipe left open: mcp-remote treats the end of stdin as "shut down" and then exits 0 before
    // it has listed anything
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so the time limit ends it and anything it started
  });
  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = text.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), RUN_LIMIT_MS);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => text,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const match = text.match(pattern);
        if (match) return resolve(match);
        waiters.push({ pattern, resolve });
        exited.then(() => reject(new Error(`mcp-remote-client exited before printing ${pattern}:\n${text}`)));
      }),
    exited,
  };
}

let stack: Stack;
let home: string;
let callbackPort: number;
const running: Run[] = [];

beforeAll(async () => {
  // Two topics, not all of them: mcp-remote-client logs the whole tool list and exits right after,
  // and on a busy machine the end of a 150 KB list can be lost in its stderr pipe.
  stack = await startStack({ env: { TOOLS_TOPICS: 'project,user' } });
  callbackPort = await freePort();
  home = await mkdtemp(join(tmpdir(), 'mcp-remote-'));
});

afterAll(async () => {
  for (const run of running) if (run.child.exitCode === null && run.child.signalCode === null) process.kill(-run.child.pid!, 'SIGKILL');
  await stack.close();
  await rm(home, { recursive: true, force: true });
});

describe('mcp-remote-client against the whole server', () => {
  it('registers, sends the user through consent and the mittwald login, and lists our tools', async () => {
    const run = runMcpRemoteClient(stack.mcpUrl, callbackPort, home);
    running.push(run);

    const [, authorizationUrl] = await run.waitFor(/Please authorize this client by visiting:\s*\n(\S+)/);
    const authorization = new URL(authorizationUrl);
    expect(`${authorization.origin}${authorization.pathname}`).toBe(`${stack.url}/authorize`);
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('resource')).toBe(stack.mcpUrl);
    const redirectUri = `http://localhost:${callbackPort}/oauth/callback`;
    expect(authorization.searchParams.get('redirect_uri')).toBe(redirectUri);

    // The browser: our consent page names the client mcp-remote registered (DCR), then the
    // simulated mittwald signs in its first user and the redirects end at mcp-remote's callback.
    const browser = new TestBrowser();
    const toConsent = await browser.request(authorization.href);
    expect(toConsent.location).toMatch(new RegExp(`^${stack.url}/interaction/`));
    const consent = await browser.request(toConsent.location!);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('<strong>MCP CLI Client</strong> wants to act on your mittwald account');
    expect(consent.body).toContain(`<strong>localhost:${callbackPort}</strong>`);

    const { callback, stoppedAt } = await followBrowserFlow(toConsent.location!, redirectUri, { browser });
    expect(stoppedAt).toBeUndefined();
    expect(callback!.searchParams.get('code')).toBeTruthy();
    expect(callback!.searchParams.get('iss')).toBe(stack.url);
    expect(stack.oauth.counters.codeExchanges).toBe(1);

    const delivered = await fetch(callback!);
    expect(delivered.status).toBe(200);

    expect(await run.exited).toBe(0);
    const output = run.output();
    expect(output).toContain('Connected successfully!');
    const names = listedToolNames(output);
    // every tool, also those beyond the read-only default grant (calling one starts the step-up)
    expect(names).toEqual(expect.arrayContaining(['mittwald_project_list', 'mittwald_user_get', 'mittwald_project_delete']));

    // it keeps our tokens, a refresh token among them, for the next start (Claude Desktop restarts it often)
    const store = join(home, 'mcp-auth', 'mcp-remote-v1');
    const tokenFile = (await readdir(store)).find((name) => name.endsWith('_tokens.json'));
    const stored = JSON.parse(await readFile(join(store, tokenFile!), 'utf8')) as { token_type: string; refresh_token?: string };
    expect(stored.token_type).toBe('Bearer');
    expect(stored.refresh_token).toBeTruthy();
  }, 90_000);

  it('reconnects with the tokens it stored, without asking the user again', async () => {
    const run = runMcpRemoteClient(stack.mcpUrl, callbackPort, home);
    running.push(run);
    expect(await run.exited).toBe(0);
    const output = run.output();
    expect(output).not.toContain('Please authorize');
    expect(output).toContain('"name": "mittwald_project_list"');
    expect(stack.oauth.counters.codeExchanges).toBe(1); // no second mittwald login
  }, 90_000);

  it('as the stdio bridge: a call beyond the read-only grant sends the user to consent for more, then runs', async () => {
    const ownHome = await mkdtemp(join(tmpdir(), 'mcp-remote-step-up-'));
    const port = await freePort();
    const run = runMcpRemoteClient(stack.mcpUrl, port, ownHome, MCP_REMOTE);
    running.push(run);
    const answers: Array<Record<string, any>> = [];
    let stdout = '';
    run.child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = stdout.split('\n');
      stdout = lines.pop()!;
      for (const line of lines) if (line.trim()) answers.push(JSON.parse(line));
    });
    const send = (message: object) => run.child.stdin!.write(`${JSON.stringify(message)}\n`);
    const answerTo = async (id: number) => {
      for (let i = 0; i < 600 && !answers.some((a) => a.id === id); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      return answers.find((a) => a.id === id);
    };
    const authorize = async (url: string) => {
      const redirectUri = `http://localhost:${port}/oauth/callback`;
      const { callback } = await followBrowserFlow(url, redirectUri);
      // mcp-remote may print the URL before its callback listener is up (a user takes longer)
      for (let attempt = 1; ; attempt++) {
        const delivered = await fetch(callback!).catch((error: Error) => (attempt < 100 ? undefined : Promise.reject(error)));
        if (delivered) return expect(delivered.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const authorizationUrls = /Please authorize this client by visiting:\s*\n(\S+)/g;

    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'host', version: '1' } } });
    const [, first] = await run.waitFor(/Please authorize this client by visiting:\s*\n(\S+)/);
    expect(new URL(first).searchParams.get('scope')?.split(' ')).not.toContain('project:delete');
    await authorize(first);
    expect((await answerTo(1))?.result?.serverInfo?.name).toBe('mittwald-mcp');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    const victim = stack.api.users[0].projects[0].id;
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'mittwald_project_delete', arguments: { project_id: victim, confirm: true } } });
    const stepUp = await (async () => {
      for (let i = 0; i < 600; i++) {
        const urls = [...run.output().matchAll(authorizationUrls)].map((m) => m[1]);
        if (urls.length > 1) return new URL(urls[1]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no second authorization:\n${run.output()}`);
    })();
    // it asks for what it holds plus what the call needs (offline_access is its own addition)
    expect(stepUp.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining([...stack.config.mittwald.scopes.defaults, 'project:delete']));
    expect(stack.api.state.projects.has(victim)).toBe(true);
    await authorize(stepUp.href);

    const result = await answerTo(2);
    expect(result?.result?.isError).toBeFalsy();
    expect(stack.api.state.projects.has(victim)).toBe(false);
    process.kill(-run.child.pid!, 'SIGKILL');
    await rm(ownHome, { recursive: true, force: true });
  }, 90_000);
});
