// Layer 3 alone, as CI runs it (root): `node src/main.ts` becomes the launcher, the server runs as
// CLI_SERVER_UID, and each child under a uid of its own, with the file sandbox switched off
// (CLI_SANDBOX_FS=off) and the flag policy off, so only the uids stand between a tool input and the
// server's secrets or another user's child. Also the unprivileged path: the same server started as
// an ordinary uid runs its children with every layer it can have and says the uid layer is off.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chownSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../reliability/helpers.ts';
import { isAlive } from '../support/processes.ts';
import {
  composeCapabilities,
  conversationFrom,
  holdChild,
  nodeForEveryUid,
  perCallUidsUnavailable,
  secretsFileNextToTheServer,
  serverPids,
  startDeployment,
  stateScratch,
  uidBlockForThisRun,
  uidOf,
  type Deployment,
} from './deployment.ts';
import { expectResourceHogsStopped } from './resource-hogs.ts';

// this run's own uids, not the defaults: another run on the machine may be using those
const uids = uidBlockForThisRun();
const SERVER_UID = uids.server;
const CHILD_UIDS = uids.children;
const node = nodeForEveryUid();
const unavailable = perCallUidsUnavailable(node.path, CHILD_UIDS.first);
if (unavailable) console.warn(`per-call uid tests skipped: ${unavailable}`);
const describeAsRoot = unavailable ? describe.skip : describe;
afterAll(() => node.remove());

const inChildRange = (uid: number) => uid >= CHILD_UIDS.first && uid <= CHILD_UIDS.last;

describeAsRoot('per-call uids alone (launcher, file sandbox off, flag policy off)', () => {
  let deployment: Deployment;
  let secrets: { path: string; remove(): void };
  let scratch: string;

  beforeAll(async () => {
    // its own state directory: in-process servers of other suites share the default one
    scratch = stateScratch('mittwald-mcp-per-call-uids-');
    deployment = await startDeployment(
      {
        STATE_DIR: join(scratch, 'state'),
        CLI_SANDBOX_FS: 'off',
        CLI_SERVER_UID: String(SERVER_UID),
        CLI_CHILD_UIDS: `${CHILD_UIDS.first}-${CHILD_UIDS.last}`,
      },
      // root as in the container: only compose's capabilities (no CAP_DAC_*: the launcher cannot enter the children's directories)
      { nodePath: node.path, containerCapabilities: composeCapabilities() },
    );
    secrets = secretsFileNextToTheServer(deployment.serverSecret);
  }, 120_000);

  afterAll(async () => {
    await deployment?.stop();
    secrets?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('runs the server unprivileged and says so on /readyz', async () => {
    const [launcher, server] = serverPids(deployment.server);
    expect(uidOf(launcher)).toBe(0);
    expect(uidOf(server)).toBe(SERVER_UID);
    const ready = (await (await fetch(`${deployment.stack.url}/readyz`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks.isolation).toMatchObject({ fs: 'off', uid: 'per-call', limits: 'on', callDirectory: 'ok' });
  });

  it("gives two running children two uids of their own, neither the server's", async () => {
    const alices = await holdChild(deployment, deployment.alice, 8);
    const bobs = await holdChild(deployment, deployment.bob, 8);
    const uids = [uidOf(alices.pid), uidOf(bobs.pid)];
    expect(uids.every(inChildRange)).toBe(true);
    expect(uids[0]).not.toBe(uids[1]);
    expect((await alices.done).isError).toBe(false);
    expect((await bobs.done).isError).toBe(false);
  }, 90_000);

  it("refuses the server's environment, another user's running child and the secrets file, while bob's call goes on", async () => {
    const bobs = await holdChild(deployment, deployment.bob, 30);
    const targets = [...serverPids(deployment.server).map((pid) => `/proc/${pid}/environ`), `/proc/${bobs.pid}/environ`, secrets.path];
    const outcomes = await Promise.all(targets.map((path) => deployment.call(deployment.alice, 'mittwald_conversation_create', conversationFrom(path))));
    // refused while it ran, not because it was gone
    expect(isAlive(bobs.pid)).toBe(true);
    for (const [index, outcome] of outcomes.entries()) {
      expect({ target: targets[index], isError: outcome.isError }).toEqual({ target: targets[index], isError: true });
      expect(outcome.text).toMatch(/EACCES|permission denied/i);
      expect(outcome.text).not.toContain(deployment.serverSecret);
    }
    expect((await bobs.done).isError).toBe(false);
    const everything = deployment.messages().join('\n');
    expect(everything).not.toContain(deployment.serverSecret);
    expect(everything).not.toContain('MW_CONFIG_DIR');
  }, 90_000);

  it('keeps warm children waiting under uids of their own, with no token, and refuses an attack through one as through a cold one', async () => {
    await deployment.warmChildrenReady();
    const waiting = deployment.waitingChildren();
    for (const pid of waiting) {
      expect(inChildRange(uidOf(pid))).toBe(true);
      expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toMatch(/MITTWALD_API_TOKEN=/);
      expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain(deployment.mittwaldToken('alice'));
      expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).not.toContain(deployment.mittwaldToken('alice'));
    }
    const [, serverPid] = serverPids(deployment.server);
    const before = await deployment.starts();
    const outcome = await deployment.call(deployment.alice, 'mittwald_conversation_create', conversationFrom(`/proc/${serverPid}/environ`));
    expect(await deployment.starts()).toEqual({ warm: before.warm + 1, cold: before.cold });
    expect(outcome.isError).toBe(true);
    expect(outcome.text).toMatch(/EACCES|permission denied/i);
    expect(outcome.text).not.toContain(deployment.serverSecret);
  }, 90_000);

  it('replaces a waiting child that was killed; the next call runs warm', async () => {
    await deployment.warmChildrenReady();
    const [killed] = deployment.waitingChildren();
    process.kill(killed, 'SIGKILL');
    await waitFor(() => !isAlive(killed), 15_000, 'the waiting child gone');
    await deployment.warmChildrenReady();
    expect(deployment.waitingChildren()).not.toContain(killed);
    const before = await deployment.starts();
    expect((await deployment.call(deployment.bob, 'mittwald_project_list')).isError).toBe(false);
    expect(await deployment.starts()).toEqual({ warm: before.warm + 1, cold: before.cold });
  }, 90_000);

  it('lets an editor start (only the file sandbox stops that) but as a uid that can read nothing of the server, and leaves nothing running', async () => {
    const [, serverPid] = serverPids(deployment.server);
    const editor = join(scratch, 'editor.sh');
    // what an attacker's editor would do: look around, try the server's secrets, leave a process behind
    writeFileSync(
      editor,
      `#!/bin/sh\n{ echo "uid $(id -u)"; cat /proc/${serverPid}/environ; cat ${secrets.path}; } > "$1" 2>&1\nsetsid sleep 300 > /dev/null 2>&1 < /dev/null &\n`,
      { mode: 0o755 },
    );
    const outcome = await deployment.call(deployment.alice, 'mittwald_conversation_create', { title: 'editor', category: 'general', editor });
    expect(outcome).toMatchObject({ isError: false });
    const message = deployment.messages().find((text) => text.startsWith('uid '))!;
    const uid = Number(/^uid (\d+)/.exec(message)![1]);
    expect(inChildRange(uid)).toBe(true);
    expect(message).toMatch(/Permission denied/);
    expect(message).not.toContain(deployment.serverSecret);
    // the stray `sleep` went with the call's clean-up, before the uid can be leased again
    await waitFor(() => !processesOf(uid).length, 15_000, `no process of uid ${uid} left`);
  }, 90_000);

  it('ends a child that reads /dev/zero as resource_limit, the server unchanged, another call completing', async () => {
    await expectResourceHogsStopped(deployment);
  }, 90_000);

  it('shares compile caches the server’s uid fills and the children only read: one for cold children, one for warm ones', async () => {
    const cache = join(scratch, 'state', 'compile-cache');
    const primed = () => readdirSync(cache).filter((name) => name.endsWith(`-${SERVER_UID}`) && readdirSync(join(cache, name)).length > 0);
    await waitFor(() => primed().length === 2, 60_000, 'both primed caches');
    for (const shared of primed()) {
      const prefix = shared.slice(0, -`-${SERVER_UID}`.length);
      expect(readlinkSync(join(cache, `${prefix}-${CHILD_UIDS.first}`))).toBe(shared);
      const owners = readdirSync(join(cache, shared)).map((file) => statSync(join(cache, shared, file)).uid);
      expect(owners.every((owner) => owner === SERVER_UID)).toBe(true);
    }
  });

  it('leaves no call directory and no child process of a call behind: what is left is the waiting children (warm, and the principals’ idle ones), each alone under its uid', async () => {
    await waitFor(() => deployment.children().length === 0, 15_000, 'no mw child of a call left');
    // refills after the earlier calls start children (each with its call directory) until the pool is full
    const waiting = await deployment.warmChildrenSettled();
    expect(waiting.length).toBeGreaterThan(0);
    await waitFor(() => readdirSync(join(scratch, 'state', 'calls-0')).length === waiting.length, 15_000, 'every call directory of a call removed');
    // clean-up helpers run as the child's uid a moment longer
    const anyLeft = () => Array.from({ length: CHILD_UIDS.last - CHILD_UIDS.first + 1 }, (_, i) => processesOf(CHILD_UIDS.first + i)).flat();
    await waitFor(() => anyLeft().length === waiting.length, 15_000, 'no process of a child uid left but the waiting children');
    expect(anyLeft().sort()).toEqual([...waiting].sort());
    expect(new Set(waiting.map(uidOf)).size).toBe(waiting.length);
    expect(waiting.map(uidOf).every(inChildRange)).toBe(true);
  });

  it('when the server crashes, the launcher ends every child, cleans up and exits', async () => {
    const bobs = await holdChild(deployment, deployment.bob, 60);
    // the call ends with the server: its connection closes
    const answered = bobs.done.catch(() => undefined);
    const [launcher, server] = serverPids(deployment.server);
    process.kill(server, 'SIGKILL');
    await waitFor(() => !isAlive(launcher), 20_000, 'the launcher to exit');
    expect(isAlive(bobs.pid)).toBe(false);
    expect(Array.from({ length: CHILD_UIDS.last - CHILD_UIDS.first + 1 }, (_, i) => processesOf(CHILD_UIDS.first + i)).flat()).toEqual([]);
    expect(readdirSync(join(scratch, 'state', 'calls-0'))).toEqual([]);
    await answered;
  }, 90_000);
});

describeAsRoot('the unprivileged path (a server started as an ordinary uid)', () => {
  const uid = uids.unprivileged;
  let home: string;
  let deployment: Deployment;

  beforeAll(async () => {
    home = stateScratch('mittwald-mcp-unprivileged-home-');
    chownSync(home, uid, uid);
    deployment = await startDeployment({ HOME: home }, { nodePath: node.path, user: { uid, gid: uid } });
  }, 120_000);

  afterAll(async () => {
    await deployment?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('has the file sandbox and the limits, says why the uid layer is off, and keeps its call directories in its own state directory', async () => {
    const ready = (await (await fetch(`${deployment.stack.url}/readyz`)).json()) as { checks: { isolation: Record<string, any> } };
    expect(ready.checks.isolation).toMatchObject({ fs: 'permission-model', uid: 'shared', limits: 'on', callDirectory: 'ok' });
    expect(ready.checks.isolation.reasons.uid).toMatch(/start as root/);
    expect(uidOf(deployment.server.pid)).toBe(uid);
    const refused = await deployment.call(deployment.alice, 'mittwald_conversation_create', conversationFrom(`/proc/${deployment.server.pid}/environ`));
    expect(refused).toMatchObject({ isError: true, code: 'sandbox_denied' });
    expect((await deployment.call(deployment.bob, 'mittwald_project_list')).isError).toBe(false);
    expect(readdirSync(join(home, '.local', 'state', 'mittwald-mcp'))).toEqual(expect.arrayContaining([`calls-${uid}`, `server-${uid}`]));
  });
});

function processesOf(uid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return uidOf(Number(pid)) === uid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
