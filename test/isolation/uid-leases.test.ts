// Child uids on a host with more than one launcher, and after things went wrong (issue 26, M4 and
// L2), as CI runs it (root, compose's capabilities, the file sandbox off so only the uids count):
// two launchers with one uid range and one state directory (two root-started servers with the
// defaults: blue/green, staging beside production) never run two children on one uid and never end
// each other's; a uid a stranger runs as is quarantined, not leased and not signalled; a call
// directory left behind is swept at start; a call root that cannot be written says so, and the
// uid whose directory could not be removed waits in quarantine until it can. These are about the
// lease of one call (CLI_CHILD_REUSE=off); a reused child keeps its lease until it ends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../reliability/helpers.ts';
import { isAlive } from '../support/processes.ts';
import {
  composeCapabilities,
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

// this run's own uids: another run on the machine may be using the defaults
const uids = uidBlockForThisRun();
const node = nodeForEveryUid();
const unavailable = perCallUidsUnavailable(node.path, uids.children.first);
if (unavailable) console.warn(`uid lease tests skipped: ${unavailable}`);
const describeAsRoot = unavailable ? describe.skip : describe;
afterAll(() => node.remove());

/** Five child uids: two calls at once (CLI_MAX_CONCURRENT=2) and no warm children need four. */
const FIRST = uids.children.first;
const RANGE = `${FIRST}-${FIRST + 4}`;

function launcherEnvironment(scratch: string): Record<string, string> {
  return {
    STATE_DIR: join(scratch, 'state'),
    CLI_UID_LEASE_DIR: join(scratch, 'uid-leases'),
    CLI_SANDBOX_FS: 'off',
    CLI_SERVER_UID: String(uids.server),
    CLI_CHILD_UIDS: RANGE,
    CLI_MAX_CONCURRENT: '2',
    CLI_POOL: 'off',
    // a uid back when its call ends: with reuse, the principal's idle child would keep it (see the last case)
    CLI_CHILD_REUSE: 'off',
  };
}

const startAsInTheContainer = (env: Record<string, string>) => startDeployment(env, { nodePath: node.path, containerCapabilities: composeCapabilities() });

interface UidReadiness {
  size: number;
  inUse: number;
  quarantined: number;
}

async function childUids(deployment: Deployment): Promise<UidReadiness | undefined> {
  const ready = (await (await fetch(`${deployment.stack.url}/readyz`)).json()) as { checks: { cli?: { childUids?: UidReadiness } } };
  return ready.checks.cli?.childUids;
}

/** A process of `uid` this test started: what a launcher must neither lease beside nor kill. */
function strangerRunningAs(uid: number): ChildProcess {
  return spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'sleep', '600'], { stdio: 'ignore' });
}

describeAsRoot('two launchers on one host, with one uid range and one state directory', () => {
  let scratch: string;
  let first: Deployment;
  let second: Deployment;

  beforeAll(async () => {
    scratch = stateScratch('mittwald-mcp-uid-leases-');
    // one after the other: each start runs `mw --version` through the whole path
    first = await startAsInTheContainer(launcherEnvironment(scratch));
    second = await startAsInTheContainer(launcherEnvironment(scratch));
  }, 240_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs their children under different uids, and neither's clean-up ends the other's running call", async () => {
    const long = await holdChild(first, first.alice, 25);
    const short = await holdChild(second, second.bob, 3);
    expect(uidOf(short.pid)).not.toBe(uidOf(long.pid));
    expect((await short.done).isError).toBe(false);
    // the second launcher has cleaned up after its call by now (it signalled every process of its uid)
    await waitFor(async () => (await childUids(second))?.inUse === 0, 30_000, "the second launcher's uid back");
    expect(isAlive(long.pid)).toBe(true);
    expect(await long.done).toMatchObject({ isError: false });
  }, 120_000);
});

describeAsRoot('one launcher after things went wrong', () => {
  let scratch: string;
  let deployment: Deployment;
  let secrets: { path: string; remove(): void };
  let stranger: ChildProcess;
  const callRoot = () => join(scratch, 'state', 'calls-0');

  beforeAll(async () => {
    scratch = stateScratch('mittwald-mcp-uid-quarantine-');
    // what a launcher killed with kill -9 leaves: a call directory of a child uid, with a file of the call
    mkdirSync(callRoot(), { recursive: true, mode: 0o711 });
    chmodSync(join(scratch, 'state'), 0o711);
    chmodSync(callRoot(), 0o711);
    const stale = join(callRoot(), 'mw-call-Stale1');
    mkdirSync(join(stale, 'config'), { recursive: true, mode: 0o700 });
    writeFileSync(join(stale, 'config', 'token'), 'a user’s leftovers');
    for (const path of [join(stale, 'config', 'token'), join(stale, 'config'), stale]) chownSync(path, FIRST + 1, FIRST + 1);
    // and what it must not touch: a symlink of the same name shape (and its target), another uid's directory
    const target = join(scratch, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'not a call directory');
    symlinkSync(target, join(callRoot(), 'mw-call-Link01'));
    mkdirSync(join(callRoot(), 'mw-call-Other1'), { mode: 0o700 });
    chownSync(join(callRoot(), 'mw-call-Other1'), uids.unprivileged, uids.unprivileged);
    stranger = strangerRunningAs(FIRST);
    await waitFor(() => isAlive(stranger.pid!) && uidOf(stranger.pid!) === FIRST, 10_000, 'the stranger running as the first child uid');
    deployment = await startAsInTheContainer(launcherEnvironment(scratch));
    secrets = secretsFileNextToTheServer(deployment.serverSecret);
  }, 120_000);

  afterAll(async () => {
    if (stranger?.pid && isAlive(stranger.pid)) stranger.kill('SIGKILL');
    chmodSync(callRoot(), 0o711);
    await deployment?.stop();
    secrets?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('swept the call directory a killed launcher left, and left a symlink, its target and another uid’s directory alone', () => {
    const left = readdirSync(callRoot());
    expect(left).not.toContain('mw-call-Stale1');
    expect(left).toEqual(expect.arrayContaining(['mw-call-Link01', 'mw-call-Other1']));
    expect(existsSync(join(scratch, 'elsewhere', 'keep'))).toBe(true);
  });

  it('quarantines a uid a stranger runs as: no child gets it, the stranger is not signalled, and it comes back once the stranger is gone', async () => {
    expect(await childUids(deployment)).toEqual({ size: 5, inUse: 0, quarantined: 1 });
    // round robin: six calls, two at a time, go through every uid there is to lease
    for (let round = 0; round < 3; round += 1) {
      const calls = [];
      for (const user of [deployment.alice, deployment.bob]) {
        const call = await holdChild(deployment, user, 4);
        expect(uidOf(call.pid)).not.toBe(FIRST);
        calls.push(call);
      }
      for (const call of calls) expect((await call.done).isError).toBe(false);
    }
    await waitFor(async () => (await childUids(deployment))?.inUse === 0, 30_000, 'every clean-up done');
    expect(isAlive(stranger.pid!)).toBe(true);
    const metrics = await (await fetch(`${deployment.stack.url}/metrics`)).text();
    expect(metrics).toMatch(/^mittwald_cli_child_uids\{state="quarantined"\} 1$/m);

    stranger.kill('SIGKILL');
    await waitFor(async () => (await childUids(deployment))?.quarantined === 0, 60_000, 'the uid back in the pool');
  }, 150_000);

  it('says a call directory cannot be created (not "mw CLI not available"), and quarantines the uid whose directory it could not remove until it can', async () => {
    const running = await holdChild(deployment, deployment.bob, 6);
    // root without CAP_DAC_OVERRIDE (as in the container) can no longer create or remove anything in it
    chmodSync(callRoot(), 0o511);
    const refused = await deployment.call(deployment.alice, 'mittwald_project_list');
    expect(refused).toMatchObject({ isError: true, code: 'unavailable' });
    expect(refused.text).toMatch(/cannot create the private directory a command runs in/);
    expect(refused.text).not.toMatch(/CLI is not available/);
    expect((await running.done).isError).toBe(false);
    await waitFor(async () => (await childUids(deployment))?.quarantined === 1, 30_000, 'the uid of the call whose directory stayed quarantined');
    expect(readdirSync(callRoot()).filter((name) => /^mw-call-/.test(name))).toHaveLength(3);

    chmodSync(callRoot(), 0o711);
    await waitFor(async () => (await childUids(deployment))?.quarantined === 0, 60_000, 'the uid back once its directory could be removed');
    expect(readdirSync(callRoot()).sort()).toEqual(['mw-call-Link01', 'mw-call-Other1']);
    expect((await deployment.call(deployment.alice, 'mittwald_project_list')).isError).toBe(false);
  }, 150_000);
});

describeAsRoot('a launcher killed with kill -9, and the next one', () => {
  let scratch: string;
  let next: Deployment | undefined;

  afterAll(async () => {
    await next?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('leaves its running child and call directory behind: the next launcher quarantines that uid without signalling it, and sweeps it once the child is gone', async () => {
    scratch = stateScratch('mittwald-mcp-uid-killed-');
    const killed = await startAsInTheContainer(launcherEnvironment(scratch));
    const held = await holdChild(killed, killed.alice, 600);
    const orphanUid = uidOf(held.pid);
    const [serverPid] = serverPids(killed.server).slice(1);
    await killed.server.stop('SIGKILL');
    // the server goes with its launcher (the channel closes); the child outlives it
    await waitFor(() => !isAlive(serverPid), 20_000, 'the server gone');
    await held.done.catch(() => undefined);
    await killed.stack.close();
    const callRoot = join(scratch, 'state', 'calls-0');
    expect(readdirSync(callRoot).filter((name) => name.startsWith('mw-call-'))).toHaveLength(1);

    next = await startAsInTheContainer(launcherEnvironment(scratch));
    // setpriv's --pdeathsig does not end it (util-linux 2.38: seen here); were it ended, only the sweep is left to see
    if (isAlive(held.pid)) {
      expect(await childUids(next)).toEqual({ size: 5, inUse: 0, quarantined: 1 });
      expect((await next.call(next.bob, 'mittwald_project_list')).isError).toBe(false);
      expect(isAlive(held.pid)).toBe(true);
      process.kill(held.pid, 'SIGKILL');
      await waitFor(async () => (await childUids(next!))?.quarantined === 0, 60_000, `uid ${orphanUid} back once its orphan is gone`);
    }
    expect(readdirSync(callRoot)).toEqual([]);
    expect(await childUids(next)).toEqual({ size: 5, inUse: 0, quarantined: 0 });
  }, 240_000);
});

describeAsRoot('a reused child', () => {
  let scratch: string;
  let deployment: Deployment;

  beforeAll(async () => {
    scratch = stateScratch('mittwald-mcp-uid-reuse-');
    deployment = await startAsInTheContainer({ ...launcherEnvironment(scratch), CLI_CHILD_REUSE: 'on', CLI_CHILD_IDLE_MS: '2000' });
  }, 120_000);

  afterAll(async () => {
    await deployment?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('keeps its uid lease between its principal’s calls, and gives it back when it ends (here: idle)', async () => {
    expect((await deployment.call(deployment.alice, 'mittwald_project_list')).isError).toBe(false);
    expect(await childUids(deployment)).toMatchObject({ inUse: 1 });
    expect((await deployment.call(deployment.alice, 'mittwald_project_list')).isError).toBe(false);
    expect(await childUids(deployment)).toMatchObject({ inUse: 1 });
    await waitFor(async () => (await childUids(deployment))?.inUse === 0, 60_000, 'the idle child’s uid back');
  }, 150_000);
});
