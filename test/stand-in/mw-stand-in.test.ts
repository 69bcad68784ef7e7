// The stand-in `mw` against the API simulator: the behaviours of the real CLI the server relies on.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMittwaldApiSimulator, type MittwaldApiSimulator } from '../support/mittwald-api/simulator.ts';
import { makeConfigDir, runStandIn, spawnStandIn } from './run-stand-in.ts';
import { isAlive, waitUntil } from '../support/processes.ts';

const ALICE_TOKEN = 'token-of-alice';
const BOB_TOKEN = 'token-of-bob';

let api: MittwaldApiSimulator;
let configDir: string;
const alice = () => api.users[0];
const bob = () => api.users[1];

function envFor(token: string | undefined): Record<string, string> {
  return {
    MITTWALD_API_BASE_URL: api.url,
    MW_CONFIG_DIR: configDir,
    HOME: configDir,
    ...(token !== undefined && { MITTWALD_API_TOKEN: token }),
  };
}

beforeAll(async () => {
  api = await startMittwaldApiSimulator();
  api.grantToken(ALICE_TOKEN, alice().userId);
  api.grantToken(BOB_TOKEN, bob().userId);
});

afterAll(async () => {
  await api.close();
});

beforeEach(async () => {
  api.setDown(false);
  api.clearRequests();
  configDir = await makeConfigDir();
});

describe('stand-in mw: reading', () => {
  it('project list -o json prints exactly the caller’s projects, and the API saw only that token', async () => {
    const result = await runStandIn(['project', 'list', '-o', 'json'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    const projects = JSON.parse(result.stdout) as Array<{ id: string; shortId: string }>;
    expect(projects.map((p) => p.id).sort()).toEqual(alice().projects.map((p) => p.id).sort());
    expect(projects.map((p) => p.id)).not.toContain(bob().projects[0].id);
    expect(api.requests.length).toBeGreaterThan(0);
    expect(new Set(api.requests.map((r) => r.token))).toEqual(new Set([ALICE_TOKEN]));
  });

  it('txt output is a human table, not JSON', async () => {
    const result = await runStandIn(['project', 'list'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    expect(() => JSON.parse(result.stdout)).toThrow();
    expect(result.stdout).toContain(alice().projects[0].shortId);
    expect(result.stdout.split('\n')[0]).toMatch(/ID\s+Short ID\s+Description/);
  });

  it('a short project id is normalised through GET /v2/projects/{id} first', async () => {
    const project = alice().projects[0];
    const result = await runStandIn(['database', 'mysql', 'list', '-p', project.shortId, '-o', 'json'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    const databases = JSON.parse(result.stdout) as Array<{ projectId: string }>;
    expect(databases.length).toBeGreaterThan(0);
    expect(databases.every((d) => d.projectId === project.id)).toBe(true);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v2/projects/${project.shortId}`,
      `GET /v2/projects/${project.id}/mysql-databases`,
    ]);
  });

  it('--token overrides the environment token', async () => {
    const result = await runStandIn(['project', 'list', '-o', 'json', '--token', BOB_TOKEN], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((p: { id: string }) => p.id)).toEqual([bob().projects[0].id]);
    expect(new Set(api.requests.map((r) => r.token))).toEqual(new Set([BOB_TOKEN]));
  });

  it('has --token only where the real mw has it (user get has none in the surface)', async () => {
    const result = await runStandIn(['user', 'get', '--token', BOB_TOKEN], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Nonexistent flag: --token');
    expect(api.requests).toEqual([]);
  });

  it('without --token or env it reads <configDir>/token', async () => {
    await writeFile(path.join(configDir, 'token'), `${BOB_TOKEN}\n`);
    const result = await runStandIn(['user', 'get', '-o', 'json'], envFor(undefined));

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).userId).toBe(bob().userId);
  });

  it('an empty MITTWALD_API_TOKEN is used as is (not skipped for the token file), so the API says 401', async () => {
    await writeFile(path.join(configDir, 'token'), BOB_TOKEN);
    const result = await runStandIn(['user', 'get'], envFor(''));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('401');
    expect(api.requests.every((r) => r.token === undefined)).toBe(true);
  });
});

describe('stand-in mw: failures', () => {
  it('no token anywhere: exit 1 with a human message and no API call', async () => {
    const result = await runStandIn(['project', 'list'], envFor(undefined));

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/API token/);
    expect(() => JSON.parse(result.stdout)).toThrow();
    expect(api.requests).toEqual([]);
  });

  it('another user’s project: exit 1 mentioning 403 and permission', async () => {
    const result = await runStandIn(['project', 'get', bob().projects[0].shortId, '-o', 'json'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('403');
    expect(result.stdout).toMatch(/permission/i);
    expect(result.stdout).not.toContain(bob().projects[0].description);
  });

  it('bad input the API rejects: exit 1 naming the field, nothing created', async () => {
    const project = alice().projects[0];
    const before = api.state.mysqlDatabases.size;
    const result = await runStandIn(
      ['database', 'mysql', 'create', '-p', project.id, '-d', 'x', '--version', '99', '--user-password', 'pw', '-q'],
      envFor(ALICE_TOKEN),
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('database.version');
    expect(api.state.mysqlDatabases.size).toBe(before);
  });

  it('database mysql create without a password fails fast instead of prompting', async () => {
    const result = await runStandIn(['database', 'mysql', 'create', '-p', alice().projects[0].id, '-d', 'x', '--version', '8.0'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/interactive input/i);
  });

  it('API down: exits non-zero within a few seconds', async () => {
    api.setDown(true);
    const result = await runStandIn(['project', 'list', '-o', 'json'], envFor(ALICE_TOKEN));

    expect(result.code).not.toBe(0);
    expect(result.durationMs).toBeLessThan(15_000);
    expect(result.stdout).toMatch(/could not reach the mittwald API/i);
  });

  it('an unknown flag is rejected with exit 1', async () => {
    const result = await runStandIn(['project', 'list', '--no-such-flag'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('--no-such-flag');
  });
});

describe('stand-in mw: writing', () => {
  it('project create -q prints only the new id, which the API then knows', async () => {
    const result = await runStandIn(['project', 'create', '-s', alice().serverShortId, '-d', 'Created by test', '-q'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    const id = result.stdout.trim();
    expect(result.stdout).toBe(`${id}\n`);
    expect(api.state.projects.get(id)?.description).toBe('Created by test');
    expect(api.state.projects.get(id)?.customerId).toBe(alice().customerId);
  });

  it('project delete without --force auto-confirms (no TTY) and deletes', async () => {
    const created = await runStandIn(['project', 'create', '-s', alice().serverId, '-d', 'Doomed', '-q'], envFor(ALICE_TOKEN));
    const id = created.stdout.trim();

    const result = await runStandIn(['project', 'delete', id], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Confirm: .*; automatically confirmed$/m);
    expect(api.state.projects.has(id)).toBe(false);
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path === `/v2/projects/${id}`)).toBe(true);
  });

  it('delete with -q prints nothing and deletes; another user cannot delete it', async () => {
    const created = await runStandIn(['project', 'create', '-s', alice().serverId, '-d', 'Quietly doomed', '-q'], envFor(ALICE_TOKEN));
    const id = created.stdout.trim();

    const byBob = await runStandIn(['project', 'delete', id, '--force'], envFor(BOB_TOKEN));
    expect(byBob.code).toBe(1);
    expect(api.state.projects.has(id)).toBe(true);

    const result = await runStandIn(['project', 'delete', id, '-q'], envFor(ALICE_TOKEN));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(api.state.projects.has(id)).toBe(false);
  });

  it('mail address create -q prints the id of an address that mail address list then shows', async () => {
    const project = alice().projects[1];
    const created = await runStandIn(
      ['mail', 'address', 'create', '-p', project.shortId, '-a', 'hello@alice.example.test', '--password', 's3cret!', '-q'],
      envFor(ALICE_TOKEN),
    );
    expect(created.code).toBe(0);

    const listed = await runStandIn(['mail', 'address', 'list', '-p', project.id, '-o', 'json'], envFor(ALICE_TOKEN));
    const addresses = JSON.parse(listed.stdout) as Array<{ id: string; address: string }>;
    expect(addresses).toContainEqual(expect.objectContaining({ id: created.stdout.trim(), address: 'hello@alice.example.test' }));
  });
});

describe('stand-in mw: inputs that read or run things on the machine running mw', () => {
  const conversationsOf = async (token: string) =>
    JSON.parse((await runStandIn(['conversation', 'list', '-o', 'json'], envFor(token))).stdout) as Array<{ conversationId: string; title: string }>;

  it('conversation create --message-from=<file> sends the whole file, which conversation show returns, to its author only', async () => {
    const file = path.join(configDir, 'message.txt');
    const content = 'first line\nsecond line with ümlauts\n\nlast line\n';
    await writeFile(file, content);

    const created = await runStandIn(['conversation', 'create', '--title', 'From a file', `--message-from=${file}`], envFor(ALICE_TOKEN));
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('');
    const conversation = (await conversationsOf(ALICE_TOKEN)).find((c) => c.title === 'From a file')!;
    expect(api.state.conversationMessages.get(conversation.conversationId)!.map((m) => m.messageContent)).toEqual([content]);

    const shown = await runStandIn(['conversation', 'show', conversation.conversationId], envFor(ALICE_TOKEN));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(content);

    const byBob = await runStandIn(['conversation', 'show', conversation.conversationId], envFor(BOB_TOKEN));
    expect(byBob.code).toBe(1);
    expect(byBob.stdout).toContain('403');
    expect(byBob.stdout).not.toContain('second line');
    expect((await conversationsOf(BOB_TOKEN)).map((c) => c.conversationId)).not.toContain(conversation.conversationId);
  });

  it('conversation reply --editor=<program> starts the program on a temp file and sends what it wrote there', async () => {
    const created = await runStandIn(['conversation', 'create', '--title', 'Edited', '--message', 'hello'], envFor(ALICE_TOKEN));
    expect(created.code).toBe(0);
    const conversation = (await conversationsOf(ALICE_TOKEN)).find((c) => c.title === 'Edited')!;
    const editor = path.join(configDir, 'editor.sh');
    await writeFile(editor, '#!/bin/sh\nprintf "written by the editor, args: %s" "$*" > "$1"\n', { mode: 0o755 });
    const tempFilesBefore = (await readdir(tmpdir())).filter((name) => name.endsWith('.md'));

    const replied = await runStandIn(['conversation', 'reply', conversation.conversationId, `--editor=${editor}`], envFor(ALICE_TOKEN));

    expect(replied.code).toBe(0);
    const messages = api.state.conversationMessages.get(conversation.conversationId)!.map((m) => m.messageContent!);
    expect(messages[0]).toBe('hello');
    expect(messages[1]).toMatch(/^written by the editor, args: \/\S+\.md$/);
    // the temp file is gone again
    expect((await readdir(tmpdir())).filter((name) => name.endsWith('.md'))).toEqual(tempFilesBefore);

    // without --editor (and without a message) it starts $EDITOR, as mw does
    const viaEnv = await runStandIn(['conversation', 'reply', conversation.conversationId], { ...envFor(ALICE_TOKEN), EDITOR: editor });
    expect(viaEnv.code).toBe(0);
    expect(api.state.conversationMessages.get(conversation.conversationId)!.at(-1)?.messageContent).toMatch(/^written by the editor/);
  });

  it('--message and --message-from together are refused before anything is sent', async () => {
    const before = api.state.conversations.size;
    const result = await runStandIn(['conversation', 'create', '--title', 'x', '--message', 'a', '--message-from', '/etc/hostname'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('cannot also be provided');
    expect(api.requests).toEqual([]);
    expect(api.state.conversations.size).toBe(before);
  });

  it('container run --env-file=<file> reads the file into the container environment; container update replaces it', async () => {
    const project = alice().projects[0];
    const envFile = path.join(configDir, 'app.env');
    await writeFile(envFile, '# comment\nDB_PASSWORD=from-the-file\nQUOTED="with spaces"\n');

    const run = await runStandIn(['container', 'run', '-p', project.shortId, `--env-file=${envFile}`, '-e', 'EXTRA=1', '--name', 'web', '-q', 'nginx:1.27'], envFor(ALICE_TOKEN));
    expect(run.code).toBe(0);
    const serviceId = run.stdout.trim();
    expect(api.state.containerServices.get(serviceId)?.pendingState.envs).toEqual({ EXTRA: '1', DB_PASSWORD: 'from-the-file', QUOTED: 'with spaces' });

    const listed = await runStandIn(['container', 'list', '-p', project.id, '-o', 'json'], envFor(ALICE_TOKEN));
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ id: serviceId, serviceName: 'web' }));

    const otherFile = path.join(configDir, 'other.env');
    await writeFile(otherFile, 'ONLY=this\n');
    const updated = await runStandIn(['container', 'update', 'web', '--project-id', project.id, '--env-file', otherFile], envFor(ALICE_TOKEN));
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^Step 3: updating container configuration\.\.\. completed$/m);
    expect(api.state.containerServices.get(serviceId)?.pendingState.envs).toEqual({ ONLY: 'this' });

    // mw answers "Env file not found"; Node 24 itself already stops at an --env-file naming a
    // missing file anywhere in argv (exit 9, before mw starts). Either way nothing is sent.
    api.clearRequests();
    const missing = await runStandIn(['container', 'update', 'web', '--project-id', project.id, '--env-file', path.join(configDir, 'nope.env')], envFor(ALICE_TOKEN));
    expect(missing.code).not.toBe(0);
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/not found/);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(api.state.containerServices.get(serviceId)?.pendingState.envs).toEqual({ ONLY: 'this' });
  });
});

describe('stand-in mw: --wait on long-running commands', () => {
  afterEach(() => api.setReadinessDelay(0));

  it('backup create --wait prints the step lines and polls until the simulator says the backup is complete', async () => {
    api.setReadinessDelay(2500);
    const project = alice().projects[0];
    const result = await runStandIn(['backup', 'create', '-p', project.id, '--expires', '30d', '--wait', '--wait-timeout', '90s'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'Starting: Creating backup',
      '',
      'Step 1: creating backup... completed',
      'Step 2: waiting for backup to be complete... completed',
      'Completed: Process completed successfully',
      '',
      'Summary: Backup successfully created.',
      '',
    ]);
    const polls = api.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v2/project-backups/'));
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(api.state.backups.get(polls[0].path.split('/').at(-1)!)?.status).toBe('Completed');
  });

  it('gives up after --wait-timeout with exit 1, the waiting step left open', async () => {
    api.setReadinessDelay(60_000);
    const result = await runStandIn(['backup', 'create', '-p', alice().projects[0].id, '--expires', '30d', '--wait', '--wait-timeout=1s'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Step 2: waiting for backup to be complete... ╭');
    expect(result.stdout).toContain('expected condition was not reached after 1 seconds');
  });

  it('project create --wait waits for readiness; with -q it prints only the id', async () => {
    api.setReadinessDelay(1500);
    const loud = await runStandIn(['project', 'create', '-s', alice().serverId, '-d', 'Waited for', '--wait'], envFor(ALICE_TOKEN));
    expect(loud.code).toBe(0);
    expect(loud.stdout).toMatch(/^Step 1: creating a new project\.\.\. completed\nInfo: project ID: \S+\nStep 2: waiting for project to be ready\.\.\. completed$/m);

    const quiet = await runStandIn(['project', 'create', '-s', alice().serverId, '-d', 'Quietly waited for', '--wait', '-q'], envFor(ALICE_TOKEN));
    expect(quiet.code).toBe(0);
    expect(api.state.projects.get(quiet.stdout.trim())?.readiness).toBe('ready');
    expect(quiet.stdout).toBe(`${quiet.stdout.trim()}\n`);
  });

  it('an unreadable duration is refused before anything is created', async () => {
    const before = api.state.projects.size;
    const result = await runStandIn(['project', 'create', '-s', alice().serverId, '-d', 'x', '--wait', '--wait-timeout', 'soon'], envFor(ALICE_TOKEN));

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('--wait-timeout');
    expect(api.state.projects.size).toBe(before);
  });
});

describe('stand-in mw: faults for the runner', () => {
  it('stand-in hang is still running after 1 s, with a grandchild that dies with its process group', async () => {
    const child = spawnStandIn(['stand-in', 'hang'], envFor(undefined), { detached: true });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      for (let i = 0; i < 100 && !/grandchild pid \d+/.test(stdout); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const grandchildPid = Number(/grandchild pid (\d+)/.exec(stdout)?.[1]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(child.exitCode).toBeNull();
      expect(isAlive(grandchildPid)).toBe(true);

      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      await waitUntil(() => !isAlive(grandchildPid), 'the grandchild gone', 5000).catch(() => undefined);
      expect(isAlive(grandchildPid)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('stand-in flood prints the requested amount', async () => {
    const result = await runStandIn(['stand-in', 'flood', '--megabytes', '3'], envFor(undefined));

    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(3 * 1024 * 1024);
  });

  it('stand-in allocate takes the memory it is asked for', async () => {
    const result = await runStandIn(['stand-in', 'allocate', '--megabytes', '64'], envFor(undefined));

    expect(result.code).toBe(0);
    const [, megabytes, rss] = /allocated (\d+) MB, rss (\d+) MB/.exec(result.stdout)!;
    expect(Number(megabytes)).toBe(64);
    expect(Number(rss)).toBeGreaterThan(64);
  });

  it('stand-in crash dies from a signal, or with exit 1 on an uncaught error', async () => {
    const bySignal = await runStandIn(['stand-in', 'crash'], envFor(undefined));
    expect(bySignal.code).toBeNull();
    expect(bySignal.signal).toBe('SIGKILL');

    const byError = await runStandIn(['stand-in', 'crash', '--how', 'error'], envFor(undefined));
    expect(byError.code).toBe(1);
    expect(byError.stderr).toContain('uncaught error');
  });
});
