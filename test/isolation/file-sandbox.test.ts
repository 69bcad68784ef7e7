// Layer 2 alone, against a server process with two users and concurrent calls: the flag policy is
// off (the tools offer --message-from and --editor) and the children share the server's uid
// (CLI_CHILD_UIDS=off), so nothing but Node's permission model stands between a tool input and the
// server's secrets. Every attack ends as a sandbox_denied tool error, leaves nothing in a message
// the attacker could read back, and shows up in the server's log with the refused path.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversationFrom, holdChild, prlimitMissing, secretsFileNextToTheServer, serverPids, startDeployment, type Deployment } from './deployment.ts';

let deployment: Deployment;
let secrets: { path: string; remove(): void };
let scratch: string;

beforeAll(async () => {
  deployment = await startDeployment({ CLI_CHILD_UIDS: 'off' });
  secrets = secretsFileNextToTheServer(deployment.serverSecret);
  scratch = mkdtempSync(join(tmpdir(), 'file-sandbox-e2e-'));
}, 120_000);

afterAll(async () => {
  await deployment?.stop();
  secrets?.remove();
  rmSync(scratch, { recursive: true, force: true });
});


describe('the file sandbox alone (flag policy off, shared uid)', () => {
  it('reports its layers on /readyz', async () => {
    const ready = (await (await fetch(`${deployment.stack.url}/readyz`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks.isolation).toMatchObject({ fs: 'permission-model', uid: 'shared', limits: prlimitMissing ? 'off' : 'on', callDirectory: 'ok' });
  });

  it("refuses the server's environment, another user's running child, a secrets file next to the server and /etc/passwd, while bob's call goes on", async () => {
    const bobs = await holdChild(deployment, deployment.bob, 15);
    const targets = [
      ...serverPids(deployment.server).map((pid) => `/proc/${pid}/environ`),
      `/proc/${bobs.pid}/environ`,
      secrets.path,
      '/etc/passwd',
    ];
    const outcomes = await Promise.all(targets.map((path) => deployment.call(deployment.alice, 'mittwald_conversation_create', conversationFrom(path))));
    for (const [index, outcome] of outcomes.entries()) {
      expect({ target: targets[index], isError: outcome.isError, code: outcome.code }).toEqual({ target: targets[index], isError: true, code: 'sandbox_denied' });
      expect(outcome.text).not.toContain(deployment.serverSecret);
    }
    expect((await bobs.done).isError).toBe(false);

    const everything = deployment.messages().join('\n');
    expect(everything).not.toContain(deployment.serverSecret);
    expect(everything).not.toContain('root:x:0:0');
    expect(everything).not.toContain('MW_CONFIG_DIR');
    const log = deployment.server.output();
    for (const target of targets) expect(log).toContain(target);
  }, 90_000);

  it('does not start the editor program', async () => {
    const marker = join(scratch, 'editor-ran');
    const editor = join(scratch, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\ntouch ${marker}\necho written-by-the-editor > "$1"\n`, { mode: 0o755 });
    const outcome = await deployment.call(deployment.alice, 'mittwald_conversation_create', { title: 'support', category: 'general', editor });
    expect(outcome).toMatchObject({ isError: true, code: 'sandbox_denied' });
    expect(existsSync(marker)).toBe(false);
    expect(deployment.messages().join('\n')).not.toContain('written-by-the-editor');
  });

  it('refuses --env-file of container run the same way', async () => {
    const [project] = deployment.stack.api.users[0].projects;
    const outcome = await deployment.call(deployment.alice, 'mittwald_container_run', { project_id: project.id, image: 'nginx', env_file: [secrets.path] });
    expect(outcome).toMatchObject({ isError: true, code: 'sandbox_denied' });
    expect(outcome.text).not.toContain(deployment.serverSecret);
  });

  it('still runs ordinary tools for both users at once', async () => {
    const [alice, bob] = await Promise.all([
      deployment.call(deployment.alice, 'mittwald_project_list'),
      deployment.call(deployment.bob, 'mittwald_project_list'),
    ]);
    expect(alice.isError).toBe(false);
    expect(bob.isError).toBe(false);
    expect(alice.text).not.toEqual(bob.text);
  });

  it('refuses the same attacks through a warm child, which held no token before its call', async () => {
    for (const target of [...serverPids(deployment.server).map((pid) => `/proc/${pid}/environ`), secrets.path]) {
      await deployment.warmChildrenReady();
      for (const pid of deployment.waitingChildren()) {
        expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain(deployment.mittwaldToken('alice'));
        expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).not.toContain(deployment.mittwaldToken('alice'));
      }
      const before = await deployment.starts();
      const outcome = await deployment.call(deployment.alice, 'mittwald_conversation_create', conversationFrom(target));
      expect({ target, ...(await deployment.starts()) }).toEqual({ target, warm: before.warm + 1, cold: before.cold });
      expect({ target, isError: outcome.isError, code: outcome.code }).toEqual({ target, isError: true, code: 'sandbox_denied' });
      expect(outcome.text).not.toContain(deployment.serverSecret);
    }
    expect(deployment.messages().join('\n')).not.toContain(deployment.serverSecret);
  }, 90_000);
});
