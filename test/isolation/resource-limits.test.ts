// Layer 4 alone (file sandbox off, shared uid, flag policy off): a child that reads /dev/zero or
// allocates without end is stopped by its own limits as a clean resource_limit tool error; the
// server's memory is untouched and another user's call completes meanwhile.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { prlimitMissing, startDeployment, type Deployment } from './deployment.ts';
import { expectResourceHogsStopped } from './resource-hogs.ts';

if (prlimitMissing) console.warn(`resource limit tests skipped: ${prlimitMissing}`);
const describeWithPrlimit = prlimitMissing ? describe.skip : describe;

let deployment: Deployment;
beforeAll(async () => {
  if (!prlimitMissing) deployment = await startDeployment({ CLI_CHILD_UIDS: 'off', CLI_SANDBOX_FS: 'off' });
}, 120_000);
afterAll(() => deployment?.stop());

describeWithPrlimit('the resource limits alone', () => {
  it('end /dev/zero and a memory-hungry command as resource_limit, not as a timeout, while the server and bob are unaffected', async () => {
    await expectResourceHogsStopped(deployment);
  }, 90_000);

  it('let a command that stays within them finish', async () => {
    expect(await deployment.call(deployment.alice, 'mittwald_stand_in_allocate', { megabytes: '64' })).toMatchObject({ isError: false });
  });
});
