// The part of test:docker that runs inside the engine's network namespace (run.ts starts it there):
// the mittwald simulators and a TLS proxy on that namespace's loopback, one .env for both
// `docker run --env-file` and compose, and what a user (or an attacker) would look at: health, uids
// and capabilities, the read-only root, a tool call that runs `mw` inside the container against the
// API simulator, a registration and a grant across `docker compose restart`, a stop within the grace
// period, and a configuration error that `up --wait` reports instead of returning 0.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../../src/config.ts';
import { startMittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { registerClient, tokenRequest } from '../support/mittwald-oauth/oauth-client.ts';
import { MITTWALD_CLIENT_ID } from '../support/mittwald-oauth/oauth-test-app.ts';
import { startMittwaldOAuthSimulator } from '../support/mittwald-oauth/simulator.ts';
import { parseDockerEnvFile } from '../support/docker-env-file.ts';
import { freePort } from '../support/redis-server.ts';
import { connectWithOAuth } from '../support/sdk-oauth-client.ts';
import { docker } from './docker.ts';
import { type Listener, startForwarder, startTlsProxy } from './edge.ts';
import { CHILD_UIDS, CLASSIC_IMAGE, SERVER_UID } from './images.ts';
import { check, CheckFailed, expectThat } from './report.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const PROJECT = 'mittwald-mcp-test';
const RUN_CONTAINER = 'mittwald-mcp-test-run';
/** docker-compose.yml's stop_grace_period */
const GRACE_SECONDS = 30;
const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: start this file through npm run test:docker`);
  return value;
};

const work = env('TEST_DOCKER_WORK');
const standInVersion = env('TEST_DOCKER_STAND_IN_VERSION');
const project = join(work, 'project');
const envPath = join(project, '.env');

const compose = (args: string[], options: { allowFailure?: boolean } = {}) =>
  docker(
    ['compose', '--project-directory', project, '--project-name', PROJECT,
      '-f', join(repoRoot, 'docker-compose.yml'), '-f', join(repoRoot, 'test/docker/compose.test.yml'), ...args],
    options,
  );

/** .env.example with the given settings in place (and the keys, once generated, appended). */
function envFile(example: string, settings: Record<string, string>, keys = ''): string {
  let text = example;
  for (const [name, value] of Object.entries(settings)) {
    const line = new RegExp(`^${name}=.*$`, 'm');
    text = line.test(text) ? text.replace(line, () => `${name}=${value}`) : `${text}${name}=${value}\n`;
  }
  return text + keys;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function readiness(url: string): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const inspect = async (container: string, format: string) => (await docker(['inspect', '--format', format, container])).stdout.trim();
const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** Every process in the container, read from /proc inside it, as an attacker with a shell there would. */
async function processesIn(container: string): Promise<ContainerProcess[]> {
  const listing = await docker(['exec', container, 'node', '-e', `
    const fs = require('fs');
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p) && p !== String(process.pid))) {
      try {
        const status = fs.readFileSync('/proc/' + pid + '/status', 'utf8');
        const field = (name) => new RegExp('^' + name + ':\\\\s+(\\\\S+)', 'm').exec(status)[1];
        const cmdline = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean);
        console.log(JSON.stringify({ uid: Number(field('Uid')), capEff: field('CapEff'), capPrm: field('CapPrm'), capBnd: field('CapBnd'), noNewPrivs: field('NoNewPrivs'), cmdline }));
      } catch {}
    }`]);
  return listing.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const raw = JSON.parse(line) as { uid: number; capEff: string; capPrm: string; capBnd: string; noNewPrivs: string; cmdline: string[] };
    const caps = (hex: string) => BigInt(`0x${hex}`);
    return { ...raw, capEff: caps(raw.capEff), capPrm: caps(raw.capPrm), capBnd: caps(raw.capBnd), noNewPrivs: raw.noNewPrivs === '1' };
  });
}

/** The `mw` children among them: each runs the children's bootstrap. */
const mwChildrenIn = async (container: string) =>
  (await processesIn(container)).filter((p) => p.cmdline.some((word) => word.endsWith('child-bootstrap.mts')));

interface ContainerProcess {
  uid: number;
  capEff: bigint;
  capPrm: bigint;
  capBnd: bigint;
  noNewPrivs: boolean;
  cmdline: string[];
}

/** CHOWN, SETGID, SETUID: docker-compose.yml's cap_add */
const LAUNCHER_CAPS = [0n, 6n, 7n].reduce((caps, bit) => caps | (1n << bit), 0n);

async function main(): Promise<void> {
  const listeners: Listener[] = [];
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const tls = await startTlsProxy({ key: env('TEST_DOCKER_TLS_KEY'), cert: env('TEST_DOCKER_TLS_CERT'), targetPort: port });
  listeners.push(tls);
  const publicUrl = `https://127.0.0.1:${tls.port}`;

  const api = await startMittwaldApiSimulator();
  const oauth = await startMittwaldOAuthSimulator({
    clientId: MITTWALD_CLIENT_ID,
    redirectUri: `${publicUrl}/mittwald/callback`,
    scopes: loadConfig({}, repoRoot).mittwald.scopes.upstream,
  });
  oauth.onTokenIssued((token, userId) => api.grantToken(token, userId));
  const alice = api.users[0];
  oauth.loginAs(alice.userId);
  // The containers reach the simulators through the engine's bridge (host.docker.internal).
  const toOAuth = await startForwarder(Number(new URL(oauth.url).port));
  const toApi = await startForwarder(Number(new URL(api.url).port));
  listeners.push(toOAuth, toApi);

  await mkdir(project, { recursive: true });
  const example = await readFile(join(repoRoot, '.env.example'), 'utf8');
  const settings = {
    PUBLIC_URL: publicUrl,
    // not the default: the published port has to follow it
    PORT: String(port),
    MITTWALD_CLIENT_ID,
    MITTWALD_AUTHORIZATION_URL: oauth.authorizationUrl,
    MITTWALD_TOKEN_URL: `http://host.docker.internal:${toOAuth.port}/v2/oauth2/token`,
    MITTWALD_API_BASE_URL: `http://host.docker.internal:${toApi.port}`,
  };
  await writeFile(envPath, envFile(example, settings));

  try {
    let keys = '';
    await check('keys generated inside the image (the README\'s way without Node 24) are accepted', async () => {
      const generated = await compose(['run', '--rm', '--no-deps', '-T', 'mcp', 'node', 'scripts/generate-keys.ts']);
      keys = generated.stdout;
      const parsed = parseDockerEnvFile(keys);
      expectThat(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: publicUrl, ...parsed }, repoRoot).keys.generated === false, `keys: ${Object.keys(parsed)}`);
      await writeFile(envPath, envFile(example, settings, keys));
      return Object.keys(parsed).join(', ');
    });

    await check('docker run --env-file .env (classic-built image): ready, then stops gracefully', async () => {
      await docker(['rm', '-f', RUN_CONTAINER], { allowFailure: true });
      await docker(['run', '-d', '--name', RUN_CONTAINER, '--env-file', envPath, '-p', `127.0.0.1:${port}:${port}`,
        '--add-host', 'host.docker.internal:host-gateway', CLASSIC_IMAGE]);
      const ready = await waitFor('ready', async () => {
        const { status, body } = await readiness(origin);
        return status === 200 ? body : undefined;
      }, 30_000).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${(await docker(['logs', RUN_CONTAINER], { allowFailure: true })).stderr}`);
      });
      const stop = await docker(['stop', '--time', String(GRACE_SECONDS), RUN_CONTAINER]);
      const exitCode = await inspect(RUN_CONTAINER, '{{.State.ExitCode}}');
      expectThat(exitCode === '0', `exit code ${exitCode} after docker stop (137: killed at the end of the grace period)`);
      await docker(['rm', RUN_CONTAINER]);
      return `cli ${ready.checks.cli.version}, keys ${ready.checks.keys}; stopped in ${stop.seconds.toFixed(1)} s, exit 0`;
    });

    await check('docker compose up -d --wait: returns once healthy', async () => {
      const up = await compose(['up', '-d', '--no-build', '--wait'], { allowFailure: true });
      if (up.code !== 0) throw new Error(`${up.stderr.trim()}\n${(await compose(['logs', '--no-color', '--tail', '20', 'mcp'])).stdout}`);
      return `${up.seconds.toFixed(0)} s`;
    });
    const mcp = (await compose(['ps', '-q', 'mcp'])).stdout.trim();
    const startLog = (await compose(['logs', '--no-color', 'mcp'])).stdout;
    const redis = (await compose(['ps', '-q', 'redis'])).stdout.trim();

    await check('healthy; the published port follows PORT; /readyz and the start log name the CLI version', async () => {
      expectThat((await inspect(mcp, '{{.State.Health.Status}}')) === 'healthy', 'mcp is not healthy');
      const ports = await inspect(mcp, '{{json .NetworkSettings.Ports}}');
      expectThat(ports.includes(`"HostIp":"127.0.0.1","HostPort":"${port}"`), `published: ${ports}`);
      expectThat(!(await inspect(redis, '{{json .NetworkSettings.Ports}}')).includes('HostPort'), 'redis publishes a port');
      const { status, body } = await readiness(publicUrl);
      expectThat(status === 200 && body.checks.store === 'ok', `/readyz: ${status} ${JSON.stringify(body)}`);
      expectThat(body.checks.cli?.version === standInVersion, `/readyz names CLI ${JSON.stringify(body.checks.cli)}, not ${standInVersion}`);
      const found = startLog.split('\n').find((line) => line.includes('"message":"mw CLI found"'));
      const logged = found && (JSON.parse(found.slice(found.indexOf('{'))) as { cli?: string }).cli;
      expectThat(logged === `mw-stand-in@${standInVersion}`, `the start log names CLI ${logged ?? '(no "mw CLI found" line)'}, not mw-stand-in@${standInVersion}`);
      const { isolation } = body.checks;
      expectThat(
        isolation?.uid === 'per-call' && isolation.fs === 'permission-model' && isolation.limits === 'on' && isolation.callDirectory === 'ok',
        `/readyz isolation layers: ${JSON.stringify(isolation)}`,
      );
      return `127.0.0.1:${port}, cli ${body.checks.cli.version} (start log: ${logged}), isolation ${JSON.stringify(isolation)}`;
    });

    await check('hardening as configured: read-only root, capabilities dropped, no-new-privileges, limits, log rotation', async () => {
      const host = JSON.parse(await inspect(mcp, '{{json .HostConfig}}')) as Record<string, any>;
      expectThat(host.ReadonlyRootfs === true, 'root file system is writable');
      expectThat(JSON.stringify(host.CapDrop) === '["ALL"]', `cap_drop: ${JSON.stringify(host.CapDrop)}`);
      expectThat((host.SecurityOpt ?? []).some((o: string) => /^no-new-privileges(:true)?$/.test(o)), `security_opt: ${host.SecurityOpt}`);
      expectThat(host.Memory > 0 && host.PidsLimit > 0, `memory ${host.Memory}, pids ${host.PidsLimit}`);
      expectThat(host.LogConfig?.Config?.['max-size'], `logging: ${JSON.stringify(host.LogConfig)}`);
      return `memory ${host.Memory / 2 ** 20} MiB, pids ${host.PidsLimit}, cap_add ${JSON.stringify(host.CapAdd ?? [])}, logs ${host.LogConfig.Config['max-size']} × ${host.LogConfig.Config['max-file']}`;
    });

    await check('every process in the container: only tini and the launcher are root, with cap_add\'s three; the server is not', async () => {
      const processes = await processesIn(mcp);
      const named = (p: ContainerProcess) => p.cmdline.join(' ').replace(/^\/usr\/(local\/)?bin\//, '');
      for (const p of processes) {
        expectThat(p.noNewPrivs, `${named(p)} can gain privileges`);
        expectThat(p.capBnd === LAUNCHER_CAPS, `${named(p)}: bounding set ${p.capBnd.toString(16)}`);
        if (p.uid === 0) expectThat((p.capEff | p.capPrm) === LAUNCHER_CAPS, `${named(p)}: root with ${p.capEff.toString(16)}`);
        else expectThat(p.capEff === 0n && p.capPrm === 0n, `${named(p)}: uid ${p.uid} holds capabilities ${p.capEff.toString(16)}`);
      }
      const server = processes.find((p) => p.cmdline.includes('--under-launcher'));
      expectThat(server !== undefined && server.uid === SERVER_UID, `the server: ${server ? `uid ${server.uid}` : 'not found'}`);
      const root = processes.filter((p) => p.uid === 0).map(named);
      return `uid 0 with ${LAUNCHER_CAPS.toString(16)}: ${root.join('; ')}; the server: uid ${server.uid}, no capabilities`;
    });

    await check('read-only root, even for root in the container; /tmp is a tmpfs', async () => {
      const write = await docker(['exec', '-u', '0', mcp, 'sh', '-c', 'touch /usr/local/bin/planted'], { allowFailure: true });
      expectThat(write.code !== 0 && /Read-only file system/.test(write.stderr), `writing into the image: ${write.code} ${write.stderr}`);
      const mounts = await docker(['exec', mcp, 'sh', '-c', 'grep " /tmp " /proc/mounts']);
      expectThat(/^tmpfs \/tmp tmpfs .*noexec/.test(mounts.stdout), `/tmp: ${mounts.stdout}`);
      return mounts.stdout.trim();
    });

    let session!: Awaited<ReturnType<typeof connectWithOAuth>>;
    await check('OAuth through the container; a tool call runs mw inside it against the API simulator', async () => {
      // The server's own children at start (priming the compile cache, no user's token) run as its uid,
      // and on a busy machine for a while after it is healthy: the children looked at below are the calls'.
      await waitFor('the server\'s start-up children done', async () => ((await mwChildrenIn(mcp)).some((p) => p.uid === SERVER_UID) ? undefined : true));
      session = await connectWithOAuth(`${publicUrl}/mcp`);
      api.clearRequests();
      const result = (await session.client.callTool({ name: 'mittwald_project_list', arguments: {} })) as CallToolResult;
      expectThat(!result.isError, `tool error: ${text(result)}`);
      const items = (result.structuredContent as { items: Array<{ id: string }> }).items;
      expectThat(JSON.stringify(items.map((p) => p.id).sort()) === JSON.stringify(alice.projects.map((p) => p.id).sort()), `projects: ${text(result)}`);
      const calls = api.requests.filter((r) => r.userId === alice.userId);
      expectThat(calls.length > 0 && api.requests.every((r) => r.userId === alice.userId), `API requests: ${JSON.stringify(api.requests)}`);
      // each call's directory is gone once it has finished (the launcher cleans up as the child's uid):
      // the ones left are the warm children's, one each, and every child left is a warm one
      let seen = 'nothing';
      const left = await waitFor('call directories removed', async () => {
        const listing = (await docker(['exec', mcp, 'sh', '-c', 'ls -A /var/lib/mittwald-mcp/calls-*'])).stdout;
        const children = await mwChildrenIn(mcp);
        const directories = (listing.match(/mw-call-/g) ?? []).length;
        const warm = children.filter((child) => child.cmdline.includes('--preload=commands')).length;
        seen = `${directories} call directories, ${warm} warm children of ${children.length}`;
        return warm === children.length && directories === children.length ? directories : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; last seen: ${seen}`);
      });
      return `${items.length} projects of ${alice.email}; the API saw ${calls.map((r) => `${r.method} ${r.path}`).join(', ')}; no call directory left but the ${left} of the warm children`;
    });

    await check('every mw child, running or warm: a uid of its own (not root, not the server), no capabilities, no_new_privs, permission model', async () => {
      // Its API request waits at the forwarder while the child is looked at from inside the container.
      toApi.pause();
      const call = session.client.callTool({ name: 'mittwald_project_list', arguments: {} }) as Promise<CallToolResult>;
      // the call's child and the warm ones waiting beside it
      const children = await waitFor('a running mw child beside the warm ones', async () => {
        const found = await mwChildrenIn(mcp);
        return found.length >= 2 ? found : undefined;
      }, 30_000).finally(() => toApi.resume());
      const result = await call;
      expectThat(!result.isError, `tool error: ${text(result)}`);
      for (const child of children) {
        expectThat(child.uid >= CHILD_UIDS.first && child.uid <= CHILD_UIDS.last, `a child runs as uid ${child.uid}`);
        expectThat(child.capEff === 0n && child.capPrm === 0n && child.noNewPrivs, `child: uid ${child.uid}, capabilities ${child.capEff.toString(16)}`);
        expectThat(child.cmdline.includes('--permission'), `a child runs without the permission model: ${child.cmdline.join(' ')}`);
      }
      const uids = children.map((child) => child.uid);
      expectThat(new Set(uids).size === uids.length, `two children share a uid: ${uids.join(', ')}`);
      return `${children.length} children, uids ${uids.join(', ')}, capabilities 0, no_new_privs, ${children[0].cmdline.filter((w) => w.startsWith('--allow-fs')).length} --allow-fs paths`;
    });

    await check('a registration and a grant survive docker compose restart', async () => {
      const registered = await registerClient(publicUrl, {
        client_name: 'test:docker',
        redirect_uris: ['http://127.0.0.1:8976/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      });
      expectThat(registered.status === 201, `registration: ${registered.status} ${JSON.stringify(registered.body)}`);
      const { registration_client_uri: uri, registration_access_token: secret, client_id: clientId } = registered.body as Record<string, string>;

      const restart = await compose(['restart']);
      await compose(['up', '-d', '--no-build', '--wait']);

      const read = await fetch(uri, { headers: { authorization: `Bearer ${secret}` } });
      const readBack = (await read.json()) as Record<string, unknown>;
      expectThat(read.status === 200 && readBack.client_id === clientId, `registration after restart: ${read.status} ${JSON.stringify(readBack)}`);

      const client = new Client({ name: 'test:docker', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${publicUrl}/mcp`), { authProvider: session.provider }));
      const result = (await client.callTool({ name: 'mittwald_project_list', arguments: {} })) as CallToolResult;
      expectThat(!result.isError && text(result).includes(alice.projects[0].id), `tool call after restart: ${text(result)}`);
      await client.close();

      const sdkClient = { client_id: session.provider.clientInfo!.client_id, redirect_uris: [], token_endpoint_auth_method: 'none' };
      const refreshed = await tokenRequest(publicUrl, sdkClient, {
        grant_type: 'refresh_token',
        refresh_token: session.provider.savedTokens!.refresh_token!,
        resource: `${publicUrl}/mcp`,
      });
      expectThat(refreshed.status === 200, `refresh after restart: ${refreshed.status} ${JSON.stringify(refreshed.body)}`);
      return `restart ${restart.seconds.toFixed(0)} s; client read back (RFC 7592), access token and refresh token still good`;
    });

    await check(`docker compose stop: the server ends within the grace period (${GRACE_SECONDS} s), exit 0`, async () => {
      const stop = await compose(['stop']);
      const exitCode = await inspect(mcp, '{{.State.ExitCode}}');
      expectThat(exitCode === '0' && stop.seconds < GRACE_SECONDS, `exit ${exitCode} after ${stop.seconds.toFixed(1)} s`);
      const logs = (await compose(['logs', '--no-color', 'mcp'])).stdout;
      expectThat(/"message":"stopped"/.test(logs), 'no "stopped" line in the log');
      return `${stop.seconds.toFixed(1)} s`;
    });

    await check('a configuration error: up -d --wait fails (instead of returning 0) and the log says why', async () => {
      await compose(['down', '--volumes']);
      await writeFile(envPath, envFile(example, { ...settings, PUBLIC_URL: publicUrl.replace('https:', 'http:') }, keys));
      const up = await compose(['up', '-d', '--no-build', '--wait'], { allowFailure: true });
      expectThat(up.code !== 0, 'up --wait returned 0 for a server that cannot start');
      const logs = (await compose(['logs', '--no-color', 'mcp'])).stdout;
      expectThat(/PUBLIC_URL must be https/.test(logs), `log: ${logs.slice(-500)}`);
      return `exit ${up.code} after ${up.seconds.toFixed(0)} s: ${up.stderr.trim().split('\n').pop()}`;
    });

    // last, so that everything above is known whatever this says
    await check('the launcher hands the image\'s compile cache to the children (read-only root)', async () => {
      const refused = /launcher: mw children run without a compile cache: ([^"]*)/.exec(startLog);
      expectThat(!refused, `the launcher refused it: ${refused?.[1]}`);
      return 'the start log names no refusal';
    });
  } finally {
    await compose(['down', '--volumes', '--remove-orphans'], { allowFailure: true });
    await docker(['rm', '-f', RUN_CONTAINER], { allowFailure: true });
    await Promise.all([...listeners.map((l) => l.close()), oauth.close(), api.close()]);
  }
}

main().catch((error: Error) => {
  console.error(error instanceof CheckFailed ? error.message : error.stack);
  process.exit(1);
});
