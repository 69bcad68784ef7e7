// One deployment for the isolation tests: the simulators, our server as a real process (`node
// src/main.ts`, so a root test gets the launcher), two signed-in users (alice and bob) allowed to
// open support conversations, and what an attacker aims at: the server's environment, a secrets
// file next to it, another user's running child.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authorizeInBrowser, registerClient, type RegisteredClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';
import { postMcp, REDIRECT_URI, standInProcesses, toolCall, waitFor, type AuthorizedClient } from '../reliability/helpers.ts';
import { startServerProcess, type ServerProcess, type ServerProcessOptions } from '../support/server-process.ts';
import { startStack, type Stack } from '../support/stack.ts';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const SCOPES = 'user:read customer:read project:read app:read conversation:read conversation:write stack:read stack:write';

/** The inputs that read or run something on the server (issue 9): the attacks go through them. */
const LOCAL_INPUTS = ['conversation create --message-from', 'conversation create --editor', 'conversation reply --message-from', 'conversation reply --editor', 'container run --env-file', 'container update --env-file'];

/**
 * config/tools.json with the flag policy (layer 1) switched off, so the attacks reach the child and
 * the layers below are what stops them: the catalogue's policy (its `inputs`) offers an input it was
 * told is plain, and without its rule for a message, a call may leave mw to start its editor.
 * `stand-in allocate` becomes a tool (the memory-hungry command).
 */
function overridesWithoutFlagPolicy(): string {
  const directory = mkdtempSync(join(tmpdir(), 'mwmcp-isolation-'));
  // the server may run as another uid (under the launcher)
  chmodSync(directory, 0o755);
  const path = join(directory, 'tools.json');
  const overrides = JSON.parse(readFileSync(join(projectRoot, 'config', 'tools.json'), 'utf8'));
  overrides.scopes['stand-in allocate'] = ['project:read'];
  // layer 1 off: the one line that switches the flag policy off for the attack inputs
  for (const input of LOCAL_INPUTS) overrides.inputs[input] = { kind: 'plain', reason: 'isolation tests: layer 1 off' };
  // and the rule that keeps mw's editor path out of reach (a message is required)
  for (const command of ['conversation create', 'conversation reply']) delete overrides.inputRules[command];
  writeFileSync(path, JSON.stringify(overrides));
  return path;
}

export interface ToolOutcome {
  isError: boolean;
  code?: string;
  text: string;
}

export interface Deployment {
  stack: Stack;
  server: ServerProcess;
  alice: AuthorizedClient;
  bob: AuthorizedClient;
  /** the mittwald token each user's children run with */
  mittwaldToken(user: 'alice' | 'bob'): string;
  /** a value only the server's environment holds */
  serverSecret: string;
  call(client: AuthorizedClient, tool: string, args?: Record<string, unknown>): Promise<ToolOutcome>;
  /** every message the API simulator holds, of every user */
  messages(): string[];
  /** pids of this deployment's mw children running a call */
  children(): number[];
  /** pids of its warm children waiting for a call */
  waitingChildren(): number[];
  /** calls so far that ran in a child that was waiting for them (warm, or the principal's own reused one) and in a cold one (/metrics) */
  starts(): Promise<{ warm: number; cold: number }>;
  /** resolves once the pool has this many children ready (/readyz) */
  warmChildrenReady(count?: number): Promise<void>;
  /** resolves once the pool is full and still (/readyz: as many ready as it keeps, none starting, each one waiting): the pids of every waiting child, the pool's and the principals' idle ones */
  warmChildrenSettled(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startDeployment(env: Record<string, string>, options: ServerProcessOptions = {}): Promise<Deployment> {
  const stack = await startStack({
    env: { TOOLS_OVERRIDES_PATH: overridesWithoutFlagPolicy(), CLI_TIMEOUT_MS: '40000', LOG_LEVEL: 'warn', ...env },
  });
  // only the simulators and the environment are wanted: the server runs as a process of its own
  await stack.server.close();
  const tokens = new Map<string, string>();
  stack.oauth.onTokenIssued((token, userId) => tokens.set(userId, token));
  const [aliceUser, bobUser] = stack.api.users;
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(stack.env, options);
    stack.oauth.loginAs(aliceUser.userId);
    const alice = await signIn(stack);
    stack.oauth.loginAs(bobUser.userId);
    const bob = await signIn(stack);
    const running = server;
    const waitingChildren = () => standInProcesses(stack.api.url, { waiting: true }).map((line) => Number(line.split(/\s+/)[0]));
    return {
      stack,
      server: running,
      alice,
      bob,
      mittwaldToken: (user) => tokens.get(user === 'alice' ? aliceUser.userId : bobUser.userId)!,
      serverSecret: stack.env.TOKEN_ENCRYPTION_KEY,
      async call(client, tool, args = {}) {
        const outcome = await postMcp(stack.mcpUrl, client.accessToken, toolCall(tool, args), { signal: AbortSignal.timeout(90_000) });
        const result = outcome.message?.result;
        if (!result) throw new Error(`no tool result: ${outcome.status} ${outcome.text.slice(0, 300)}`);
        const text = (result.content ?? []).map((c: { text?: string }) => c.text ?? '').join('\n');
        return { isError: Boolean(result.isError), code: result.structuredContent?.error?.code, text };
      },
      messages: () => [...stack.api.state.conversationMessages.values()].flat().map((m) => m.messageContent ?? ''),
      children: () => standInProcesses(stack.api.url).map((line) => Number(line.split(/\s+/)[0])),
      waitingChildren,
      async starts() {
        const metrics = await (await fetch(`${stack.url}/metrics`)).text();
        const count = (start: string) => Number(new RegExp(`^mittwald_cli_starts_total\\{start="${start}"\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
        return { warm: count('warm') + count('reused'), cold: count('cold') };
      },
      async warmChildrenReady(count = 1) {
        await waitFor(
          async () => {
            const ready = (await (await fetch(`${stack.url}/readyz`)).json()) as { checks?: { cli?: { warmChildren?: { ready?: number } } } };
            return (ready.checks?.cli?.warmChildren?.ready ?? 0) >= count;
          },
          60_000,
          `${count} warm child(ren) ready`,
        );
      },
      async warmChildrenSettled() {
        let waiting: number[] = [];
        await waitFor(
          async () => {
            const ready = (await (await fetch(`${stack.url}/readyz`)).json()) as { checks?: { cli?: { warmChildren?: { ready: number; starting: number; target: number } } } };
            const pool = ready.checks?.cli?.warmChildren;
            waiting = waitingChildren();
            const metrics = await (await fetch(`${stack.url}/metrics`)).text();
            const idle = Number(/^mittwald_cli_children\{state="idle"\} (\S+)$/m.exec(metrics)?.[1] ?? 0);
            return pool !== undefined && pool.starting === 0 && pool.ready === pool.target && waiting.length === pool.ready + idle;
          },
          60_000,
          'the warm children settled',
        );
        return waiting;
      },
      async stop() {
        await running.stop();
        await stack.close();
      },
    };
  } catch (error) {
    await server?.stop('SIGKILL');
    await stack.close();
    throw error;
  }
}

/** Registration, login and code redemption for the MCP resource, with the scopes the attacks need. */
async function signIn(stack: Stack): Promise<AuthorizedClient> {
  const registration = await registerClient(stack.url, {
    client_name: 'isolation test',
    scope: SCOPES,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  const client = registration.body as unknown as RegisteredClient;
  const outcome = await authorizeInBrowser(stack.url, client, { parameters: { scope: SCOPES, resource: stack.mcpUrl } });
  const code = outcome.callback?.searchParams.get('code');
  if (!code) throw new Error(`authorization failed: ${outcome.callback?.search ?? JSON.stringify(outcome.stoppedAt)?.slice(0, 300)}`);
  const tokens = await tokenRequest(stack.url, client, { grant_type: 'authorization_code', code, code_verifier: outcome.verifier, redirect_uri: REDIRECT_URI, resource: stack.mcpUrl });
  if (tokens.status !== 200) throw new Error(`token request failed: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  return { client, accessToken: String(tokens.body.access_token), refreshToken: String(tokens.body.refresh_token), secrets: [] };
}

/** A message file for `conversation create`: the input an attacker points at the server's files. */
export const conversationFrom = (path: string) => ({ title: 'support', category: 'general', message_from: path });

/**
 * Holds a child of `client` running (allocate a little, then wait), resolved once it runs: the
 * running child whose HOME holds the mark `stand-in allocate` leaves while it holds (a warm child
 * being started meanwhile is running too, but marks nothing).
 */
export async function holdChild(deployment: Deployment, client: AuthorizedClient, seconds: number): Promise<{ pid: number; done: Promise<ToolOutcome> }> {
  const marked = new Set(deployment.children().filter(holdsTheMark));
  const done = deployment.call(client, 'mittwald_stand_in_allocate', { megabytes: '4', hold_seconds: String(seconds) });
  let pid: number | undefined;
  await waitFor(() => (pid = deployment.children().find((p) => !marked.has(p) && holdsTheMark(p))) !== undefined, 30_000, 'the held child to start');
  return { pid: pid!, done };
}

function holdsTheMark(pid: number): boolean {
  try {
    const home = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').find((entry) => entry.startsWith('HOME='))?.slice('HOME='.length);
    return home !== undefined && readFileSync(join(home, 'holding'), 'utf8') === String(pid);
  } catch {
    return false;
  }
}

/** The capabilities docker-compose.yml leaves root in the mcp container (its first `cap_add`). */
export function composeCapabilities(): string[] {
  const compose = readFileSync(join(projectRoot, 'docker-compose.yml'), 'utf8');
  const listed = /^\s*cap_add:\s*\[([^\]]*)\]/m.exec(compose)?.[1];
  if (!listed) throw new Error('docker-compose.yml lists no cap_add');
  return listed.split(',').map((name) => name.trim());
}

/** The server process proper: under a launcher, the launcher's child. */
export function serverPids(server: ServerProcess): number[] {
  const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const underLauncher = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--under-launcher'));
  return underLauncher ? [server.pid, underLauncher] : [server.pid];
}

export function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

/**
 * A fresh directory (mode 0755) for a server's STATE_DIR or an ordinary user's HOME, below a
 * directory whose ancestors all belong to root and are writable by nobody else, as the call root
 * check demands: a clone may live below /tmp (1777), so not below the project.
 */
export function stateScratch(prefix: string): string {
  const safeParent = ['/var/lib', '/var/cache'].find((dir) => {
    try {
      const info = statSync(dir);
      return info.isDirectory() && info.uid === 0 && (info.mode & 0o022) === 0;
    } catch {
      return false;
    }
  });
  if (!safeParent) throw new Error('no root-owned directory (/var/lib, /var/cache) for the test state');
  const directory = mkdtempSync(join(safeParent, prefix));
  chmodSync(directory, 0o755);
  return directory;
}

/** A file of the kind that sits next to a server: its secrets, readable by root only. */
export function secretsFileNextToTheServer(secret: string): { path: string; remove(): void } {
  mkdirSync(join(projectRoot, '.cache'), { recursive: true });
  const directory = mkdtempSync(join(projectRoot, '.cache', 'isolation-test-'));
  chmodSync(directory, 0o755);
  const path = join(directory, '.env');
  writeFileSync(path, `TOKEN_ENCRYPTION_KEY=${secret}\n`, { mode: 0o600 });
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/**
 * A node binary every uid can start: this one when they already can, else a hard link (a copy
 * across file systems) in a root-owned 0755 directory: CI installs node under root's 0700 home.
 */
export function nodeForEveryUid(): { path: string; remove(): void } {
  if (!unreadableBy(65534, [process.execPath], process.execPath)) return { path: process.execPath, remove: () => {} };
  const directory = mkdtempSync(join(tmpdir(), 'mwmcp-node-'));
  chmodSync(directory, 0o755);
  const path = join(directory, 'node');
  try {
    linkSync(process.execPath, path);
  } catch {
    copyFileSync(process.execPath, path);
    chmodSync(path, 0o755);
  }
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** undefined when `uid` can read every path; else what stops it (a 0700 directory above the clone). */
function unreadableBy(uid: number, paths: string[], node: string): string | undefined {
  const probe = spawnSync(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', node, '-e', 'for (const p of process.argv.slice(1)) require("fs").accessSync(p, require("fs").constants.R_OK)', ...paths],
    { cwd: '/', env: {}, encoding: 'utf8' },
  );
  if (probe.status === 0) return undefined;
  return probe.error?.message ?? (probe.stderr.split('\n').find((line) => line.includes('Error')) ?? `exit ${probe.status}`).trim();
}

const isRoot = process.geteuid?.() === 0;

export { prlimitMissing } from '../support/processes.ts';

export interface UidBlock {
  server: number;
  /** for a server started as an ordinary user */
  unprivileged: number;
  children: { first: number; last: number };
}

const UID_BLOCK_SIZE = 200;
const FIRST_UID_BLOCK = 200_000;
const UID_BLOCKS = 1000;

/**
 * A block of 200 uids no process runs as now, for this run's servers and children: two test runs
 * on one machine (CI beside other work) must not share child uids, since a clean-up signals every
 * process of its uid.
 */
export function uidBlockForThisRun(): UidBlock {
  const inUse = new Set(
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map((pid) => {
        try {
          return uidOf(Number(pid));
        } catch {
          return NaN; // gone meanwhile
        }
      }),
  );
  for (let step = 0; step < UID_BLOCKS; step++) {
    const base = FIRST_UID_BLOCK + ((process.pid + step) % UID_BLOCKS) * UID_BLOCK_SIZE;
    const taken = [...inUse].some((uid) => uid >= base && uid < base + UID_BLOCK_SIZE);
    if (!taken) return { server: base, unprivileged: base + 50, children: { first: base + 100, last: base + UID_BLOCK_SIZE - 1 } };
  }
  throw new Error('no free block of uids for the per-call uid tests');
}

/** Why the per-call uid tests cannot run here, or undefined. */
export function perCallUidsUnavailable(node: string, childUid: number): string | undefined {
  if (!isRoot) return 'not root: per-call uids need a start as root (CI runs as root)';
  const unreadable = unreadableBy(childUid, [join(projectRoot, 'src', 'main.ts'), join(projectRoot, 'node_modules', '@oclif', 'core', 'package.json')], node);
  return unreadable && `the project is not readable by other uids (${unreadable}): the children could not start the CLI`;
}
