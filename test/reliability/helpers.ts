// What the reliability suites share: a client that gets its tokens once through the real OAuth
// flow, raw JSON-RPC over fetch for load and faults, and a look at the `mw` children still alive.
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authorizeInBrowser, REDIRECT_URI, registerClient, type RegisteredClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';

export { REDIRECT_URI };
import { standInCliRoot } from '../support/mw-cli/index.ts';
import { waitUntil } from '../support/processes.ts';


export interface AuthorizedClient {
  client: RegisteredClient;
  accessToken: string;
  refreshToken: string;
  /** every secret this client saw: for the "nothing leaks" checks */
  secrets: string[];
}

/** DCR, browser login through our consent page and mittwald, code for tokens: once per client. */
export async function authorizeClient(
  registerAt: string,
  options: { authorizeAt?: string; tokenAt?: string; scope?: string; confidential?: boolean } = {},
): Promise<AuthorizedClient> {
  const registration = await registerClient(registerAt, {
    client_name: 'reliability client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: options.confidential ? 'client_secret_post' : 'none',
  });
  if (registration.status !== 201) throw new Error(`registration failed: ${registration.status} ${JSON.stringify(registration.body)}`);
  const client = registration.body as unknown as RegisteredClient;
  const outcome = await authorizeInBrowser(options.authorizeAt ?? registerAt, client, {
    parameters: options.scope ? { scope: options.scope } : {},
  });
  const code = outcome.callback?.searchParams.get('code');
  if (!code) throw new Error(`authorization failed: ${outcome.callback?.search ?? JSON.stringify(outcome.stoppedAt)?.slice(0, 400)}`);
  const tokens = await tokenRequest(options.tokenAt ?? registerAt, client, {
    grant_type: 'authorization_code',
    code,
    code_verifier: outcome.verifier,
    redirect_uri: REDIRECT_URI,
  });
  if (tokens.status !== 200) throw new Error(`token request failed: ${tokens.status} ${JSON.stringify(tokens.body)}`);
  const accessToken = String(tokens.body.access_token);
  const refreshToken = String(tokens.body.refresh_token);
  const secrets = [code, accessToken, refreshToken, client.client_secret, client.registration_access_token].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  return { client, accessToken, refreshToken, secrets };
}

/** Refreshes in place (rotation): the client keeps the new pair. */
export async function refresh(tokenAt: string, authorized: AuthorizedClient): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await tokenRequest(tokenAt, authorized.client, { grant_type: 'refresh_token', refresh_token: authorized.refreshToken });
  if (response.status === 200) {
    authorized.accessToken = String(response.body.access_token);
    authorized.refreshToken = String(response.body.refresh_token);
    authorized.secrets.push(authorized.accessToken, authorized.refreshToken);
  }
  return response;
}

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

export interface RpcOutcome {
  status: number;
  headers: Headers;
  text: string;
  /** the last JSON-RPC message, whether answered as JSON or as SSE */
  message?: Record<string, any>;
}

export async function postMcp(mcpUrl: string, token: string | undefined, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<RpcOutcome> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal ?? AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, message: lastMessage(response.headers.get('content-type'), text) };
}

function lastMessage(contentType: string | null, text: string): Record<string, any> | undefined {
  try {
    if (contentType?.includes('text/event-stream')) {
      const data = text.split('\n').filter((l) => l.startsWith('data: '));
      return data.length ? JSON.parse(data.at(-1)!.slice(6)) : undefined;
    }
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

let nextId = 1;
export const rpc = (method: string, params?: unknown) => ({ jsonrpc: '2.0', id: nextId++, method, ...(params === undefined ? {} : { params }) });
export const toolCall = (name: string, args: Record<string, unknown> = {}) => rpc('tools/call', { name, arguments: args });

/** read(2)'s number here: a warm child waiting for its request is blocked reading its control pipe */
const READ_SYSCALL = ({ x64: 0, arm64: 63 } as Record<string, number>)[process.arch];

/**
 * A warm child of the pool waiting for its request (src/cli/sandbox/child-pool.ts): blocked in
 * read(2) on fd 3, its control pipe, which a child reads once and never again after its request.
 */
export function waitingForItsRequest(pid: number): boolean {
  try {
    const [syscall, fd] = readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ');
    return Number(syscall) === READ_SYSCALL && fd === '0x3';
  } catch {
    return false;
  }
}

/**
 * `mw` stand-in processes (and their sleeping grandchildren) of calls still running for the
 * deployment whose API simulator is at `apiUrl`: told apart by the API origin in their environment,
 * so suites (and benchmarks) running beside this one do not count, and an orphaned grandchild still
 * does. Warm children waiting for a call are not a call's (`{ waiting: true }` lists those).
 */
export function standInProcesses(apiUrl: string, { waiting = false } = {}): string[] {
  const table = execFileSync('ps', ['-eo', 'pid,pgid,args'], { encoding: 'utf8' });
  const marker = `MITTWALD_API_BASE_URL=${apiUrl}\0`;
  return table
    .split('\n')
    .filter((line) => line.includes(standInCliRoot) || line.includes('setInterval(() => {}, 60_000)'))
    .filter((line) => {
      try {
        return `${readFileSync(`/proc/${line.trim().split(/\s+/)[0]}/environ`, 'latin1')}\0`.includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map((line) => line.trim())
    .filter((line) => waitingForItsRequest(Number(line.split(/\s+/)[0])) === waiting);
}

/** waitUntil (test/support/processes.ts) with the time limit first, as these suites write it */
export const waitFor = (condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> => waitUntil(condition, what, timeoutMs);

/**
 * A copy of config/tools.json that also offers the stand-in's fault commands (hang, crash, flood)
 * as tools, under project:read, so a test can make `mw` misbehave through /mcp.
 */
export function overridesWithFaultTools(): string {
  const directory = mkdtempSync(join(tmpdir(), 'mwmcp-reliability-'));
  const path = join(directory, 'tools.json');
  copyFileSync(new URL('../../config/tools.json', import.meta.url), path);
  const overrides = JSON.parse(readFileSync(path, 'utf8'));
  for (const id of ['stand-in hang', 'stand-in crash', 'stand-in flood']) overrides.scopes[id] = ['project:read'];
  writeFileSync(path, JSON.stringify(overrides));
  return path;
}

/** True when the text holds a stack frame or a source path: a body a client must never see. */
export function leaksInternals(text: string): boolean {
  return /\n\s+at [^\n]+[(:]/.test(text) || /\/(src|node_modules)\/[\w./-]+\.(ts|js)/.test(text) || /\bat (async )?[\w.<>]+ \(/.test(text);
}

export interface LoadBalancer {
  url: string;
  /** how many requests went to each backend */
  served: number[];
  close(): Promise<void>;
}

/**
 * A minimal HTTP load balancer on loopback: the one public origin in front of several server
 * processes, forwarding each request to the backend `pick` names (by index).
 */
export async function startLoadBalancer(port: number, backends: () => string[], pick: (method: string, path: string) => number): Promise<LoadBalancer> {
  const served: number[] = [];
  const server = createHttpServer((req, res) => {
    const index = pick(req.method ?? 'GET', req.url ?? '/');
    served[index] = (served[index] ?? 0) + 1;
    const target = new URL(req.url ?? '/', backends()[index]);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
